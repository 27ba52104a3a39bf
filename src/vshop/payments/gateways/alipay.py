"""Alipay through ``python-alipay-sdk`` (RSA2 keys, not the certificate mode): computer-website
pay (``alipay.trade.page.pay``), asynchronous notifications, ``alipay.trade.query`` and
``alipay.trade.refund``.

Alipay speaks yuan as strings with two decimals; VShop speaks fen. The conversion happens here
only, through ``Decimal``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from alipay import AliPay
from alipay.utils import AliPayConfig
from django.utils import timezone
from django.utils.translation import gettext as _

from vshop.errors import ValidationFailed

from .base import (
    Acknowledgement,
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

GATEWAY = "https://openapi.alipay.com/gateway.do"
SANDBOX_GATEWAY = "https://openapi-sandbox.dl.alipaydev.com/gateway.do"
# Alipay's times carry no zone; they are Beijing time.
ALIPAY_TZ = ZoneInfo("Asia/Shanghai")
# Alipay resends an unanswered notification after 4m, 10m, 10m, 1h, 2h, 6h and 15h: the last
# retry comes ~24h24m after the first. A one-day limit would refuse that genuine last retry, so
# the window is 25 hours; replays inside it are harmless because notify_id is the event id.
MAX_NOTIFY_AGE = timedelta(hours=25)
MAX_CLOCK_SKEW = timedelta(minutes=5)
SUCCESS = "10000"

_PAID = {"TRADE_SUCCESS", "TRADE_FINISHED"}
_TRADE_STATES = {
    "WAIT_BUYER_PAY": PaymentState.PENDING,
    "TRADE_SUCCESS": PaymentState.SUCCEEDED,
    "TRADE_FINISHED": PaymentState.SUCCEEDED,
    "TRADE_CLOSED": PaymentState.CLOSED,  # unpaid and timed out, or paid and refunded in full
}
_CENT = Decimal("0.01")


def yuan(amount: int) -> str:
    """1234 fen -> "12.34"."""
    return str((Decimal(amount) / 100).quantize(_CENT))


def fen(value: object) -> int:
    """ "12.34" -> 1234; anything that is not a whole number of fen is refused."""
    amount = Decimal(str(value)) * 100
    if not amount.is_finite() or amount < 0 or amount != amount.to_integral_value():
        raise ValueError("not an amount in yuan")
    return int(amount)


def _key(text: str) -> str | bytes:
    """Alipay hands out keys as bare base64 too; PyCryptodome wants PEM or DER."""
    if "-----BEGIN" in text:
        return text
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except binascii.Error:
        raise ValueError("An Alipay key is neither PEM nor base64.") from None


def _beijing_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=ALIPAY_TZ)
    except ValueError:
        return None


class AlipayGateway(Gateway):
    name = "alipay"
    label = "Alipay"

    def __init__(
        self,
        *,
        app_id: str,
        app_private_key: str,
        alipay_public_key: str,
        sandbox: bool = False,
        gateway_url: str = "",
        timeout: float = 15.0,
        max_notify_age: timedelta = MAX_NOTIFY_AGE,
    ) -> None:
        self.app_id = app_id
        self.sandbox = sandbox
        self.gateway_url = gateway_url or (SANDBOX_GATEWAY if sandbox else GATEWAY)
        self.max_notify_age = max_notify_age
        try:
            self._sdk = AliPay(
                appid=app_id,
                app_private_key_string=_key(app_private_key),
                alipay_public_key_string=_key(alipay_public_key),
                sign_type="RSA2",
                debug=sandbox,
                verbose=False,  # verbose logs every signed request
                config=AliPayConfig(timeout=timeout),
            )
        except Exception:
            raise ValueError("Alipay keys could not be loaded.") from None
        # The SDK knows two hosts only; tests (and a proxy, if ever) need another.
        self._sdk._gateway = self.gateway_url

    def __repr__(self) -> str:
        return f"<AlipayGateway app_id={self.app_id} sandbox={self.sandbox}>"

    def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        """One signed API call; the SDK verifies the answer's signature with Alipay's key."""
        try:
            data = getattr(self._sdk, method)(**kwargs)
        except Exception:
            # URLError, timeouts, HTTP errors, AliPayException (an unsigned error answer, whose
            # text we do not repeat) and AliPayValidationError (a bad signature on the answer).
            raise GatewayUnavailable() from None
        if not isinstance(data, dict):
            raise GatewayUnavailable()
        return data

    @staticmethod
    def _refused(data: Mapping[str, Any]) -> GatewayUnavailable:
        code = str(data.get("sub_code") or data.get("code") or "unknown")[:64]
        return GatewayUnavailable(_("Alipay refused the call (%(code)s).") % {"code": code})

    # -- paying ----------------------------------------------------------------------------

    def create_payment(self, order: PaymentOrder) -> PaymentStart:
        if order.currency.upper() != "CNY":
            raise ValidationFailed(_("Alipay charges in CNY only."), field="currency")
        try:
            query = self._sdk.api_alipay_trade_page_pay(
                subject=order.description[:256] or order.number,
                out_trade_no=order.number,
                total_amount=yuan(order.amount),
                return_url=order.return_url or None,
                notify_url=order.notify_url or None,
            )
        except Exception:
            raise GatewayUnavailable() from None
        # Signing happens here; the buyer's browser carries the signed request to Alipay.
        return PaymentStart(gateway=self.name, redirect_url=f"{self.gateway_url}?{query}")

    def query_payment(self, payment_number: str) -> PaymentStatus:
        data = self._call("api_alipay_trade_query", out_trade_no=payment_number)
        if data.get("code") != SUCCESS:
            if data.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
                # A page-pay trade exists at Alipay only once the buyer opened the page.
                return PaymentStatus(payment_number=payment_number, state=PaymentState.PENDING)
            raise self._refused(data)
        if data.get("out_trade_no") != payment_number:
            raise GatewayUnavailable()
        try:
            amount = fen(data.get("total_amount") or "0")
        except (ValueError, InvalidOperation):
            raise GatewayUnavailable() from None
        state = _TRADE_STATES.get(str(data.get("trade_status")), PaymentState.PENDING)
        return PaymentStatus(
            payment_number=payment_number,
            state=state,
            amount=amount,
            provider_ref=str(data.get("trade_no") or ""),
            paid_at=_beijing_time(data.get("send_pay_date")) if state == "succeeded" else None,
        )

    def refund(self, order: RefundOrder) -> RefundResult:
        if order.currency.upper() != "CNY":
            raise ValidationFailed(_("Alipay refunds in CNY only."), field="currency")
        kwargs: dict[str, Any] = {
            "refund_amount": yuan(order.amount),
            "out_trade_no": order.payment_number,
            # Alipay's idempotency key: a retry with the same number refunds once.
            "out_request_no": order.refund_number,
        }
        if order.provider_ref:
            kwargs["trade_no"] = order.provider_ref
        if order.reason:
            kwargs["refund_reason"] = order.reason[:256]
        data = self._call("api_alipay_trade_refund", **kwargs)
        # Alipay refunds synchronously: 10000 means done (fund_change "N" on a repeat call).
        if data.get("code") != SUCCESS:
            raise self._refused(data)
        return RefundResult(
            refund_number=order.refund_number,
            state="succeeded",
            provider_ref=str(data.get("trade_no") or order.provider_ref),
        )

    # -- notifications ---------------------------------------------------------------------

    def verify_notification(self, *, headers: Mapping[str, str], body: bytes) -> Notification:
        try:
            pairs = parse_qsl(bytes(body).decode("utf-8"), keep_blank_values=True)
        except (UnicodeDecodeError, ValueError, TypeError):
            raise InvalidNotification() from None
        params = dict(pairs)
        if len(params) != len(pairs):
            raise InvalidNotification()  # a repeated field would be read two ways
        signature = params.pop("sign", "")
        if not signature or not params:
            raise InvalidNotification()
        try:
            # The SDK pops sign_type (refusing anything but RSA2) and signs the sorted rest.
            verified = self._sdk.verify(dict(params), signature)
        except Exception:
            raise InvalidNotification() from None
        if verified is not True:
            raise InvalidNotification()
        if params.get("app_id") != self.app_id:
            raise InvalidNotification()
        sent_at = _beijing_time(params.get("notify_time"))
        now = timezone.now()
        if sent_at is None or not (now - self.max_notify_age <= sent_at <= now + MAX_CLOCK_SKEW):
            raise InvalidNotification()
        try:
            return self._parse(params, sent_at)
        except (KeyError, ValueError, InvalidOperation):
            raise InvalidNotification() from None

    def _parse(self, params: dict[str, str], sent_at: datetime) -> Notification:
        event_id = params["notify_id"]
        status = params.get("trade_status", "")
        number = params["out_trade_no"]
        if not event_id or not number:
            raise InvalidNotification()
        extra = {"trade_status": status, "notify_type": params.get("notify_type", "")}
        if params.get("gmt_refund") or fen(params.get("refund_fee") or "0") > 0:
            # A refund was made on this trade (synchronously, by refund()). Alipay reports the
            # trade's refunded total, so amount is that total, not this refund alone.
            return Notification(
                gateway=self.name,
                event_id=event_id,
                kind=NotificationKind.REFUND_SUCCEEDED,
                payment_number=number,
                amount=fen(params["refund_fee"]),
                currency="CNY",
                provider_ref=params.get("trade_no", ""),
                refund_number=params.get("out_biz_no", ""),
                occurred_at=_beijing_time(params.get("gmt_refund")) or sent_at,
                extra={**extra, "amount_is_refunded_total": "true"},
            )
        if status in _PAID:
            return Notification(
                gateway=self.name,
                event_id=event_id,
                kind=NotificationKind.PAYMENT_SUCCEEDED,
                payment_number=number,
                amount=fen(params["total_amount"]),
                currency="CNY",
                provider_ref=params.get("trade_no", ""),
                occurred_at=_beijing_time(params.get("gmt_payment")) or sent_at,
                extra=extra,
            )
        if status == "TRADE_CLOSED":
            # Closed unpaid (timed out or cancelled): a refund-closed trade has refund_fee above.
            return Notification(
                gateway=self.name,
                event_id=event_id,
                kind=NotificationKind.PAYMENT_FAILED,
                payment_number=number,
                amount=fen(params.get("total_amount") or "0"),
                currency="CNY",
                provider_ref=params.get("trade_no", ""),
                occurred_at=_beijing_time(params.get("gmt_close")) or sent_at,
                extra=extra,
            )
        # WAIT_BUYER_PAY (sent only if enabled) or unknown: not something VShop acts on.
        return ignored(self.name, event_id, status)

    def acknowledge(self, notification: Notification | None = None) -> Acknowledgement:
        # Anything but exactly "success" makes Alipay resend.
        return Acknowledgement(status=200, content_type="text/plain", body=b"success")
