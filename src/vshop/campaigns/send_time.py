"""The send-time model: when each fan is most likely to look. (Owner: send-time helper.)

Per fan, an hour-of-week profile (168 hours, her own zone) of engagement (visits, views, carts,
orders, shares, opens, clicks) with older activity decayed; at planning time it is shrunk toward
the shop's profile (itself shrunk toward the platform's), so a new fan gets the shop's best
hour. The pick is the best allowed hour in the window; a share ``explore`` of fans is sent at an
hour drawn by Thompson sampling over the campaign response rates per hour (the bandit's arms),
so the model keeps learning what works.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np

HOURS = 168


def load_profiles(user_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """(profiles float32 [N, 168], weights float32 [N]) in the order of ``user_ids``; zeros for
    fans without a profile. Callers pass at most a few thousand ids."""
    raise NotImplementedError


def shop_prior(shop_id: int) -> np.ndarray:
    """float64 [168] summing to 1: the shop's profile shrunk toward the platform's (uniform
    when neither has data yet)."""
    raise NotImplementedError


def arm_stats() -> tuple[np.ndarray, np.ndarray]:
    """(sends, responses) float64 [168]: the bandit's arms per hour of the week."""
    raise NotImplementedError


def choose_hours(
    *,
    profiles: np.ndarray,
    weights: np.ndarray,
    prior: np.ndarray,
    local_hours: np.ndarray,
    allowed: np.ndarray,
    explore: float,
    sends: np.ndarray,
    responses: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Pick each fan's slot among the window's W candidate slots.

    ``local_hours`` int [N, W]: each candidate's hour of the week in her zone; ``allowed`` bool
    [N, W]: outside her quiet hours. Returns (index into W, or -1 when none is allowed;
    explored bool [N])."""
    raise NotImplementedError


def profiles_recompute(*, now: datetime | None = None) -> int:
    """Rebuild fan, shop and platform profiles from the hourly activity rollups; returns how
    many fan profiles were written. The scheduled job."""
    raise NotImplementedError


def arm_stats_recompute(*, now: datetime | None = None) -> int:
    """Rebuild the bandit's arms from recent campaign recipients (delivered; opened or clicked
    within a day)."""
    raise NotImplementedError
