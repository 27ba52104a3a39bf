"""Frequency caps: marketing messages per fan per her local day, per shop and across shops.

The ledger is ``DailyMessageCount``: one row per (user, her local day, shop) and one with
``shop_id`` 0 for all shops together. Delivery counts in it with the rows locked, always in
(user_id, day, shop_id) order, so two shops delivering to the same fans at once wait for each
other instead of deadlocking, and nobody gets more than the caps allow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import connection
from django.db.models import F

from vshop.campaigns.models import DailyMessageCount, MessagingPolicy, ShopMessagingSettings

ALL_SHOPS = 0  # the ledger's shop_id of the count across shops
_CHUNK = 2000  # ids per IN list (SQLite's variable limit, PostgreSQL's plan size)


@dataclass(frozen=True)
class Caps:
    per_shop: int  # the owner's cap when she set one, never above the platform's
    per_fan: int  # the platform's cap across all shops


def caps_for_shop(*, shop_id: int) -> Caps:
    policy = MessagingPolicy.objects.filter(pk=1).first()
    per_shop = policy.per_shop_per_day if policy else int(settings.VSHOP_CAP_PER_SHOP_DAY)
    per_fan = policy.per_fan_per_day if policy else int(settings.VSHOP_CAP_PER_FAN_DAY)
    own = (
        ShopMessagingSettings.objects.filter(shop_id=shop_id)
        .values_list("per_fan_per_day", flat=True)
        .first()
    )
    if own is not None:
        per_shop = min(per_shop, own)  # the owner may only be stricter than the platform
    return Caps(per_shop=per_shop, per_fan=per_fan)


def _counts(
    *, shop_id: int, wants: set[tuple[int, date]], lock: bool
) -> dict[tuple[int, date, int], tuple[int, int]]:
    """(user, day, shop) → (row id, count) of the ledger rows of these wants."""
    users = sorted({user_id for user_id, _day in wants})
    days = sorted({day for _user, day in wants})
    found: dict[tuple[int, date, int], tuple[int, int]] = {}
    if connection.vendor == "postgresql":
        # Arrays, not IN lists of thousands of ids: a tenth of the cost.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, user_id, day, shop_id, count FROM {DailyMessageCount._meta.db_table}"
                " WHERE user_id = ANY(%s) AND day = ANY(%s) AND shop_id = ANY(%s)"
                + (" ORDER BY user_id, day, shop_id FOR UPDATE" if lock else ""),
                [users, days, [ALL_SHOPS, shop_id]],
            )
            for pk, user_id, day, shop, count in cursor.fetchall():
                found[(user_id, day, shop)] = (pk, count)
        return found
    for start in range(0, len(users), _CHUNK):
        rows = DailyMessageCount.objects.filter(
            user_id__in=users[start : start + _CHUNK],
            day__in=days,
            shop_id__in=[ALL_SHOPS, shop_id],
        )
        if lock:
            # One order for every locker: two deliveries sharing fans never deadlock.
            rows = rows.select_for_update().order_by("user_id", "day", "shop_id")
        for pk, user_id, day, shop, count in rows.values_list(
            "pk", "user_id", "day", "shop_id", "count"
        ):
            found[(user_id, day, shop)] = (pk, count)
    return found


def _at_cap(
    counts: dict[tuple[int, date, int], tuple[int, int]],
    user_id: int,
    day: date,
    shop_id: int,
    caps: Caps,
) -> bool:
    own = counts.get((user_id, day, shop_id), (0, 0))[1]
    everywhere = counts.get((user_id, day, ALL_SHOPS), (0, 0))[1]
    return own >= caps.per_shop or everywhere >= caps.per_fan


def capped_users(*, shop_id: int, caps: Caps, wants: Sequence[tuple[int, date]]) -> set[int]:
    """Of (user id, her local day), the users already at a cap that day (read only)."""
    wanted = set(wants)
    if not wanted:
        return set()
    if caps.per_shop <= 0 or caps.per_fan <= 0:
        return {user_id for user_id, _day in wanted}
    counts = _counts(shop_id=shop_id, wants=wanted, lock=False)
    return {user_id for user_id, day in wanted if _at_cap(counts, user_id, day, shop_id, caps)}


def caps_take(*, shop_id: int, caps: Caps, wants: Sequence[tuple[int, date]]) -> set[int]:
    """Count one message for each (user id, her local day) still under both caps, in the
    caller's transaction, with the count rows locked; returns the users counted."""
    wanted = sorted(set(wants))
    if not wanted or caps.per_shop <= 0 or caps.per_fan <= 0:
        return set()
    # The rows must exist to be locked; inserted in lock order too, since a conflicting
    # insert waits for the other transaction just as a lock does.
    _rows_ensure([(user_id, day, shop) for user_id, day in wanted for shop in (ALL_SHOPS, shop_id)])
    counts = _counts(shop_id=shop_id, wants=set(wanted), lock=True)
    taken: set[int] = set()
    bump: list[int] = []
    for user_id, day in wanted:
        if _at_cap(counts, user_id, day, shop_id, caps):
            continue
        own_pk, own = counts[(user_id, day, shop_id)]
        all_pk, everywhere = counts[(user_id, day, ALL_SHOPS)]
        counts[(user_id, day, shop_id)] = (own_pk, own + 1)
        counts[(user_id, day, ALL_SHOPS)] = (all_pk, everywhere + 1)
        bump += [own_pk, all_pk]
        taken.add(user_id)
    if connection.vendor == "postgresql" and bump:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {DailyMessageCount._meta.db_table} SET count = count + 1"
                " WHERE id = ANY(%s)",
                [bump],
            )
        return taken
    for start in range(0, len(bump), _CHUNK):
        DailyMessageCount.objects.filter(pk__in=bump[start : start + _CHUNK]).update(
            count=F("count") + 1
        )
    return taken


def _rows_ensure(keys: list[tuple[int, date, int]]) -> None:
    """Make the ledger rows (user, day, shop) exist with count 0, in (user, day, shop) order."""
    keys.sort()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {DailyMessageCount._meta.db_table} (user_id, day, shop_id, count)"
                " SELECT u, d, s, 0 FROM unnest(%s::integer[], %s::date[], %s::integer[])"
                " AS k(u, d, s) ORDER BY u, d, s ON CONFLICT DO NOTHING",
                [[k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys]],
            )
        return
    DailyMessageCount.objects.bulk_create(
        [DailyMessageCount(user_id=u, day=d, shop_id=s, count=0) for u, d, s in keys],
        batch_size=2000,
        ignore_conflicts=True,
    )


def daily_counts_prune(*, before: date) -> int:
    """Drop the ledger's days before ``before`` (no cap looks back further); returns how many
    rows went."""
    deleted, _by_model = DailyMessageCount.objects.filter(day__lt=before).delete()
    return deleted
