"""Frequency caps: marketing messages per fan per her local day, per shop and across shops.
(Owner: planning helper.)"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Caps:
    per_shop: int  # the owner's cap when she set one, never above the platform's
    per_fan: int  # the platform's cap across all shops


def caps_for_shop(*, shop_id: int) -> Caps:
    raise NotImplementedError


def capped_users(*, shop_id: int, caps: Caps, wants: Sequence[tuple[int, date]]) -> set[int]:
    """Of (user id, her local day), the users already at a cap that day (read only)."""
    raise NotImplementedError


def caps_take(*, shop_id: int, caps: Caps, wants: Sequence[tuple[int, date]]) -> set[int]:
    """Count one message for each (user id, her local day) still under both caps, in the
    caller's transaction, with the count rows locked; returns the users counted."""
    raise NotImplementedError


def daily_counts_prune(*, before: date) -> int:
    raise NotImplementedError
