"""Payment reads, scoped to the acting account: a buyer sees only her own payments."""

from __future__ import annotations

from vshop.accounts.models import User
from vshop.errors import NotFound
from vshop.orders.models import Checkout
from vshop.payments.models import Payment


def payment_of_buyer(*, buyer: User, number: str, gateway: str | None = None) -> Payment:
    qs = Payment.objects.select_related("checkout").filter(number=number, checkout__buyer=buyer)
    payment = (qs.filter(gateway=gateway) if gateway else qs).first()
    if payment is None:
        raise NotFound()
    return payment


def latest_payment(*, checkout: Checkout) -> Payment | None:
    """The checkout's newest payment attempt (the buyer may have switched gateway)."""
    return Payment.objects.filter(checkout=checkout).order_by("-created_at", "-pk").first()
