"""The send-time model: when each fan is most likely to look.

Per fan, an hour-of-week profile (168 hours, her own zone) of engagement (visits, views, carts,
orders, shares, opens, clicks) with older activity decayed; at planning time it is shrunk toward
the shop's profile (itself shrunk toward the platform's), so a new fan gets the shop's best
hour. The pick is the best allowed hour in the window; a share ``explore`` of fans is sent at an
hour drawn by Thompson sampling over the campaign response rates per hour (the bandit's arms),
so the model keeps learning what works.

The numeric core (``engagement_weights``, ``profile_from_hourly``, ``encode_profiles``,
``choose_hours``) is pure numpy, so bench/send_time.py evaluates exactly the code production
runs; the rest reads and writes the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from vshop.campaigns.models import (
    CampaignRecipient,
    FanSendProfile,
    SendHourStats,
    ShopSendProfile,
)

HOURS = 168

# How much one event of each kind says "she is looking now". An order, a click on a campaign
# and an opened message are deliberate acts, so they count more than a page view. The SQL of
# ``profiles_recompute`` is built from this same table.
KIND_WEIGHTS: dict[str, float] = {
    "visits": 1,
    "views": 1,
    "carts": 1,
    "orders": 3,
    "shares": 1,
    "opens": 2,
    "clicks": 3,
}
COUNT_COLUMNS = tuple(KIND_WEIGHTS)

# Exploration: her own shrunk profile enters the Thompson draw as this many pseudo-sends, so
# with no campaign data an explored fan still leans toward her better hours.
EXPLORE_PROFILE_SENDS = 4.0
# Borrowing from her similar hours (``smooth_profiles``); tuned on bench/send_time.py, where
# both raise the hit rate at every activity level tried (0.1×–1×).
POOL_SAME_HOUR = 2.0
POOL_NEIGHBOUR = 0.5
ARM_DAYS = 28  # campaign sends the bandit's arms are counted over
RESPONSE_HOURS = 24  # an open or click this long after delivery counts as a response
WRITE_BATCH = 5_000
FETCH_ROWS = 100_000


# --- the numeric core (pure numpy) -------------------------------------------------------------


def engagement_weights(counts: np.ndarray) -> np.ndarray:
    """float64 [M]: each row's engagement from its counts [M, 7] in ``COUNT_COLUMNS`` order."""
    return np.asarray(counts, dtype=np.float64) @ np.array(
        [KIND_WEIGHTS[c] for c in COUNT_COLUMNS], dtype=np.float64
    )


def decay(age_days: np.ndarray, half_life_days: float) -> np.ndarray:
    """0.5^(age / half-life); activity from the future (clock skew) counts as new."""
    return np.power(0.5, np.maximum(np.asarray(age_days, dtype=np.float64), 0) / half_life_days)


def profile_from_hourly(
    *,
    owners: np.ndarray,
    local_hours: np.ndarray,
    age_days: np.ndarray,
    weights: np.ndarray,
    n: int,
    half_life_days: float,
) -> np.ndarray:
    """float64 [n, 168]: the decayed engagement of each owner (a fan or a shop, 0..n-1) by hour
    of the week. One entry per hourly row: ``owners`` [M], ``local_hours`` [M] (0..167; rows
    outside are dropped), ``age_days`` [M], ``weights`` [M] (``engagement_weights``)."""
    owners = np.asarray(owners, dtype=np.int64)
    local_hours = np.asarray(local_hours, dtype=np.int64)
    ok = (local_hours >= 0) & (local_hours < HOURS)
    values = np.asarray(weights, dtype=np.float64) * decay(age_days, half_life_days)
    flat = np.bincount(
        owners[ok] * HOURS + local_hours[ok], weights=values[ok], minlength=n * HOURS
    )
    return flat.reshape(n, HOURS)


def encode_profiles(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hours uint8 [N, 168] = round(255·v/peak), peak [N], weight [N]) of decayed vectors; a
    fan's byte row is what ``FanSendProfile.hours`` stores."""
    vectors = np.asarray(vectors, dtype=np.float64)
    peak = vectors.max(axis=1) if vectors.size else np.zeros(len(vectors))
    weight = vectors.sum(axis=1)
    scale = np.divide(255.0, peak, out=np.zeros_like(peak), where=peak > 0)
    hours = np.rint(vectors * scale[:, None]).clip(0, 255).astype(np.uint8)
    return hours, peak, weight


def decode_profile(hours: bytes | memoryview, peak: float) -> np.ndarray:
    """float32 [168] from a stored byte row and its peak."""
    return np.frombuffer(bytes(hours), dtype=np.uint8).astype(np.float32) * np.float32(peak / 255)


def shrink(shares: np.ndarray, weight: float, toward: np.ndarray, strength: float) -> np.ndarray:
    """(w·p + β·q) / (w + β), renormalised: little evidence leans on ``toward``."""
    shares = np.asarray(shares, dtype=np.float64)
    mixed = (max(weight, 0.0) * shares + strength * np.asarray(toward, dtype=np.float64)) / (
        max(weight, 0.0) + strength
    )
    total = mixed.sum()
    return mixed / total if total > 0 else np.full(HOURS, 1.0 / HOURS)


def same_hour_mean(profiles: np.ndarray) -> np.ndarray:
    """[N, 168]: at each hour of the week, her mean at that hour of the day over the days of
    its kind (Monday–Friday for a weekday, Saturday–Sunday for the weekend)."""
    days = np.asarray(profiles, dtype=np.float64).reshape(-1, 7, 24)
    weekday = np.repeat(days[:, :5].mean(axis=1, keepdims=True), 5, axis=1)
    weekend = np.repeat(days[:, 5:].mean(axis=1, keepdims=True), 2, axis=1)
    return np.concatenate([weekday, weekend], axis=1).reshape(-1, HOURS)


def smooth_profiles(profiles: np.ndarray, *, pool: float, neighbour: float) -> np.ndarray:
    """float64 [N, 168]: her profile with evidence borrowed from her own similar hours, keeping
    her total. Eight weeks give at most eight looks at one hour of the week, so the same hour on
    the other days of its kind (weight ``pool``) and the hours either side (weight ``neighbour``
    each, wrapping the week) steady a sparse profile; a rich one keeps its shape. 0 and 0: the
    raw profile."""
    smoothed = np.asarray(profiles, dtype=np.float64)
    if pool:
        smoothed = (smoothed + pool * same_hour_mean(smoothed)) / (1 + pool)
    if neighbour:
        around = np.roll(smoothed, 1, axis=1) + np.roll(smoothed, -1, axis=1)
        smoothed = (smoothed + neighbour * around) / (1 + 2 * neighbour)
    return smoothed


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
    prior_weight: float | None = None,
    profile_sends: float = EXPLORE_PROFILE_SENDS,
    pool: float = POOL_SAME_HOUR,
    neighbour: float = POOL_NEIGHBOUR,
) -> tuple[np.ndarray, np.ndarray]:
    """Pick each fan's slot among the window's W candidate slots.

    ``local_hours`` int [N, W]: each candidate's hour of the week in her zone; ``allowed`` bool
    [N, W]: outside her quiet hours. Returns (index into W, or -1 when none is allowed;
    explored bool [N]).

    Exploitation: score(h) = n(h) + α·prior(h), the best allowed candidate, earliest on ties.
    n is her profile steadied by her own similar hours (``smooth_profiles`` with ``pool`` and
    ``neighbour``; her total is kept), α = ``prior_weight`` pseudo-events (by default
    ``VSHOP_SEND_PRIOR_WEIGHT``): this is the argmax of the shrunk share (n + α·prior) / (N + α),
    whose denominator is the same for all her hours, so ``weights`` (N) does not change the pick.
    Exploration (a share ``explore`` of the fans with a choice, drawn with ``rng``): per allowed
    candidate θ ~ Beta(1 + r(h) + c·p(h), 1 + s(h) − r(h) + c·(1 − p(h))) with s, r the arm's
    sends and responses, p(h) = score(h) / her best allowed score (her own profile as a prior
    mean, 1 at her best hour) and c = ``profile_sends``; the largest θ wins. With little campaign
    data the draw is wide and leans to her good hours; with much, the arms' measured response
    rates decide."""
    alpha = settings.VSHOP_SEND_PRIOR_WEIGHT if prior_weight is None else prior_weight
    profiles = np.asarray(profiles, dtype=np.float64)
    local_hours = np.asarray(local_hours, dtype=np.int64)
    allowed = np.asarray(allowed, dtype=bool)
    n_fans, width = local_hours.shape
    if profiles.shape != (n_fans, HOURS) or allowed.shape != local_hours.shape:
        raise ValueError("profiles must be [N, 168] and allowed the shape of local_hours")
    if n_fans == 0 or width == 0:
        return np.full(n_fans, -1, dtype=np.int64), np.zeros(n_fans, dtype=bool)
    local_hours = np.clip(local_hours, 0, HOURS - 1)
    prior = np.asarray(prior, dtype=np.float64)

    smoothed = smooth_profiles(profiles, pool=pool, neighbour=neighbour)
    score = np.take_along_axis(smoothed, local_hours, axis=1) + alpha * prior[local_hours]
    masked = np.where(allowed, score, -np.inf)
    choice = masked.argmax(axis=1)  # first maximum: the earliest of equal candidates
    has_choice = allowed.any(axis=1)
    choice[~has_choice] = -1

    explored: np.ndarray = np.logical_and(rng.random(n_fans) < explore, has_choice)
    if explored.any():
        rows = np.flatnonzero(explored)
        sc = np.where(allowed[rows], score[rows], 0.0)
        best = sc.max(axis=1, keepdims=True)
        p = np.divide(sc, best, out=np.zeros_like(sc), where=best > 0).clip(0.0, 1.0)
        arm_sends = np.maximum(np.asarray(sends, dtype=np.float64), 0.0)
        arm_hits = np.clip(np.asarray(responses, dtype=np.float64), 0.0, arm_sends)
        lh = local_hours[rows]
        a = 1.0 + arm_hits[lh] + profile_sends * p
        b = 1.0 + (arm_sends - arm_hits)[lh] + profile_sends * (1.0 - p)
        theta = np.where(allowed[rows], rng.beta(a, b), -np.inf)
        choice[rows] = theta.argmax(axis=1)
    return choice, explored


# --- reads -------------------------------------------------------------------------------------


def load_profiles(user_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """(profiles float32 [N, 168], weights float32 [N]) in the order of ``user_ids``; zeros for
    fans without a profile. Callers pass at most a few thousand ids."""
    ids = list(user_ids)
    profiles = np.zeros((len(ids), HOURS), dtype=np.float32)
    weights = np.zeros(len(ids), dtype=np.float32)
    if not ids:
        return profiles, weights
    positions: dict[int, list[int]] = {}
    for position, user_id in enumerate(ids):
        positions.setdefault(int(user_id), []).append(position)
    if connection.vendor == "postgresql":
        # One array parameter instead of thousands of IN placeholders: the plan's largest cost.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT user_id, hours, peak, weight FROM {FanSendProfile._meta.db_table}"
                " WHERE user_id = ANY(%s)",
                [list(positions)],
            )
            rows = cursor.fetchall()
    else:
        rows = list(
            FanSendProfile.objects.filter(user_id__in=list(positions)).values_list(
                "user_id", "hours", "peak", "weight"
            )
        )
    # A damaged row reads as no history rather than a wrong one.
    rows = [row for row in rows if len(row[1]) == HOURS]
    if not rows:
        return profiles, weights
    # Decoded together: one buffer, one multiply.
    stored = np.frombuffer(b"".join(bytes(row[1]) for row in rows), dtype=np.uint8)
    scale = np.array([row[2] / 255 for row in rows], dtype=np.float32)
    decoded = stored.reshape(len(rows), HOURS).astype(np.float32) * scale[:, None]
    for index, (user_id, _hours, _peak, weight) in enumerate(rows):
        for position in positions[user_id]:
            profiles[position] = decoded[index]
            weights[position] = weight
    return profiles, weights


def _shares_of(row: ShopSendProfile | None) -> tuple[np.ndarray, float]:
    if row is None:
        return np.full(HOURS, 1.0 / HOURS), 0.0
    shares = np.asarray(row.shares or [], dtype=np.float64)
    weight = float(row.weight)
    if shares.shape != (HOURS,) or shares.sum() <= 0 or weight <= 0:
        return np.full(HOURS, 1.0 / HOURS), 0.0
    return shares / shares.sum(), weight


def prior_of(
    *,
    shop_shares: np.ndarray | None,
    shop_weight: float,
    platform_shares: np.ndarray,
    platform_weight: float,
    strength: float,
) -> np.ndarray:
    """The shop's shares shrunk toward the platform's, themselves shrunk toward uniform (no
    hour is favoured by assumption). ``shop_shares`` None: the platform's own prior."""
    platform = shrink(platform_shares, platform_weight, np.full(HOURS, 1.0 / HOURS), strength)
    if shop_shares is None:
        return platform
    return shrink(shop_shares, shop_weight, platform, strength)


def shop_prior(shop_id: int) -> np.ndarray:
    """float64 [168] summing to 1: the shop's profile shrunk toward the platform's (uniform
    when neither has data yet)."""
    rows = {row.shop_id: row for row in ShopSendProfile.objects.filter(shop_id__in={0, shop_id})}
    platform_shares, platform_weight = _shares_of(rows.get(0))
    shop_shares, shop_weight = _shares_of(rows.get(shop_id))
    return prior_of(
        shop_shares=None if shop_id == 0 else shop_shares,
        shop_weight=shop_weight,
        platform_shares=platform_shares,
        platform_weight=platform_weight,
        strength=settings.VSHOP_SEND_PRIOR_WEIGHT,
    )


def arm_stats() -> tuple[np.ndarray, np.ndarray]:
    """(sends, responses) float64 [168]: the bandit's arms per hour of the week."""
    sends = np.zeros(HOURS)
    responses = np.zeros(HOURS)
    for hour, sent, answered in SendHourStats.objects.values_list(
        "local_hour", "sends", "responses"
    ):
        if 0 <= hour < HOURS:
            sends[hour] = sent
            responses[hour] = min(answered, sent)
    return sends, responses


# --- the nightly jobs --------------------------------------------------------------------------


def _rows_sql() -> str:
    """Each hourly row's (user, shop, hour of week, age in hours, engagement), ordered by user:
    a plain scan and sort, no aggregation, so the server streams it. The age is computed in SQL
    as whole hours since the epoch (no date objects built in Python)."""
    weight = " + ".join(f"{w:g} * {column}" for column, w in KIND_WEIGHTS.items())
    if connection.vendor == "postgresql":
        epoch_hours = "floor(extract(epoch from hour) / 3600)::bigint"
    else:
        epoch_hours = "CAST(strftime('%%s', hour) AS INTEGER) / 3600"  # %% : params follow
    return (
        f"SELECT user_id, shop_id, local_hour, {epoch_hours} AS at_hour, {weight} AS w "
        "FROM fans_activityhour WHERE local_hour < %s ORDER BY user_id"
    )


def _fetch_chunks(cursor: object) -> Iterable[np.ndarray]:
    """float64 [M, 5] chunks of the row stream, each holding whole users."""
    pending: np.ndarray | None = None
    while True:
        rows = cursor.fetchmany(FETCH_ROWS)  # type: ignore[attr-defined]
        if not rows:
            break
        chunk = np.array(rows, dtype=np.float64).reshape(-1, 5)
        if pending is not None and len(pending):
            chunk = np.concatenate([pending, chunk])
        cut = int(np.searchsorted(chunk[:, 0], chunk[-1, 0]))  # the last user may go on
        pending = chunk[cut:]
        if cut:
            yield chunk[:cut]
    if pending is not None and len(pending):
        yield pending


def profiles_recompute(*, now: datetime | None = None) -> int:
    """Rebuild fan, shop and platform profiles from the hourly activity rollups; returns how
    many fan profiles were written. The scheduled job.

    One ordered pass over ``ActivityHour``, in chunks of whole fans: ``profile_from_hourly``
    builds each chunk's decayed vectors, which are upserted in batches; every shop's vector
    accumulates on the way. Profiles not written by this run (fans with no activity left) are
    deleted. All in one transaction: a run that dies changes nothing."""
    now = now or timezone.now()
    stamp = timezone.now()  # wall clock: marks this run's rows, whatever ``now`` is
    half_life = float(settings.VSHOP_SEND_HALF_LIFE_DAYS)
    now_hours = now.timestamp() / 3600
    shop_vectors: dict[int, np.ndarray] = {}
    written = 0
    with transaction.atomic():
        with connection.chunked_cursor() as cursor:
            cursor.execute(_rows_sql(), [HOURS])
            for chunk in _fetch_chunks(cursor):
                user_ids, fan_index = np.unique(chunk[:, 0].astype(np.int64), return_inverse=True)
                local_hours = chunk[:, 2]
                age_days = (now_hours - chunk[:, 3]) / 24
                weights = chunk[:, 4]
                fans = profile_from_hourly(
                    owners=fan_index,
                    local_hours=local_hours,
                    age_days=age_days,
                    weights=weights,
                    n=len(user_ids),
                    half_life_days=half_life,
                )
                shop_ids, shop_index = np.unique(chunk[:, 1].astype(np.int64), return_inverse=True)
                shops = profile_from_hourly(
                    owners=shop_index,
                    local_hours=local_hours,
                    age_days=age_days,
                    weights=weights,
                    n=len(shop_ids),
                    half_life_days=half_life,
                )
                for shop_id, vector in zip(shop_ids.tolist(), shops, strict=True):
                    if shop_id in shop_vectors:
                        shop_vectors[shop_id] += vector
                    else:
                        shop_vectors[shop_id] = vector.copy()
                written += _write_fans(user_ids, fans, stamp)
        FanSendProfile.objects.filter(updated_at__lt=stamp).delete()
        _write_shops(shop_vectors, stamp)
        ShopSendProfile.objects.filter(updated_at__lt=stamp).delete()
    return written


def _write_fans(user_ids: np.ndarray, vectors: np.ndarray, stamp: datetime) -> int:
    hours, peak, weight = encode_profiles(vectors)
    keep = weight > 0  # zero engagement (all-zero rows) is no profile
    # Rollups outlive deleted accounts (no foreign key there); a profile needs its account.
    existing = set(
        get_user_model().objects.filter(pk__in=user_ids[keep].tolist()).values_list("pk", flat=True)
    )
    keep &= np.isin(user_ids, np.fromiter(existing, dtype=np.int64, count=len(existing)))
    index = np.flatnonzero(keep)
    if connection.vendor == "postgresql":
        _upsert_fans_postgres(user_ids[index], hours[index], peak[index], weight[index], stamp)
        return len(index)
    rows = [
        FanSendProfile(
            user_id=int(user_ids[i]),
            hours=hours[i].tobytes(),
            peak=float(peak[i]),
            weight=float(weight[i]),
            updated_at=stamp,
        )
        for i in index.tolist()
    ]
    FanSendProfile.objects.bulk_create(
        rows,
        batch_size=WRITE_BATCH,
        update_conflicts=True,
        unique_fields=["user"],
        update_fields=["hours", "peak", "weight", "updated_at"],
    )
    return len(rows)


def _upsert_fans_postgres(
    user_ids: np.ndarray, hours: np.ndarray, peak: np.ndarray, weight: np.ndarray, stamp: datetime
) -> None:
    """The same upsert as ``bulk_create(update_conflicts=True)``, as one statement over arrays:
    Django's per-object SQL building costs more than the rest of the job together."""
    table = FanSendProfile._meta.db_table
    sql = (
        f"INSERT INTO {table} (user_id, hours, peak, weight, updated_at) "
        "SELECT u, h, p, w, %s FROM unnest(%s::bigint[], %s::bytea[], %s::float8[], "
        "%s::float8[]) AS t(u, h, p, w) "
        "ON CONFLICT (user_id) DO UPDATE SET hours = EXCLUDED.hours, peak = EXCLUDED.peak, "
        "weight = EXCLUDED.weight, updated_at = EXCLUDED.updated_at"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(user_ids), WRITE_BATCH):
            part = slice(start, start + WRITE_BATCH)
            cursor.execute(
                sql,
                [
                    stamp,
                    user_ids[part].tolist(),
                    [row.tobytes() for row in hours[part]],
                    peak[part].tolist(),
                    weight[part].tolist(),
                ],
            )


def _write_shops(shop_vectors: dict[int, np.ndarray], stamp: datetime) -> None:
    platform = np.zeros(HOURS)
    rows = []
    for shop_id, vector in sorted(shop_vectors.items()):
        platform += vector
        total = float(vector.sum())
        if total > 0 and shop_id != 0:
            rows.append(_shop_row(shop_id, vector, total, stamp))
    if platform.sum() > 0:
        rows.append(_shop_row(0, platform, float(platform.sum()), stamp))
    ShopSendProfile.objects.bulk_create(
        rows,
        batch_size=WRITE_BATCH,
        update_conflicts=True,
        unique_fields=["shop_id"],
        update_fields=["shares", "weight", "updated_at"],
    )


def _shop_row(shop_id: int, vector: np.ndarray, total: float, stamp: datetime) -> ShopSendProfile:
    shares = [float(f"{x:.6g}") for x in (vector / total).tolist()]  # short JSON
    return ShopSendProfile(shop_id=shop_id, shares=shares, weight=total, updated_at=stamp)


def arm_stats_recompute(*, now: datetime | None = None) -> int:
    """Rebuild the bandit's arms from recent campaign recipients (delivered; opened or clicked
    within a day). Counts the last ``ARM_DAYS`` days, undecayed; returns the sends counted."""
    now = now or timezone.now()
    stamp = timezone.now()
    within = timedelta(hours=RESPONSE_HOURS)
    responded = Q(opened_at__isnull=False, opened_at__lte=F("delivered_at") + within) | Q(
        clicked_at__isnull=False, clicked_at__lte=F("delivered_at") + within
    )
    counted = (
        CampaignRecipient.objects.filter(
            delivered_at__isnull=False,
            delivered_at__gt=now - timedelta(days=ARM_DAYS),
            delivered_at__lte=now,
            local_hour__lt=HOURS,
        )
        .values("local_hour")
        .annotate(sends=Count("id"), responses=Count("id", filter=responded))
        .values_list("local_hour", "sends", "responses")
        .order_by()
    )
    sends = np.zeros(HOURS)
    responses = np.zeros(HOURS)
    for hour, sent, answered in counted:
        sends[hour] = sent
        responses[hour] = answered
    with transaction.atomic():
        SendHourStats.objects.bulk_create(
            [
                SendHourStats(
                    local_hour=hour,
                    sends=float(sends[hour]),
                    responses=float(responses[hour]),
                    updated_at=stamp,
                )
                for hour in range(HOURS)
            ],
            update_conflicts=True,
            unique_fields=["local_hour"],
            update_fields=["sends", "responses", "updated_at"],
        )
    return int(sends.sum())
