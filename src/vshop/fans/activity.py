"""Fan activity: record what a fan does in a shop cheaply, then batch it into raw events and
hourly and daily rollups (``ActivityEvent``, ``ActivityHour``, ``ActivityDay``), prune old rows,
and read back the hours of the week she is active.

Writing. ``record`` costs one cheap operation: with Redis (``REDIS_URL``) one RPUSH onto a list
(pipelined for ``record_many``); without Redis one INSERT of the raw row, and the raw table is
then the buffer. Both happen after the surrounding transaction commits, so a rolled back request
records nothing and a page never waits on a lock held by the flush. A Redis that cannot be
reached falls back to the INSERT. Anonymous visitors are never recorded (``record_by``).

Privacy: a fan whose ``PrivacySettings.share_activity`` is off is dropped by the roll-up (part
of its statement on PostgreSQL, one query per chunk on SQLite), not by ``record``: a page then
pays no extra query, and her events never reach the rollups or ``ShopFan``. Her raw events are
deleted, not kept. The read functions show nothing for her either.

Flushing (``activity_flush``, every minute) has two steps, each a short transaction:

1. Drain: a Lua script moves up to a chunk of the Redis list into one "processing" key stamped
   with a random batch token (atomically; a batch already there after a crash is handed out
   again). The list holds lines in COPY's text format, so on PostgreSQL the batch streams into
   the raw table as it is. One transaction inserts its events into the raw table and
   stores the token in the "batch" marker row; the processing key is deleted after commit, and
   only if it still holds that token. A crash between the commit and the delete is therefore
   harmless: the next flush sees the same token in the marker row and only deletes the key.
2. Roll up: one transaction reads the watermark (the highest raw id already rolled up), the raw
   rows above it up to a safe upper id, adds their counts onto ``ActivityHour`` /
   ``ActivityDay`` with ``INSERT .. ON CONFLICT DO UPDATE SET n = n + EXCLUDED.n``, updates
   the fans' ``ShopFan`` visit and share figures, and moves the watermark, all or nothing. An
   event is counted exactly once however often the flush crashes or runs. On PostgreSQL all of
   it is one statement (``_PG_ROLL_UP``) and no row travels to Python; SQLite sums in Python.

Where the two markers live without a model of their own: each is one row of ``ActivityEvent``
with ``shop_id = 0`` (no shop has id 0) and ``kind`` 0 (watermark) or 8 (batch token), the
figure in ``value``. Every read of the raw table is by a real shop, the rollup skips
``shop_id = 0`` and the prune never deletes those rows. A cache entry would not do: losing it
would roll everything up a second time.

The safe upper id: on PostgreSQL ids are handed out before their transactions commit, so a row
with a lower id may become visible after a higher one was rolled up, and a plain "max(id)"
watermark would skip it. The flush therefore reads ``max(id)`` while holding a SHARE lock on the
raw table for a moment (its own short transaction, with a short lock timeout): that waits for
every inserting transaction in flight, so every id at or below it is committed or never will
be. On SQLite writers are serialised (``transaction_mode`` IMMEDIATE), so ``max(id)`` inside
the roll-up transaction is already safe. Two flushes at once: a PostgreSQL advisory lock lets
one run and the other return 0; on SQLite the write lock serialises them and the watermark,
read inside the transaction, stops the second one from counting anything again.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import F, Q, Sum
from django.urls import Resolver404, resolve
from django.utils import timezone

from vshop.fans.models import (
    ActivityDay,
    ActivityEvent,
    ActivityHour,
    ActivityKind,
    PrivacySettings,
)

log = logging.getLogger(__name__)

DEFAULT_TIME_ZONE = "Asia/Shanghai"
# Raw events moved and rolled up per transaction.
CHUNK = 50_000
# Rows per INSERT .. ON CONFLICT statement (SQLite allows 32,766 parameters).
UPSERT_ROWS = 500
# Marker rows in the raw table (see the module docstring).
MARKER_SHOP = 0
MARKER_WATERMARK = 0
MARKER_BATCH = 8
# A PostgreSQL advisory lock key for the flush ("fans.activity" in ASCII, shortened).
_ADVISORY_KEY = 0x66616E7361637476
# How long the flush waits to see all in-flight inserts finish before it gives up this round.
_LOCK_TIMEOUT = "100ms"

# Column order of the counts in ActivityHour and ActivityDay, by ActivityKind value - 1.
COUNT_FIELDS = ("visits", "views", "carts", "orders", "shares", "opens", "clicks")
_KINDS = frozenset(int(k) for k in ActivityKind)


@dataclass(frozen=True, slots=True)
class ActivityInput:
    """One thing a fan did in a shop (the arguments of ``record``)."""

    shop_id: int
    user_id: int
    kind: ActivityKind | int
    at: datetime | None = None
    time_zone: str = DEFAULT_TIME_ZONE
    ref: int | None = None
    value: int = 0


# --- recording --------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)


def local_hour_of(at: datetime, time_zone: str) -> int:
    """The hour of the week at ``at`` in ``time_zone``: Monday 00:00–01:00 is 0, Sunday 23:00 167."""
    local = at.astimezone(_zone(time_zone))
    return local.weekday() * 24 + local.hour


def _row(event: ActivityInput) -> tuple[int, int, int, datetime, int, int | None, int]:
    """(shop_id, user_id, kind, at, local_hour, ref, value) of one event, checked."""
    kind = int(event.kind)
    if kind not in _KINDS:
        raise ValueError(f"unknown activity kind {event.kind!r}")
    at = event.at or timezone.now()
    if timezone.is_naive(at):
        at = at.replace(tzinfo=UTC)
    at = at.astimezone(UTC)
    return (
        int(event.shop_id),
        int(event.user_id),
        kind,
        at,
        local_hour_of(at, event.time_zone),
        event.ref,
        int(event.value),
    )


def _encode(row: tuple[int, int, int, datetime, int, int | None, int]) -> str:
    """One event as a line of PostgreSQL's COPY text format (the drain streams the lines to the
    database as they are; SQLite's path decodes them)."""
    shop_id, user_id, kind, at, local_hour, ref, value = row
    ref_text = "\\N" if ref is None else str(int(ref))
    return f"{shop_id}\t{user_id}\t{kind}\t{at.isoformat()}\t{local_hour}\t{ref_text}\t{value}"


def _decode(line: str) -> tuple[int, int, int, datetime, int, int | None, int]:
    shop_id, user_id, kind, at, local_hour, ref, value = line.split("\t")
    return (
        int(shop_id),
        int(user_id),
        int(kind),
        datetime.fromisoformat(at),
        int(local_hour),
        None if ref == "\\N" else int(ref),
        int(value),
    )


_clients: dict[str, Any] = {}


def _redis() -> Any | None:
    """The Redis client for ``REDIS_URL`` (one connection pool per process), or None."""
    url = settings.REDIS_URL
    if not url:
        return None
    client = _clients.get(url)
    if client is None:
        import redis

        # Short timeouts: a Redis that hangs must not hold a page; the write then falls back.
        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=0.5)
        _clients[url] = client
    return client


def _key(name: str) -> str:
    # The cache's prefix keeps installs (and tests) sharing a Redis apart; the braces keep all
    # keys in one Redis Cluster slot, as the Lua scripts need.
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "") or "vshop"
    return f"{prefix}:{{fans-activity}}:{name}"


def _insert_raw(rows: Sequence[tuple[int, int, int, datetime, int, int | None, int]]) -> None:
    if len(rows) > 1 and connection.vendor == "postgresql":
        _copy_raw(rows)
        return
    ActivityEvent.objects.bulk_create(
        [
            ActivityEvent(shop_id=s, user_id=u, kind=k, at=at, local_hour=lh, ref=ref, value=value)
            for s, u, k, at, lh, ref, value in rows
        ],
        batch_size=2000,
    )


def _write(rows: list[tuple[int, int, int, datetime, int, int | None, int]]) -> None:
    client = _redis()
    if client is not None:
        try:
            if len(rows) == 1:
                client.rpush(_key("buffer"), _encode(rows[0]))
            else:
                pipe = client.pipeline(transaction=False)
                for start in range(0, len(rows), 5000):
                    pipe.rpush(_key("buffer"), *[_encode(r) for r in rows[start : start + 5000]])
                pipe.execute()
            return
        except Exception:  # a Redis that is down must not lose the events nor fail the page
            log.warning("activity: Redis unreachable, writing %d events to the database", len(rows))
    _insert_raw(rows)


def record_many(events: Iterable[ActivityInput]) -> None:
    """Record several events: one pipelined RPUSH with Redis, one bulk INSERT without, after
    the surrounding transaction commits (at once outside a transaction)."""
    rows = [_row(event) for event in events]
    if rows:
        transaction.on_commit(lambda: _write(rows), robust=True)


def record(
    *,
    shop_id: int,
    user_id: int,
    kind: ActivityKind | int,
    at: datetime | None = None,
    time_zone: str = DEFAULT_TIME_ZONE,
    ref: int | None = None,
    value: int = 0,
) -> None:
    """Record that a fan (an account holder) did something in a shop: ``at`` defaults to now,
    ``time_zone`` is hers (for her local hour of the week), ``ref`` the listing, order or
    message, ``value`` the money of an order in fen. One RPUSH or one INSERT, after commit."""
    row = _row(
        ActivityInput(
            shop_id=shop_id,
            user_id=user_id,
            kind=kind,
            at=at,
            time_zone=time_zone,
            ref=ref,
            value=value,
        )
    )
    transaction.on_commit(lambda: _write([row]), robust=True)


def record_by(
    *, user: Any, shop_id: int, kind: ActivityKind | int, ref: int | None = None, value: int = 0
) -> None:
    """``record`` for the acting account of a page or service; nothing for an anonymous visitor
    (only account holders are fans). Her time zone is read from the account already loaded."""
    if user is None or not getattr(user, "is_authenticated", False) or user.pk is None:
        return
    record(
        shop_id=shop_id,
        user_id=user.pk,
        kind=kind,
        time_zone=getattr(user, "time_zone", "") or DEFAULT_TIME_ZONE,
        ref=ref,
        value=value,
    )


def record_paid_orders(*, orders: Sequence[Any], paid_at: object = None) -> None:
    """An ORDER event per paid order, worth its total, in the buyer's time zone: from the
    buyer loaded with the order, else one query for the buyers' zones."""
    from vshop.accounts.models import User

    orders = [o for o in orders if o.buyer_id is not None]
    if not orders:
        return
    zones = {o.buyer_id: o.buyer.time_zone for o in orders if o._state.fields_cache.get("buyer")}
    if missing := {o.buyer_id for o in orders} - zones.keys():
        zones.update(User.objects.filter(pk__in=missing).values_list("pk", "time_zone"))
    at = paid_at if isinstance(paid_at, datetime) else None
    record_many(
        ActivityInput(
            shop_id=o.shop_id,
            user_id=o.buyer_id,
            kind=ActivityKind.ORDER,
            at=at,
            time_zone=zones.get(o.buyer_id) or DEFAULT_TIME_ZONE,
            ref=o.pk,
            value=o.total,
        )
        for o in orders
    )


def record_message(
    *, user: Any, link: str, message_id: int, kind: ActivityKind, shop_id: int | None = None
) -> None:
    """OPEN or CLICK of an inbox message of a shop: a campaign's message names its shop
    (``shop_id``); otherwise the shop is the one its link is a page of (``/s/<slug>/...``). A
    message that belongs to no shop is not a fan's activity in one. At most one indexed query."""
    from vshop.shops.models import Shop

    if shop_id is not None:
        record_by(user=user, shop_id=shop_id, kind=kind, ref=message_id)
        return
    if not link.startswith("/s/"):
        return
    try:
        slug = resolve(link.split("?", 1)[0]).kwargs.get("slug")
    except Resolver404:
        return
    shop_id = Shop.objects.filter(slug=slug).values_list("pk", flat=True).first() if slug else None
    if shop_id is not None:
        record_by(user=user, shop_id=shop_id, kind=kind, ref=message_id)


# --- flushing ---------------------------------------------------------------------------------

Row = tuple[int, int, int, int, datetime, int, int]  # id, shop, user, kind, at, local_hour, value

_TAKE = """
local cur = redis.call('GET', KEYS[2])
if cur then return cur end
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items == 0 then return false end
redis.call('LTRIM', KEYS[1], #items, -1)
cur = ARGV[2] .. '\\n' .. table.concat(items, '\\n')
redis.call('SET', KEYS[2], cur)
return cur
"""
_RELEASE = """
local cur = redis.call('GET', KEYS[1])
if cur and string.sub(cur, 1, #ARGV[1] + 1) == ARGV[1] .. '\\n' then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def _is_pg() -> bool:
    return connection.vendor == "postgresql"


def _try_flush_lock() -> bool:
    """Inside a transaction: whether this flush may run (PostgreSQL advisory lock, released at
    commit). SQLite serialises writers by itself."""
    if not _is_pg():
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_ADVISORY_KEY])
        return bool(cursor.fetchone()[0])


def _marker(kind: int) -> ActivityEvent:
    """The marker row (see the module docstring), made on first use; call it holding the lock."""
    row = (
        ActivityEvent.objects.select_for_update()
        .filter(shop_id=MARKER_SHOP, user_id=0, kind=kind)
        .order_by("pk")
        .first()
    )
    if row is None:
        row = ActivityEvent.objects.create(
            shop_id=MARKER_SHOP,
            user_id=0,
            kind=kind,
            at=datetime(2000, 1, 1, tzinfo=UTC),
            local_hour=0,
            value=0,
        )
    return row


def _opted_out(user_ids: Iterable[int]) -> set[int]:
    ids = sorted(set(user_ids))
    out: set[int] = set()
    for start in range(0, len(ids), 5000):
        out.update(
            PrivacySettings.objects.filter(
                user_id__in=ids[start : start + 5000], share_activity=False
            ).values_list("user_id", flat=True)
        )
    return out


def _copy_raw(rows: Sequence[tuple[int, int, int, datetime, int, int | None, int]]) -> None:
    """Insert raw rows with one COPY (PostgreSQL only)."""
    table = connection.ops.quote_name(ActivityEvent._meta.db_table)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            f"COPY {table} (shop_id, user_id, kind, at, local_hour, ref, value) FROM STDIN"
        ) as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _copy_lines(body: str) -> None:
    """Stream lines already in COPY's text format into the raw table (PostgreSQL only)."""
    table = connection.ops.quote_name(ActivityEvent._meta.db_table)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            f"COPY {table} (shop_id, user_id, kind, at, local_hour, ref, value) FROM STDIN"
        ) as copy,
    ):
        copy.write(body + "\n")


def _drain_one(client: Any, limit: int) -> int:
    """Move one batch from the Redis list into the raw table; returns how many were taken."""
    token = str(secrets.randbits(62) or 1)
    taken = client.eval(_TAKE, 2, _key("buffer"), _key("processing"), limit, token)
    if not taken:
        return 0
    text = taken.decode() if isinstance(taken, bytes) else taken
    head, _sep, body = text.partition("\n")
    with transaction.atomic():
        if not _try_flush_lock():
            return 0
        marker = _marker(MARKER_BATCH)
        if marker.value != int(head):  # else: committed before, only the delete was lost
            # Events of fans who hide their activity go in too: the roll-up deletes them.
            if _is_pg():
                _copy_lines(body)
            else:
                _insert_raw([_decode(line) for line in body.split("\n")])
            ActivityEvent.objects.filter(pk=marker.pk).update(value=int(head))
    client.eval(_RELEASE, 1, _key("processing"), head)
    return body.count("\n") + 1


def _safe_max_id() -> int | None:
    """The highest raw id below which no insert can still appear (see the module docstring);
    None when in-flight inserts did not finish within the lock timeout."""
    if not _is_pg():
        return None  # read inside the roll-up transaction instead
    table = connection.ops.quote_name(ActivityEvent._meta.db_table)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{_LOCK_TIMEOUT}'")
            cursor.execute(f"LOCK TABLE {table} IN SHARE MODE")
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
            return int(cursor.fetchone()[0])
    except OperationalError:
        log.info("activity: inserts still in flight, rolling up next time")
        return -1


def _local_date(at: datetime, local_hour: int) -> date:
    """Her local date, from the UTC time and her local hour of the week (offsets are < 1 day)."""
    shift = (local_hour // 24 - at.weekday()) % 7
    return at.date() + timedelta(days={0: 0, 1: 1, 6: -1}.get(shift, 0))


def _upsert(
    table: str,
    key: Sequence[str],
    columns: Sequence[tuple[str, str]],
    add: Sequence[str],
    rows: list[list[Any]],
) -> None:
    """INSERT rows; on a key conflict add the ``add`` columns onto the existing row.

    ``columns`` are (name, PostgreSQL type). On PostgreSQL one statement per chunk takes each
    column as one array (``unnest``): a few parameters instead of thousands, which the driver
    would otherwise have to splice into the SQL text one by one.
    """
    q = connection.ops.quote_name
    cols = ", ".join(q(name) for name, _type in columns)
    updates = ", ".join(f"{q(c)} = {q(table)}.{q(c)} + EXCLUDED.{q(c)}" for c in add)
    conflict = f"ON CONFLICT ({', '.join(q(c) for c in key)}) DO UPDATE SET {updates}"
    pg = _is_pg()
    size = CHUNK if pg else UPSERT_ROWS
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            if pg:
                arrays = ", ".join(f"%s::{type_}[]" for _name, type_ in columns)
                sql = f"INSERT INTO {q(table)} ({cols}) SELECT * FROM unnest({arrays}) {conflict}"
                cursor.execute(sql, [list(column) for column in zip(*chunk, strict=True)])
            else:
                one = "(" + ", ".join(["%s"] * len(columns)) + ")"
                values = ", ".join([one] * len(chunk))
                cursor.execute(
                    f"INSERT INTO {q(table)} ({cols}) VALUES {values} {conflict}",
                    [v for row in chunk for v in row],
                )


def _update_fans(fans: dict[tuple[int, int], list[Any]]) -> None:
    """Add visits and shares onto the fans' existing ShopFan rows and move their last visit on;
    users who are not fans of the shop have no row and are left alone."""
    from vshop.fans.models import ShopFan

    if not fans:
        return
    q = connection.ops.quote_name
    t = q(ShopFan._meta.db_table)
    update = (
        f"UPDATE {t} SET visit_count = {t}.visit_count + v.visits, "
        f"share_count = {t}.share_count + v.shares, "
        f"last_visit_at = CASE WHEN v.last_visit IS NOT NULL AND "
        f"({t}.last_visit_at IS NULL OR v.last_visit > {t}.last_visit_at) "
        f"THEN v.last_visit ELSE {t}.last_visit_at END "
        f"FROM v WHERE {t}.shop_id = v.shop_id AND {t}.user_id = v.user_id"
    )
    adapt = connection.ops.adapt_datetimefield_value
    rows = [
        [shop_id, user_id, visits, shares, adapt(last) if last else None]
        for (shop_id, user_id), (visits, shares, last) in sorted(fans.items())
    ]
    pg = _is_pg()
    size = CHUNK if pg else UPSERT_ROWS
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            if pg:
                cursor.execute(
                    "WITH v (shop_id, user_id, visits, shares, last_visit) AS (SELECT * FROM "
                    "unnest(%s::integer[], %s::integer[], %s::integer[], %s::integer[], "
                    f"%s::timestamptz[])) {update}",
                    [list(column) for column in zip(*chunk, strict=True)],
                )
            else:
                values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
                cursor.execute(
                    f"WITH v (shop_id, user_id, visits, shares, last_visit) AS (VALUES {values}) "
                    f"{update}",
                    [v for row in chunk for v in row],
                )


_IDS = (("shop_id", "integer"), ("user_id", "integer"))
_COUNTS = tuple((name, "integer") for name in COUNT_FIELDS)


def _roll_up(rows: Sequence[Row]) -> None:
    """Add these raw events onto the hourly and daily rollups and the fans' figures."""
    adapt_dt = connection.ops.adapt_datetimefield_value
    adapt_d = connection.ops.adapt_datefield_value
    hours: dict[tuple[int, int, datetime], list[int]] = {}
    days: dict[tuple[int, int, date], list[int]] = {}
    fans: dict[tuple[int, int], list[Any]] = {}
    for _id, shop_id, user_id, kind, at, local_hour, value in rows:
        col = kind - 1
        hour_key = (shop_id, user_id, at.replace(minute=0, second=0, microsecond=0))
        hour = hours.get(hour_key)
        if hour is None:
            hour = hours[hour_key] = [local_hour, 0, 0, 0, 0, 0, 0, 0]
        elif local_hour < hour[0]:  # a half-hour time zone: the hour spans two of hers
            hour[0] = local_hour
        hour[1 + col] += 1
        day_key = (shop_id, user_id, _local_date(at, local_hour))
        day = days.get(day_key)
        if day is None:
            day = days[day_key] = [0, 0, 0, 0, 0, 0, 0, 0]
        day[col] += 1
        if kind == ActivityKind.ORDER:
            day[7] += value
        if kind == ActivityKind.VISIT or kind == ActivityKind.SHARE:
            fan = fans.setdefault((shop_id, user_id), [0, 0, None])
            if kind == ActivityKind.VISIT:
                fan[0] += 1
                fan[2] = at if fan[2] is None or at > fan[2] else fan[2]
            else:
                fan[1] += 1
    _upsert(
        ActivityHour._meta.db_table,
        ("shop_id", "user_id", "hour"),
        (*_IDS, ("hour", "timestamptz"), ("local_hour", "integer"), *_COUNTS),
        COUNT_FIELDS,
        [[s, u, adapt_dt(h), *counts] for (s, u, h), counts in sorted(hours.items())],
    )
    _upsert(
        ActivityDay._meta.db_table,
        ("shop_id", "user_id", "day"),
        (*_IDS, ("day", "date"), *_COUNTS, ("sales", "bigint")),
        (*COUNT_FIELDS, "sales"),
        [[s, u, adapt_d(d), *counts] for (s, u, d), counts in sorted(days.items())],
    )
    _update_fans(fans)


_PG_ROLL_UP = """
WITH hidden AS (
    DELETE FROM {raw} WHERE id > %(low)s AND id <= %(high)s
    AND user_id IN (SELECT user_id FROM {privacy} WHERE NOT share_activity)
    RETURNING id
),
events AS (
    SELECT shop_id, user_id, kind, at AT TIME ZONE 'UTC' AS utc, local_hour, value
    FROM {raw} WHERE id > %(low)s AND id <= %(high)s AND shop_id <> 0
    AND id NOT IN (SELECT id FROM hidden)
),
hours AS (
    INSERT INTO {hour} (shop_id, user_id, hour, local_hour, {counts})
    SELECT shop_id, user_id, date_trunc('hour', utc) AT TIME ZONE 'UTC', min(local_hour),
        {sums}
    FROM events GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (shop_id, user_id, hour) DO UPDATE SET {hour_adds}
),
days AS (
    INSERT INTO {day} (shop_id, user_id, day, {counts}, sales)
    SELECT shop_id, user_id, utc::date + CASE (local_hour / 24 - EXTRACT(ISODOW FROM utc)::int
        + 8) %% 7 WHEN 1 THEN 1 WHEN 6 THEN -1 ELSE 0 END,
        {sums}, COALESCE(sum(value) FILTER (WHERE kind = 4), 0)
    FROM events GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (shop_id, user_id, day) DO UPDATE SET {day_adds}, sales = {day}.sales
        + EXCLUDED.sales
),
fans AS (
    UPDATE {fan} SET visit_count = {fan}.visit_count + v.visits,
        share_count = {fan}.share_count + v.shares,
        last_visit_at = GREATEST({fan}.last_visit_at, v.last_visit)
    FROM (
        SELECT shop_id, user_id, count(*) FILTER (WHERE kind = 1) AS visits,
            count(*) FILTER (WHERE kind = 5) AS shares,
            max(utc) FILTER (WHERE kind = 1) AT TIME ZONE 'UTC' AS last_visit
        FROM events WHERE kind IN (1, 5) GROUP BY 1, 2 ORDER BY 1, 2
    ) v
    WHERE {fan}.shop_id = v.shop_id AND {fan}.user_id = v.user_id
)
SELECT count(*) FROM events
"""


def _roll_up_in_database(*, low: int, upper: int, limit: int) -> tuple[int, int]:
    """PostgreSQL: roll up the raw ids in (low, high] with one statement, where ``high`` is at
    most ``upper`` and at most ``limit`` rows above ``low``; no row travels to Python. The same
    sums as ``_roll_up``. Returns (events rolled up, high)."""
    from vshop.fans.models import ShopFan

    q = connection.ops.quote_name
    raw = q(ActivityEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {raw} WHERE id > %s AND id <= %s ORDER BY id OFFSET %s LIMIT 1",
            [low, upper, limit - 1],
        )
        found = cursor.fetchone()
        high = int(found[0]) if found else upper
        if high <= low:
            return 0, low
        hour, day = q(ActivityHour._meta.db_table), q(ActivityDay._meta.db_table)
        sql = _PG_ROLL_UP.format(
            raw=raw,
            privacy=q(PrivacySettings._meta.db_table),
            hour=hour,
            day=day,
            fan=q(ShopFan._meta.db_table),
            counts=", ".join(COUNT_FIELDS),
            sums=", ".join(
                f"count(*) FILTER (WHERE kind = {i})" for i in range(1, len(COUNT_FIELDS) + 1)
            ),
            hour_adds=", ".join(f"{c} = {hour}.{c} + EXCLUDED.{c}" for c in COUNT_FIELDS),
            day_adds=", ".join(f"{c} = {day}.{c} + EXCLUDED.{c}" for c in COUNT_FIELDS),
        )
        cursor.execute(sql, {"low": low, "high": high})
        return int(cursor.fetchone()[0]), high


def _roll_up_chunk(*, upper: int | None, limit: int) -> tuple[int, bool]:
    """Roll up raw events above the watermark, at most ``limit`` and none above ``upper``.
    Returns (events rolled up, whether more are waiting)."""
    with transaction.atomic():
        if not _try_flush_lock():
            return 0, False
        marker = _marker(MARKER_WATERMARK)
        watermark = marker.value
        if upper is not None and _is_pg():
            done, high = _roll_up_in_database(low=watermark, upper=upper, limit=limit)
            if high > watermark:
                ActivityEvent.objects.filter(pk=marker.pk).update(value=high)
            return done, high < upper
        pending = ActivityEvent.objects.filter(pk__gt=watermark).exclude(shop_id=MARKER_SHOP)
        if upper is not None:
            pending = pending.filter(pk__lte=upper)
        rows: list[Row] = list(
            pending.order_by("pk").values_list(
                "pk", "shop_id", "user_id", "kind", "at", "local_hour", "value"
            )[:limit]
        )
        if not rows:
            return 0, False
        read, last_id = len(rows), rows[-1][0]
        hidden = _opted_out(r[2] for r in rows)
        if hidden:
            ActivityEvent.objects.filter(
                pk__gt=watermark, pk__lte=last_id, user_id__in=hidden
            ).delete()
            rows = [r for r in rows if r[2] not in hidden]
        _roll_up(rows)
        ActivityEvent.objects.filter(pk=marker.pk).update(value=last_id)
    return len(rows), read >= limit


def activity_flush(*, limit: int = 50_000) -> int:
    """Move buffered events into the raw table and roll them up into hours and days (exactly
    once, see the module docstring). Returns how many events were rolled up (at most about
    ``limit``; the rest waits for the next run)."""
    client = _redis()
    done = 0
    while done < limit:
        chunk = min(CHUNK, limit - done)
        drained = 0
        if client is not None:
            try:
                drained = _drain_one(client, chunk)
            except Exception:  # Redis down: roll up what the database has, drain next time
                log.exception("activity: could not drain the Redis buffer")
        upper = _safe_max_id()
        if upper == -1:
            break
        rolled = 0
        more = True
        while more and done + rolled < limit:
            n, more = _roll_up_chunk(upper=upper, limit=min(CHUNK, limit - done - rolled))
            rolled += n
        done += rolled
        if not drained and not rolled:
            break
    return done


# --- pruning ----------------------------------------------------------------------------------


def activity_prune(*, now: datetime | None = None) -> int:
    """Delete raw events older than ``VSHOP_ACTIVITY_RAW_DAYS`` (only those already rolled
    up) and hourly rollups older than ``VSHOP_ACTIVITY_HOURLY_DAYS``; daily rollups stay.
    Deletes in chunks so that no transaction runs long. Returns how many rows went."""
    now = now or timezone.now()
    raw_before = now - timedelta(days=settings.VSHOP_ACTIVITY_RAW_DAYS)
    hours_before = now - timedelta(days=settings.VSHOP_ACTIVITY_HOURLY_DAYS)
    watermark = (
        ActivityEvent.objects.filter(shop_id=MARKER_SHOP, user_id=0, kind=MARKER_WATERMARK)
        .values_list("value", flat=True)
        .first()
    ) or 0
    deleted = 0
    old_raw = ActivityEvent.objects.filter(at__lt=raw_before, pk__lte=watermark).exclude(
        shop_id=MARKER_SHOP
    )
    deleted += _delete_in_chunks(old_raw.values_list("pk", flat=True), ActivityEvent)
    old_hours = ActivityHour.objects.filter(hour__lt=hours_before)
    deleted += _delete_in_chunks(old_hours.values_list("pk", flat=True), ActivityHour)
    return deleted


def _delete_in_chunks(ids_query: Any, model: Any, chunk: int = 20_000) -> int:
    deleted = 0
    while True:
        ids = list(ids_query.order_by("pk")[:chunk])
        if not ids:
            return deleted
        with transaction.atomic():
            deleted += model.objects.filter(pk__in=ids).delete()[0]


# --- reading ----------------------------------------------------------------------------------


def _shares_activity(user_id: int) -> bool:
    return not PrivacySettings.objects.filter(user_id=user_id, share_activity=False).exists()


def fan_hours_of_week(*, shop_id: int, user_id: int, days: int = 90) -> list[list[int]]:
    """How active she was in this shop per hour of the week in her own time, over the last
    ``days`` days: 7 rows (Monday first) of 24 counts of everything she did. All zeros when
    she hides her activity."""
    grid = [[0] * 24 for _ in range(7)]
    if not _shares_activity(user_id):
        return grid
    since = timezone.now() - timedelta(days=days)
    total = sum((F(name) for name in COUNT_FIELDS[1:]), F(COUNT_FIELDS[0]))
    rows = (
        ActivityHour.objects.filter(shop_id=shop_id, user_id=user_id, hour__gte=since)
        .values("local_hour")
        .annotate(n=Sum(total))
        .values_list("local_hour", "n")
    )
    for local_hour, n in rows:
        if 0 <= local_hour < 168:
            grid[local_hour // 24][local_hour % 24] += int(n or 0)
    return grid


def fan_activity_summary(*, shop_id: int, user_id: int, days: int = 90) -> dict[str, int]:
    """Her visits, views, carts, orders, shares, opens and clicks in this shop over the last
    ``days`` days (her local dates), plus ``sales`` (fen). Zeros when she hides her activity."""
    summary = dict.fromkeys((*COUNT_FIELDS, "sales"), 0)
    if not _shares_activity(user_id):
        return summary
    since = timezone.now().date() - timedelta(days=days)
    sums = ActivityDay.objects.filter(
        Q(shop_id=shop_id) & Q(user_id=user_id) & Q(day__gt=since)
    ).aggregate(**{name: Sum(name) for name in summary})
    return {name: int(sums[name] or 0) for name in summary}
