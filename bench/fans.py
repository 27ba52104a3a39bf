"""Fans benchmark: RFM scoring, segment counts, the fan list and activity ingest at scale.

Sets up, on the configured PostgreSQL database (DATABASE_URL; by default the local server's
database vshop_bench, over its Unix socket when there is one, created if missing), made once and
reused by later runs (each stage is checked by counting its rows and resumes where it stopped):

- 100 shop owners and their shops, through the real services (``account_import``,
  ``shop_open``), each with points and levels (``LoyaltyRules``), 3 member levels and 6 tags;
- 1,000,000 fans over those shops — one shop (the "big" one) has 300,000, the others ~7,070
  each — every one an account (``accounts_user``, unusable password) with her ``ShopFan`` row:
  ~40% bought (1–30 orders, skewed; spend skewed; last order in the last 2 years), most visited
  (skewed to recent), ~85% follow, cities from a list, source channels
  wechat/moments/weibo/qq/link/poster/direct, member levels by spend, RFM scores 0;
- ~1,500,000 manual tag links (``FanTag``);
- 20,000,000 raw activity events (``ActivityEvent``) of the last 30 days, a few fans far more
  active than most, and their hourly and daily rollups (``ActivityHour``, ``ActivityDay``).

Users, fans, tag links and events are bulk SQL (``INSERT … SELECT … generate_series``, chunked,
``synchronous_commit`` off for the set-up only, the raw table's two secondary indexes dropped
while loading and rebuilt after); rollups are ``INSERT … SELECT … GROUP BY`` from the raw table.
Then it measures the real code of ``vshop.fans``:

(a) ``scoring.rfm_recompute(shop_id=big)``: wall time from scores all 0 (``rfm_recompute_s``;
    an earlier run's scores are reset first, untimed, and the table vacuumed), and once more with
    the scores in place (``rfm_rerun_s``, the nightly case); then checks that every buyer has
    scores 1–5 and a group and nobody else has any (``rfm_violations``).
(b) ``segments.segment_count(shop=big, rule=…)`` for total spend ≥ ¥200 AND a visit in the last
    30 days AND tag "宝妈": median of 20 runs after a warm-up (``segment_count_ms``), and p99.
(c) ``crm.fan_list(shop=big, filters=FanFilters(), sort="-total_spend", limit=50)`` through 200
    pages following ``next_cursor``, plus walks with other sorts and filters (followed date,
    last visit with a city, order count with a tag, a name search): p50 of all pages
    (``fan_list_page_ms``) and p99; no fan may come twice in a walk, and each walk must be in
    its sort order (``fan_list_violations``).
(d) ``activity.record_many`` (batches of 1,000, as web workers send them) of 200,000 new events
    over existing fans, then ``activity.activity_flush()`` until it has nothing left: events per
    second over both (``event_ingest_per_s``); the raw table must have grown by exactly that
    many and the hourly and daily rollups by exactly that many counts (``ingest_violations``).
    With Redis up (REDIS_URL, or a server answering on 127.0.0.1:6379, used as database 5 with
    its own key prefix) events go through its buffer; otherwise straight to the raw table; the
    figure ``ingest_path`` says which.

The last line printed is one JSON object with the figures.

    .venv/bin/python bench/fans.py [--small] [--fans 1000000] [--shops 100] [--big 300000]
        [--events 20000000] [--ingest 200000] [--pages 200] [--no-redis] [--explain]
        [--only rfm,segment,list,ingest] [--setup-only]

A measurement that misses its target prints the plans of its queries (``--explain``: always).
The first run builds the data set (about 7 GB; 15–30 minutes on 2 cores, printing progress);
later runs reuse it. ``--small`` is 1/20 of it (50,000 fans over 20 shops), in its own rows.

Targets on a 2-core machine with PostgreSQL: rfm_recompute_s < 30, segment_count_ms < 500,
fan_list_page_ms < 100, event_ingest_per_s >= 5000.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from importlib import import_module
from pathlib import Path
from typing import Any

from _common import DEFAULT_DB, ensure_database, local_redis_url

ROOT = Path(__file__).resolve().parent.parent
FAN_CHUNK = 100_000  # users and fans per statement while setting up
EVENT_CHUNK = 1_000_000  # raw events per statement while setting up
ROLLUP_GROUP = 11  # small shops rolled up together (one read of their raw events)
SESSION = 4  # events of one visit: the visit, then views, carts, orders, shares, opens
LEVELS = [("Silver", 50_000, 2), ("Gold", 200_000, 5), ("Diamond", 1_000_000, 10)]  # fen, %
# Tags and the share of a shop's fans wearing each: 1.5 tags a fan on average.
TAGS = [
    ("宝妈", 0.35),
    ("老客", 0.30),
    ("VIP", 0.25),
    ("爱分享", 0.20),
    ("价格敏感", 0.22),
    ("团长", 0.18),
]
SEGMENT_TAG = "宝妈"
CITIES = [
    "上海", "北京", "广州", "深圳", "杭州", "成都", "重庆", "武汉",
    "南京", "西安", "苏州", "长沙", "郑州", "天津", "青岛", "厦门",
]  # fmt: skip
CHANNELS = ["wechat", "moments", "weibo", "qq", "link", "poster", "direct"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋")
GIVEN = [
    "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "霞", "平", "刚", "桂英", "晓燕", "雪", "婷", "欣怡", "子涵", "梓萱", "思琪",
    "浩然", "一诺",
]  # fmt: skip
PASSWORD = "Bench-pass-2026"


def _django() -> None:
    import django

    django.setup()


def log(message: str) -> None:
    print(message, flush=True)


def _sql(sql: str, params: dict[str, Any] | list[Any] | None = None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _one(sql: str, params: dict[str, Any] | list[Any] | None = None) -> Any:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        return row[0] if row else None


def _bulk(sql: str, params: dict[str, Any]) -> int:
    """One set-up statement in its own transaction, committed without waiting for the disk."""
    from django.db import transaction

    with transaction.atomic():
        _sql("SET LOCAL synchronous_commit = off")
        _sql("SET LOCAL work_mem = '256MB'")
        return _sql(sql, params)


# --- the data set, made once ---------------------------------------------------------------


class Sizes:
    def __init__(self, *, fans: int, shops: int, big: int, events: int) -> None:
        if shops < 2 or not 0 < big < fans:
            raise SystemExit("need at least 2 shops and 0 < --big < --fans")
        self.fans, self.shops, self.big, self.events = fans, shops, big, events
        # Everything of one data set carries this prefix: several sizes can live side by side.
        self.prefix = f"fb{fans}x{shops}b{big}-"

    def email(self) -> str:
        return self.prefix + "u"


def setup(sizes: Sizes) -> dict[str, Any]:
    from django.core.management import call_command

    call_command("migrate", "--no-input", "-v", "0")
    call_command("createcachetable")
    stages: dict[str, float] = {}

    def stage(name: str, fn: Callable[[], Any]) -> Any:
        t = time.monotonic()
        result = fn()
        stages[name] = round(time.monotonic() - t, 1)
        return result

    shops = stage("shops_s", lambda: _setup_shops(sizes))
    made = [
        stage("users_s", lambda: _setup_users(sizes)),
        stage("fans_s", lambda: _setup_fans(sizes, shops)),
        stage("tags_s", lambda: _setup_fan_tags(shops)),
    ]
    loaded = stage("events_s", lambda: _setup_events(sizes, shops))
    made.append(stage("rollups_s", lambda: _setup_rollups(shops, rebuild=loaded)))
    if any(made) or loaded:
        stage("vacuum_s", _vacuum)
    return {"shops": shops, "stages": stages}


def _setup_shops(sizes: Sizes) -> list[int]:
    """The owners and their shops through the services; levels, tags and loyalty rules as rows."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from vshop.accounts import services as accounts
    from vshop.fans.models import LoyaltyRules, MemberLevel, Tag
    from vshop.shops import services as shop_services
    from vshop.shops.models import Shop

    slugs = [f"{sizes.prefix}{k}" for k in range(sizes.shops)]
    have = dict(Shop.objects.filter(slug__in=slugs).values_list("slug", "pk"))
    if len(have) < sizes.shops:
        log(f"set-up: {sizes.shops - len(have)} owners and shops")
        password_hash = make_password(PASSWORD)  # hashed once, shared by the bench's owners
        for k, slug in enumerate(slugs):
            if slug in have:
                continue
            with transaction.atomic():
                owner = accounts.account_import(
                    identifier=f"{sizes.prefix}owner-{k}@vshop.test",
                    password_hash=password_hash,
                    display_name=f"Fans bench owner {k}",
                )
                shop = shop_services.shop_open(
                    owner=owner,
                    name=f"Fans bench {'big' if k == 0 else k}",
                    slug=slug,
                    bio="Benchmark shop.",
                )
                have[slug] = shop.pk
    shop_ids = [have[s] for s in slugs]
    if Tag.objects.filter(shop_id__in=shop_ids).count() < sizes.shops * len(TAGS):
        with transaction.atomic():
            for pk in shop_ids:
                LoyaltyRules.objects.get_or_create(shop_id=pk)
                for name, threshold, discount in LEVELS:
                    MemberLevel.objects.get_or_create(
                        shop_id=pk,
                        name=name,
                        defaults={"threshold": threshold, "discount_percent": discount},
                    )
                for name, _share in TAGS:
                    Tag.objects.get_or_create(shop_id=pk, name=name)
    return shop_ids


def _setup_users(sizes: Sizes) -> bool:
    """One account per fan: ``<prefix>u<n>@fans.bench`` for n in 0…fans-1, chunk by chunk."""
    pattern = f"{sizes.email()}%@fans.bench"
    done = _one("SELECT count(*) FROM accounts_user WHERE email LIKE %s", [pattern])
    if done >= sizes.fans:
        return False
    start = done - done % FAN_CHUNK
    for a in range(start, sizes.fans, FAN_CHUNK):
        b = min(a + FAN_CHUNK, sizes.fans)
        t = time.monotonic()
        n = _bulk(
            """
            INSERT INTO accounts_user (password, last_login, is_superuser, email, mobile,
                display_name, time_zone, is_active, is_staff, date_joined)
            SELECT '!', NULL, false, %(email)s || g || '@fans.bench', NULL,
                (%(surnames)s::text[])[1 + g %% %(ns)s]
                    || (%(given)s::text[])[1 + (g / %(ns)s) %% %(ng)s],
                CASE g %% 40 WHEN 0 THEN 'America/New_York' WHEN 1 THEN 'Europe/London'
                    ELSE 'Asia/Shanghai' END,
                true, false, now() - random() * interval '900 days'
            FROM generate_series(%(a)s, %(b)s - 1) AS g
            ON CONFLICT DO NOTHING
            """,
            {
                "email": sizes.email(),
                "surnames": SURNAMES,
                "given": GIVEN,
                "ns": len(SURNAMES),
                "ng": len(GIVEN),
                "a": a,
                "b": b,
            },
        )
        log(f"set-up: users {b:,}/{sizes.fans:,} (+{n:,} in {time.monotonic() - t:.1f}s)")
    return True


def _setup_fans(sizes: Sizes, shops: list[int]) -> bool:
    """Fan n belongs to the big shop when n < big, else to shop 1 + (n - big) mod (shops - 1).
    Random figures are drawn once per row (the inner query is materialised) so that spend,
    orders and dates of one fan agree with each other."""
    done = _one("SELECT count(*) FROM fans_shopfan WHERE shop_id = ANY(%s)", [shops])
    if done >= sizes.fans:
        return False
    start = done - done % FAN_CHUNK
    for a in range(start, sizes.fans, FAN_CHUNK):
        b = min(a + FAN_CHUNK, sizes.fans)
        t = time.monotonic()
        n = _bulk(
            """
            WITH base AS MATERIALIZED (
                SELECT g, u.id AS user_id, u.display_name, u.time_zone, u.date_joined,
                    (%(shops)s::bigint[])[1 + CASE WHEN g < %(big)s THEN 0
                        ELSE 1 + (g - %(big)s) %% (%(nshops)s - 1) END] AS shop_id,
                    random() AS r_buy, random() AS r_orders, random() AS r_basket,
                    random() AS r_last, random() AS r_first, random() AS r_visit,
                    random() AS r_follow, random() AS r_city
                FROM generate_series(%(a)s, %(b)s - 1) AS g
                JOIN accounts_user u ON u.email = %(email)s || g || '@fans.bench'
            ), fig AS (
                SELECT base.*,
                    CASE WHEN r_buy < 0.4 THEN 1 + floor(29 * r_orders ^ 4)::int
                        ELSE 0 END AS orders,
                    CASE WHEN r_buy < 0.4 THEN now() - r_last ^ 1.5 * interval '730 days'
                        END AS last_order,
                    CASE WHEN r_visit < 0.92 THEN now() - r_visit ^ 3 * interval '400 days'
                        END AS last_visit
                FROM base
            ), fig2 AS (
                SELECT fig.*,
                    orders * (1500 + floor(25000 * r_basket ^ 2)::bigint) AS spend,
                    last_order - CASE WHEN orders > 1 THEN r_first * interval '365 days'
                        ELSE interval '0' END AS first_order
                FROM fig
            )
            INSERT INTO fans_shopfan (shop_id, user_id, name, mobile, email, city, time_zone,
                source, source_channel, contactable, is_follower, followed_at, is_muted,
                created_at, last_visit_at, visit_count, share_count, share_sales,
                first_order_at, last_order_at, order_count, total_spend, points, points_earned,
                level_id, recency, frequency, monetary, rfm_group, scored_at)
            SELECT shop_id, user_id, display_name, '+86199' || lpad(g::text, 8, '0'), '',
                (%(cities)s::text[])[1 + floor(%(ncities)s * r_city ^ 1.6)::int], time_zone,
                CASE WHEN r_follow < 0.80 THEN 'follow' WHEN orders > 0 THEN 'order'
                    ELSE 'promoter' END,
                (%(channels)s::text[])[1 + floor(%(nchannels)s * random() ^ 1.4)::int],
                random() < 0.95, r_follow < 0.85,
                CASE WHEN r_follow < 0.85 THEN
                    least(date_joined, coalesce(first_order, date_joined)) END,
                random() < 0.03,
                least(date_joined, coalesce(first_order, date_joined)),
                last_visit,
                CASE WHEN last_visit IS NULL THEN 0
                    ELSE 1 + floor(300 * random() ^ 3)::int END,
                floor(40 * random() ^ 6)::int,
                CASE WHEN random() < 0.05 THEN floor(500000 * random() ^ 3)::bigint ELSE 0 END,
                first_order, last_order, orders, spend, spend / 100, spend / 100,
                (SELECT l.id FROM fans_memberlevel l
                 WHERE l.shop_id = fig2.shop_id AND l.threshold <= spend
                 ORDER BY l.threshold DESC LIMIT 1),
                0, 0, 0, '', NULL
            FROM fig2
            ON CONFLICT DO NOTHING
            """,
            {
                "shops": shops,
                "big": sizes.big,
                "nshops": len(shops),
                "email": sizes.email(),
                "cities": CITIES,
                "ncities": len(CITIES),
                "channels": CHANNELS,
                "nchannels": len(CHANNELS),
                "a": a,
                "b": b,
            },
        )
        log(f"set-up: fans {b:,}/{sizes.fans:,} (+{n:,} in {time.monotonic() - t:.1f}s)")
    _sql(
        """
        UPDATE shops_shop s SET fan_count = c.n
        FROM (SELECT shop_id, count(*) AS n FROM fans_shopfan
              WHERE shop_id = ANY(%s) AND is_follower GROUP BY shop_id) c
        WHERE s.id = c.shop_id
        """,
        [shops],
    )
    return True


def _setup_fan_tags(shops: list[int]) -> bool:
    """Manual tag links, each tag on its share of the shop's fans; one shop per transaction."""
    tagged = {
        row
        for (row,) in _rows(
            "SELECT DISTINCT t.shop_id FROM fans_fantag ft JOIN fans_tag t ON t.id = ft.tag_id "
            "WHERE t.shop_id = ANY(%s)",
            [shops],
        )
    }
    todo = [s for s in shops if s not in tagged]
    if not todo:
        return False
    t = time.monotonic()
    total = 0
    for k, shop_id in enumerate(todo, 1):
        total += _bulk(
            """
            INSERT INTO fans_fantag (by_rule, created_at, fan_id, tag_id)
            SELECT false, created_at, fan_id, tag_id
            FROM (
                -- random() in the select list: one draw per fan and tag (in a WHERE clause
                -- the planner would draw once per tag)
                SELECT f.created_at, f.id AS fan_id, t.id AS tag_id, p.share, random() AS r
                FROM fans_shopfan f
                JOIN fans_tag t ON t.shop_id = f.shop_id
                JOIN unnest(%(names)s::text[], %(shares)s::float8[]) AS p(name, share)
                    ON p.name = t.name
                WHERE f.shop_id = %(shop)s
                OFFSET 0
            ) AS draw
            WHERE r < share
            """,
            {"names": [n for n, _s in TAGS], "shares": [s for _n, s in TAGS], "shop": shop_id},
        )
        if k == 1 or k % 10 == 0 or k == len(todo):
            log(f"set-up: tag links, {k}/{len(todo)} shops, {total:,} links")
    log(f"set-up: {total:,} tag links in {time.monotonic() - t:.1f}s")
    return True


def _rows(sql: str, params: list[Any] | dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _event_indexes() -> list[Any]:
    from vshop.fans.models import ActivityEvent

    return list(ActivityEvent._meta.indexes)


def _restore_event_indexes() -> None:
    """Rebuild any of the raw table's secondary indexes that a set-up dropped (also after an
    interrupted set-up), exactly as the migration made them."""
    from django.db import connection

    from vshop.fans.models import ActivityEvent

    brin = {
        name: (table, column)
        for name, table, column in import_module(
            "vshop.fans.migrations.0004_activity_brin_time_indexes"
        ).INDEXES
    }
    present = {
        name
        for (name,) in _rows(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s",
            [ActivityEvent._meta.db_table],
        )
    }
    for index in _event_indexes():
        if index.name in present:
            continue
        t = time.monotonic()
        _sql("SET maintenance_work_mem = '1GB'")
        if index.name in brin:  # as migration 0004 made it on PostgreSQL
            _sql(
                f"CREATE INDEX {index.name} ON {brin[index.name][0]} USING brin ({brin[index.name][1]})"
            )
        else:
            with connection.schema_editor() as editor:
                editor.add_index(ActivityEvent, index)
        _sql("RESET maintenance_work_mem")
        log(f"set-up: index {index.name} rebuilt in {time.monotonic() - t:.1f}s")


def _setup_events(sizes: Sizes, shops: list[int]) -> bool:
    """Raw events of the last 30 days over the data set's fans, in visits of ``SESSION`` events
    a few minutes apart (a visit, then views, carts, orders, shares, message opens and clicks).
    A visit picks fan ``(floor(F * r^2) * 7919) mod F``: a few fans are far more active than
    most, scattered over the shops by the multiplier. Returns whether it loaded any."""
    from django.db import connection

    done = _one("SELECT count(*) FROM fans_activityevent WHERE shop_id = ANY(%s)", [shops])
    if done >= sizes.events:
        _restore_event_indexes()
        return False
    todo = sizes.events - done
    log(f"set-up: {todo:,} raw events (the raw table's secondary indexes are rebuilt after)")
    with connection.schema_editor() as editor:
        for index in _event_indexes():
            editor.execute(f'DROP INDEX IF EXISTS "{index.name}"')
    _sql("DROP TABLE IF EXISTS fb_map")
    _sql(
        """
        CREATE TEMP TABLE fb_map AS
        SELECT (row_number() OVER (ORDER BY id) - 1)::int AS n, shop_id::int AS shop_id,
            user_id::int AS user_id, time_zone
        FROM fans_shopfan WHERE shop_id = ANY(%s)
        """,
        [shops],
    )
    _sql("ALTER TABLE fb_map ADD PRIMARY KEY (n)")
    _sql("ANALYZE fb_map")
    fans = _one("SELECT count(*) FROM fb_map")
    t0 = time.monotonic()
    loaded = 0
    while loaded < todo:
        n = min(EVENT_CHUNK, todo - loaded)
        t = time.monotonic()
        loaded += _bulk(
            """
            INSERT INTO fans_activityevent (shop_id, user_id, kind, at, local_hour, ref, value)
            SELECT m.shop_id, m.user_id, e.kind, e.at,
                ((extract(isodow FROM e.at AT TIME ZONE m.time_zone)::int - 1) * 24
                    + extract(hour FROM e.at AT TIME ZONE m.time_zone)::int),
                CASE WHEN e.kind IN (2, 3) THEN 1 + floor(e.r_value * 5000)::int
                    WHEN e.kind IN (6, 7) THEN 1 + floor(e.r_value * 100000)::int END,
                CASE WHEN e.kind = 4 THEN 1500 + floor(25000 * e.r_value ^ 2)::bigint
                    ELSE 0 END
            FROM (
                SELECT n, at, r_value,
                    CASE WHEN k = 1 THEN 1 WHEN r_kind < 0.60 THEN 2 WHEN r_kind < 0.75 THEN 3
                        WHEN r_kind < 0.80 THEN 4 WHEN r_kind < 0.88 THEN 5
                        WHEN r_kind < 0.96 THEN 6 ELSE 7 END AS kind
                FROM (
                    -- the draws in the select list: one per event (LIMIT keeps them there)
                    SELECT s.n, s.at + (k - 1) * s.gap AS at, k,
                        random() AS r_kind, random() AS r_value
                    FROM (
                        SELECT ((floor(%(fans)s * random() ^ 2)::bigint * 7919)
                                %% %(fans)s)::int AS n,
                            now() - interval '20 minutes' - random() * interval '30 days' AS at,
                            random() * interval '5 minutes' AS gap
                        FROM generate_series(1, (%(n)s + %(per)s - 1) / %(per)s) OFFSET 0
                    ) AS s
                    CROSS JOIN generate_series(1, %(per)s) AS k
                    LIMIT %(n)s
                ) AS x
            ) AS e
            JOIN fb_map m ON m.n = e.n
            """,
            {"fans": fans, "n": n, "per": SESSION},
        )
        rate = loaded / (time.monotonic() - t0)
        log(
            f"set-up: raw events {done + loaded:,}/{sizes.events:,} "
            f"({time.monotonic() - t:.1f}s, {rate:,.0f}/s)"
        )
    _sql("DROP TABLE fb_map")
    _restore_event_indexes()
    return True


def _setup_rollups(shops: list[int], *, rebuild: bool) -> bool:
    """Hourly and daily rollups of the set-up's raw events. Shops go in groups (the big one
    alone), one transaction each (a shop with daily rows is done): the group's events are read
    once into a temporary table — the raw table is in random order, so a read per shop would
    scan most of it every time — and both rollups are made from that. ``rebuild``: raw events
    were added, so start over."""
    from django.db import transaction

    from vshop.fans.models import ActivityDay, ActivityHour

    if rebuild:
        ActivityHour.objects.filter(shop_id__in=shops).delete()
        ActivityDay.objects.filter(shop_id__in=shops).delete()
    done = {
        s
        for (s,) in _rows(
            "SELECT DISTINCT shop_id FROM fans_activityday WHERE shop_id = ANY(%s)", [shops]
        )
    }
    todo = [s for s in shops if s not in done]
    if not todo:
        return False
    groups = [[s] for s in todo if s == shops[0]]
    rest = [s for s in todo if s != shops[0]]
    groups += [rest[i : i + ROLLUP_GROUP] for i in range(0, len(rest), ROLLUP_GROUP)]
    t0 = time.monotonic()
    hours = days = finished = 0
    counts = """
        count(*) FILTER (WHERE kind = 1), count(*) FILTER (WHERE kind = 2),
        count(*) FILTER (WHERE kind = 3), count(*) FILTER (WHERE kind = 4),
        count(*) FILTER (WHERE kind = 5), count(*) FILTER (WHERE kind = 6),
        count(*) FILTER (WHERE kind = 7)
    """
    for group in groups:
        with transaction.atomic():
            _sql("SET LOCAL synchronous_commit = off")
            _sql("SET LOCAL work_mem = '512MB'")
            _sql(
                """
                CREATE TEMP TABLE fb_events ON COMMIT DROP AS
                SELECT e.shop_id, e.user_id, e.kind, e.at, e.local_hour, e.value,
                    (e.at AT TIME ZONE f.time_zone)::date AS day
                FROM fans_activityevent e
                JOIN fans_shopfan f ON f.shop_id = e.shop_id AND f.user_id = e.user_id
                WHERE e.shop_id = ANY(%s)
                """,
                [group],
            )
            hours += _sql(
                f"""
                INSERT INTO fans_activityhour (shop_id, user_id, hour, local_hour, visits, views,
                    carts, orders, shares, opens, clicks)
                SELECT shop_id, user_id, date_trunc('hour', at), min(local_hour), {counts}
                FROM fb_events
                GROUP BY shop_id, user_id, date_trunc('hour', at)
                ORDER BY shop_id, user_id, date_trunc('hour', at)
                """
            )
            days += _sql(
                f"""
                INSERT INTO fans_activityday (shop_id, user_id, day, visits, views, carts,
                    orders, shares, opens, clicks, sales)
                SELECT shop_id, user_id, day, {counts},
                    coalesce(sum(value) FILTER (WHERE kind = 4), 0)
                FROM fb_events
                GROUP BY shop_id, user_id, day
                ORDER BY shop_id, user_id, day
                """
            )
        finished += len(group)
        log(
            f"set-up: rollups, {finished}/{len(todo)} shops, {hours:,} hours, {days:,} days "
            f"({time.monotonic() - t0:.0f}s)"
        )
    return True


def _vacuum() -> None:
    """Visibility maps and statistics, so the planner sees the data as it will be."""
    t = time.monotonic()
    for table in (
        "accounts_user",
        "fans_shopfan",
        "fans_fantag",
        "fans_tag",
        "fans_memberlevel",
        "fans_activityevent",
        "fans_activityhour",
        "fans_activityday",
    ):
        _sql(f"VACUUM (ANALYZE) {table}")
    log(f"set-up: vacuum and analyze in {time.monotonic() - t:.1f}s")


def counts(shops: list[int]) -> dict[str, int]:
    return {
        "fans": _one("SELECT count(*) FROM fans_shopfan WHERE shop_id = ANY(%s)", [shops]),
        "big_shop_fans": _one("SELECT count(*) FROM fans_shopfan WHERE shop_id = %s", [shops[0]]),
        "tag_links": _one(
            "SELECT count(*) FROM fans_fantag ft JOIN fans_tag t ON t.id = ft.tag_id "
            "WHERE t.shop_id = ANY(%s)",
            [shops],
        ),
        "events": _one("SELECT count(*) FROM fans_activityevent WHERE shop_id = ANY(%s)", [shops]),
        "hour_rows": _one(
            "SELECT count(*) FROM fans_activityhour WHERE shop_id = ANY(%s)", [shops]
        ),
        "day_rows": _one("SELECT count(*) FROM fans_activityday WHERE shop_id = ANY(%s)", [shops]),
    }


# --- measurements --------------------------------------------------------------------------


def _p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0.0


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _explain(run: Callable[[], Any], title: str) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the statements ``run`` makes (reads only)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        run()
    for q in ctx.captured_queries:
        sql = q["sql"]
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        log(f"--- EXPLAIN {title}: {sql[:300]}")
        for (line,) in _rows(f"EXPLAIN (ANALYZE, BUFFERS) {sql}"):
            log(f"    {line}")


def measure_rfm(shop_id: int) -> dict[str, Any]:
    """(a) The big shop's RFM from scores all 0 (as after the set-up: an earlier run's scores are
    reset first, untimed), then once more with the scores in place (the nightly case)."""
    from vshop.fans import scoring

    reset = _bulk(
        """
        UPDATE fans_shopfan SET recency = 0, frequency = 0, monetary = 0, rfm_group = '',
            scored_at = NULL
        WHERE shop_id = %(shop)s
            AND (recency > 0 OR frequency > 0 OR monetary > 0 OR rfm_group <> '')
        """,
        {"shop": shop_id},
    )
    if reset:
        log(f"rfm: scores of {reset:,} fans reset to 0 (an earlier run's)")
    _sql("VACUUM (ANALYZE) fans_shopfan")  # the dead rows of earlier runs: every run starts alike
    t = time.perf_counter()
    scored = scoring.rfm_recompute(shop_id=shop_id)
    first = time.perf_counter() - t
    log(f"rfm: {scored:,} buyers scored from 0 in {first:.2f}s")
    t = time.perf_counter()
    scoring.rfm_recompute(shop_id=shop_id)
    rerun = time.perf_counter() - t
    log(f"rfm: again, scores in place, {rerun:.2f}s")
    # What autovacuum does after so many updates, done now so that it does not run during the
    # next measurements; without fresh statistics the planner would still believe every fan
    # has no group and pick bad plans for group filters.
    _sql("VACUUM (ANALYZE) fans_shopfan")
    violations = _one(
        """
        SELECT count(*) FROM fans_shopfan WHERE shop_id = %s AND (
            (order_count > 0 AND (recency NOT BETWEEN 1 AND 5 OR frequency NOT BETWEEN 1 AND 5
                OR monetary NOT BETWEEN 1 AND 5 OR rfm_group = ''))
            OR (order_count = 0 AND (recency > 0 OR frequency > 0 OR monetary > 0
                OR rfm_group <> '')))
        """,
        [shop_id],
    )
    groups = dict(
        _rows(
            "SELECT rfm_group, count(*) FROM fans_shopfan WHERE shop_id = %s AND rfm_group <> '' "
            "GROUP BY rfm_group ORDER BY count(*) DESC",
            [shop_id],
        )
    )
    # Quintiles: each score of each dimension should hold about a fifth of the buyers.
    spread = {
        dim: [
            n
            for (_score, n) in _rows(
                f"SELECT {dim}, count(*) FROM fans_shopfan WHERE shop_id = %s AND {dim} > 0 "
                f"GROUP BY {dim} ORDER BY {dim}",
                [shop_id],
            )
        ]
        for dim in ("recency", "frequency", "monetary")
    }
    log(f"rfm: groups {json.dumps(groups, ensure_ascii=False)}; scores 1-5 {json.dumps(spread)}")
    return {
        "rfm_recompute_s": round(first, 2),
        "rfm_rerun_s": round(rerun, 2),
        "rfm_scored": scored,
        "rfm_violations": violations,
        "rfm_groups": groups,
    }


def measure_segment(shop: Any, *, runs: int, explain: bool) -> dict[str, Any]:
    """(b) Total spend at least ¥200 AND a visit in the last 30 days AND tag SEGMENT_TAG."""
    from vshop.fans.models import Tag
    from vshop.fans.segments import segment_count

    tag = Tag.objects.get(shop=shop, name=SEGMENT_TAG)
    rule = {
        "op": "and",
        "conditions": [
            {"field": "total_spend", "op": "gte", "value": 20_000},
            {"field": "last_visit_at", "op": "within_days", "value": 30},
            {"field": "tag", "op": "any", "value": [tag.pk]},
        ],
    }
    found = segment_count(shop=shop, rule=rule)  # warm-up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        n = segment_count(shop=shop, rule=rule)
        times.append(time.perf_counter() - t)
        found = n
    expected = _one(
        """
        SELECT count(*) FROM fans_shopfan f WHERE f.shop_id = %s AND f.total_spend >= 20000
            AND f.last_visit_at >= now() - interval '30 days'
            AND EXISTS (SELECT 1 FROM fans_fantag ft WHERE ft.fan_id = f.id AND ft.tag_id = %s)
        """,
        [shop.pk, tag.pk],
    )
    p50, p99 = statistics.median(times), _p(times, 0.99)
    log(
        f"segment: {found:,} fans (SQL says {expected:,}); median {_ms(p50)} ms, "
        f"p99 {_ms(p99)} ms over {runs} runs"
    )
    if explain or p50 > 0.5:
        _explain(lambda: segment_count(shop=shop, rule=rule), "segment count")
    return {
        "segment_count_ms": _ms(p50),
        "segment_count_p99_ms": _ms(p99),
        "segment_fans": found,
        "segment_violations": int(found != expected),
    }


def _order_key(fan: Any, key: str) -> tuple[Any, ...]:
    value = getattr(fan, key)
    return (0, 0, fan.pk) if value is None else (1, value, fan.pk)


def measure_fan_list(shop: Any, *, pages: int, explain: bool) -> dict[str, Any]:
    """(c) Walks through the big shop's fan list, following ``next_cursor``."""
    from vshop.fans.crm import FanFilters, fan_list
    from vshop.fans.models import Tag

    tag = Tag.objects.get(shop=shop, name=SEGMENT_TAG)
    short = max(5, pages // 10)
    walks: list[tuple[str, FanFilters, str, int]] = [
        ("spend_down", FanFilters(), "-total_spend", pages),
        ("followed_down", FanFilters(), "-followed_at", short),
        ("visit_down_city", FanFilters(city=CITIES[1]), "-last_visit_at", short),
        ("orders_up_tag", FanFilters(tag_ids=[tag.pk]), "order_count", short),
        ("last_order_up", FanFilters(), "last_order_at", short),  # never bought come first
        ("champions_spend", FanFilters(rfm_group="champions"), "-total_spend", short),
        ("search_name", FanFilters(q="王芳"), "-followed_at", short),
        # +86 1990001xxxx: the 10,000 fans numbered 10,000-19,999, all of the big shop
        ("search_mobile", FanFilters(q="1990001"), "-followed_at", 2),
    ]
    all_times: list[float] = []
    per_walk: dict[str, dict[str, float]] = {}
    violations = 0
    slow_pages: dict[str, tuple[float, Callable[[], Any]]] = {}  # each walk's slowest page
    for name, filters, sort, n_pages in walks:
        key, desc = sort.lstrip("-"), sort.startswith("-")
        seen: set[int] = set()
        last: tuple[Any, ...] | None = None
        cursor = None
        times = []
        rows = 0
        for _ in range(n_pages):
            t = time.perf_counter()
            page = fan_list(shop=shop, filters=filters, sort=sort, cursor=cursor, limit=50)
            elapsed = time.perf_counter() - t
            times.append(elapsed)
            if name not in slow_pages or elapsed > slow_pages[name][0]:
                slow_pages[name] = (
                    elapsed,
                    functools.partial(
                        fan_list, shop=shop, filters=filters, sort=sort, cursor=cursor, limit=50
                    ),
                )
            for fan in page.fans:
                rows += 1
                if fan.pk in seen:
                    violations += 1
                seen.add(fan.pk)
                here = _order_key(fan, key)
                if last is not None and (here >= last if desc else here <= last):
                    violations += 1
                last = here
            cursor = page.next_cursor
            if cursor is None:
                break
        all_times += times
        per_walk[name] = {
            "pages": len(times),
            "fans": rows,
            "p50_ms": _ms(statistics.median(times)),
            "p99_ms": _ms(_p(times, 0.99)),
        }
        log(f"fan list: {name} ({sort}) {json.dumps(per_walk[name])}")
    p50, p99 = statistics.median(all_times), _p(all_times, 0.99)
    log(f"fan list: {len(all_times)} pages, p50 {_ms(p50)} ms, p99 {_ms(p99)} ms")
    for name, (elapsed, run) in slow_pages.items():
        # the plans of the walks that miss the target (all with --explain)
        if explain or per_walk[name]["p50_ms"] > 100:
            _explain(run, f"fan list {name}, its slowest page ({_ms(elapsed)} ms)")
    return {
        "fan_list_page_ms": _ms(p50),
        "fan_list_page_p99_ms": _ms(p99),
        "fan_list_pages": len(all_times),
        "fan_list_violations": violations,
        "fan_list_walks": per_walk,
    }


def _watermark() -> int:
    from vshop.fans import activity

    return int(
        _one(
            "SELECT coalesce(max(value), 0) FROM fans_activityevent "
            "WHERE shop_id = %s AND user_id = 0 AND kind = %s",
            [activity.MARKER_SHOP, activity.MARKER_WATERMARK],
        )
    )


def _pending() -> int:
    """Events waiting: in the Redis buffer (or being moved) and raw rows not rolled up yet."""
    from vshop.fans import activity

    waiting = 0
    client = activity._redis()
    if client is not None:
        waiting += client.llen(activity._key("buffer")) + client.exists(activity._key("processing"))
    waiting += _one(
        "SELECT count(*) FROM fans_activityevent WHERE id > %s AND shop_id <> %s",
        [_watermark(), activity.MARKER_SHOP],
    )
    return int(waiting)


def _flush_all() -> int:
    from vshop.fans import activity

    moved = 0
    idle = 0
    while idle < 50:
        n = activity.activity_flush()
        moved += n
        if n:
            idle = 0
        elif _pending():
            idle += 1  # in-flight inserts elsewhere, or the lock was busy: try again
            time.sleep(0.05)
        else:
            break
    return moved


def _advance_watermark(shops: list[int]) -> None:
    """The set-up rolled up its raw events itself: move the flush's watermark past them, or the
    first flush would count 20 million events a second time (see ``fans.activity``)."""
    from vshop.fans import activity

    top = _one("SELECT max(id) FROM fans_activityevent WHERE shop_id = ANY(%s)", [shops])
    if top is None or _watermark() >= top:
        return
    from django.db import transaction

    with transaction.atomic():
        marker = activity._marker(activity.MARKER_WATERMARK)
        _sql("UPDATE fans_activityevent SET value = %s WHERE id = %s", [top, marker.pk])
    log(f"set-up: flush watermark moved past the set-up's events (id {top:,})")


def _rollup_totals(shops: list[int], since: Any) -> tuple[int, int, int]:
    counts_ = "sum(visits + views + carts + orders + shares + opens + clicks)"
    hours = _one(
        f"SELECT coalesce({counts_}, 0) FROM fans_activityhour "
        f"WHERE hour >= %s AND shop_id = ANY(%s)",
        [since, shops],
    )
    days = _one(
        f"SELECT coalesce({counts_}, 0) FROM fans_activityday "
        f"WHERE day >= %s AND shop_id = ANY(%s)",
        [(since - timedelta(days=1)).date(), shops],
    )
    visits = _one(
        "SELECT coalesce(sum(visit_count), 0) FROM fans_shopfan WHERE shop_id = ANY(%s)", [shops]
    )
    return int(hours), int(days), int(visits)


def measure_ingest(shops: list[int], *, events: int, batch: int, rng: random.Random) -> dict:
    """(d) ``record_many`` in batches, then ``activity_flush`` until everything is rolled up."""
    from django.utils import timezone

    from vshop.fans import activity

    path = "redis" if activity._redis() is not None else "database"
    leftover = _flush_all()  # anything an earlier run or another process left
    if leftover:
        log(f"ingest: flushed {leftover:,} events left from before")
    fans = _rows(
        "SELECT shop_id, user_id, time_zone FROM fans_shopfan "
        "WHERE shop_id = ANY(%s) AND id %% 10 = 0",
        [shops],
    )
    now = timezone.now()
    since = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    kinds = [1, 2, 3, 4, 5, 6, 7]
    weights = [30, 40, 12, 3, 6, 6, 3]
    inputs = []
    visits = 0
    for _ in range(events):
        shop_id, user_id, tz = rng.choice(fans)
        kind = rng.choices(kinds, weights)[0]
        visits += kind == 1
        inputs.append(
            activity.ActivityInput(
                shop_id=shop_id,
                user_id=user_id,
                kind=kind,
                at=now - timedelta(seconds=rng.uniform(0, 3600)),
                time_zone=tz,
                ref=rng.randint(1, 5000) if kind in (2, 3) else None,
                value=rng.randint(1500, 30000) if kind == 4 else 0,
            )
        )
    top_before = _one("SELECT coalesce(max(id), 0) FROM fans_activityevent")
    totals_before = _rollup_totals(shops, since)
    t0 = time.perf_counter()
    for start in range(0, events, batch):
        activity.record_many(inputs[start : start + batch])
    t1 = time.perf_counter()
    moved = _flush_all()
    t2 = time.perf_counter()
    raw = _one(
        "SELECT count(*) FROM fans_activityevent WHERE id > %s AND shop_id = ANY(%s)",
        [top_before, shops],
    )
    totals_after = _rollup_totals(shops, since)
    wrong = {
        "raw": raw - events,
        "hour_counts": totals_after[0] - totals_before[0] - events,
        "day_counts": totals_after[1] - totals_before[1] - events,
        "fan_visits": totals_after[2] - totals_before[2] - visits,
    }
    rate = events / (t2 - t0)
    log(
        f"ingest ({path}): {events:,} events, record_many {t1 - t0:.2f}s, flush {t2 - t1:.2f}s "
        f"({moved:,} rolled up): {rate:,.0f} events/s; differences {json.dumps(wrong)}"
    )
    return {
        "event_ingest_per_s": round(rate, 1),
        "ingest_path": path,
        "ingest_events": events,
        "ingest_record_s": round(t1 - t0, 2),
        "ingest_flush_s": round(t2 - t1, 2),
        "ingest_violations": sum(1 for v in wrong.values() if v),
        "ingest_differences": wrong,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--small", action="store_true", help="1/20 of every size, for a check")
    parser.add_argument("--fans", type=int)
    parser.add_argument("--shops", type=int)
    parser.add_argument("--big", type=int, help="fans of the big shop")
    parser.add_argument("--events", type=int, help="raw activity events")
    parser.add_argument("--ingest", type=int, help="events recorded and flushed")
    parser.add_argument("--pages", type=int, help="pages of the main fan-list walk")
    parser.add_argument("--runs", type=int, default=20, help="segment counts measured")
    parser.add_argument("--no-redis", action="store_true", help="ingest through the database")
    parser.add_argument("--batch", type=int, default=1000, help="events per record_many")
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    parser.add_argument("--only", help="some of rfm,segment,list,ingest (comma-separated)")
    parser.add_argument("--setup-only", action="store_true")
    args = parser.parse_args()
    scale = 20 if args.small else 1
    sizes = Sizes(
        fans=args.fans or 1_000_000 // scale,
        shops=args.shops or (100 if scale == 1 else 20),
        big=args.big or 300_000 // scale,
        events=args.events if args.events is not None else 20_000_000 // scale,
    )
    ingest = args.ingest or 200_000 // scale
    pages = args.pages or 200 // (4 if args.small else 1)

    db_url = os.environ.get("DATABASE_URL") or DEFAULT_DB
    if not db_url.startswith("postgres"):
        print(
            "bench/fans.py measures on PostgreSQL: set DATABASE_URL=postgres://...", file=sys.stderr
        )
        return 2
    ensure_database(db_url)
    data_dir = Path(os.environ.get("VSHOP_DATA_DIR") or tempfile.mkdtemp(prefix="vshop-bench-"))
    redis_url = "" if args.no_redis else local_redis_url(database=5)
    env = {
        "DATABASE_URL": db_url,
        "DEBUG": "False",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "VSHOP_DATA_DIR": str(data_dir),
        "MEDIA_ROOT": str(data_dir / "media"),
        "DJANGO_SETTINGS_MODULE": "vshop.settings",
        "LOG_LEVEL": "WARNING",
        "REDIS_URL": redis_url,
        "VSHOP_CACHE_PREFIX": "fansbench",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT / "src"))
    _django()

    t0 = time.monotonic()
    data = setup(sizes)
    setup_s = time.monotonic() - t0
    shops = data["shops"]
    sizes_now = counts(shops)
    log(f"data: {json.dumps(sizes_now)}; set-up {setup_s:.1f}s {json.dumps(data['stages'])}")
    _advance_watermark(shops)
    if args.setup_only:
        return 0
    from vshop.shops.models import Shop

    big = Shop.objects.get(pk=shops[0])
    rng = random.Random(int(time.time()))
    parts = set(args.only.split(",")) if args.only else {"rfm", "segment", "list", "ingest"}
    results: dict[str, Any] = {}
    if "rfm" in parts:
        results.update(measure_rfm(big.pk))
    if "segment" in parts:
        results.update(measure_segment(big, runs=args.runs, explain=args.explain))
    if "list" in parts:
        results.update(measure_fan_list(big, pages=pages, explain=args.explain))
    if "ingest" in parts:
        results.update(measure_ingest(shops, events=ingest, batch=args.batch, rng=rng))
    figures = {
        "bench": "fans",
        "rfm_recompute_s": results.get("rfm_recompute_s"),
        "segment_count_ms": results.get("segment_count_ms"),
        "fan_list_page_ms": results.get("fan_list_page_ms"),
        "event_ingest_per_s": results.get("event_ingest_per_s"),
        "segment_count_p99_ms": results.get("segment_count_p99_ms"),
        "fan_list_page_p99_ms": results.get("fan_list_page_p99_ms"),
        "rfm_rerun_s": results.get("rfm_rerun_s"),
        "ingest_path": results.get("ingest_path"),
        "violations": sum(
            results.get(k, 0)
            for k in (
                "rfm_violations",
                "segment_violations",
                "fan_list_violations",
                "ingest_violations",
            )
        ),
        "fans": sizes_now["fans"],
        "big_shop_fans": sizes_now["big_shop_fans"],
        "events": sizes_now["events"],
    }
    details = {k: v for k, v in results.items() if k not in figures} | {
        "data": sizes_now,
        "setup_s": round(setup_s, 1),
        "setup_stages": data["stages"],
    }
    print(json.dumps(details, ensure_ascii=False))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
