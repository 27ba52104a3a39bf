"""The sandbox provider's side of a payout: it pays once per payout number, refuses a payee
starting with "fail", and gateways that cannot pay out say so."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from vshop.payments.gateways import gateway_for
from vshop.payments.gateways.base import (
    Gateway,
    Notification,
    PaymentOrder,
    PaymentStart,
    PaymentStatus,
    PayoutOrder,
    PayoutsNotSupported,
    RefundOrder,
    RefundResult,
)
from vshop.payments.models import SandboxPayout

pytestmark = pytest.mark.django_db


def order(number: str = "W1", payee: str = "wx-lily", amount: int = 1990) -> PayoutOrder:
    return PayoutOrder(
        payout_number=number, amount=amount, currency="CNY", payee=payee, payee_name="Li Li"
    )


def test_the_sandbox_pays_out_once_per_payout_number():
    sandbox = gateway_for("sandbox")
    assert sandbox.supports_payouts
    first = sandbox.send_payout(order())
    again = sandbox.send_payout(order())
    assert first.state == again.state == "succeeded"
    assert first.provider_ref == again.provider_ref
    assert first.provider_ref.startswith("SBXP")
    [payout] = SandboxPayout.objects.all()
    assert (payout.payout_number, payout.amount, payout.payee) == ("W1", 1990, "wx-lily")


def test_the_sandbox_refuses_a_payee_starting_with_fail_and_keeps_refusing():
    sandbox = gateway_for("sandbox")
    result = sandbox.send_payout(order("W2", payee="Fail-frozen"))
    assert result.state == "failed"
    assert result.message
    assert sandbox.send_payout(order("W2", payee="Fail-frozen")).state == "failed"
    assert SandboxPayout.objects.get().status == "failed"


class NoPayouts(Gateway):
    name = "nopayouts"
    label = "No payouts"

    def create_payment(self, order: PaymentOrder) -> PaymentStart:
        raise NotImplementedError

    def verify_notification(self, *, headers: Mapping[str, str], body: bytes) -> Notification:
        raise NotImplementedError

    def query_payment(self, payment_number: str) -> PaymentStatus:
        raise NotImplementedError

    def refund(self, order: RefundOrder) -> RefundResult:
        raise NotImplementedError


def test_a_gateway_without_a_payout_api_says_so_with_a_400():
    gateway = NoPayouts()
    assert not gateway.supports_payouts
    with pytest.raises(PayoutsNotSupported) as caught:
        gateway.send_payout(order())
    assert caught.value.status == 400
    assert caught.value.code == "payouts_not_supported"
    assert "VSHOP_PAYOUT_GATEWAY" in caught.value.message
