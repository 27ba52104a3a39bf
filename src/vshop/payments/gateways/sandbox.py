"""The sandbox gateway: a payment provider that lives inside VShop, for the demo and tests.

It behaves like the real ones: the buyer goes to its payment page; when she pays, the provider
side records the charge in its own book (``SandboxTransaction``) and sends VShop an HMAC-signed
notification from the worker, after a delay, sometimes twice. VShop verifies it like any other
and can also ask (``query_payment``). Refunds are answered at once, and notified too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import secrets
import time
from collections.abc import Mapping

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from vshop.payments.gateways.base import (
    Gateway,
    InvalidNotification,
    Notification,
    NotificationKind,
    PaymentOrder,
    PaymentStart,
    PaymentState,
    PaymentStatus,
    PayoutOrder,
    PayoutResult,
    PayoutState,
    RefundOrder,
    RefundResult,
)
from vshop.payments.models import SandboxPayout, SandboxRefund, SandboxTransaction

SIGNATURE_HEADER = "X-Sandbox-Signature"
TIMESTAMP_HEADER = "X-Sandbox-Timestamp"
TOLERANCE_SECONDS = 300


def _secret() -> bytes:
    return hashlib.sha256(f"sandbox-gateway:{settings.SECRET_KEY}".encode()).digest()


def sign(body: bytes, timestamp: int) -> str:
    return hmac.new(_secret(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signed_headers(body: bytes, timestamp: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    return {SIGNATURE_HEADER: sign(body, ts), TIMESTAMP_HEADER: str(ts)}


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower() or key.upper() == "HTTP_" + name.upper().replace("-", "_"):
            return value
    return ""


class SandboxGateway(Gateway):
    name = "sandbox"
    label = "Sandbox (test money)"
    supports_payouts = True

    def create_payment(self, order: PaymentOrder) -> PaymentStart:
        # A payment number is new each time VShop asks (real providers refuse a repeat too).
        SandboxTransaction.objects.create(
            payment_number=order.number,
            amount=order.amount,
            currency=order.currency,
            description=order.description[:200],
            transaction_id=f"SBX{secrets.token_hex(10).upper()}",
        )
        return PaymentStart(
            gateway=self.name, redirect_url=reverse("payments:sandbox_page", args=[order.number])
        )

    def verify_notification(self, *, headers: Mapping[str, str], body: bytes) -> Notification:
        signature = _header(headers, SIGNATURE_HEADER)
        stamp = _header(headers, TIMESTAMP_HEADER)
        try:
            ts = int(stamp)
        except ValueError:
            raise InvalidNotification(reason="no timestamp") from None
        if abs(time.time() - ts) > TOLERANCE_SECONDS:
            raise InvalidNotification(reason="stale timestamp")
        if not signature or not hmac.compare_digest(signature, sign(body, ts)):
            raise InvalidNotification(reason="bad signature")
        try:
            data = json.loads(body)
            return Notification(
                gateway=self.name,
                event_id=str(data["id"]),
                kind=str(data["type"]),
                payment_number=str(data["payment_number"]),
                amount=int(data["amount"]),
                currency=str(data["currency"]),
                provider_ref=str(data.get("transaction_id", "")),
                refund_number=str(data.get("refund_number", "")),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidNotification(reason="unreadable body") from exc

    def query_payment(self, payment_number: str) -> PaymentStatus:
        txn = SandboxTransaction.objects.filter(payment_number=payment_number).first()
        if txn is None:
            return PaymentStatus(payment_number=payment_number, state=PaymentState.CLOSED)
        state = PaymentState.SUCCEEDED if txn.status == "paid" else PaymentState.PENDING
        if txn.status == "failed":
            state = PaymentState.FAILED
        return PaymentStatus(
            payment_number=payment_number,
            state=state,
            amount=txn.amount,
            provider_ref=txn.transaction_id,
            paid_at=txn.paid_at,
        )

    def refund(self, order: RefundOrder) -> RefundResult:
        with transaction.atomic():
            txn = SandboxTransaction.objects.select_for_update().get(
                payment_number=order.payment_number
            )
            done = SandboxRefund.objects.filter(refund_number=order.refund_number).first()
            if done is None:  # the refund number is the idempotency key, as at real providers
                if txn.status != "paid" or txn.refunded + order.amount > txn.amount:
                    return RefundResult(refund_number=order.refund_number, state="failed")
                SandboxRefund.objects.create(
                    transaction=txn, refund_number=order.refund_number, amount=order.amount
                )
                SandboxTransaction.objects.filter(pk=txn.pk).update(
                    refunded=F("refunded") + order.amount
                )
                _send_later(
                    {
                        "id": f"evt_{secrets.token_hex(8)}",
                        "type": NotificationKind.REFUND_SUCCEEDED,
                        "payment_number": txn.payment_number,
                        "refund_number": order.refund_number,
                        "amount": order.amount,
                        "currency": txn.currency,
                        "transaction_id": txn.transaction_id,
                    }
                )
        return RefundResult(
            refund_number=order.refund_number, state="succeeded", provider_ref=order.refund_number
        )

    def send_payout(self, order: PayoutOrder) -> PayoutResult:
        """Pay out at once. A payee starting with "fail" is an account the provider refuses
        (for demos and tests). The payout number is the idempotency key: asked again, the
        sandbox answers with what it did the first time and sends nothing more."""
        done = SandboxPayout.objects.filter(payout_number=order.payout_number).first()
        if done is None:
            refused = order.payee.strip().lower().startswith("fail")
            try:
                with transaction.atomic():
                    done = SandboxPayout.objects.create(
                        payout_number=order.payout_number,
                        amount=order.amount,
                        currency=order.currency,
                        payee=order.payee[:64],
                        payee_name=order.payee_name[:40],
                        memo=order.memo[:200],
                        status=PayoutState.FAILED if refused else PayoutState.SUCCEEDED,
                        transaction_id=f"SBXP{secrets.token_hex(10).upper()}",
                        message="payee account refused the transfer" if refused else "",
                    )
            except IntegrityError:  # the same payout asked for at the same moment
                done = SandboxPayout.objects.get(payout_number=order.payout_number)
        return PayoutResult(
            payout_number=done.payout_number,
            state=done.status,
            provider_ref=done.transaction_id,
            message=done.message,
        )


# --- the provider's side: the buyer pays on the sandbox page --------------------------------


def sandbox_pay(*, payment_number: str, succeed: bool = True) -> SandboxTransaction:
    """The buyer confirms (or fails) on the sandbox page; the notification follows."""
    now = timezone.now()
    # One conditional update: paying twice on the provider's page charges once.
    changed = SandboxTransaction.objects.filter(
        payment_number=payment_number, status="pending"
    ).update(status="paid" if succeed else "failed", paid_at=now if succeed else None)
    txn = SandboxTransaction.objects.get(payment_number=payment_number)
    if changed:
        _send_later(
            {
                "id": f"evt_{secrets.token_hex(8)}",
                "type": NotificationKind.PAYMENT_SUCCEEDED
                if succeed
                else NotificationKind.PAYMENT_FAILED,
                "payment_number": txn.payment_number,
                "amount": txn.amount,
                "currency": txn.currency,
                "transaction_id": txn.transaction_id,
            }
        )
    return txn


def notification_body(event: Mapping[str, object]) -> bytes:
    return json.dumps(event, sort_keys=True).encode()


def _send_later(event: Mapping[str, object]) -> None:
    """Queue the signed notification: after a delay, and sometimes a second time, as providers
    do. Delivered by the worker once this transaction commits."""
    import vshop.payments.tasks as tasks  # tasks import services, which import this module

    body = notification_body(event)
    delays = [random.uniform(0, settings.VSHOP_SANDBOX_MAX_DELAY_SECONDS)]
    if random.random() < settings.VSHOP_SANDBOX_DUPLICATE_RATE:
        delays.append(delays[0] + random.uniform(0, settings.VSHOP_SANDBOX_MAX_DELAY_SECONDS))

    def enqueue() -> None:
        for delay in delays:
            if delay > 0.05:
                tasks.sandbox_deliver.schedule(args=(body.decode(),), delay=delay)
            else:
                tasks.sandbox_deliver(body.decode())

    transaction.on_commit(enqueue)
