"""Money is an integer of minor units (fen, cents) plus a currency code; never a float."""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.utils.translation import gettext_lazy as _

from vshop.errors import ValidationFailed

CURRENCY_SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€"}
_AMOUNT = re.compile(r"^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$")


def format_money(minor: int | None, currency: str = "CNY") -> str:
    """``1990`` → ``¥19.90``; whole amounts drop the cents (``¥20``), as Chinese shops show them."""
    if minor is None:
        return ""
    sign = "-" if minor < 0 else ""
    whole, cents = divmod(abs(int(minor)), 100)
    symbol = CURRENCY_SYMBOLS.get(currency, currency + " ")
    if cents == 0:
        return f"{sign}{symbol}{whole:,}"
    return f"{sign}{symbol}{whole:,}.{cents:02d}"


def parse_money(text: str, *, field: str | None = None) -> int:
    """``"19.9"`` → ``1990``. Refuses negatives, more than two decimals and non-numbers."""
    match = _AMOUNT.match(str(text))
    if not match:
        raise ValidationFailed(
            _("Enter an amount like 19.90 (yuan, at most two decimals)."), field=field
        )
    whole, frac = match.groups()
    return int(whole) * 100 + int((frac or "0").ljust(2, "0"))


def largest_remainder(amount: int, weights: Sequence[int]) -> list[int]:
    """Split ``amount`` in proportion to ``weights`` exactly (largest remainder, ties to the
    first). With ``amount <= sum(weights)`` no share exceeds its weight."""
    total = sum(weights)
    if total <= 0:
        return [amount] + [0] * (len(weights) - 1) if weights else []
    shares = [w * amount // total for w in weights]
    left = amount - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-(weights[i] * amount % total), i))
    for i in order[:left]:
        shares[i] += 1
    return shares
