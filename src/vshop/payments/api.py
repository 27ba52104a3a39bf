"""Payments API: the ways to pay, paying a checkout, and the providers' notification endpoint."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.responses import Status

from vshop.api import ErrorOut, acting_user
from vshop.orders.schemas import GatewayOut, PaymentIn, PaymentOut
from vshop.payments import selectors, services
from vshop.payments.gateways import available_gateways
from vshop.payments.models import Payment

router = Router(tags=["payments"])
notify_router = Router(tags=["payments"], auth=None)

ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
    502: ErrorOut,
}


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


@router.get("/gateways", response=list[GatewayOut], summary="The ways to pay on this site")
def gateways(request: HttpRequest) -> list[dict[str, str]]:
    return [{"name": g.name, "label": str(g.label)} for g in available_gateways().values()]


@router.post(
    "/checkouts/{number}",
    response={201: PaymentOut, **ERRORS},
    summary="Pay a checkout through a gateway (send an Idempotency-Key)",
    description="Answers where to send the buyer (`redirect_url`), a QR code to show (`code_url`) "
    "or a client secret for the provider's SDK. The outcome arrives by the provider's signed "
    "notification; `GET /api/payments/{number}` tells it.",
)
def payment_start(request: HttpRequest, number: str, payload: PaymentIn) -> Status:
    payment, start = services.payment_start(
        buyer=acting_user(request),
        checkout_number=number,
        gateway=payload.gateway,
        buyer_ip=_client_ip(request),
    )
    return Status(
        201,
        {
            "number": payment.number,
            "gateway": payment.gateway,
            "amount": payment.amount,
            "currency": payment.currency,
            "status": payment.status,
            "redirect_url": start.redirect_url,
            "code_url": start.code_url,
            "client_secret": start.client_secret,
        },
    )


def _my_payment(request: HttpRequest, number: str) -> Payment:
    return selectors.payment_of_buyer(buyer=acting_user(request), number=number)


@router.get(
    "/{number}", response={200: PaymentOut, **ERRORS}, summary="A payment of mine and its status"
)
def payment_get(request: HttpRequest, number: str) -> Any:
    return _my_payment(request, number)


@router.post(
    "/{number}/sync",
    response={200: PaymentOut, **ERRORS},
    summary="Ask the provider now (back from the payment page before its notification)",
)
def payment_sync(request: HttpRequest, number: str) -> Any:
    payment = _my_payment(request, number)
    services.payment_sync(payment=payment)
    payment.refresh_from_db()
    return payment


@notify_router.post(
    "/notify/{gateway}",
    url_name="payment_notify",
    response={200: None, 204: None, 400: ErrorOut, 404: ErrorOut},
    summary="Providers' signed notifications (not for clients)",
    description="Verified with the provider's signature and timestamp; a bad one is refused "
    "with 400 and changes nothing. The same notification twice takes effect once.",
)
def notify(request: HttpRequest, gateway: str) -> HttpResponse:
    headers = {k: v for k, v in request.headers.items()}
    ack = services.notification_receive(gateway=gateway, headers=headers, body=request.body)
    return HttpResponse(ack.body, status=ack.status, content_type=ack.content_type)
