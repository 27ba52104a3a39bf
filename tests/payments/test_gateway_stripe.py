"""The Stripe adapter against the real ``stripe`` SDK: webhook events signed the way Stripe signs
them (``t=...,v1=HMAC-SHA256(secret, "t.payload")``) and API calls answered by a local server in
Stripe's format."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
import stripe
from django.core.exceptions import ImproperlyConfigured

from tests.payments.providers import LocalProvider, Seen, serving, unreachable_url
from vshop.payments.gateways import config
from vshop.payments.gateways.base import (
    GatewayUnavailable,
    InvalidNotification,
    NotificationKind,
    PaymentOrder,
    PaymentState,
    RefundOrder,
)
from vshop.payments.gateways.stripe import StripeGateway

SECRET_KEY = "sk_test_51VShopLocalOnly0000000000000000000000000000"
WEBHOOK_SECRET = "whsec_vshop_local_only_0123456789abcdef"
CLIENT_SECRET = "pi_3VShop0001_secret_k4YzB1c0ntr0l"


# -- a local Stripe API --------------------------------------------------------------------


class LocalStripe(LocalProvider):
    """Stripe's API: form-encoded requests, JSON answers."""

    unset = (500, {"error": {"type": "api_error", "message": "unset"}})

    def answer(self, status: int, data: Any) -> tuple[int, dict[str, str], bytes]:
        status, headers, payload = super().answer(status, data)
        return status, {**headers, "Request-Id": "req_local"}, payload


@pytest.fixture
def server() -> Iterator[LocalStripe]:
    with serving(LocalStripe()) as srv:
        yield srv


def make_gateway(api_base: str = "http://127.0.0.1:9", **overrides: Any) -> StripeGateway:
    options: dict[str, Any] = {
        "secret_key": SECRET_KEY,
        "webhook_secret": WEBHOOK_SECRET,
        "api_base": api_base,
        "timeout": 3.0,
        "max_network_retries": 0,  # an error answer is final in tests, no back-off sleeps
    }
    options.update(overrides)
    return StripeGateway(**options)


@pytest.fixture
def gateway(server: LocalStripe) -> StripeGateway:
    return make_gateway(server.url)


def intent(**changes: Any) -> dict[str, Any]:
    data = {
        "id": "pi_3VShop0001",
        "object": "payment_intent",
        "amount": 1234,
        "amount_received": 1234,
        "currency": "cny",
        "status": "succeeded",
        "client_secret": CLIENT_SECRET,
        "created": 1717814096,
        "livemode": False,
        "metadata": {"vshop_payment": "P2024060800001"},
        "last_payment_error": None,
    }
    data.update(changes)
    return data


def refund_object(**changes: Any) -> dict[str, Any]:
    data = {
        "id": "re_3VShop0001",
        "object": "refund",
        "amount": 500,
        "currency": "cny",
        "payment_intent": "pi_3VShop0001",
        "status": "succeeded",
        "created": 1717900000,
        "metadata": {"vshop_refund": "R2024060900001", "vshop_payment": "P2024060800001"},
    }
    data.update(changes)
    return data


# -- webhook events in Stripe's wire format ------------------------------------------------


def event_body(event_type: str, obj: dict[str, Any], event_id: str = "evt_1VShop0001") -> bytes:
    event = {
        "id": event_id,
        "object": "event",
        "api_version": "2025-09-30.clover",
        "created": 1717814097,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
        "data": {"object": obj},
    }
    return json.dumps(event, indent=2).encode()  # Stripe sends pretty-printed JSON


def signature(body: bytes, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    stamp = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{stamp}.{body.decode()}".encode(), hashlib.sha256)
    return f"t={stamp},v1={mac.hexdigest()}"


def test_payment_succeeded_event(gateway):
    body = event_body("payment_intent.succeeded", intent())
    note = gateway.verify_notification(headers={"Stripe-Signature": signature(body)}, body=body)

    assert note.gateway == "stripe"
    assert note.event_id == "evt_1VShop0001"
    assert note.kind == NotificationKind.PAYMENT_SUCCEEDED
    assert note.payment_number == "P2024060800001"
    assert note.amount == 1234
    assert note.currency == "CNY"
    assert note.provider_ref == "pi_3VShop0001"
    assert note.occurred_at is not None and int(note.occurred_at.timestamp()) == 1717814097
    assert CLIENT_SECRET not in repr(note)


def test_payment_failed_event(gateway):
    obj = intent(
        status="requires_payment_method",
        amount_received=0,
        last_payment_error={"code": "card_declined", "message": "Your card was declined."},
    )
    body = event_body("payment_intent.payment_failed", obj)
    note = gateway.verify_notification(headers={"stripe-signature": signature(body)}, body=body)
    assert note.kind == NotificationKind.PAYMENT_FAILED
    assert note.amount == 1234
    assert note.extra["decline_code"] == "card_declined"


@pytest.mark.parametrize(
    ("event_type", "status", "kind"),
    [
        ("refund.updated", "succeeded", NotificationKind.REFUND_SUCCEEDED),
        ("refund.created", "succeeded", NotificationKind.REFUND_SUCCEEDED),
        ("refund.failed", "failed", NotificationKind.REFUND_FAILED),
        ("refund.updated", "canceled", NotificationKind.REFUND_FAILED),
    ],
)
def test_refund_events(gateway, event_type, status, kind):
    body = event_body(event_type, refund_object(status=status))
    headers = {"HTTP_STRIPE_SIGNATURE": signature(body)}  # request.META works too
    note = gateway.verify_notification(headers=headers, body=body)
    assert note.kind == kind
    assert note.refund_number == "R2024060900001"
    assert note.payment_number == "P2024060800001"
    assert note.amount == 500
    assert note.provider_ref == "pi_3VShop0001"


@pytest.mark.parametrize(
    ("event_type", "obj"),
    [
        ("refund.updated", refund_object(status="pending")),
        ("customer.created", {"id": "cus_1", "object": "customer"}),
    ],
)
def test_genuine_events_vshop_does_not_act_on_are_acknowledged_as_ignored(gateway, event_type, obj):
    body = event_body(event_type, obj)
    note = gateway.verify_notification(headers={"Stripe-Signature": signature(body)}, body=body)
    assert note.kind == NotificationKind.IGNORED


def test_a_payment_event_without_its_amounts_is_invalid(gateway):
    body = event_body("payment_intent.succeeded", {"id": "pi_1", "object": "payment_intent"})
    with pytest.raises(InvalidNotification):
        gateway.verify_notification(headers={"Stripe-Signature": signature(body)}, body=body)


@pytest.mark.parametrize(
    ("event_type", "obj"),
    [
        ("refund.updated", refund_object(metadata={})),  # made in Stripe's dashboard
        ("payment_intent.succeeded", intent(metadata={})),  # another integration's
    ],
)
def test_genuine_events_for_no_vshop_number_pass_with_an_empty_number(gateway, event_type, obj):
    # VShop acknowledges them as unknown instead of making Stripe retry for three days.
    body = event_body(event_type, obj)
    note = gateway.verify_notification(headers={"Stripe-Signature": signature(body)}, body=body)
    assert note.payment_number == "" and note.refund_number == ""


def test_signature_with_another_secret_is_refused(gateway):
    body = event_body("payment_intent.succeeded", intent())
    with pytest.raises(InvalidNotification):
        gateway.verify_notification(
            headers={"Stripe-Signature": signature(body, secret="whsec_someone_else")}, body=body
        )


def test_one_good_signature_among_several_is_enough(gateway):
    # While a signing secret is rolled, Stripe sends a v1 signature for each.
    body = event_body("payment_intent.succeeded", intent())
    stamp = int(time.time())
    other = signature(body, secret="whsec_old", at=stamp).split(",")[1]
    header = f"{signature(body, at=stamp)},{other}"
    assert gateway.verify_notification(headers={"Stripe-Signature": header}, body=body)


def test_tampered_body_is_refused(gateway):
    body = event_body("payment_intent.succeeded", intent())
    header = signature(body)
    tampered = body.replace(b'"amount_received": 1234', b'"amount_received": 9234')
    assert tampered != body
    with pytest.raises(InvalidNotification):
        gateway.verify_notification(headers={"Stripe-Signature": header}, body=tampered)


@pytest.mark.parametrize("age", [301, 86400, -301])
def test_stale_or_future_signature_is_refused(gateway, age):
    body = event_body("payment_intent.succeeded", intent())
    header = signature(body, at=int(time.time()) - age)
    with pytest.raises(InvalidNotification):
        gateway.verify_notification(headers={"Stripe-Signature": header}, body=body)
    if age < 0:  # the SDK alone accepts a signature from the future; the adapter does not
        assert stripe.WebhookSignature.verify_header(body, header, WEBHOOK_SECRET, 300)


@pytest.mark.parametrize(
    "body",
    [b"", b"\xff\xfe\x00", b"not json", b"[]", b"{}", b'{"object": "event"}', b"null"],
)
def test_garbage_signed_or_not_is_only_ever_invalid(gateway, body):
    try:
        good = signature(body)
    except UnicodeDecodeError:
        good = "t=1,v1=00"
    for header in (good, "", "t=abc,v1=00", "v1=only", "t=1", "garbage,,,="):
        with pytest.raises(InvalidNotification):
            gateway.verify_notification(headers={"Stripe-Signature": header}, body=body)
    with pytest.raises(InvalidNotification):
        gateway.verify_notification(headers={}, body=body)


def test_acknowledgement_is_a_2xx(gateway):
    assert 200 <= gateway.acknowledge().status < 300


# -- create_payment, query_payment, refund -------------------------------------------------


ORDER = PaymentOrder(
    number="P2024060800001", amount=1234, currency="CNY", description="Tea, 2 boxes"
)


def assert_no_secret_in_url(seen: Seen) -> None:
    assert SECRET_KEY not in seen.path and SECRET_KEY not in json.dumps(seen.query)
    assert WEBHOOK_SECRET not in json.dumps(seen.headers) + json.dumps(seen.form)


def test_create_payment_makes_a_payment_intent(gateway, server, caplog):
    server.respond = lambda seen: (200, intent(status="requires_payment_method", amount_received=0))

    with caplog.at_level(logging.DEBUG):
        start = gateway.create_payment(ORDER)

    assert start.gateway == "stripe"
    assert start.client_secret == CLIENT_SECRET
    assert start.provider_ref == "pi_3VShop0001"
    [seen] = server.seen
    assert (seen.method, seen.path) == ("POST", "/v1/payment_intents")
    assert seen.form["amount"] == "1234"  # minor units
    assert seen.form["currency"] == "cny"
    assert seen.form["metadata[vshop_payment]"] == "P2024060800001"
    assert seen.form["automatic_payment_methods[enabled]"] == "true"
    assert seen.headers["Idempotency-Key"] == "vshop-payment-P2024060800001"
    assert seen.headers["Authorization"] == f"Bearer {SECRET_KEY}"  # Stripe's auth, a header
    assert_no_secret_in_url(seen)
    # The SDK's debug log of the response body would carry the client secret.
    assert CLIENT_SECRET not in caplog.text


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (
            400,
            {
                "type": "invalid_request_error",
                "code": "amount_too_small",
                "param": "amount",
                "message": "Amount must be at least ¥4.00 cny",
            },
        ),
        (
            401,
            {
                "type": "invalid_request_error",
                "message": f"Invalid API Key provided: {SECRET_KEY}",
            },
        ),
        (500, {"type": "api_error", "message": "Something went wrong on Stripe's end."}),
    ],
)
def test_error_answers_are_unavailable_and_name_no_secret(gateway, server, status, error):
    server.respond = lambda seen: (status, {"error": error})
    with pytest.raises(GatewayUnavailable) as caught:
        gateway.create_payment(ORDER)
    assert caught.value.status == 502
    assert SECRET_KEY not in caught.value.message
    assert SECRET_KEY not in repr(caught.value) and caught.value.__cause__ is None


def test_unreachable_api_is_unavailable():
    gateway = make_gateway(unreachable_url())
    started = time.monotonic()
    with pytest.raises(GatewayUnavailable):
        gateway.query_payment("P1")
    assert time.monotonic() - started < 5


def search_result(*intents: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "search_result",
        "url": "/v1/payment_intents/search",
        "has_more": False,
        "next_page": None,
        "data": list(intents),
    }


def test_query_payment_searches_by_vshop_number(gateway, server):
    server.respond = lambda seen: (200, search_result(intent()))

    status = gateway.query_payment("P2024060800001")

    assert status.state == PaymentState.SUCCEEDED
    assert status.amount == 1234
    assert status.provider_ref == "pi_3VShop0001"
    [seen] = server.seen
    assert (seen.method, seen.path) == ("GET", "/v1/payment_intents/search")
    assert seen.query["query"] == "metadata['vshop_payment']:'P2024060800001'"
    assert_no_secret_in_url(seen)


@pytest.mark.parametrize(
    ("found", "state"),
    [
        ([], PaymentState.PENDING),
        ([intent(status="processing", amount_received=0)], PaymentState.PENDING),
        ([intent(status="canceled", amount_received=0)], PaymentState.CLOSED),
        (
            [
                intent(
                    status="requires_payment_method", last_payment_error={"code": "card_declined"}
                )
            ],
            PaymentState.FAILED,
        ),
        # Another number's intent that the search matched is not ours.
        ([intent(metadata={"vshop_payment": "P2024060800001-2"})], PaymentState.PENDING),
    ],
)
def test_query_payment_states(gateway, server, found, state):
    server.respond = lambda seen: (200, search_result(*found))
    assert gateway.query_payment("P2024060800001").state == state


def test_query_quotes_the_number_for_stripe_search(gateway, server):
    server.respond = lambda seen: (200, search_result())
    gateway.query_payment("P1' OR status:'succeeded")
    assert server.seen[0].query["query"] == (
        "metadata['vshop_payment']:'P1\\' OR status:\\'succeeded'"
    )


REFUND = RefundOrder(
    refund_number="R2024060900001",
    payment_number="P2024060800001",
    provider_ref="pi_3VShop0001",
    amount=500,
    payment_amount=1234,
    currency="CNY",
    reason="Damaged box",
)


@pytest.mark.parametrize(("status", "state"), [("succeeded", "succeeded"), ("pending", "pending")])
def test_refund_creates_an_idempotent_refund(gateway, server, status, state):
    server.respond = lambda seen: (200, refund_object(status=status))

    result = gateway.refund(REFUND)

    assert result.refund_number == "R2024060900001"
    assert result.state == state
    assert result.provider_ref == "re_3VShop0001"
    [seen] = server.seen
    assert (seen.method, seen.path) == ("POST", "/v1/refunds")
    assert seen.form["payment_intent"] == "pi_3VShop0001"
    assert seen.form["amount"] == "500"
    assert seen.form["metadata[vshop_refund]"] == "R2024060900001"
    assert seen.headers["Idempotency-Key"] == "R2024060900001"
    assert_no_secret_in_url(seen)


def test_refund_without_intent_id_finds_it_by_number(gateway, server):
    server.respond = lambda seen: (
        (200, search_result(intent())) if seen.method == "GET" else (200, refund_object())
    )
    order = RefundOrder("R2", "P2024060800001", "", 500, 1234, "CNY")
    assert gateway.refund(order).state == "succeeded"
    assert [s.path for s in server.seen] == ["/v1/payment_intents/search", "/v1/refunds"]
    assert server.seen[1].form["payment_intent"] == "pi_3VShop0001"


def test_refused_refund_is_unavailable(gateway, server):
    server.respond = lambda seen: (
        400,
        {
            "error": {
                "type": "invalid_request_error",
                "code": "charge_already_refunded",
                "message": "Charge ch_1 has already been refunded.",
            }
        },
    )
    with pytest.raises(GatewayUnavailable) as caught:
        gateway.refund(REFUND)
    assert "charge_already_refunded" in caught.value.message


# -- construction and configuration ---------------------------------------------------------


def test_repr_names_no_secret():
    gateway = make_gateway()
    assert SECRET_KEY not in repr(gateway) and WEBHOOK_SECRET not in repr(gateway)
    with pytest.raises(ValueError):
        make_gateway(webhook_secret="")


def test_config_reads_the_environment():
    env = {"STRIPE_SECRET_KEY": SECRET_KEY, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET}
    gateway = config.stripe(env)
    assert isinstance(gateway, StripeGateway)
    assert gateway.api_base == "https://api.stripe.com"
    body = event_body("payment_intent.succeeded", intent())
    assert gateway.verify_notification(headers={"Stripe-Signature": signature(body)}, body=body)

    assert config.stripe({}) is None
    with pytest.raises(ImproperlyConfigured) as caught:
        config.stripe({"STRIPE_SECRET_KEY": SECRET_KEY})
    assert "STRIPE_WEBHOOK_SECRET" in str(caught.value)
    assert SECRET_KEY not in str(caught.value)
    assert set(config.configured_gateways(env)) == {"stripe"}
