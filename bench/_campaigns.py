"""Campaign planning and delivery at scale, on PostgreSQL (used by bench/send_time.py; also runs
alone: ``.venv/bin/python bench/_campaigns.py [--fans 1000000] [--messages 200000]``).

The data: one shop with ``fans`` fans, made once and reused, with bench/fans.py's own set-up
steps (owners and shops through the services, then accounts and ``ShopFan`` rows as bulk SQL:
~1/40 of the fans in New York, 1/40 in London, the rest in Shanghai; a few muted or not
contactable), in its own rows (the prefix names the size). Every fan is made a follower, so
the audience "all fans" is all of them; each has a send-time profile (64 random rhythms), so
the plan reads and decodes one per fan as it would in production.

- ``plan_seconds``: a BEST campaign (24-hour window from the next full hour, two variants,
  10 % holdout, inbox) to all fans, made through the models; the wall time of
  ``planning.campaign_plan``. Every fan must get exactly one recipient row.
- ``deliver_per_second``: an AT campaign at 12:00 Shanghai time to ``messages`` fans (a tag
  put on that many), planned untimed; then every one of its slots delivered with
  ``delivery.slot_deliver`` (the worker's batch size): messages per second. Every planned fan
  must have exactly one inbox message.

Each run first deletes the previous run's campaigns, inbox messages and caps' counts of the
shop (raw SQL: a million rows through the ORM's cascade would take minutes).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_TAG = "campaign-bench"


def log(message: str) -> None:
    print(message, flush=True)


def _ready() -> None:
    """Django on the bench database (when the caller has not set it up already)."""
    from django.conf import settings as django_settings

    if django_settings.configured:
        import django

        django.setup()
        return
    from _common import DEFAULT_DB, ensure_database

    url = os.environ.get("DATABASE_URL") or DEFAULT_DB
    if not url.startswith("postgres"):
        raise SystemExit("bench/_campaigns.py measures on PostgreSQL: DATABASE_URL=postgres://...")
    ensure_database(url)
    data_dir = os.environ.get("VSHOP_DATA_DIR") or tempfile.mkdtemp(prefix="vshop-bench-")
    os.environ.update(
        {
            "DATABASE_URL": url,
            "DEBUG": "False",
            "VSHOP_DATA_DIR": data_dir,
            "DJANGO_SETTINGS_MODULE": "vshop.settings",
            "LOG_LEVEL": "WARNING",
            "REDIS_URL": os.environ.get("REDIS_URL", ""),
        }
    )
    os.environ.setdefault("SECRET_KEY", "campaign-bench-" + "x" * 40)
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def _shop(fans: int) -> int:
    """The bench shop with ``fans`` fans, all followers (made once, through fans.py's set-up)."""
    from django.core.management import call_command

    import fans as fans_bench

    call_command("migrate", "--no-input", "-v", "0")
    # Two shops (fans.py needs two): the big one is ours, the other gets one fan.
    sizes = fans_bench.Sizes(fans=fans + 1, shops=2, big=fans, events=0)
    shops = fans_bench._setup_shops(sizes)
    made = fans_bench._setup_users(sizes)
    made = fans_bench._setup_fans(sizes, shops) or made
    shop_id = shops[0]
    changed = fans_bench._bulk(
        "UPDATE fans_shopfan SET is_follower = true, followed_at = created_at "
        "WHERE shop_id = %(shop)s AND NOT is_follower",
        {"shop": shop_id},
    )
    profiled = _profiles(shop_id)
    if made or changed or profiled:
        fans_bench._vacuum()
    return shop_id


def _profiles(shop_id: int) -> int:
    """A send-time profile for every fan (as the nightly job would have made), so that the
    plan reads and decodes one per fan: 64 random rhythms, the fan's by her id."""
    import numpy as np

    import fans as fans_bench
    from vshop.campaigns.send_time import encode_profiles

    rng = np.random.default_rng(6)
    hours, peaks, _weights = encode_profiles(rng.gamma(0.6, 1.0, size=(64, 168)))
    return fans_bench._bulk(
        "INSERT INTO campaigns_fansendprofile (user_id, hours, peak, weight, updated_at) "
        "SELECT f.user_id, (%(hours)s::bytea[])[1 + f.user_id %% 64], "
        "(%(peaks)s::float8[])[1 + f.user_id %% 64], 1 + (f.user_id %% 97), now() "
        "FROM fans_shopfan f WHERE f.shop_id = %(shop)s AND f.user_id IS NOT NULL "
        "ON CONFLICT DO NOTHING",
        {
            "hours": [bytes(row) for row in hours],
            "peaks": [float(p) for p in peaks],
            "shop": shop_id,
        },
    )


def _clean(shop_id: int) -> None:
    """The previous runs' campaigns of the shop, their messages and the caps' counts."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SELECT id FROM campaigns_campaign WHERE shop_id = %s", [shop_id])
        ids = [row[0] for row in cursor.fetchall()]
        if ids:
            cursor.execute(
                "DELETE FROM campaigns_outgoingmessage o USING campaigns_campaignrecipient r "
                "WHERE o.recipient_id = r.id AND r.campaign_id = ANY(%s)",
                [ids],
            )
            for table in ("campaigns_campaignrecipient", "campaigns_sendslot"):
                cursor.execute(f"DELETE FROM {table} WHERE campaign_id = ANY(%s)", [ids])
            cursor.execute(
                "DELETE FROM campaigns_campaignvariant WHERE campaign_id = ANY(%s)", [ids]
            )
            cursor.execute("DELETE FROM campaigns_campaign WHERE id = ANY(%s)", [ids])
        cursor.execute(
            "DELETE FROM messaging_inboxmessage WHERE kind = 'campaign' AND shop_id = %s", [shop_id]
        )
        cursor.execute(
            "DELETE FROM campaigns_dailymessagecount d USING fans_shopfan f "
            "WHERE f.shop_id = %s AND d.user_id = f.user_id",
            [shop_id],
        )
    with connection.cursor() as cursor:
        for table in (
            "campaigns_campaignrecipient",
            "messaging_inboxmessage",
            "campaigns_dailymessagecount",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")


def _campaign(shop_id: int, *, timing: str, start: datetime, end: datetime, **extra: Any) -> Any:
    from vshop.campaigns.models import AudienceKind, Campaign, CampaignVariant

    campaign = Campaign.objects.create(
        shop_id=shop_id,
        name=f"Bench {timing}",
        link="https://example.com/bench",
        audience_kind=extra.pop("audience_kind", AudienceKind.ALL),
        timing=timing,
        window_start=start,
        window_end=end,
        send_inbox=True,
        **extra,
    )
    CampaignVariant.objects.bulk_create(
        [
            CampaignVariant(campaign=campaign, number=1, title="春季上新", text="新款到店，来看看"),
            CampaignVariant(campaign=campaign, number=2, title="Spring is here", text="New in."),
        ]
    )
    return campaign


def plan_seconds(fans: int = 1_000_000) -> float:
    """Wall time of planning a BEST campaign to ``fans`` fans."""
    _ready()
    from django.utils import timezone

    from vshop.campaigns import planning
    from vshop.campaigns.models import CampaignRecipient, Timing

    shop_id = _shop(fans)
    _clean(shop_id)
    now = timezone.now()
    start = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    campaign = _campaign(
        shop_id,
        timing=Timing.BEST,
        start=start,
        end=start + timedelta(hours=24),
        holdout_percent=10,
    )
    t = time.monotonic()
    planned = planning.campaign_plan(campaign_id=campaign.pk, now=now)
    seconds = time.monotonic() - t
    campaign.refresh_from_db()
    rows = CampaignRecipient.objects.filter(campaign=campaign).count()
    log(
        f"plan: {campaign.audience_count:,} fans in {seconds:.1f}s "
        f"({planned:,} planned, {campaign.holdout_count:,} holdout, {campaign.held_caps:,} "
        f"capped, {campaign.held_quiet:,} after quiet hours, {campaign.held_optout:,} opted "
        f"out; {campaign.slots.count()} slots)"
    )
    if rows != campaign.audience_count or campaign.audience_count < fans * 0.99:
        log(f"plan: VIOLATION {rows:,} recipient rows for {campaign.audience_count:,} fans")
    return round(seconds, 2)


def deliver_per_second(messages: int = 200_000) -> float:
    """Messages per second delivering an AT campaign's slots to ``messages`` fans."""
    _ready()
    from django.db import connection
    from django.db.models import Count

    from vshop.campaigns import planning
    from vshop.campaigns.delivery import slot_deliver
    from vshop.campaigns.models import AudienceKind, SendSlot, Timing
    from vshop.fans.models import Tag
    from vshop.messaging.models import InboxMessage

    fans = int(os.environ.get("CAMPAIGN_BENCH_FANS") or 1_000_000)
    shop_id = _shop(max(fans, messages))
    _clean(shop_id)
    tag, _made = Tag.objects.get_or_create(shop_id=shop_id, name=BENCH_TAG)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM fans_fantag WHERE tag_id = %s", [tag.pk])
        cursor.execute(
            "INSERT INTO fans_fantag (fan_id, tag_id, by_rule, created_at) "
            "SELECT id, %s, false, now() FROM fans_shopfan "
            "WHERE shop_id = %s AND user_id IS NOT NULL AND contactable AND NOT is_muted "
            "ORDER BY id LIMIT %s",
            [tag.pk, shop_id, messages],
        )
    # 12:00 in Shanghai today (already past or not: the slots are delivered directly).
    today = datetime.now(UTC).replace(hour=4, minute=0, second=0, microsecond=0)
    campaign = _campaign(
        shop_id,
        timing=Timing.AT,
        start=today,
        end=today,
        audience_kind=AudienceKind.TAG,
        tag=tag,
    )
    planning.campaign_plan(campaign_id=campaign.pk, now=today)
    campaign.refresh_from_db()
    slots = list(SendSlot.objects.filter(campaign=campaign).order_by("at"))
    t = time.monotonic()
    delivered = sum(slot_deliver(slot_id=slot.pk) for slot in slots)
    seconds = time.monotonic() - t
    rate = delivered / seconds if seconds else 0.0
    log(
        f"deliver: {delivered:,} messages in {seconds:.1f}s = {rate:,.0f}/s "
        f"({len(slots)} slots, {campaign.planned_count:,} planned)"
    )
    twice = (
        InboxMessage.objects.filter(shop_id=shop_id, kind="campaign")
        .values("recipient_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    if delivered != campaign.planned_count or twice:
        log(f"deliver: VIOLATION {delivered:,} of {campaign.planned_count:,}, {twice} twice")
    return round(rate)


def main() -> int:
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--fans", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=200_000)
    args = parser.parse_args()
    os.environ["CAMPAIGN_BENCH_FANS"] = str(args.fans)
    figures = {
        "bench": "campaigns",
        "plan_s": plan_seconds(fans=args.fans),
        "deliver_per_s": deliver_per_second(messages=args.messages),
        "fans": args.fans,
        "messages": args.messages,
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
