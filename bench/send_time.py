"""Send-time benchmark: does each fan's own best hour beat the best single hour for everyone?

The offline evaluation of issue 6 ("Reach fans in their own moments"). It simulates fans
(default 120,000) of six archetypes with daily rhythms in their local time, each with her own
jitter (peaks shifted by up to ±2 h, her own activity level, weekday/weekend differences):

- commuters: 07–09 and 18–20 on weekdays, later and looser at weekends;
- night owls: 22–02 every night, some until 03, later at weekends;
- mothers of young children: early morning, nap time ~13–15, after bedtime ~21–23;
- weekend shoppers: Saturday and Sunday 10–17, a little on weekday evenings;
- office lunch-breakers: 12–13 on weekdays, a little in the evening;
- noise: near uniform over the waking day, low activity.

Every fan has a probability of being active in each hour of the week; 9 weeks of Bernoulli
activity are drawn, and each active hour gets event counts (visits, views, carts, orders,
shares, opens, clicks). Weeks 1–8 are the training data, turned into profiles by the
production code (``send_time.engagement_weights`` → ``profile_from_hourly`` with the
production half-life → ``encode_profiles`` → ``decode_profile``'s byte quantisation), the shop
prior likewise (``prior_of``).

Week 9 is the test: every day at 09:00 local a campaign with the default 24-hour window
(``VSHOP_SEND_WINDOW_HOURS``) under the default quiet hours 22–08 (``messaging.selectors.
is_quiet``); ``send_time.choose_hours`` picks each fan's hour (exploration share
``VSHOP_SEND_EXPLORE``, the bandit's arms empty as on a new platform). A hit: she was active in
the chosen hour. (Sunday's window runs into Monday, which is taken from week 9's Monday: the
same distribution.) The baseline is the one local hour of the day, outside quiet hours too,
with the most activity in weeks 1–8, sent every day and scored on week 9; the best hour with
no quiet-hour limit is reported as well, and an oracle (each fan's truly most likely allowed
hour) as the ceiling.

Unless ``--skip-db`` (PostgreSQL: DATABASE_URL, by default the local vshop_bench):
``plan_seconds(fans=1_000_000)`` and ``deliver_per_second(messages=200_000)`` from
bench/_campaigns.py, and the nightly ``profiles_recompute`` timed on
``--recompute-fans`` simulated fans (default 20,000; 0 skips it) written as ``ActivityHour``
rows, twice (first run, then the nightly case with every profile in place), its stored
profiles checked against the simulation's (``recompute_max_diff_of_peak``, 0 = the same bytes)
and scaled to 1,000,000 fans. That stage empties the activity and profile tables, so it runs in
a child process on a database of its own: SEND_TIME_RECOMPUTE_DB, by default DATABASE_URL's
name + ``_send_time``.

    .venv/bin/python bench/send_time.py [--fans 120000] [--seed 6] [--activity 1.0]
        [--skip-db] [--recompute-fans 20000]

``--activity`` scales every fan's activity (0.3: sparser fans, a harder test for the model).
Prints per-archetype hit rates, then one JSON line. Target: lift = model/fixed − 1 ≥ 0.20.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
WEEKS = 9  # 8 of training, the 9th is the test
HOURS = 168
WINDOW_START = 9  # local hour the campaign's window opens each day
QUIET = (22, 8)
CHUNK = 5_000  # fans per simulation chunk and per choose_hours call (a planning batch)
ARCHETYPES = ("commuter", "night_owl", "mother", "weekend_shopper", "lunch_breaker", "noise")
SHARES = (0.25, 0.15, 0.20, 0.12, 0.18, 0.10)
TARGET_LIFT = 0.20


def log(message: str) -> None:
    print(message, flush=True)


# --- the population ----------------------------------------------------------------------------


def _bump(center: np.ndarray, width: float, height: np.ndarray | float) -> np.ndarray:
    """[n, 24]: a bell over the hours of the day around each fan's centre, wrapping midnight."""
    hours = np.arange(24, dtype=np.float64)
    d = (hours[None, :] - np.asarray(center, dtype=np.float64)[:, None] + 12) % 24 - 12
    return np.asarray(height, dtype=np.float64).reshape(-1, 1) * np.exp(-0.5 * (d / width) ** 2)


def _week(weekday: np.ndarray, weekend: np.ndarray) -> np.ndarray:
    """[n, 168] from a weekday and a weekend day [n, 24] (Monday 00:00 = 0)."""
    return np.concatenate([weekday] * 5 + [weekend] * 2, axis=1)


def rates_of(kind: str, n: int, rng: np.random.Generator, activity: float = 1.0) -> np.ndarray:
    """[n, 168]: each fan's probability of being active in each local hour of a week."""
    shift = np.clip(np.rint(rng.normal(0, 1.1, n)), -2, 2)  # her peaks, ±2 h
    jitter = rng.uniform(0.7, 1.3, (n, 4))  # how strong each of her peaks is
    if kind == "commuter":
        wd = (
            _bump(8 + shift, 0.8, 0.45 * jitter[:, 0])
            + _bump(19 + shift, 1.0, 0.5 * jitter[:, 1])
            + _bump(np.full(n, 12.5), 0.8, 0.08)
        )
        we = _bump(11 + shift, 1.6, 0.22 * jitter[:, 2]) + _bump(
            20.5 + shift, 1.5, 0.35 * jitter[:, 3]
        )
    elif kind == "night_owl":
        late = 23.5 + shift / 2 + rng.uniform(0, 1.5, n)  # some until 03:00
        wd = _bump(late, 1.3, 0.5 * jitter[:, 0]) + _bump(np.full(n, 12.5), 1.0, 0.05)
        we = _bump(late + 1, 1.5, 0.55 * jitter[:, 1]) + _bump(np.full(n, 15), 2.0, 0.06)
    elif kind == "mother":
        wd = (
            _bump(6 + shift / 2, 0.7, 0.3 * jitter[:, 0])
            + _bump(14 + shift / 2, 0.9, 0.45 * jitter[:, 1])
            + _bump(22 + shift / 2, 0.8, 0.5 * jitter[:, 2])
        )
        we = (
            _bump(7 + shift / 2, 0.8, 0.18 * jitter[:, 0])
            + _bump(14 + shift / 2, 1.2, 0.3 * jitter[:, 1])
            + _bump(21.5 + shift / 2, 1.0, 0.4 * jitter[:, 3])
        )
    elif kind == "weekend_shopper":
        wd = _bump(21 + shift, 1.2, 0.06 * jitter[:, 0])
        we = _bump(11 + shift, 1.6, 0.32 * jitter[:, 1]) + _bump(
            15 + shift, 1.6, 0.36 * jitter[:, 2]
        )
    elif kind == "lunch_breaker":
        wd = _bump(12.5 + shift / 2, 0.6, 0.55 * jitter[:, 0]) + _bump(
            21 + shift, 1.5, 0.1 * jitter[:, 1]
        )
        we = _bump(15 + shift, 4.0, 0.08 * jitter[:, 2])
    elif kind == "noise":
        awake = np.r_[np.full(7, 0.2), np.ones(17)]
        wd = 0.03 * awake * rng.uniform(0.5, 1.5, (n, 24))
        we = 0.03 * awake * rng.uniform(0.5, 1.5, (n, 24))
    else:
        raise ValueError(kind)
    level = activity * np.exp(rng.normal(0, 0.5, n)).clip(0.25, 3.0)  # some look far more
    return (_week(wd, we) * level[:, None] + 0.004).clip(0, 0.9).astype(np.float32)


def event_counts(m: int, rng: np.random.Generator) -> np.ndarray:
    """int [m, 7]: what an active hour holds, in ``send_time.COUNT_COLUMNS`` order."""
    return np.stack(
        [
            np.ones(m, dtype=np.int64),  # visits
            rng.poisson(1.5, m),  # views
            rng.random(m) < 0.10,  # carts
            rng.random(m) < 0.02,  # orders
            rng.random(m) < 0.03,  # shares
            rng.random(m) < 0.05,  # opens
            rng.random(m) < 0.03,  # clicks
        ],
        axis=1,
    ).astype(np.int64)


@dataclass
class Population:
    kinds: np.ndarray  # int [n] index into ARCHETYPES
    rates: np.ndarray  # float32 [n, 168]
    profiles: np.ndarray  # float32 [n, 168], decoded from the stored bytes
    weights: np.ndarray  # float32 [n]
    raw: np.ndarray  # float64 [n, 168], before encoding (the shop profile sums these)
    test_week: np.ndarray  # bool [n, 168]
    train_hour_of_day: np.ndarray  # int [24]: active fan-hours per hour of day, weeks 1–8
    train_rows: int
    # The first ``keep`` fans' training rows for the database stage: fan, week, hour, counts.
    kept_rows: np.ndarray | None


def simulate(
    n: int, seed: int, half_life: float, keep: int = 0, activity: float = 1.0
) -> Population:
    """The population and its 9 weeks; ``keep``: also return the first ``keep`` fans'
    training rows (for the database stage)."""
    from vshop.campaigns import send_time

    rng = np.random.default_rng(seed)
    kinds = rng.choice(len(ARCHETYPES), size=n, p=np.array(SHARES) / sum(SHARES))
    rates = np.zeros((n, HOURS), dtype=np.float32)
    for k, kind in enumerate(ARCHETYPES):
        members = np.flatnonzero(kinds == k)
        rates[members] = rates_of(kind, len(members), rng, activity)
    profiles = np.zeros((n, HOURS), dtype=np.float32)
    weights = np.zeros(n, dtype=np.float32)
    raw = np.zeros((n, HOURS))
    test_week = np.zeros((n, HOURS), dtype=bool)
    train_hod = np.zeros(24, dtype=np.int64)
    train_rows = 0
    kept: list[np.ndarray] = []
    for start in range(0, n, CHUNK):
        stop = min(start + CHUNK, n)
        active = (
            rng.random((stop - start, WEEKS, HOURS), dtype=np.float32) < rates[start:stop, None, :]
        )
        test_week[start:stop] = active[:, WEEKS - 1]
        fan, week, hour = np.nonzero(active[:, : WEEKS - 1])
        counts = event_counts(len(fan), rng)
        train_rows += len(fan)
        train_hod += np.bincount(hour % 24, minlength=24)
        # Her profile as the nightly job builds it at the start of week 9.
        age_days = ((WEEKS - 1) * HOURS - (week * HOURS + hour)) / 24
        vectors = send_time.profile_from_hourly(
            owners=fan,
            local_hours=hour,
            age_days=age_days,
            weights=send_time.engagement_weights(counts),
            n=stop - start,
            half_life_days=half_life,
        )
        raw[start:stop] = vectors
        hours, peak, weight = send_time.encode_profiles(vectors)
        for i in range(stop - start):
            profiles[start + i] = send_time.decode_profile(hours[i].tobytes(), float(peak[i]))
        weights[start:stop] = weight
        if start < keep:
            take = fan + start < keep
            kept.append(np.column_stack([fan[take] + start, week[take], hour[take], counts[take]]))
    return Population(
        kinds=kinds,
        rates=rates,
        profiles=profiles,
        weights=weights,
        raw=raw,
        test_week=test_week,
        train_hour_of_day=train_hod,
        train_rows=train_rows,
        kept_rows=np.concatenate(kept) if kept else None,
    )


# --- the test week -----------------------------------------------------------------------------


def quiet_table() -> np.ndarray:
    """bool [24]: the production rule for the default quiet hours."""
    from vshop.messaging.selectors import is_quiet

    return np.array([is_quiet(h, QUIET) for h in range(24)])


def window(day: int, width: int) -> np.ndarray:
    """int [W]: the hours of the week (wrapping Sunday into Monday) of day ``day``'s window."""
    return (day * 24 + WINDOW_START + np.arange(width)) % HOURS


def evaluate(pop: Population, seed: int, explore: float, width: int) -> dict[str, Any]:
    from django.conf import settings

    from vshop.campaigns import send_time

    rng = np.random.default_rng(seed + 1)
    n = len(pop.kinds)
    quiet = quiet_table()
    shop_total = pop.raw.sum(axis=0)
    weight = float(shop_total.sum())
    shares = shop_total / weight
    prior = send_time.prior_of(
        shop_shares=shares,
        shop_weight=weight,
        platform_shares=shares,
        platform_weight=weight,
        strength=settings.VSHOP_SEND_PRIOR_WEIGHT,
    )
    sends = np.zeros(HOURS)
    responses = np.zeros(HOURS)

    hits = np.zeros(n)
    oracle = np.zeros(n)
    explored_hits = np.zeros(n)
    explored_sends = np.zeros(n)
    sent = np.zeros(n)
    t_choose = 0.0
    for day in range(7):
        hours = window(day, width)
        allowed_row = ~quiet[hours % 24]
        for start in range(0, n, CHUNK):
            stop = min(start + CHUNK, n)
            m = stop - start
            local_hours = np.broadcast_to(hours, (m, width))
            allowed = np.broadcast_to(allowed_row, (m, width))
            t = time.perf_counter()
            choice, explored = send_time.choose_hours(
                profiles=pop.profiles[start:stop],
                weights=pop.weights[start:stop],
                prior=prior,
                local_hours=local_hours,
                allowed=allowed,
                explore=explore,
                sends=sends,
                responses=responses,
                rng=rng,
            )
            t_choose += time.perf_counter() - t
            ok = choice >= 0
            rows = np.arange(start, stop)[ok]
            chosen = hours[choice[ok]]
            hit = pop.test_week[rows, chosen]
            hits[rows] += hit
            sent[rows] += 1
            explored_hits[rows] += hit & explored[ok]
            explored_sends[rows] += explored[ok]
            # The ceiling: her truly most likely allowed hour (expected hits).
            true = np.where(allowed_row, pop.rates[start:stop][:, hours], -1.0)
            oracle[start:stop] += true.max(axis=1)

    # The baseline: one hour of the day for everyone, chosen on weeks 1–8.
    allowed_hod = np.flatnonzero(~quiet)
    best_fixed = int(allowed_hod[np.argmax(pop.train_hour_of_day[allowed_hod])])
    best_any = int(np.argmax(pop.train_hour_of_day))
    days = np.arange(7) * 24

    def fixed_hits(hour_of_day: int) -> np.ndarray:
        return pop.test_week[:, days + hour_of_day].sum(axis=1).astype(np.float64)

    fixed = fixed_hits(best_fixed)
    unrestricted = fixed_hits(best_any)

    def rate(values: np.ndarray, members: np.ndarray | slice = slice(None)) -> float:
        total = sent[members].sum()
        return float(values[members].sum() / total) if total else 0.0

    per_archetype: dict[str, dict[str, float]] = {}
    for k, kind in enumerate(ARCHETYPES):
        members = pop.kinds == k
        model_k, fixed_k = rate(hits, members), rate(fixed, members)
        per_archetype[kind] = {
            "fans": int(members.sum()),
            "model": round(model_k, 4),
            "fixed": round(fixed_k, 4),
            "lift": round(model_k / fixed_k - 1, 3) if fixed_k else float("nan"),
            "oracle": round(rate(oracle, members), 4),
        }
    model = rate(hits)
    fixed_rate = rate(fixed)
    return {
        "model_hit_rate": round(model, 4),
        "best_fixed_hour": best_fixed,
        "best_fixed_hour_hit_rate": round(fixed_rate, 4),
        "lift": round(model / fixed_rate - 1, 4),
        "best_fixed_hour_no_quiet": best_any,
        "best_fixed_hour_no_quiet_hit_rate": round(rate(unrestricted), 4),
        "lift_vs_no_quiet": round(model / rate(unrestricted) - 1, 4),
        "oracle_hit_rate": round(rate(oracle), 4),
        "explored_share": round(float(explored_sends.sum() / sent.sum()), 4),
        "explored_hit_rate": round(float(explored_hits.sum() / max(explored_sends.sum(), 1)), 4),
        "exploited_hit_rate": round(
            float((hits.sum() - explored_hits.sum()) / max(sent.sum() - explored_sends.sum(), 1)),
            4,
        ),
        "choose_us_per_fan": round(t_choose / max(sent.sum(), 1) * 1e6, 3),
        "per_archetype": per_archetype,
    }


# --- the database stages -----------------------------------------------------------------------


def recompute_stage(pop: Population, fans: int, half_life: float) -> dict[str, Any]:
    """Write ``fans`` simulated fans' training weeks as ActivityHour rows, time the nightly
    ``profiles_recompute`` and check its stored profiles against the simulation's."""
    from datetime import UTC, datetime, timedelta

    from django.core.management import call_command
    from django.db import connection

    from vshop.campaigns import send_time

    call_command("migrate", verbosity=0)
    assert pop.kept_rows is not None
    rows = pop.kept_rows
    week_start = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday; her zone = UTC here
    now = week_start + timedelta(hours=(WEEKS - 1) * HOURS)
    prefix = "st-recompute-"
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM fans_activityhour")
        cursor.execute("DELETE FROM campaigns_fansendprofile")
        cursor.execute("DELETE FROM accounts_user WHERE email LIKE %s", [prefix + "%"])
        cursor.execute(
            """
            INSERT INTO accounts_user (password, last_login, is_superuser, email, mobile,
                display_name, time_zone, is_active, is_staff, date_joined)
            SELECT '!', NULL, false, %s || g || '@bench', NULL, 'f' || g, 'UTC', true, false,
                now()
            FROM generate_series(0, %s - 1) AS g
            """,
            [prefix, fans],
        )
        cursor.execute(
            "SELECT id FROM accounts_user WHERE email LIKE %s ORDER BY id", [prefix + "%"]
        )
        user_ids = np.array([r[0] for r in cursor.fetchall()], dtype=np.int64)
    fan, week, hour = rows[:, 0], rows[:, 1], rows[:, 2]
    counts = rows[:, 3:]
    shop = 1 + fan % 5  # five shops
    at = [week_start + timedelta(hours=int(h)) for h in (week * HOURS + hour).tolist()]
    t = time.monotonic()
    raw = connection.connection  # psycopg: COPY is the fast way in
    with (
        raw.cursor() as cur,
        cur.copy(
            "COPY fans_activityhour (shop_id, user_id, hour, local_hour, visits, views, carts,"
            " orders, shares, opens, clicks) FROM STDIN"
        ) as copy,
    ):
        for i in range(len(rows)):
            copy.write_row(
                (int(shop[i]), int(user_ids[fan[i]]), at[i], int(hour[i]), *counts[i].tolist())
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE fans_activityhour")
    log(
        f"recompute: {len(rows):,} ActivityHour rows of {fans:,} fans in {time.monotonic() - t:.1f}s"
    )
    t = time.monotonic()
    written = send_time.profiles_recompute(now=now)
    first = time.monotonic() - t
    t = time.monotonic()
    send_time.profiles_recompute(now=now)  # the nightly case: every profile already there
    again = time.monotonic() - t
    stored, _weights = send_time.load_profiles(user_ids.tolist())
    expected = pop.profiles[:fans]
    peak = np.maximum(expected.max(axis=1, keepdims=True), 1e-9)
    diff = float(np.abs(stored - expected).max() / 1) if fans else 0.0
    worst_share = float((np.abs(stored - expected) / peak).max()) if fans else 0.0
    per_row = again / max(len(rows), 1)
    return {
        "recompute_fans": fans,
        "recompute_rows": len(rows),
        "recompute_written": written,
        "recompute_s": round(first, 2),
        "recompute_again_s": round(again, 2),
        "recompute_rows_per_s": round(len(rows) / again),
        "recompute_1m_fans_est_s": round(again * 1_000_000 / max(fans, 1)),
        "recompute_1m_fans_20_rows_each_est_s": round(per_row * 20_000_000),
        "recompute_max_abs_diff": round(diff, 6),
        "recompute_max_diff_of_peak": round(worst_share, 6),
    }


def recompute_in_child(args: argparse.Namespace) -> dict[str, Any]:
    """Run ``recompute_stage`` in a child process on a database of its own (the stage empties
    the activity and profile tables it measures, which must never be a shared one's)."""
    import subprocess

    from _common import ensure_database

    base = os.environ["DATABASE_URL"]
    url = os.environ.get("SEND_TIME_RECOMPUTE_DB") or base.split("?")[0] + "_send_time"
    ensure_database(url)
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--recompute-child",
        f"--fans={args.recompute_fans}",
        f"--recompute-fans={args.recompute_fans}",
        f"--seed={args.seed}",
        f"--activity={args.activity}",
    ]
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": ""}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    lines = done.stdout.strip().splitlines()
    for line in lines[:-1]:
        log(line)
    if done.returncode or not lines:
        log(done.stderr[-3000:])
        return {"recompute_error": done.returncode}
    return dict(json.loads(lines[-1]))


def campaigns_stage() -> dict[str, Any]:
    import _campaigns  # type: ignore[import-not-found]  (bench/ is on the path: run alone)

    return {
        "plan_1m_fans_s": _campaigns.plan_seconds(fans=1_000_000),
        "deliver_per_s": _campaigns.deliver_per_second(messages=200_000),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--fans", type=int, default=120_000)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--skip-db", action="store_true", help="simulation only (no PostgreSQL)")
    parser.add_argument(
        "--recompute-fans",
        type=int,
        default=20_000,
        help="time profiles_recompute on this many fans (0: not at all)",
    )
    parser.add_argument(
        "--activity", type=float, default=1.0, help="scale every fan's activity (sparser < 1)"
    )
    parser.add_argument("--recompute-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fans < 1 or args.recompute_fans < 0 or args.activity <= 0:
        parser.error("--fans and --activity must be positive, --recompute-fans ≥ 0")

    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vshop.settings")
    if not args.skip_db:
        from _common import DEFAULT_DB, ensure_database

        os.environ["DATABASE_URL"] = os.environ.get("DATABASE_URL") or DEFAULT_DB
        if not os.environ["DATABASE_URL"].startswith("postgres"):
            parser.error("the database stages need PostgreSQL (DATABASE_URL=postgres://...)")
        ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.conf import settings

    half_life = float(settings.VSHOP_SEND_HALF_LIFE_DAYS)
    if args.recompute_child:
        pop = simulate(args.fans, args.seed, half_life, keep=args.fans, activity=args.activity)
        print(json.dumps(recompute_stage(pop, args.fans, half_life)), flush=True)
        return 0

    t = time.monotonic()
    pop = simulate(args.fans, args.seed, half_life, activity=args.activity)
    simulate_s = time.monotonic() - t
    t = time.monotonic()
    result = evaluate(
        pop, args.seed, float(settings.VSHOP_SEND_EXPLORE), int(settings.VSHOP_SEND_WINDOW_HOURS)
    )
    evaluate_s = time.monotonic() - t

    log(
        f"{args.fans:,} fans, {pop.train_rows:,} active fan-hours in weeks 1–8; window from "
        f"{WINDOW_START:02d}:00 local, {settings.VSHOP_SEND_WINDOW_HOURS} h, quiet "
        f"{QUIET[0]}–{QUIET[1]}, explore {settings.VSHOP_SEND_EXPLORE}"
    )
    log(f"{'archetype':<16} {'fans':>7} {'model':>7} {'fixed':>7} {'lift':>7} {'oracle':>7}")
    for kind, row in result["per_archetype"].items():
        log(
            f"{kind:<16} {row['fans']:>7} {row['model']:>7.3f} {row['fixed']:>7.3f} "
            f"{row['lift']:>+7.1%} {row['oracle']:>7.3f}"
        )
    log(
        f"{'all':<16} {args.fans:>7} {result['model_hit_rate']:>7.3f} "
        f"{result['best_fixed_hour_hit_rate']:>7.3f} {result['lift']:>+7.1%} "
        f"{result['oracle_hit_rate']:>7.3f}   (fixed = {result['best_fixed_hour']:02d}:00; "
        f"no quiet limit: {result['best_fixed_hour_no_quiet']:02d}:00 at "
        f"{result['best_fixed_hour_no_quiet_hit_rate']:.3f})"
    )
    figures: dict[str, Any] = {
        "bench": "send_time",
        "model_hit_rate": result["model_hit_rate"],
        "best_fixed_hour_hit_rate": result["best_fixed_hour_hit_rate"],
        "lift": result["lift"],
        "plan_1m_fans_s": None,
        "deliver_per_s": None,
        "fans": args.fans,
        "seed": args.seed,
        "activity": args.activity,
        "target_lift": TARGET_LIFT,
        "lift_ok": result["lift"] >= TARGET_LIFT,
        **{k: v for k, v in result.items() if k not in {"per_archetype"}},
        "per_archetype": result["per_archetype"],
        "simulate_s": round(simulate_s, 1),
        "evaluate_s": round(evaluate_s, 1),
    }
    if not args.skip_db:
        if args.recompute_fans:
            figures.update(recompute_in_child(args))
        figures.update(campaigns_stage())
    print(json.dumps(figures), flush=True)
    return 0 if figures["lift_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
