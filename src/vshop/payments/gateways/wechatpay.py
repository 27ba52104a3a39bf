"""WeChat Pay API v3 through the ``wechatpayv3`` SDK: Native pay (a QR code), signed and encrypted
notifications, order query and refunds.

Two ways of trusting WeChat Pay's signatures exist. The *platform public key* mode (WeChat Pay's
current default: one public key and its ``PUB_KEY_ID_...`` id) needs no network to start. The older
*platform certificates* mode loads certificates from ``cert_dir`` and, when that is empty or a
signature names an unknown serial, downloads them: the SDK is then built on first use, not here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from django.utils.translation import gettext as _
from wechatpayv3 import WeChatPay, WeChatPayType

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

API_BASE = "https://api.mch.weixin.qq.com"
# WeChat Pay signs with this scheme only; the SDK refuses any other value of the header.
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
# Replays of a captured notification are refused outside this window (either direction).
MAX_CLOCK_SKEW = 300

_TRADE_STATES = {
    "SUCCESS": PaymentState.SUCCEEDED,
    "REFUND": PaymentState.SUCCEEDED,  # paid, then (partly) refunded: the payment did succeed
    "NOTPAY": PaymentState.PENDING,
    "USERPAYING": PaymentState.PENDING,
    "CLOSED": PaymentState.CLOSED,
    "REVOKED": PaymentState.CLOSED,
    "PAYERROR": PaymentState.FAILED,
}
_REFUND_STATES = {
    "SUCCESS": "succeeded",
    "PROCESSING": "pending",
    "CLOSED": "failed",
    "ABNORMAL": "failed",  # the buyer's account refused it; needs a person
}
_REFUND_EVENTS = {
    "REFUND.SUCCESS": NotificationKind.REFUND_SUCCEEDED,
    "REFUND.ABNORMAL": NotificationKind.REFUND_FAILED,
    "REFUND.CLOSED": NotificationKind.REFUND_FAILED,
}
_HEADERS = (
    "Wechatpay-Signature",
    "Wechatpay-Timestamp",
    "Wechatpay-Nonce",
    "Wechatpay-Serial",
    "Wechatpay-Signature-Type",
)


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


def _datetime(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)  # RFC 3339 with offset, "2018-06-08T10:34:56+08:00"
    except ValueError:
        return None


class WeChatPayGateway(Gateway):
    name = "wechatpay"
    label = "WeChat Pay"

    def __init__(
        self,
        *,
        mchid: str,
        appid: str,
        cert_serial_no: str,
        private_key: str,
        apiv3_key: str,
        public_key: str = "",
        public_key_id: str = "",
        cert_dir: str = "",
        api_base: str = API_BASE,
        timeout: float = 15.0,
    ) -> None:
        if not (public_key and public_key_id) and not cert_dir:
            raise ValueError(
                "WeChat Pay needs the platform public key and its id, or a certificate directory."
            )
        if len(apiv3_key.encode()) != 32:
            raise ValueError("The WeChat Pay API v3 key must be 32 bytes long.")
        self.mchid = mchid
        self.appid = appid
        self.public_key_id = public_key_id
        self.api_base = api_base.rstrip("/")
        self._sdk_kwargs: dict[str, Any] = {
            "wechatpay_type": WeChatPayType.NATIVE,
            "mchid": mchid,
            "appid": appid,
            "cert_serial_no": cert_serial_no,
            "private_key": private_key,
            "apiv3_key": apiv3_key,
            "public_key": public_key or None,
            "public_key_id": public_key_id or None,
            "cert_dir": None if public_key else cert_dir,
            # (connect, read): a dead host must not hold a worker for long.
            "timeout": (min(timeout, 5.0), timeout),
            # The SDK logs decrypted notifications and request headers at debug level: none.
            "logger": None,
        }
        self._sdk: Any = None
        if public_key:
            # No network in this mode, so a bad key fails now, at configuration time.
            self._sdk = self._build_sdk()

    def __repr__(self) -> str:
        return f"<WeChatPayGateway mchid={self.mchid} appid={self.appid}>"

    def _build_sdk(self) -> Any:
        try:
            sdk = WeChatPay(**self._sdk_kwargs)
        except Exception:
            # The SDK's messages name no secret, but say nothing rather than trust that.
            raise ValueError("WeChat Pay keys could not be loaded.") from None
        # The SDK has no option for the host; tests point it at a local server.
        sdk._core._gate_way = self.api_base
        return sdk

    def _client(self) -> Any:
        if self._sdk is None:
            try:
                self._sdk = self._build_sdk()
            except ValueError:
                # Certificates mode: the download of platform certificates failed.
                raise GatewayUnavailable() from None
        return self._sdk

    def _call(self, method: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        """Call the SDK; any transport failure, unverifiable answer or non-JSON body is a 502."""
        try:
            code, text = getattr(self._client(), method)(**kwargs)
            data = json.loads(text) if text else {}
        except GatewayUnavailable:
            raise
        except Exception:
            # Connection errors, timeouts, and "failed to verify the signature" of the answer.
            raise GatewayUnavailable() from None
        if not isinstance(data, dict):
            raise GatewayUnavailable()
        return code, data

    @staticmethod
    def _refused(data: Mapping[str, Any]) -> GatewayUnavailable:
        # WeChat Pay's error codes ("PARAM_ERROR", "ORDER_NOT_EXIST") are safe to pass on.
        code = str(data.get("code") or "unknown")[:64]
        return GatewayUnavailable(_("WeChat Pay refused the call (%(code)s).") % {"code": code})

    # -- paying ----------------------------------------------------------------------------

    def create_payment(self, order: PaymentOrder) -> PaymentStart:
        if order.currency.upper() != "CNY":
            raise ValidationFailed(_("WeChat Pay charges in CNY only."), field="currency")
        if not order.notify_url:
            raise ValueError("WeChat Pay needs the notify_url of the payment.")
        kwargs: dict[str, Any] = {
            "description": order.description[:127] or order.number,
            "out_trade_no": order.number,
            "amount": {"total": order.amount, "currency": "CNY"},
            "notify_url": order.notify_url,
            "pay_type": WeChatPayType.NATIVE,
        }
        if order.buyer_ip:
            kwargs["scene_info"] = {"payer_client_ip": order.buyer_ip}
        code, data = self._call("pay", **kwargs)
        code_url = data.get("code_url")
        if code != 200 or not isinstance(code_url, str) or not code_url:
            raise self._refused(data)
        return PaymentStart(gateway=self.name, code_url=code_url)

    def query_payment(self, payment_number: str) -> PaymentStatus:
        # The SDK puts the number into the path as it is.
        code, data = self._call("query", out_trade_no=quote(payment_number, safe=""))
        if code == 404 and data.get("code") == "ORDER_NOT_EXIST":
            # Nothing was charged under this number (yet): still pending, not an outage.
            return PaymentStatus(payment_number=payment_number, state=PaymentState.PENDING)
        if code != 200:
            raise self._refused(data)
        if data.get("out_trade_no") != payment_number or data.get("mchid") != self.mchid:
            raise GatewayUnavailable()
        state = _TRADE_STATES.get(str(data.get("trade_state")), PaymentState.PENDING)
        amount = data.get("amount") or {}
        return PaymentStatus(
            payment_number=payment_number,
            state=state,
            amount=int(amount.get("total") or 0),
            provider_ref=str(data.get("transaction_id") or ""),
            paid_at=_datetime(data.get("success_time")),
        )

    def refund(self, order: RefundOrder) -> RefundResult:
        if order.currency.upper() != "CNY":
            raise ValidationFailed(_("WeChat Pay refunds in CNY only."), field="currency")
        kwargs: dict[str, Any] = {
            "out_refund_no": order.refund_number,
            "amount": {"refund": order.amount, "total": order.payment_amount, "currency": "CNY"},
        }
        if order.provider_ref:
            kwargs["transaction_id"] = order.provider_ref
        else:
            kwargs["out_trade_no"] = order.payment_number
        if order.reason:
            kwargs["reason"] = order.reason[:80]
        if order.notify_url:
            kwargs["notify_url"] = order.notify_url
        code, data = self._call("refund", **kwargs)
        if code != 200 or data.get("out_refund_no") != order.refund_number:
            raise self._refused(data)
        return RefundResult(
            refund_number=order.refund_number,
            state=_REFUND_STATES.get(str(data.get("status")), "pending"),
            provider_ref=str(data.get("refund_id") or ""),
        )

    # -- notifications ---------------------------------------------------------------------

    def verify_notification(self, *, headers: Mapping[str, str], body: bytes) -> Notification:
        signed = {name: _header(headers, name) for name in _HEADERS}
        if not signed["Wechatpay-Signature"]:
            raise InvalidNotification()
        try:
            timestamp = int(signed["Wechatpay-Timestamp"])
        except ValueError:
            raise InvalidNotification() from None
        # The SDK checks the signature but not its age: a captured notification stays valid.
        if abs(time.time() - timestamp) > MAX_CLOCK_SKEW:
            raise InvalidNotification()
        if self.public_key_id and signed["Wechatpay-Serial"] != self.public_key_id:
            # Unknown serials would make the SDK download certificates: refuse, don't fetch.
            raise InvalidNotification()
        if not signed["Wechatpay-Signature-Type"]:
            # Older senders omit it; the scheme is the only one WeChat Pay signs with.
            signed["Wechatpay-Signature-Type"] = SIGNATURE_TYPE
        try:
            data = self._client().callback(headers=signed, body=bytes(body))
        except GatewayUnavailable:
            raise
        except Exception:
            # Undecodable body, unknown algorithm, garbage serial: never anything but a 400.
            raise InvalidNotification() from None
        # None: the signature did not verify or the resource did not decrypt with our key.
        if not isinstance(data, dict) or not isinstance(data.get("resource"), dict):
            raise InvalidNotification()
        try:
            return self._parse(data)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise InvalidNotification() from None

    def _parse(self, data: dict[str, Any]) -> Notification:
        event_id = str(data["id"])
        event_type = str(data.get("event_type"))
        resource: dict[str, Any] = data["resource"]
        if not event_id or resource.get("mchid") != self.mchid:
            raise InvalidNotification()
        amount = resource["amount"]
        if event_type == "TRANSACTION.SUCCESS":
            if resource.get("appid") != self.appid or resource.get("trade_state") != "SUCCESS":
                raise InvalidNotification()
            return Notification(
                gateway=self.name,
                event_id=event_id,
                kind=NotificationKind.PAYMENT_SUCCEEDED,
                payment_number=str(resource["out_trade_no"]),
                amount=int(amount["total"]),
                currency=str(amount.get("currency") or "CNY"),
                provider_ref=str(resource["transaction_id"]),
                occurred_at=_datetime(resource.get("success_time"))
                or _datetime(data.get("create_time")),
                extra={"trade_type": str(resource.get("trade_type") or "")},
            )
        if event_type in _REFUND_EVENTS:
            return Notification(
                gateway=self.name,
                event_id=event_id,
                kind=_REFUND_EVENTS[event_type],
                payment_number=str(resource["out_trade_no"]),
                amount=int(amount["refund"]),
                currency=str(amount.get("currency") or "CNY"),
                provider_ref=str(resource.get("transaction_id") or ""),
                refund_number=str(resource["out_refund_no"]),
                occurred_at=_datetime(resource.get("success_time"))
                or _datetime(data.get("create_time")),
                extra={
                    "refund_id": str(resource.get("refund_id") or ""),
                    "refund_status": str(resource.get("refund_status") or ""),
                },
            )
        # Verified but not an event VShop acts on.
        return ignored(self.name, event_id, event_type)

    def acknowledge(self, notification: Notification | None = None) -> Acknowledgement:
        return Acknowledgement(
            status=200,
            content_type="application/json",
            body=json.dumps({"code": "SUCCESS", "message": "成功"}, ensure_ascii=False).encode(),
        )
