"""The one interface every payment provider is driven through.

VShop asks a gateway to charge a payment, learns the outcome from a signed notification (or by
asking: ``query_payment``) and gives money back with ``refund``. Adapters translate between these
plain records and a provider's SDK; they never touch VShop's models, and they never log or return
card numbers or secrets. Amounts are integer minor units (fen, cents).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from vshop.errors import ValidationFailed


class InvalidNotification(ValidationFailed):
    """A notification that is not provably from the provider: bad or missing signature, stale
    timestamp, unreadable body. Answered with 400 and changes nothing."""

    code = "invalid_notification"
    default_message = _("The payment notification could not be verified.")


class GatewayUnavailable(ValidationFailed):
    """The provider could not be reached or refused the call; nothing was charged or refunded."""

    status = 502
    code = "gateway_unavailable"
    default_message = _("The payment provider could not be reached. Please try again.")


class PaymentState:
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CLOSED = "closed"


class NotificationKind:
    PAYMENT_SUCCEEDED = "payment_succeeded"
    PAYMENT_FAILED = "payment_failed"
    REFUND_SUCCEEDED = "refund_succeeded"
    REFUND_FAILED = "refund_failed"
    # Genuine, but nothing VShop acts on (a refund still pending, a trade waiting for the buyer):
    # acknowledged so that the provider stops resending it, and otherwise ignored.
    IGNORED = "ignored"


@dataclass(frozen=True)
class PaymentOrder:
    """What VShop asks a provider to charge."""

    number: str  # VShop's payment number: out_trade_no / merchant reference, unique
    amount: int  # minor units
    currency: str  # ISO code, "CNY"
    description: str
    notify_url: str = ""  # absolute URL of /api/payments/notify/<gateway>
    return_url: str = ""  # where the buyer comes back to after paying
    buyer_ip: str = ""


@dataclass(frozen=True)
class PaymentStart:
    """How the buyer pays: a page to open, a QR code to scan, or a client secret for an SDK.
    Returned to the buyer's client, never stored."""

    gateway: str
    redirect_url: str = ""
    code_url: str = ""
    client_secret: str = ""
    provider_ref: str = ""


@dataclass(frozen=True)
class Notification:
    """A verified provider notification, reduced to what VShop acts on."""

    gateway: str
    event_id: str  # unique per provider event: a repeat of it is the same event
    kind: str  # a NotificationKind
    payment_number: str
    amount: int  # minor units: the amount paid, or refunded for refund events
    currency: str
    provider_ref: str = ""  # the provider's transaction id
    refund_number: str = ""  # for refund events: VShop's refund number
    occurred_at: datetime | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


def ignored(gateway: str, event_id: str, what: str) -> Notification:
    """A verified notification VShop does not act on."""
    return Notification(
        gateway=gateway,
        event_id=event_id,
        kind=NotificationKind.IGNORED,
        payment_number="",
        amount=0,
        currency="",
        extra={"event": what[:64]},
    )


@dataclass(frozen=True)
class PaymentStatus:
    payment_number: str
    state: str  # a PaymentState
    amount: int = 0
    provider_ref: str = ""
    paid_at: datetime | None = None


@dataclass(frozen=True)
class RefundOrder:
    refund_number: str  # VShop's refund number (out_refund_no), unique
    payment_number: str
    provider_ref: str  # the provider's transaction id of the payment
    amount: int  # minor units to give back
    payment_amount: int  # what the payment charged in all (WeChat Pay asks for it)
    currency: str
    reason: str = ""
    notify_url: str = ""


@dataclass(frozen=True)
class RefundResult:
    refund_number: str
    state: str  # "pending" (the provider will notify), "succeeded" or "failed"
    provider_ref: str = ""


@dataclass(frozen=True)
class Acknowledgement:
    """The answer a provider expects to a notification it may stop resending."""

    status: int = 200
    content_type: str = "application/json"
    body: bytes = b'{"received": true}'


class Gateway(abc.ABC):
    name: str  # "sandbox", "wechatpay", "alipay", "stripe"
    label: str  # for people: "WeChat Pay"

    @abc.abstractmethod
    def create_payment(self, order: PaymentOrder) -> PaymentStart: ...

    @abc.abstractmethod
    def verify_notification(self, *, headers: Mapping[str, str], body: bytes) -> Notification:
        """Check signature and freshness and parse; raise InvalidNotification otherwise."""

    def acknowledge(self, notification: Notification | None = None) -> Acknowledgement:
        return Acknowledgement()

    @abc.abstractmethod
    def query_payment(self, payment_number: str) -> PaymentStatus: ...

    @abc.abstractmethod
    def refund(self, order: RefundOrder) -> RefundResult: ...

    #: True for a gateway whose ``send_payout`` really sends money out.
    supports_payouts: bool = False

    def send_payout(self, order: PayoutOrder) -> PayoutResult:
        """Send ``order.amount`` to ``order.payee``. Idempotent by ``payout_number``: asked
        again, the provider answers with the first outcome and never pays twice. Raises
        ``GatewayUnavailable`` when the provider cannot be reached (nothing was sent).

        Not wired for the real providers yet (their transfer APIs need separate contracts):
        they raise ``PayoutsNotSupported``; the sandbox overrides it."""
        raise PayoutsNotSupported(gateway=self.name)


# --- payouts: money sent out to a shop owner, a promoter or a supplier ----------------------


class PayoutsNotSupported(ValidationFailed):
    """The gateway cannot send money out (its transfer API is not wired into VShop)."""

    code = "payouts_not_supported"
    default_message = _(
        "This payment provider cannot pay out withdrawals yet; set VSHOP_PAYOUT_GATEWAY to one "
        "that can."
    )


class PayoutState:
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # refused by the provider: no money was sent
    PENDING = "pending"  # accepted, the outcome comes later: ask again with the same number


@dataclass(frozen=True)
class PayoutOrder:
    """What VShop asks a provider to send out."""

    payout_number: str  # VShop's withdrawal number: the provider's idempotency key
    amount: int  # minor units actually sent (after the platform's fee)
    currency: str
    payee: str  # the account paid into: a WeChat or Alipay account, a sandbox payee
    payee_name: str  # the real name the provider checks against the account
    memo: str = ""


@dataclass(frozen=True)
class PayoutResult:
    payout_number: str
    state: str  # a PayoutState
    provider_ref: str = ""
    message: str = ""
