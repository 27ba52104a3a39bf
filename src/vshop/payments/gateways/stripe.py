"""Stripe through the official ``stripe`` SDK's ``StripeClient`` (no module-level globals, so the
API key is never shared process-wide): PaymentIntents for card and wallet payments, signed webhook
events, PaymentIntent search by VShop's number, and refunds.

The PaymentIntent's ``client_secret`` goes to the buyer's browser (Stripe.js confirms with it) and
nowhere else: it is not logged, stored or put into an error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import stripe as stripe_sdk
from django.utils.translation import gettext as _

from .base import (
    Gateway,
    GatewayUnavailable,
    InvalidNotification,
    Notification,
    NotificationKind,
    PaymentOrder,
    PaymentStart,
    PaymentState,
    PaymentStatus,
    RefundOrder,
    RefundResult,
    ignored,
)

API_BASE = "https://api.stripe.com"
# Stripe's own default; the SDK refuses older signatures, we also refuse ones from the future.
TOLERANCE = 300
METADATA_KEY = "vshop_payment"
REFUND_METADATA_KEY = "vshop_refund"

_INTENT_STATES = {
    "succeeded": PaymentState.SUCCEEDED,
    "canceled": PaymentState.CLOSED,
    "processing": PaymentState.PENDING,
    "requires_payment_method": PaymentState.PENDING,
    "requires_confirmation": PaymentState.PENDING,
    "requires_action": PaymentState.PENDING,
    "requires_capture": PaymentState.PENDING,
}
_REFUND_STATES = {
    "succeeded": "succeeded",
    "pending": "pending",
    "requires_action": "pending",
    "failed": "failed",
    "canceled": "failed",
}
_REFUND_EVENTS = {"refund.created", "refund.updated", "refund.failed"}


class _NoResponseBodies(logging.Filter):
    """The SDK logs whole response bodies at debug level: a PaymentIntent's includes its
    client_secret. Drop those records whatever the log level is."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


logging.getLogger("stripe").addFilter(_NoResponseBodies())


def _header(headers: Mapping[str, str], name: str) -> str:
    """One header from Django's ``request.headers``, ``request.META`` or a plain dict."""
    meta_name = "HTTP_" + name.upper().replace("-", "_")
    for key in (name, name.lower(), meta_name):
        if key in headers:
            return str(headers[key])
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return str(value)
    return ""


def _search_literal(value: str) -> str:
    # Stripe's search language quotes with '...' and escapes with a backslash.
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _timestamp(value: object) -> datetime | None:
    if isinstance(value, int) and value > 0:
        return datetime.fromtimestamp(value, tz=UTC)
    return None


class StripeGateway(Gateway):
    name = "stripe"
    label = "Stripe"

    def __init__(
        self,
        *,
        secret_key: str,
        webhook_secret: str,
        api_base: str = API_BASE,
        timeout: float = 15.0,
        max_network_retries: int = 2,
    ) -> None:
        if not secret_key or not webhook_secret:
            raise ValueError("Stripe needs its secret key and the webhook signing secret.")
        self.api_base = api_base.rstrip("/")
        self._webhook_secret = webhook_secret
        self._client = stripe_sdk.StripeClient(
            secret_key,
            base_addresses={"api": self.api_base},
            # Retries are safe: every POST below carries an idempotency key.
            max_network_retries=max_network_retries,
            http_client=stripe_sdk.RequestsClient(timeout=timeout),
        )

    def __repr__(self) -> str:
        return f"<StripeGateway api_base={self.api_base}>"

    @staticmethod
    def _refused(error: stripe_sdk.StripeError) -> GatewayUnavailable:
        # Stripe's messages can quote a (masked) key; pass on the stable code only.
        code = str(error.code or type(error).__name__)[:64]
        return GatewayUnavailable(_("Stripe refused the call (%(code)s).") % {"code": code})

    # -- paying ----------------------------------------------------------------------------

    def create_payment(self, order: PaymentOrder) -> PaymentStart:
        try:
            intent = self._client.v1.payment_intents.create(
                params={
                    "amount": order.amount,  # already minor units, as Stripe wants
                    "currency": order.currency.lower(),
                    "description": order.description[:1000],
                    "metadata": {METADATA_KEY: order.number},
                    "automatic_payment_methods": {"enabled": True},
                },
                # A retried create for the same payment returns the same intent.
                options={"idempotency_key": f"vshop-payment-{order.number}"},
            )
        except stripe_sdk.StripeError as error:
            raise self._refused(error) from None
        except Exception:
            raise GatewayUnavailable() from None
        if not intent.client_secret:
            raise GatewayUnavailable()
        return PaymentStart(
            gateway=self.name, client_secret=intent.client_secret, provider_ref=intent.id
        )

    def _find_intent(self, payment_number: str) -> dict[str, Any] | None:
        """The PaymentIntent made for a VShop number, or None. Stripe's search index can lag
        behind by about a minute, so a just-created intent may not be found yet."""
        query = f"metadata['{METADATA_KEY}']:'{_search_literal(payment_number)}'"
        try:
            found = self._client.v1.payment_intents.search(params={"query": query, "limit": 10})
        except stripe_sdk.StripeError as error:
            raise self._refused(error) from None
        except Exception:
            raise GatewayUnavailable() from None
        # Plain dicts: Stripe objects are not mappings (no .get) since SDK v15.
        intents = [i.to_dict() for i in found.data]
        intents = [
            i for i in intents if (i.get("metadata") or {}).get(METADATA_KEY) == payment_number
        ]
        # The idempotency key makes one intent per number; prefer a paid one if ever two.
        intents.sort(key=lambda i: i.get("status") != "succeeded")
        return intents[0] if intents else None

    def query_payment(self, payment_number: str) -> PaymentStatus:
        intent = self._find_intent(payment_number)
        if intent is None:
            return PaymentStatus(payment_number=payment_number, state=PaymentState.PENDING)
        state = _INTENT_STATES.get(str(intent.get("status")), PaymentState.PENDING)
        if state == PaymentState.PENDING and intent.get("last_payment_error"):
            state = PaymentState.FAILED  # the last attempt was declined
        paid = state == PaymentState.SUCCEEDED
        return PaymentStatus(
            payment_number=payment_number,
            state=state,
            amount=int(intent.get("amount_received") or 0) if paid else int(intent["amount"]),
            provider_ref=str(intent["id"]),
        )

    def refund(self, order: RefundOrder) -> RefundResult:
        intent_id = order.provider_ref
        if not intent_id:
            intent = self._find_intent(order.payment_number)
            if intent is None:
                raise GatewayUnavailable(_("Stripe has no payment under this number."))
            intent_id = str(intent["id"])
        metadata = {REFUND_METADATA_KEY: order.refund_number, METADATA_KEY: order.payment_number}
        if order.reason:
            metadata["vshop_reason"] = order.reason[:500]
        try:
            refund = self._client.v1.refunds.create(
                params={"payment_intent": intent_id, "amount": order.amount, "metadata": metadata},
                options={"idempotency_key": order.refund_number},
            )
        except stripe_sdk.StripeError as error:
            raise self._refused(error) from None
        except Exception:
            raise GatewayUnavailable() from None
        return RefundResult(
            refund_number=order.refund_number,
            state=_REFUND_STATES.get(str(refund.status), "pending"),
            provider_ref=refund.id,
        )

    # -- notifications ---------------------------------------------------------------------

    def verify_notification(self, *, headers: Mapping[str, str], body: bytes) -> Notification:
        signature = _header(headers, "Stripe-Signature")
        try:
            event = self._client.construct_event(
                bytes(body), signature, self._webhook_secret, tolerance=TOLERANCE
            )
        except Exception:
            # SignatureVerificationError, bad JSON, bad UTF-8: all a 400.
            raise InvalidNotification() from None
        # The SDK only refuses old timestamps; a signature dated ahead is refused here.
        try:
            signed_at = int(next(p[2:] for p in signature.split(",") if p.startswith("t=")))
        except (StopIteration, ValueError):
            raise InvalidNotification() from None
        if signed_at > time.time() + TOLERANCE:
            raise InvalidNotification()
        try:
            return self._parse(event.to_dict())
        except (KeyError, TypeError, ValueError, AttributeError):
            raise InvalidNotification() from None

    def _parse(self, event: dict[str, Any]) -> Notification:
        event_id = str(event["id"])
        event_type = str(event["type"])
        obj = event["data"]["object"]
        metadata = obj.get("metadata") or {}
        occurred_at = _timestamp(event.get("created"))
        if event_type in ("payment_intent.succeeded", "payment_intent.payment_failed"):
            # No VShop number (another integration on the same account): still genuine, so it
            # is passed on with an empty number, which VShop acknowledges as unknown.
            number = metadata.get(METADATA_KEY) or ""
            succeeded = event_type == "payment_intent.succeeded"
            error = obj.get("last_payment_error") or {}
            return Notification(
                gateway=self.name,
                event_id=event_id,
                kind=NotificationKind.PAYMENT_SUCCEEDED
                if succeeded
                else NotificationKind.PAYMENT_FAILED,
                payment_number=str(number),
                amount=int(obj["amount_received"] if succeeded else obj["amount"]),
                currency=str(obj["currency"]).upper(),
                provider_ref=str(obj["id"]),
                occurred_at=occurred_at,
                extra={} if succeeded else {"decline_code": str(error.get("code") or "")},
            )
        if event_type in _REFUND_EVENTS:
            state = _REFUND_STATES.get(str(obj.get("status")), "pending")
            if state == "pending":
                # No kind fits "still pending"; the final refund.updated follows.
                return ignored(self.name, event_id, f"{event_type}:pending")
            # A refund made in Stripe's dashboard has no VShop number: passed on empty.
            refund_number = metadata.get(REFUND_METADATA_KEY) or ""
            return Notification(
                gateway=self.name,
                event_id=event_id,
                kind=NotificationKind.REFUND_SUCCEEDED
                if state == "succeeded"
                else NotificationKind.REFUND_FAILED,
                payment_number=str(metadata.get(METADATA_KEY) or ""),
                amount=int(obj["amount"]),
                currency=str(obj["currency"]).upper(),
                provider_ref=str(obj.get("payment_intent") or ""),
                refund_number=str(refund_number),
                occurred_at=occurred_at,
                extra={"refund_id": str(obj["id"]), "refund_status": str(obj.get("status"))},
            )
        return ignored(self.name, event_id, event_type)
