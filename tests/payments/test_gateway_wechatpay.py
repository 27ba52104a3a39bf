"""The WeChat Pay adapter against the real ``wechatpayv3`` SDK: notifications built in WeChat Pay's
wire format (AES-256-GCM resource, SHA256withRSA signature by the platform key) and API calls
answered by a local server that signs its answers the way WeChat Pay does."""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.exceptions import ImproperlyConfigured

from tests.payments.providers import (
    LocalProvider,
    Seen,
    new_key,
    private_pem,
    public_pem,
    rsa_sign,
    rsa_valid,
    serving,
    unreachable_url,
)
from vshop.payments.gateways import config
from vshop.payments.gateways.base import (
    GatewayUnavailable,
    InvalidNotification,
    NotificationKind,
    PaymentOrder,
    PaymentState,
    RefundOrder,
)
from vshop.payments.gateways.wechatpay import WeChatPayGateway

MCHID = "1900000109"
APPID = "wxd678efh567hg6787"
MERCHANT_SERIAL = "444F4864EA9B34415C5A0C0E2B1B9F1C"
PUB_KEY_ID = "PUB_KEY_ID_0119000001092024101100000000000001"
APIV3_KEY = "0123456789abcdefABCDEF0123456789"  # 32 bytes, as WeChat Pay's are


# -- keys ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Keys:
    merchant: rsa.RSAPrivateKey  # signs VShop's requests
    platform: rsa.RSAPrivateKey  # WeChat Pay's: signs notifications and answers
    stranger: rsa.RSAPrivateKey  # anyone else


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys(merchant=new_key(), platform=new_key(), stranger=new_key())


# -- a local WeChat Pay ----------------------------------------------------------------------


class LocalWeChatPay(LocalProvider):
    """Answers with JSON signed by ``sign_key`` like WeChat Pay's API (headers Wechatpay-*)."""

    unset = (500, {"code": "SYSTEM_ERROR"})

    def __init__(self, sign_key: rsa.RSAPrivateKey) -> None:
        super().__init__()
        self.sign_key = sign_key

    def answer(self, status: int, data: Any) -> tuple[int, dict[str, str], bytes]:
        payload = json.dumps(data).encode()
        # The same Wechatpay-* headers as a notification's, over the answer's body.
        headers = {
            **signed_headers(payload, self.sign_key),
            "Content-Type": "application/json; charset=utf-8",
        }
        return status, headers, payload


@pytest.fixture
def server(keys: Keys) -> Iterator[LocalWeChatPay]:
    with serving(LocalWeChatPay(keys.platform)) as srv:
        yield srv


def make_gateway(keys: Keys, api_base: str = "http://127.0.0.1:9", **overrides: Any):
    options: dict[str, Any] = {
        "mchid": MCHID,
        "appid": APPID,
        "cert_serial_no": MERCHANT_SERIAL,
        "private_key": private_pem(keys.merchant),
        "apiv3_key": APIV3_KEY,
        "public_key": public_pem(keys.platform),
        "public_key_id": PUB_KEY_ID,
        "api_base": api_base,
        "timeout": 3.0,
    }
    options.update(overrides)
    return WeChatPayGateway(**options)


@pytest.fixture
def gateway(keys: Keys, server: LocalWeChatPay) -> WeChatPayGateway:
    return make_gateway(keys, server.url)


# -- notifications in WeChat Pay's wire format ---------------------------------------------


def transaction(**changes: Any) -> dict[str, Any]:
    resource = {
        "mchid": MCHID,
        "appid": APPID,
        "out_trade_no": "P2024060800001",
        "transaction_id": "4200002024060812345678901",
        "trade_type": "NATIVE",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "bank_type": "OTHERS",
        "attach": "",
        "success_time": "2024-06-08T10:34:56+08:00",
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {"total": 1234, "payer_total": 1234, "currency": "CNY", "payer_currency": "CNY"},
    }
    resource.update(changes)
    return resource


def refund_resource(status: str = "SUCCESS", **changes: Any) -> dict[str, Any]:
    resource = {
        "mchid": MCHID,
        "out_trade_no": "P2024060800001",
        "transaction_id": "4200002024060812345678901",
        "out_refund_no": "R2024060900001",
        "refund_id": "50000000382019052709732678859",
        "refund_status": status,
        "success_time": "2024-06-09T10:00:00+08:00",
        "user_received_account": "招商银行信用卡0403",
        "amount": {"total": 1234, "refund": 500, "payer_total": 1234, "payer_refund": 500},
    }
    resource.update(changes)
    return resource


def encrypt(resource: dict[str, Any], key: str, associated_data: str) -> dict[str, str]:
    nonce = secrets.token_hex(6)  # WeChat Pay's nonces are 12 printable characters
    sealed = AESGCM(key.encode()).encrypt(
        nonce.encode(), json.dumps(resource, ensure_ascii=False).encode(), associated_data.encode()
    )
    return {
        "original_type": associated_data,
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(sealed).decode(),
        "associated_data": associated_data,
        "nonce": nonce,
    }


def envelope(
    resource: dict[str, Any],
    *,
    event_type: str = "TRANSACTION.SUCCESS",
    event_id: str = "EV-2018022511223320873",
    key: str = APIV3_KEY,
) -> bytes:
    kind = "transaction" if event_type.startswith("TRANSACTION") else "refund"
    data = {
        "id": event_id,
        "create_time": "2024-06-08T10:34:57+08:00",
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": "支付成功",
        "resource": encrypt(resource, key, kind),
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def signed_headers(
    body: bytes,
    key: rsa.RSAPrivateKey,
    *,
    timestamp: int | None = None,
    serial: str = PUB_KEY_ID,
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = secrets.token_hex(16)
    return {
        "Wechatpay-Timestamp": stamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": rsa_sign(key, f"{stamp}\n{nonce}\n{body.decode()}\n"),
        "Wechatpay-Serial": serial,
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        "Content-Type": "application/json",
    }


# -- verify_notification -------------------------------------------------------------------


def test_payment_notification_is_verified_decrypted_and_read(keys, gateway):
    body = envelope(transaction())
    note = gateway.verify_notification(headers=signed_headers(body, keys.platform), body=body)

    assert note.gateway == "wechatpay"
    assert note.event_id == "EV-2018022511223320873"
    assert note.kind == NotificationKind.PAYMENT_SUCCEEDED
    assert note.payment_number == "P2024060800001"
    assert note.amount == 1234
    assert note.currency == "CNY"
    assert note.provider_ref == "4200002024060812345678901"
    assert note.occurred_at is not None and note.occurred_at.isoformat() == (
        "2024-06-08T10:34:56+08:00"
    )


@pytest.mark.parametrize(
    ("event_type", "status", "kind"),
    [
        ("REFUND.SUCCESS", "SUCCESS", NotificationKind.REFUND_SUCCEEDED),
        ("REFUND.ABNORMAL", "ABNORMAL", NotificationKind.REFUND_FAILED),
        ("REFUND.CLOSED", "CLOSED", NotificationKind.REFUND_FAILED),
    ],
)
def test_refund_notifications(keys, gateway, event_type, status, kind):
    body = envelope(refund_resource(status), event_type=event_type, event_id="EV-refund-1")
    note = gateway.verify_notification(headers=signed_headers(body, keys.platform), body=body)

    assert note.kind == kind
    assert note.event_id == "EV-refund-1"
    assert note.refund_number == "R2024060900001"
    assert note.payment_number == "P2024060800001"
    assert note.amount == 500  # the refunded amount, not the payment's
    assert note.extra["refund_id"] == "50000000382019052709732678859"


def test_django_request_meta_style_headers_are_understood(keys, gateway):
    body = envelope(transaction())
    meta = {
        "HTTP_" + name.upper().replace("-", "_"): value
        for name, value in signed_headers(body, keys.platform).items()
    }
    assert gateway.verify_notification(headers=meta, body=body).amount == 1234


def test_signature_by_another_key_is_refused(keys, gateway):
    body = envelope(transaction())
    with pytest.raises(InvalidNotification):
        gateway.verify_notification(headers=signed_headers(body, keys.stranger), body=body)


def test_tampered_body_is_refused(keys, gateway):
    body = envelope(transaction())
    headers = signed_headers(body, keys.platform)
    # Same length, one field changed after signing.
    tampered = body.replace(
        b'"event_type":"TRANSACTION.SUCCESS"', b'"event_type":"TRANSACTION.SUCCESz"'
    )
    assert tampered != body
    with pytest.raises(InvalidNotification):
        gateway.verify_notification(headers=headers, body=tampered)


def test_resource_encrypted_with_another_apiv3_key_is_refused(keys, gateway):
    body = envelope(transaction(), key="Z" * 32)
    with pytest.raises(InvalidNotification):
        gateway.verify_notification(headers=signed_headers(body, keys.platform), body=body)


@pytest.mark.parametrize("age", [301, 3600, -301])
def test_stale_or_future_timestamp_is_refused_though_the_sdk_accepts_it(keys, gateway, age):
    body = envelope(transaction())
    headers = signed_headers(body, keys.platform, timestamp=int(time.time()) - age)
    # The SDK on its own would take it: the age check is the adapter's.
    assert gateway._client().callback(headers=headers, body=body)["id"]
    with pytest.raises(InvalidNotification):
        gateway.verify_notification(headers=headers, body=body)


def test_timestamp_within_five_minutes_is_accepted(keys, gateway):
    body = envelope(transaction())
    headers = signed_headers(body, keys.platform, timestamp=int(time.time()) - 240)
    assert gateway.verify_notification(headers=headers, body=body).amount == 1234


@pytest.mark.parametrize(
    "resource",
    [transaction(mchid="1900000999"), transaction(appid="wx0000000000000000")],
    ids=["other-mchid", "other-appid"],
)
def test_notification_for_another_merchant_or_app_is_refused(keys, gateway, resource):
    body = envelope(resource)
    with pytest.raises(InvalidNotification):
        gateway.verify_notification(headers=signed_headers(body, keys.platform), body=body)


def test_refund_notification_for_another_merchant_is_refused(keys, gateway):
    body = envelope(refund_resource(mchid="1900000999"), event_type="REFUND.SUCCESS")
    with pytest.raises(InvalidNotification):
        gateway.verify_notification(headers=signed_headers(body, keys.platform), body=body)


def test_a_success_event_of_an_unpaid_transaction_is_refused(keys, gateway):
    body = envelope(transaction(trade_state="NOTPAY"))
    with pytest.raises(InvalidNotification):
        gateway.verify_notification(headers=signed_headers(body, keys.platform), body=body)


def test_a_genuine_event_vshop_does_not_act_on_is_acknowledged_as_ignored(keys, gateway):
    body = envelope(transaction(), event_type="TRANSACTION.CLOSED")
    note = gateway.verify_notification(headers=signed_headers(body, keys.platform), body=body)
    assert note.kind == NotificationKind.IGNORED
    assert note.payment_number == "" and note.amount == 0


def test_unknown_serial_is_refused_without_fetching_certificates(keys, gateway, server):
    body = envelope(transaction())
    headers = signed_headers(body, keys.platform, serial="5157F09EFDC096DE15EBE81A47057A72")
    with pytest.raises(InvalidNotification):
        gateway.verify_notification(headers=headers, body=body)
    assert server.seen == []  # the SDK would have asked /v3/certificates


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe\x00garbage",
        b"[]",
        b"{}",
        b'{"id":"EV-1","resource":"x"}',
        b'{"id":"EV-1","resource_type":"encrypt-resource","resource":{"algorithm":"AEAD_AES_256_GCM"}}',
        b'{"id":"EV-1","resource_type":"encrypt-resource","resource":{"algorithm":"RC4",'
        b'"ciphertext":"AAAA","nonce":"abcdefabcdef","associated_data":""}}',
        b'{"id":"EV-1","resource_type":"encrypt-resource","resource":{"algorithm":'
        b'"AEAD_AES_256_GCM","ciphertext":"%%%not base64","nonce":"abcdefabcdef"}}',
    ],
)
def test_garbage_signed_or_not_is_only_ever_invalid(keys, gateway, body):
    try:
        signed = signed_headers(body, keys.platform)
    except UnicodeDecodeError:
        signed = signed_headers(b"", keys.platform)
    for headers in (signed, {}, {"Wechatpay-Signature": "x", "Wechatpay-Timestamp": "soon"}):
        with pytest.raises(InvalidNotification):
            gateway.verify_notification(headers=headers, body=body)


def test_garbage_headers_are_only_ever_invalid(keys, gateway):
    body = envelope(transaction())
    good = signed_headers(body, keys.platform)
    for change in (
        {"Wechatpay-Signature": "!!!not base64!!!"},
        {"Wechatpay-Signature-Type": "WECHATPAY2-SM2-WITH-SM3"},
        {"Wechatpay-Serial": ""},
        {"Wechatpay-Timestamp": "1e9"},
    ):
        with pytest.raises(InvalidNotification):
            gateway.verify_notification(headers={**good, **change}, body=body)


def test_acknowledgement_is_what_wechat_pay_expects(gateway):
    ack = gateway.acknowledge()
    assert ack.status == 200
    assert json.loads(ack.body) == {"code": "SUCCESS", "message": "成功"}


# -- create_payment, query_payment, refund -------------------------------------------------


def verify_authorization(keys: Keys, seen: Seen) -> None:
    """The request carries WeChat Pay's merchant signature over method, path and body."""
    scheme, _, params = seen.headers["Authorization"].partition(" ")
    assert scheme == "WECHATPAY2-SHA256-RSA2048"
    fields = dict(part.split("=", 1) for part in params.split(","))
    fields = {k: v.strip('"') for k, v in fields.items()}
    assert fields["mchid"] == MCHID and fields["serial_no"] == MERCHANT_SERIAL
    message = f"{seen.method}\n{seen.target}\n{fields['timestamp']}\n{fields['nonce_str']}\n"
    message += seen.body.decode() + "\n"
    assert rsa_valid(keys.merchant, message, fields["signature"])


def assert_no_secret(keys: Keys, seen: Seen) -> None:
    everything = seen.target + seen.body.decode() + json.dumps(seen.headers)
    assert APIV3_KEY not in everything
    assert "PRIVATE KEY" not in everything
    private = private_pem(keys.merchant).splitlines()[5]
    assert private not in everything


ORDER = PaymentOrder(
    number="P2024060800001",
    amount=1234,
    currency="CNY",
    description="Tea, 2 boxes",
    notify_url="https://shop.example.com/api/payments/notify/wechatpay",
    buyer_ip="203.0.113.7",
)


def test_create_payment_asks_for_a_native_code_url(keys, gateway, server):
    server.respond = lambda seen: (200, {"code_url": "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"})

    start = gateway.create_payment(ORDER)

    assert start.gateway == "wechatpay"
    assert start.code_url == "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"
    [seen] = server.seen
    assert (seen.method, seen.path) == ("POST", "/v3/pay/transactions/native")
    sent = seen.json()
    assert sent["amount"] == {"total": 1234, "currency": "CNY"}  # fen, an integer
    assert sent["out_trade_no"] == "P2024060800001"
    assert sent["notify_url"] == ORDER.notify_url
    assert (sent["appid"], sent["mchid"]) == (APPID, MCHID)
    assert sent["scene_info"] == {"payer_client_ip": "203.0.113.7"}
    verify_authorization(keys, seen)
    assert_no_secret(keys, seen)


def test_answer_not_signed_by_wechat_pay_is_unavailable(keys, gateway, server):
    server.sign_key = keys.stranger
    server.respond = lambda seen: (200, {"code_url": "weixin://wxpay/bizpayurl?pr=forged"})
    with pytest.raises(GatewayUnavailable):
        gateway.create_payment(ORDER)


def test_error_answer_is_unavailable_and_names_no_secret(keys, gateway, server):
    server.respond = lambda seen: (400, {"code": "PARAM_ERROR", "message": "参数错误"})
    with pytest.raises(GatewayUnavailable) as caught:
        gateway.create_payment(ORDER)
    assert caught.value.status == 502
    assert "PARAM_ERROR" in caught.value.message
    assert APIV3_KEY not in caught.value.message


def test_unreachable_provider_is_unavailable(keys):
    gateway = make_gateway(keys, unreachable_url())
    started = time.monotonic()
    with pytest.raises(GatewayUnavailable):
        gateway.query_payment("P2024060800001")
    assert time.monotonic() - started < 5


def test_create_payment_refuses_other_currencies(gateway, server):
    from vshop.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        gateway.create_payment(
            PaymentOrder(number="P1", amount=100, currency="USD", description="x")
        )
    assert server.seen == []


def test_query_payment_reads_the_trade(keys, gateway, server):
    server.respond = lambda seen: (
        200,
        {
            "appid": APPID,
            "mchid": MCHID,
            "out_trade_no": "P2024060800001",
            "transaction_id": "4200002024060812345678901",
            "trade_type": "NATIVE",
            "trade_state": "SUCCESS",
            "trade_state_desc": "支付成功",
            "success_time": "2024-06-08T10:34:56+08:00",
            "amount": {"total": 1234, "payer_total": 1234, "currency": "CNY"},
        },
    )

    status = gateway.query_payment("P2024060800001")

    assert status.state == PaymentState.SUCCEEDED
    assert status.amount == 1234
    assert status.provider_ref == "4200002024060812345678901"
    assert status.paid_at is not None
    [seen] = server.seen
    assert seen.method == "GET"
    assert seen.target == f"/v3/pay/transactions/out-trade-no/P2024060800001?mchid={MCHID}"
    verify_authorization(keys, seen)
    assert_no_secret(keys, seen)


@pytest.mark.parametrize(
    ("code", "answer", "state"),
    [
        (200, {"trade_state": "NOTPAY"}, PaymentState.PENDING),
        (200, {"trade_state": "CLOSED"}, PaymentState.CLOSED),
        (200, {"trade_state": "PAYERROR"}, PaymentState.FAILED),
        (404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}, PaymentState.PENDING),
    ],
)
def test_query_payment_states(gateway, server, code, answer, state):
    base = {"mchid": MCHID, "out_trade_no": "P1", "amount": {"total": 100}}
    server.respond = lambda seen: (code, {**base, **answer} if code == 200 else answer)
    assert gateway.query_payment("P1").state == state


def test_refund_sends_fen_and_reads_the_answer(keys, gateway, server):
    server.respond = lambda seen: (
        200,
        {
            "refund_id": "50000000382019052709732678859",
            "out_refund_no": "R2024060900001",
            "transaction_id": "4200002024060812345678901",
            "out_trade_no": "P2024060800001",
            "status": "PROCESSING",
            "amount": {"total": 1234, "refund": 500, "currency": "CNY"},
        },
    )
    order = RefundOrder(
        refund_number="R2024060900001",
        payment_number="P2024060800001",
        provider_ref="4200002024060812345678901",
        amount=500,
        payment_amount=1234,
        currency="CNY",
        reason="Damaged box",
        notify_url="https://shop.example.com/api/payments/notify/wechatpay",
    )

    result = gateway.refund(order)

    assert result.state == "pending"  # WeChat Pay notifies REFUND.SUCCESS later
    assert result.provider_ref == "50000000382019052709732678859"
    [seen] = server.seen
    assert (seen.method, seen.path) == ("POST", "/v3/refund/domestic/refunds")
    sent = seen.json()
    assert sent["amount"] == {"refund": 500, "total": 1234, "currency": "CNY"}
    assert sent["out_refund_no"] == "R2024060900001"
    assert sent["transaction_id"] == "4200002024060812345678901"
    assert sent["notify_url"] == order.notify_url
    verify_authorization(keys, seen)
    assert_no_secret(keys, seen)


def test_refund_error_answer_is_unavailable(gateway, server):
    server.respond = lambda seen: (403, {"code": "NOT_ENOUGH", "message": "基本账户余额不足"})
    order = RefundOrder("R1", "P1", "", 100, 100, "CNY")
    with pytest.raises(GatewayUnavailable):
        gateway.refund(order)
    assert server.seen[0].json()["out_trade_no"] == "P1"  # no transaction id: by our number


# -- construction and configuration ---------------------------------------------------------


def test_repr_and_errors_name_no_secret(keys):
    gateway = make_gateway(keys)
    assert APIV3_KEY not in repr(gateway) and "PRIVATE" not in repr(gateway)
    with pytest.raises(ValueError) as caught:
        make_gateway(
            keys, private_key="-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----"
        )
    assert "nope" not in str(caught.value)
    with pytest.raises(ValueError):
        make_gateway(keys, apiv3_key="short")


def test_config_reads_the_environment(keys, tmp_path):
    (tmp_path / "apiclient_key.pem").write_text(private_pem(keys.merchant))
    (tmp_path / "pub_key.pem").write_text(public_pem(keys.platform))
    env = {
        "WECHATPAY_MCHID": MCHID,
        "WECHATPAY_APPID": APPID,
        "WECHATPAY_CERT_SERIAL_NO": MERCHANT_SERIAL,
        "WECHATPAY_PRIVATE_KEY_FILE": str(tmp_path / "apiclient_key.pem"),
        "WECHATPAY_APIV3_KEY": APIV3_KEY,
        "WECHATPAY_PUBLIC_KEY_FILE": str(tmp_path / "pub_key.pem"),
        "WECHATPAY_PUBLIC_KEY_ID": PUB_KEY_ID,
    }
    gateway = config.wechatpay(env)
    assert isinstance(gateway, WeChatPayGateway)
    assert (gateway.mchid, gateway.appid, gateway.public_key_id) == (MCHID, APPID, PUB_KEY_ID)

    # It verifies what the platform key signs.
    body = envelope(transaction())
    assert gateway.verify_notification(headers=signed_headers(body, keys.platform), body=body)

    assert config.wechatpay({}) is None
    half = {k: v for k, v in env.items() if k != "WECHATPAY_PUBLIC_KEY_ID"}
    with pytest.raises(ImproperlyConfigured) as caught:
        config.wechatpay(half)
    assert "WECHATPAY_PUBLIC_KEY_ID" in str(caught.value)
    assert APIV3_KEY not in str(caught.value)
    with pytest.raises(ImproperlyConfigured):
        config.wechatpay({**env, "WECHATPAY_PRIVATE_KEY_FILE": str(tmp_path / "missing.pem")})


def test_platform_certificates_mode_verifies_with_a_local_certificate(keys, tmp_path):
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.x509.oid import NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(keys.platform.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(keys.platform, hashes.SHA256())
    )
    (tmp_path / "platform.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    gateway = make_gateway(keys, public_key="", public_key_id="", cert_dir=str(tmp_path))

    body = envelope(transaction())
    serial = format(cert.serial_number, "X")
    headers = signed_headers(body, keys.platform, serial=serial)
    assert gateway.verify_notification(headers=headers, body=body).amount == 1234
    with pytest.raises(InvalidNotification):
        gateway.verify_notification(
            headers=signed_headers(body, keys.stranger, serial=serial), body=body
        )
