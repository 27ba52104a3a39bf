"""The Alipay adapter against the real ``python-alipay-sdk``: asynchronous notifications built in
Alipay's wire format (form fields, RSA2 over the sorted ``k=v&...`` string without sign and
sign_type) and API calls answered by a local gateway that signs its answers as Alipay does."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured

from tests.payments.providers import (
    LocalProvider,
    Responder,
    Seen,
    new_key,
    private_pem,
    public_pem,
    rsa_sign,
    rsa_valid,
    serving,
    unreachable_url,
)
from vshop.errors import ValidationFailed
from vshop.payments.gateways import config
from vshop.payments.gateways.alipay import SANDBOX_GATEWAY, AlipayGateway, fen, yuan
from vshop.payments.gateways.base import (
    GatewayUnavailable,
    InvalidNotification,
    NotificationKind,
    PaymentOrder,
    PaymentState,
    RefundOrder,
)

APP_ID = "2021000117650001"
BEIJING = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Keys:
    app: rsa.RSAPrivateKey  # VShop's application key: signs requests
    alipay: rsa.RSAPrivateKey  # Alipay's: signs notifications and answers
    stranger: rsa.RSAPrivateKey


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys(app=new_key(), alipay=new_key(), stranger=new_key())


def app_private_pem(keys: Keys) -> str:
    return private_pem(keys.app, serialization.PrivateFormat.TraditionalOpenSSL)  # "RSA PRIVATE"


def bare(pem: str) -> str:
    """Alipay's key tool hands keys out as one line of base64, without PEM armour."""
    return "".join(line for line in pem.splitlines() if not line.startswith("-----"))


def unsigned_string(params: dict[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in ("sign", "sign_type"))


# -- a local Alipay gateway ----------------------------------------------------------------


class LocalAlipay(LocalProvider):
    """Alipay's gateway: every call a GET of ``/gateway.do`` with the request in its query."""

    methods = ("GET",)
    base_path = "/gateway.do"
    unset = (500, "")

    def answer(self, status: int, data: Any) -> tuple[int, dict[str, str], bytes]:
        return status, {"Content-Type": "text/html;charset=utf-8"}, data.encode()  # as Alipay


def biz_content(seen: Seen) -> dict[str, Any]:
    return json.loads(seen.query["biz_content"])


def signed_answer(key: rsa.RSAPrivateKey, seen: Seen, response: dict[str, Any]) -> str:
    """Alipay's synchronous answer: the signature covers the response object's exact text."""
    response_type = seen.query["method"].replace(".", "_") + "_response"
    inner = json.dumps(response, ensure_ascii=False, separators=(",", ":"))
    return f'{{"{response_type}":{inner},"sign":"{rsa_sign(key, inner)}"}}'


def answers(key: rsa.RSAPrivateKey, response: dict[str, Any]) -> Responder:
    """A responder: HTTP 200 with ``response`` signed by ``key`` as Alipay answers."""
    return lambda seen: (200, signed_answer(key, seen, response))


@pytest.fixture
def server() -> Iterator[LocalAlipay]:
    with serving(LocalAlipay()) as srv:
        yield srv


def make_gateway(keys: Keys, gateway_url: str = "http://127.0.0.1:9/gateway.do", **overrides: Any):
    options: dict[str, Any] = {
        "app_id": APP_ID,
        "app_private_key": app_private_pem(keys),
        "alipay_public_key": public_pem(keys.alipay),
        "gateway_url": gateway_url,
        "timeout": 3.0,
    }
    options.update(overrides)
    return AlipayGateway(**options)


@pytest.fixture
def gateway(keys: Keys, server: LocalAlipay) -> AlipayGateway:
    return make_gateway(keys, server.url)


def request_is_signed_by_app(keys: Keys, params: dict[str, str]) -> bool:
    # Requests sign every field but sign (sign_type included; notifications leave it out).
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "sign")
    return rsa_valid(keys.app, message, params["sign"])


# -- notifications in Alipay's wire format -------------------------------------------------


def beijing(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def notification_params(**changes: str) -> dict[str, str]:
    now = datetime.now(BEIJING)
    params = {
        "gmt_create": "2024-06-08 10:34:50",
        "charset": "utf-8",
        "seller_email": "shop@example.com",
        "subject": "Tea, 2 boxes",
        "buyer_id": "2088102177846880",
        "invoice_amount": "12.34",
        "notify_id": "2024060800222103456002501451234567",
        "fund_bill_list": '[{"amount":"12.34","fundChannel":"ALIPAYACCOUNT"}]',
        "notify_type": "trade_status_sync",
        "trade_status": "TRADE_SUCCESS",
        "receipt_amount": "12.34",
        "app_id": APP_ID,
        "buyer_pay_amount": "12.34",
        "sign_type": "RSA2",
        "seller_id": "2088102176980001",
        "gmt_payment": "2024-06-08 10:34:56",
        "notify_time": beijing(now),
        "version": "1.0",
        "out_trade_no": "P2024060800001",
        "total_amount": "12.34",
        "trade_no": "2024060822001446880501234567",
        "auth_app_id": APP_ID,
        "point_amount": "0.00",
    }
    params.update(changes)
    return params


def signed_body(key: rsa.RSAPrivateKey, params: dict[str, str]) -> bytes:
    signed = dict(params, sign=rsa_sign(key, unsigned_string(params)))
    return urlencode(signed).encode()


HEADERS = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def test_payment_notification_is_verified_and_read(keys, gateway):
    body = signed_body(keys.alipay, notification_params())
    note = gateway.verify_notification(headers=HEADERS, body=body)

    assert note.gateway == "alipay"
    assert note.event_id == "2024060800222103456002501451234567"
    assert note.kind == NotificationKind.PAYMENT_SUCCEEDED
    assert note.payment_number == "P2024060800001"
    assert note.amount == 1234  # "12.34" yuan
    assert note.currency == "CNY"
    assert note.provider_ref == "2024060822001446880501234567"
    assert note.occurred_at == datetime(2024, 6, 8, 10, 34, 56, tzinfo=BEIJING)


def test_trade_finished_also_counts_as_paid(keys, gateway):
    body = signed_body(keys.alipay, notification_params(trade_status="TRADE_FINISHED"))
    assert gateway.verify_notification(headers=HEADERS, body=body).kind == "payment_succeeded"


def test_closed_unpaid_trade_is_a_failed_payment(keys, gateway):
    body = signed_body(keys.alipay, notification_params(trade_status="TRADE_CLOSED"))
    assert gateway.verify_notification(headers=HEADERS, body=body).kind == "payment_failed"


def test_waiting_trade_is_not_a_payment(keys, gateway):
    body = signed_body(keys.alipay, notification_params(trade_status="WAIT_BUYER_PAY"))
    note = gateway.verify_notification(headers=HEADERS, body=body)
    assert note.kind == NotificationKind.IGNORED  # acknowledged, so Alipay stops resending


def test_refund_notification_is_not_read_as_a_second_payment(keys, gateway):
    params = notification_params(
        refund_fee="5.00", gmt_refund="2024-06-09 10:00:00.123", out_biz_no="R2024060900001"
    )
    note = gateway.verify_notification(headers=HEADERS, body=signed_body(keys.alipay, params))
    assert note.kind == NotificationKind.REFUND_SUCCEEDED
    assert note.refund_number == "R2024060900001"
    assert note.amount == 500
    assert note.extra["amount_is_refunded_total"] == "true"


def test_signature_by_another_key_is_refused(keys, gateway):
    body = signed_body(keys.stranger, notification_params())
    with pytest.raises(InvalidNotification):
        gateway.verify_notification(headers=HEADERS, body=body)


def test_tampered_amount_is_refused(keys, gateway):
    body = signed_body(keys.alipay, notification_params())
    tampered = body.replace(b"total_amount=12.34", b"total_amount=99.34")
    assert tampered != body
    with pytest.raises(InvalidNotification):
        gateway.verify_notification(headers=HEADERS, body=tampered)


def test_other_sign_type_is_refused(keys, gateway):
    body = signed_body(keys.alipay, notification_params(sign_type="RSA"))
    with pytest.raises(InvalidNotification):
        gateway.verify_notification(headers=HEADERS, body=body)


def test_notification_for_another_app_is_refused(keys, gateway):
    body = signed_body(keys.alipay, notification_params(app_id="2021000199990000"))
    with pytest.raises(InvalidNotification):
        gateway.verify_notification(headers=HEADERS, body=body)


@pytest.mark.parametrize(
    ("age", "accepted"),
    [
        (timedelta(hours=24, minutes=30), True),  # Alipay's last retry comes ~24h24m late
        (timedelta(hours=25, minutes=1), False),
        (timedelta(days=3), False),
        (-timedelta(minutes=10), False),  # from the future
    ],
)
def test_notify_time_window(keys, gateway, age, accepted):
    sent = beijing(datetime.now(BEIJING) - age)
    body = signed_body(keys.alipay, notification_params(notify_time=sent))
    # The SDK itself only checks the signature.
    params = dict(parse_qsl(body.decode()))
    assert gateway._sdk.verify({k: v for k, v in params.items() if k != "sign"}, params["sign"])
    if accepted:
        assert gateway.verify_notification(headers=HEADERS, body=body).amount == 1234
    else:
        with pytest.raises(InvalidNotification):
            gateway.verify_notification(headers=HEADERS, body=body)


@pytest.mark.parametrize(
    "changes",
    [
        {"total_amount": "12.345"},
        {"total_amount": "abc"},
        {"total_amount": "NaN"},
        {"total_amount": "-12.34"},
        {"notify_time": "yesterday"},
        {"notify_id": ""},
        {"out_trade_no": ""},
    ],
)
def test_signed_but_unreadable_fields_are_invalid(keys, gateway, changes):
    body = signed_body(keys.alipay, notification_params(**changes))
    with pytest.raises(InvalidNotification):
        gateway.verify_notification(headers=HEADERS, body=body)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\xff\xfe\x00",
        b"sign=abc",
        b"sign=%%%&app_id=" + APP_ID.encode(),
        b"app_id=1&app_id=2&sign=AAAA",
        b'{"json": "not a form"}',
        b"&&&===",
    ],
)
def test_garbage_is_only_ever_invalid(gateway, body):
    with pytest.raises(InvalidNotification):
        gateway.verify_notification(headers=HEADERS, body=body)


def test_acknowledgement_is_plain_success(gateway):
    ack = gateway.acknowledge()
    assert (ack.status, ack.content_type, ack.body) == (200, "text/plain", b"success")


# -- create_payment, query_payment, refund -------------------------------------------------


def test_yuan_and_fen_convert_through_decimal():
    assert yuan(1234) == "12.34"
    assert yuan(5) == "0.05"
    assert yuan(100000001) == "1000000.01"
    assert fen("12.34") == 1234 and fen("0.1") == 10 and fen("1000000.01") == 100000001
    with pytest.raises(ValueError):
        fen("0.001")


def test_create_payment_is_a_signed_page_pay_url(keys, gateway, server):
    order = PaymentOrder(
        number="P2024060800001",
        amount=1234,
        currency="CNY",
        description="Tea, 2 boxes",
        notify_url="https://shop.example.com/api/payments/notify/alipay",
        return_url="https://shop.example.com/orders/1",
    )

    start = gateway.create_payment(order)

    assert start.gateway == "alipay"
    url = urlsplit(start.redirect_url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == server.url
    params = dict(parse_qsl(url.query))
    assert params["method"] == "alipay.trade.page.pay"
    assert params["app_id"] == APP_ID
    assert params["sign_type"] == "RSA2"
    assert params["notify_url"] == order.notify_url
    assert params["return_url"] == order.return_url
    biz = json.loads(params["biz_content"])
    assert biz["total_amount"] == "12.34"  # yuan with two decimals
    assert biz["out_trade_no"] == "P2024060800001"
    assert biz["product_code"] == "FAST_INSTANT_TRADE_PAY"
    assert request_is_signed_by_app(keys, params)
    assert bare(app_private_pem(keys))[40:80] not in start.redirect_url
    assert server.seen == []  # the buyer's browser carries it, VShop sends nothing


def test_create_payment_refuses_other_currencies(gateway):
    with pytest.raises(ValidationFailed):
        gateway.create_payment(PaymentOrder(number="P1", amount=1, currency="USD", description="x"))


def test_query_payment_reads_the_signed_answer(keys, gateway, server):
    server.respond = answers(
        keys.alipay,
        {
            "code": "10000",
            "msg": "Success",
            "buyer_logon_id": "tea***@example.com",
            "buyer_pay_amount": "12.34",
            "out_trade_no": "P2024060800001",
            "send_pay_date": "2024-06-08 10:34:56",
            "total_amount": "12.34",
            "trade_no": "2024060822001446880501234567",
            "trade_status": "TRADE_SUCCESS",
        },
    )

    status = gateway.query_payment("P2024060800001")

    assert status.state == PaymentState.SUCCEEDED
    assert status.amount == 1234
    assert status.provider_ref == "2024060822001446880501234567"
    assert status.paid_at == datetime(2024, 6, 8, 10, 34, 56, tzinfo=BEIJING)
    [seen] = server.seen
    assert seen.query["method"] == "alipay.trade.query"
    assert biz_content(seen) == {"out_trade_no": "P2024060800001"}
    assert request_is_signed_by_app(keys, seen.query)
    assert "PRIVATE" not in seen.target and bare(app_private_pem(keys))[40:80] not in seen.target


def test_query_of_a_trade_alipay_does_not_know_yet_is_pending(keys, gateway, server):
    server.respond = answers(
        keys.alipay,
        {
            "code": "40004",
            "msg": "Business Failed",
            "sub_code": "ACQ.TRADE_NOT_EXIST",
            "sub_msg": "交易不存在",
        },
    )
    assert gateway.query_payment("P1").state == PaymentState.PENDING


@pytest.mark.parametrize(
    "answer",
    [
        # Unsigned error answer (the SDK raises AliPayException with the whole text).
        lambda keys, seen: (
            200,
            '{"error_response":{"code":"40002","msg":"Invalid Arguments",'
            '"sub_code":"isv.invalid-app-id","sub_msg":"无效的AppID参数"}}',
        ),
        # Signed by someone else.
        lambda keys, seen: (
            200,
            signed_answer(keys.stranger, seen, {"code": "10000", "trade_status": "TRADE_SUCCESS"}),
        ),
        # Signed business failure.
        lambda keys, seen: (
            200,
            signed_answer(keys.alipay, seen, {"code": "20000", "sub_code": "isp.unknow-error"}),
        ),
        lambda keys, seen: (502, "Bad Gateway"),
        lambda keys, seen: (200, "<html>not json</html>"),
    ],
    ids=["unsigned-error", "forged", "system-error", "http-502", "not-json"],
)
def test_query_failures_are_unavailable(keys, gateway, server, answer):
    server.respond = lambda seen: answer(keys, seen)
    with pytest.raises(GatewayUnavailable) as caught:
        gateway.query_payment("P2024060800001")
    assert caught.value.status == 502
    assert "PRIVATE" not in caught.value.message


def test_unreachable_gateway_is_unavailable(keys):
    gateway = make_gateway(keys, unreachable_url("/gateway.do"))
    started = time.monotonic()
    with pytest.raises(GatewayUnavailable):
        gateway.query_payment("P1")
    assert time.monotonic() - started < 5


REFUND = RefundOrder(
    refund_number="R2024060900001",
    payment_number="P2024060800001",
    provider_ref="2024060822001446880501234567",
    amount=500,
    payment_amount=1234,
    currency="CNY",
    reason="Damaged box",
)


def test_refund_is_answered_at_once(keys, gateway, server):
    server.respond = answers(
        keys.alipay,
        {
            "code": "10000",
            "msg": "Success",
            "buyer_logon_id": "tea***@example.com",
            "fund_change": "Y",
            "gmt_refund_pay": "2024-06-09 10:00:00",
            "out_trade_no": "P2024060800001",
            "refund_fee": "5.00",
            "trade_no": "2024060822001446880501234567",
        },
    )

    result = gateway.refund(REFUND)

    assert result.refund_number == "R2024060900001"
    assert result.state == "succeeded"
    assert result.provider_ref == "2024060822001446880501234567"
    [seen] = server.seen
    assert seen.query["method"] == "alipay.trade.refund"
    biz = biz_content(seen)
    assert biz["refund_amount"] == "5.00"
    assert biz["out_request_no"] == "R2024060900001"  # Alipay's idempotency key
    assert biz["out_trade_no"] == "P2024060800001"
    assert biz["trade_no"] == "2024060822001446880501234567"
    assert request_is_signed_by_app(keys, seen.query)


def test_refused_refund_is_unavailable(keys, gateway, server):
    server.respond = answers(
        keys.alipay,
        {
            "code": "40004",
            "msg": "Business Failed",
            "sub_code": "ACQ.SELLER_BALANCE_NOT_ENOUGH",
            "sub_msg": "卖家余额不足",
        },
    )
    with pytest.raises(GatewayUnavailable) as caught:
        gateway.refund(REFUND)
    assert "ACQ.SELLER_BALANCE_NOT_ENOUGH" in caught.value.message


# -- construction and configuration ---------------------------------------------------------


def test_repr_and_key_errors_name_no_secret(keys):
    gateway = make_gateway(keys)
    assert "PRIVATE" not in repr(gateway)
    with pytest.raises(ValueError) as caught:
        make_gateway(keys, app_private_key="c2VjcmV0LWJ1dC1ub3QtYS1rZXk=")
    assert "c2VjcmV0" not in str(caught.value)


def test_config_reads_the_environment(keys, tmp_path):
    # Bare base64, as Alipay's key tool writes them.
    (tmp_path / "app_private_key.txt").write_text(bare(app_private_pem(keys)))
    (tmp_path / "alipay_public_key.txt").write_text(bare(public_pem(keys.alipay)))
    env = {
        "ALIPAY_APP_ID": APP_ID,
        "ALIPAY_APP_PRIVATE_KEY_FILE": str(tmp_path / "app_private_key.txt"),
        "ALIPAY_PUBLIC_KEY_FILE": str(tmp_path / "alipay_public_key.txt"),
        "ALIPAY_SANDBOX": "true",
    }
    gateway = config.alipay(env)
    assert isinstance(gateway, AlipayGateway)
    assert gateway.app_id == APP_ID
    assert gateway.gateway_url == SANDBOX_GATEWAY
    body = signed_body(keys.alipay, notification_params())
    assert gateway.verify_notification(headers=HEADERS, body=body).amount == 1234

    production = config.alipay({**env, "ALIPAY_SANDBOX": ""})
    assert (
        production is not None and production.gateway_url == "https://openapi.alipay.com/gateway.do"
    )
    assert config.alipay({}) is None
    with pytest.raises(ImproperlyConfigured) as caught:
        config.alipay({"ALIPAY_APP_ID": APP_ID})
    assert "ALIPAY_APP_PRIVATE_KEY_FILE" in str(caught.value)
