"""Orders a recipient places in the shop within ``VSHOP_CAMPAIGN_ATTRIBUTION_HOURS`` of the
message's slot count for the campaign (the holdout too: that is the test's control).
(Owner: planning helper.)"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def orders_paid_attribute(orders: Sequence[Any]) -> int:
    """Called when orders are paid; returns how many were attributed to a campaign."""
    raise NotImplementedError
