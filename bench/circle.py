"""Circle benchmark: timelines in Redis, hybrid fan-out and the first page of a fan's circle.

Sets up, on PostgreSQL (DATABASE_URL; by default the local server's database
vshop_bench_circle, created if missing), once, reused by later runs:
- 2,000 shop owners and shops through the real services (``account_import``, ``shop_open``);
- 200,000 fans (``accounts_user``, one bulk INSERT … generate_series per chunk);
- the follows (``fans_follow``, bulk INSERT … SELECT, secondary indexes and foreign keys dropped
  while loading and rebuilt after): shop sizes skewed from 150,000 followers down to 10
  (size_j = 10 + 149,990 · (1 − j/1999)^4.46, so about 55M follows in all, mean 27,500),
  one shop at exactly 9,000; shop j's followers are fans (offset_j + i · stride_j) mod 200,000
  for a prime stride, so no fan follows a shop twice and every fan follows ~275 shops (in
  practice 230–330, inside the 50–500 asked for). ``Shop.fan_count`` set to match;
- ``--posts`` posts per shop (default 3) spread over the last 3 days; the posts of shops under
  the fan-out threshold (10,000) pushed into their followers' Redis timelines through the real
  ``fanout.post_fan_out`` (timed: ``posts_per_s``, publishing with fan-out, the history load).
Then it measures the real code of ``vshop.circle``:
(a) ``feed.circle_page(user, mode="newest", limit=20)`` for ``--reads`` random fans (≥ 1,000):
    her pushed timeline merged with the big shops she follows (~250 of her ~275), filtered and
    loaded with shop, images and cards: p50 / p99 (``timeline_p50_ms``, ``timeline_p99_ms``);
    also the bare Redis read ``timelines.timeline_read`` (``redis_read_p99_ms``).
(b) a new post of the 9,000-follower shop: ``fanout.post_fan_out`` timed (``fanout_9k_s``), then
    every follower's timeline checked for it (``fanout_missing`` must be 0), then run again
    (``fanout_again_added`` must be 0: nothing twice).
(c) ``--publish`` new posts of random small shops, each created and fanned out: ``posts_per_s``.
Needs Redis (REDIS_URL, or a local server answering on 127.0.0.1:6379, used as database 9 with
its own key prefix). The last line printed is one JSON object with the figures.
    .venv/bin/python bench/circle.py [--fans 200000] [--shops 2000] [--scale 1.0] [--posts 3]
        [--reads 1000] [--publish 200] [--setup-only]
``--scale 0.1`` divides every shop's size by 10 (a quick run, in its own database).
Targets: timeline_p99_ms < 20, fanout_9k_s < 5.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from _common import DEFAULT_DB, ensure_database, local_redis_url

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Bench-pass-2026"
BIG = 150_000
SMALL = 10
NINE_K = 9_000
SKEW = 4.456  # (1 - j/n)^SKEW: mean size ~27,500 of 150,000 at the top
STRIDES = [7919, 104729, 1299709, 15485863, 32452843, 49979687, 67867967, 86028121]
FOLLOW_CHUNK = 5_000_000


def log(message: str) -> None:
    print(message, flush=True)


def _sql(sql: str, params: Any = None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _one(sql: str, params: Any = None) -> Any:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        return row[0] if row else None


def _bulk(sql: str, params: Any = None) -> int:
    from django.db import transaction

    with transaction.atomic():
        _sql("SET LOCAL synchronous_commit = off")
        _sql("SET LOCAL work_mem = '256MB'")
        return _sql(sql, params)


def shop_sizes(shops: int, scale: float) -> list[int]:
    sizes = [
        max(SMALL, round((SMALL + (BIG - SMALL) * (1 - j / (shops - 1)) ** SKEW) * scale))
        for j in range(shops)
    ]
    # The shop measured for fan-out has exactly 9,000 (at --scale 1): the nearest one.
    nine = min(range(shops), key=lambda j: abs(sizes[j] - NINE_K * scale))
    sizes[nine] = max(SMALL, round(NINE_K * scale))
    return sizes


def setup(args: argparse.Namespace, prefix: str) -> dict[str, Any]:
    from django.core.management import call_command

    call_command("migrate", "--no-input", "-v", "0")
    call_command("createcachetable")
    stages: dict[str, float] = {}
    t = time.monotonic()
    shops = _setup_shops(args.shops, prefix)
    stages["shops_s"] = round(time.monotonic() - t, 1)
    t = time.monotonic()
    first_user = _setup_users(args.fans, prefix)
    stages["users_s"] = round(time.monotonic() - t, 1)
    sizes = shop_sizes(args.shops, args.scale)
    t = time.monotonic()
    _setup_follows(shops, sizes, args.fans, first_user)
    stages["follows_s"] = round(time.monotonic() - t, 1)
    return {"shops": shops, "sizes": sizes, "first_user": first_user, "stages": stages}


def _setup_shops(n: int, prefix: str) -> list[int]:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from vshop.accounts import services as accounts
    from vshop.shops import services as shop_services
    from vshop.shops.models import Shop

    slugs = [f"{prefix}{k}" for k in range(n)]
    have = dict(Shop.objects.filter(slug__in=slugs).values_list("slug", "pk"))
    if len(have) < n:
        log(f"set-up: {n - len(have)} owners and shops")
        password_hash = make_password(PASSWORD)
        for k, slug in enumerate(slugs):
            if slug in have:
                continue
            with transaction.atomic():
                owner = accounts.account_import(
                    identifier=f"{prefix}owner-{k}@vshop.test",
                    password_hash=password_hash,
                    display_name=f"Circle bench owner {k}",
                )
                shop = shop_services.shop_open(
                    owner=owner, name=f"Circle bench {k}", slug=slug, bio="Benchmark shop."
                )
                have[slug] = shop.pk
            if k % 500 == 499:
                log(f"set-up: shops {k + 1}/{n}")
    return [have[s] for s in slugs]


def _setup_users(n: int, prefix: str) -> int:
    """Fans ``<prefix>u<g>@circle.bench``; returns the id of fan 0 (ids are consecutive)."""
    pattern = f"{prefix}u%@circle.bench"
    done = _one("SELECT count(*) FROM accounts_user WHERE email LIKE %s", [pattern])
    if done < n:
        if done:
            raise SystemExit("a half-made fan set: drop the bench database and start again")
        log(f"set-up: {n:,} fans")
        _bulk(
            """
            INSERT INTO accounts_user (password, last_login, is_superuser, email, mobile,
                display_name, time_zone, is_active, is_staff, date_joined)
            SELECT '!', NULL, false, %(p)s || 'u' || g || '@circle.bench', NULL, 'Fan ' || g,
                'Asia/Shanghai', true, false, now() - interval '100 days'
            FROM generate_series(0, %(n)s - 1) AS g ORDER BY g
            """,
            {"p": prefix, "n": n},
        )
    first = _one("SELECT id FROM accounts_user WHERE email = %s", [f"{prefix}u0@circle.bench"])
    last = _one("SELECT id FROM accounts_user WHERE email = %s", [f"{prefix}u{n - 1}@circle.bench"])
    if last - first != n - 1:
        raise SystemExit("fan ids are not consecutive: drop the bench database and start again")
    return int(first)


_FOLLOW_INDEXES = [
    ("fans_follow_fan_id_f96a2d5b", "CREATE INDEX {} ON fans_follow (fan_id)"),
    ("fans_follow_shop_id_51543999", "CREATE INDEX {} ON fans_follow (shop_id)"),
]


def _setup_follows(shops: list[int], sizes: list[int], fans: int, first_user: int) -> None:
    want = sum(sizes)
    have = _one("SELECT count(*) FROM fans_follow WHERE shop_id = ANY(%s)", [shops])
    if have == want:
        return
    if have:
        raise SystemExit("a half-made follow set: drop the bench database and start again")
    log(f"set-up: {want:,} follows (indexes and foreign keys dropped while loading)")
    for name, _create in _FOLLOW_INDEXES:
        _sql(f"DROP INDEX IF EXISTS {name}")
    _sql("ALTER TABLE fans_follow DROP CONSTRAINT IF EXISTS follow_once")
    _sql(
        "ALTER TABLE fans_follow DROP CONSTRAINT IF EXISTS fans_follow_fan_id_f96a2d5b_fk_accounts_user_id"
    )
    _sql(
        "ALTER TABLE fans_follow DROP CONSTRAINT IF EXISTS fans_follow_shop_id_51543999_fk_shops_shop_id"
    )
    rng = random.Random(7)
    group: list[int] = []
    rows = 0
    t = time.monotonic()
    for j in range(len(shops)):
        group.append(j)
        rows += sizes[j]
        if rows < FOLLOW_CHUNK and j < len(shops) - 1:
            continue
        _bulk(
            """
            INSERT INTO fans_follow (created_at, fan_id, shop_id, muted_at)
            SELECT now() - interval '30 days', %(u0)s + ((s.off + i * s.stride) %% %(n)s),
                s.shop_id, NULL
            FROM unnest(%(ids)s::bigint[], %(sizes)s::bigint[], %(offs)s::bigint[],
                        %(strides)s::bigint[]) AS s(shop_id, size, off, stride),
                 LATERAL generate_series(0::bigint, s.size - 1) AS i
            """,
            {
                "u0": first_user,
                "n": fans,
                "ids": [shops[k] for k in group],
                "sizes": [sizes[k] for k in group],
                "offs": [rng.randrange(fans) for _k in group],
                "strides": [rng.choice(STRIDES) for _k in group],
            },
        )
        log(f"set-up: follows of shops ≤ {j + 1} loaded ({time.monotonic() - t:.0f}s)")
        group, rows = [], 0
    log("set-up: rebuilding follow indexes and constraints")
    _sql("SET maintenance_work_mem = '1GB'")
    _sql("ALTER TABLE fans_follow ADD CONSTRAINT follow_once UNIQUE (fan_id, shop_id)")
    for name, create in _FOLLOW_INDEXES:
        _sql(create.format(name))
    _sql(
        "ALTER TABLE fans_follow ADD CONSTRAINT fans_follow_fan_id_f96a2d5b_fk_accounts_user_id "
        "FOREIGN KEY (fan_id) REFERENCES accounts_user(id) DEFERRABLE INITIALLY DEFERRED NOT VALID"
    )
    _sql(
        "ALTER TABLE fans_follow ADD CONSTRAINT fans_follow_shop_id_51543999_fk_shops_shop_id "
        "FOREIGN KEY (shop_id) REFERENCES shops_shop(id) DEFERRABLE INITIALLY DEFERRED NOT VALID"
    )
    _sql(
        "UPDATE shops_shop s SET fan_count = x.size FROM unnest(%s::bigint[], %s::int[]) "
        "AS x(id, size) WHERE s.id = x.id",
        [shops, sizes],
    )
    _sql("VACUUM ANALYZE fans_follow")
    log(f"set-up: follows done ({time.monotonic() - t:.0f}s)")


def history(shops: list[int], sizes: list[int], posts_per_shop: int) -> dict[str, Any]:
    """Posts of every shop; small shops' posts fanned out through the real code (timed)."""
    from django.utils import timezone

    from vshop.circle import fanout
    from vshop.circle.models import Post, PostStatus

    threshold = fanout.fanout_threshold()
    if not Post.objects.filter(shop_id__in=shops).exists():
        now = timezone.now()
        rng = random.Random(11)
        posts = []
        for shop_id in shops:
            for _k in range(posts_per_shop):
                at = now - timedelta(seconds=rng.randrange(3 * 86400))
                posts.append(
                    Post(
                        shop_id=shop_id, text="<p>New in</p>", status=PostStatus.PUBLISHED,
                        publish_at=at, published_at=at, created_at=at,
                    )
                )  # fmt: skip
        Post.objects.bulk_create(posts, batch_size=2000)
    small_shops = [shop for shop, size in zip(shops, sizes, strict=True) if size < threshold]
    small = list(
        Post.objects.filter(shop_id__in=small_shops, fanned_out_at__isnull=True).order_by("pk")
    )
    if not small:
        return {}
    log(f"history: fanning out {len(small):,} posts of small shops")
    t = time.monotonic()
    pushed = 0
    for k, post in enumerate(small):
        pushed += fanout.post_fan_out(post_id=post.pk)
        if k % 500 == 499:
            log(
                f"history: {k + 1:,}/{len(small):,} posts, {pushed:,} pushes, {time.monotonic() - t:.0f}s"
            )
    spent = time.monotonic() - t
    return {
        "history_posts_per_s": round(len(small) / spent, 1),
        "history_pushes": pushed,
        "history_pushes_per_s": round(pushed / spent),
        "history_fanout_s": round(spent, 1),
    }


def measure_publish(shops: list[int], sizes: list[int], n: int) -> dict[str, Any]:
    """``n`` new posts of random small shops, each created then fanned out (as the worker
    does): posts per second, and the mean followers reached."""
    from django.utils import timezone

    from vshop.circle import fanout
    from vshop.circle.models import Post, PostStatus

    threshold = fanout.fanout_threshold()
    small = [shop for shop, size in zip(shops, sizes, strict=True) if size < threshold]
    rng = random.Random(int(time.time()))
    pushed = 0
    t = time.perf_counter()
    for _k in range(n):
        now = timezone.now()
        post = Post.objects.create(
            shop_id=rng.choice(small), text="<p>Today</p>", status=PostStatus.PUBLISHED,
            publish_at=now, published_at=now,
        )  # fmt: skip
        pushed += fanout.post_fan_out(post_id=post.pk)
    spent = time.perf_counter() - t
    return {
        "posts_per_s": round(n / spent, 1),
        "publish_followers_mean": round(pushed / n),
        "publish_pushes_per_s": round(pushed / spent),
    }


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure_reads(fans: int, first_user: int, reads: int) -> dict[str, Any]:
    from vshop.accounts.models import User
    from vshop.circle import feed, timelines

    rng = random.Random(int(time.time()))
    users = list(
        User.objects.filter(pk__in=[first_user + rng.randrange(fans) for _ in range(reads)])
    )
    for user in users[:50]:  # warm-up: connections, caches
        feed.circle_page(user=user, limit=20)
    page_ms, redis_ms, sizes = [], [], []
    for user in users:
        t = time.perf_counter()
        page = feed.circle_page(user=user, limit=20)
        page_ms.append((time.perf_counter() - t) * 1000)
        sizes.append(len(page.posts))
        t = time.perf_counter()
        timelines.timeline_read(user_id=user.pk, before=None, limit=20)
        redis_ms.append((time.perf_counter() - t) * 1000)
    # A second page too (a cursor), to show it costs the same.
    second_ms = []
    for user in users[:200]:
        page = feed.circle_page(user=user, limit=20)
        t = time.perf_counter()
        feed.circle_page(user=user, cursor=page.next_cursor, limit=20)
        second_ms.append((time.perf_counter() - t) * 1000)
    return {
        "timeline_p50_ms": round(statistics.median(page_ms), 2),
        "timeline_p99_ms": round(_pct(page_ms, 99), 2),
        "timeline_reads": len(page_ms),
        "page_posts_mean": round(statistics.mean(sizes), 1),
        "empty_pages": sum(1 for s in sizes if s == 0),
        "redis_read_p50_ms": round(statistics.median(redis_ms), 3),
        "redis_read_p99_ms": round(_pct(redis_ms, 99), 3),
        "second_page_p99_ms": round(_pct(second_ms, 99), 2),
    }


def measure_fanout_9k(shops: list[int], sizes: list[int]) -> dict[str, Any]:
    from django.utils import timezone

    from vshop.circle import fanout, timelines
    from vshop.circle.models import Post, PostStatus
    from vshop.fans.models import Follow

    nine = shops[min(range(len(shops)), key=lambda j: abs(sizes[j] - NINE_K))]
    now = timezone.now()
    post = Post.objects.create(
        shop_id=nine, text="<p>Fan-out bench</p>", status=PostStatus.PUBLISHED,
        publish_at=now, published_at=now,
    )  # fmt: skip
    t = time.perf_counter()
    pushed = fanout.post_fan_out(post_id=post.pk)
    spent = time.perf_counter() - t
    followers = list(Follow.objects.filter(shop_id=nine).values_list("fan_id", flat=True))
    client = timelines.redis_client()
    pipe = client.pipeline(transaction=False)
    member = f"{post.pk}:{nine}"
    for fan_id in followers:
        pipe.zscore(timelines._key(fan_id), member)
    missing = sum(1 for score in pipe.execute() if score is None)
    before = sum(client.zcard(timelines._key(f)) for f in followers[:500])
    fanout.post_fan_out(post_id=post.pk)
    again = sum(client.zcard(timelines._key(f)) for f in followers[:500]) - before
    return {
        "fanout_9k_s": round(spent, 3),
        "fanout_9k_followers": len(followers),
        "fanout_9k_pushed": pushed,
        "fanout_missing": missing,
        "fanout_again_added": again,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fans", type=int, default=200_000)
    parser.add_argument("--shops", type=int, default=2_000)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every shop's size")
    parser.add_argument("--posts", type=int, default=3, help="history posts per shop")
    parser.add_argument("--reads", type=int, default=1000)
    parser.add_argument("--publish", type=int, default=200, help="new small-shop posts timed")
    parser.add_argument("--setup-only", action="store_true")
    args = parser.parse_args()
    if args.reads < 1000:
        log("note: fewer than 1,000 reads make a shaky p99")
    db_url = os.environ.get("DATABASE_URL") or DEFAULT_DB + "_circle"
    if args.scale != 1.0 and "DATABASE_URL" not in os.environ:
        db_url += f"_{str(args.scale).replace('.', '_')}"
    if not db_url.startswith("postgres"):
        print("bench/circle.py measures on PostgreSQL: set DATABASE_URL", file=sys.stderr)
        return 2
    redis_url = local_redis_url(database=9)
    if not redis_url:
        print("bench/circle.py needs Redis (REDIS_URL or 127.0.0.1:6379)", file=sys.stderr)
        return 2
    ensure_database(db_url)
    data_dir = Path(os.environ.get("VSHOP_DATA_DIR") or tempfile.mkdtemp(prefix="vshop-bench-"))
    os.environ.update(
        {
            "DATABASE_URL": db_url,
            "DEBUG": "False",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
            "VSHOP_DATA_DIR": str(data_dir),
            "MEDIA_ROOT": str(data_dir / "media"),
            "DJANGO_SETTINGS_MODULE": "vshop.settings",
            "LOG_LEVEL": "WARNING",
            "REDIS_URL": redis_url,
            "VSHOP_CACHE_PREFIX": f"circlebench{args.fans}x{args.shops}s{args.scale}",
        }
    )
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    prefix = f"cb{args.fans}x{args.shops}-"
    t0 = time.monotonic()
    data = setup(args, prefix)
    shops, sizes, first_user = data["shops"], data["sizes"], data["first_user"]
    follows = _one("SELECT count(*) FROM fans_follow WHERE shop_id = ANY(%s)", [shops])
    log(f"data: {args.fans:,} fans, {len(shops):,} shops, {follows:,} follows; set-up "
        f"{time.monotonic() - t0:.0f}s {json.dumps(data['stages'])}")  # fmt: skip
    if args.setup_only:
        return 0
    results: dict[str, Any] = {}
    results.update(history(shops, sizes, args.posts))
    results.update(measure_reads(args.fans, first_user, args.reads))
    results.update(measure_fanout_9k(shops, sizes))
    results.update(measure_publish(shops, sizes, args.publish))
    per_fan = _one(
        "SELECT percentile_disc(ARRAY[0, 0.5, 1]) WITHIN GROUP (ORDER BY n) FROM "
        "(SELECT count(*) n FROM fans_follow WHERE fan_id BETWEEN %s AND %s GROUP BY fan_id) x",
        [first_user, first_user + 999],
    )
    figures = {
        "bench": "circle",
        "timeline_p50_ms": results["timeline_p50_ms"],
        "timeline_p99_ms": results["timeline_p99_ms"],
        "fanout_9k_s": results["fanout_9k_s"],
        "posts_per_s": results.get("posts_per_s"),
        "redis_read_p99_ms": results["redis_read_p99_ms"],
        "fanout_missing": results["fanout_missing"],
        "fans": args.fans,
        "shops": len(shops),
        "follows": follows,
        "follows_per_fan_min_median_max": per_fan,
    }
    # The box may be shared: the load says how much the figures were disturbed.
    details = {k: v for k, v in results.items() if k not in figures} | {
        "stages": data["stages"],
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(details))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
