"""Builders shared by the campaign tests: fans of a shop (made through the services, or in bulk
for the big tests), a saved campaign in PLANNING state, and small helpers to plan and deliver it.

Keep these signatures stable: every campaign test module imports them.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from tests.factories import make_user
from vshop.accounts.models import AccountRole, Role, User
from vshop.campaigns.models import (
    AudienceKind,
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    CampaignVariant,
    SendSlot,
    ShopMessagingSettings,
    Timing,
)
from vshop.fans.models import FanSource, Follow, Segment, ShopFan, Tag
from vshop.fans.services import fan_follow
from vshop.messaging.models import ChannelOptOut, MessagePreferences
from vshop.shops.models import Shop

# Monday 1 June 2026, 04:00 UTC = 12:00 in Shanghai (hour of the week 12 there).
T0 = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)
# Monday 1 June 2026, 15:00 UTC = 23:00 in Shanghai: inside the default quiet hours (22–8).
T_QUIET = datetime(2026, 6, 1, 15, 0, tzinfo=UTC)

_seq = itertools.count(1)


def make_fans(
    shop: Shop, n: int, *, time_zone: str = "Asia/Shanghai", email: bool = True
) -> list[User]:
    """``n`` new accounts that follow the shop (through ``fan_follow``), living in
    ``time_zone`` (set on her ShopFan). ``email=False``: accounts with a mobile number only."""
    users = []
    for _ in range(n):
        k = next(_seq)
        ident = f"cfan{k}@example.com" if email else f"+86137{k:08d}"
        user = make_user(ident, name=f"Fan {k}")
        fan_follow(fan=user, shop=shop)
        users.append(user)
    if time_zone != "Asia/Shanghai":
        ShopFan.objects.filter(shop=shop, user__in=users).update(time_zone=time_zone)
    return users


def bulk_fans(
    shop: Shop, n: int, *, time_zone: str = "Asia/Shanghai", email: bool = True
) -> list[int]:
    """``n`` followers made with bulk inserts (accounts, roles, follows, ShopFans), for tests
    that need thousands; returns the user ids in creation order."""
    now = timezone.now()
    base = next(_seq) * 1_000_000
    for _ in range(n // 1000 + 1):  # keep later calls' numbers apart
        next(_seq)
    users = User.objects.bulk_create(
        [
            User(
                email=f"bulk{base + i}@example.com" if email else None,
                mobile=None if email else f"+86{base + i:011d}"[:20],
                display_name=f"Bulk {base + i}",
                password="!",
            )
            for i in range(n)
        ],
        batch_size=1000,
    )
    ids = [u.pk for u in users]
    if any(pk is None for pk in ids):  # a backend that does not return ids
        query = User.objects.filter(display_name__startswith="Bulk ").order_by("pk")
        ids = list(query.values_list("pk", flat=True))[-n:]
    AccountRole.objects.bulk_create(
        [AccountRole(user_id=pk, role=Role.FAN) for pk in ids], batch_size=1000
    )
    Follow.objects.bulk_create(
        [Follow(fan_id=pk, shop=shop, created_at=now) for pk in ids], batch_size=1000
    )
    ShopFan.objects.bulk_create(
        [
            ShopFan(
                shop=shop,
                user_id=pk,
                name=f"Bulk {pk}",
                source=FanSource.FOLLOW,
                is_follower=True,
                followed_at=now,
                time_zone=time_zone,
            )
            for pk in ids
        ],
        batch_size=1000,
    )
    return ids


def fan_record(user: User | int, shop: Shop) -> ShopFan:
    user_id = user if isinstance(user, int) else user.pk
    return ShopFan.objects.get(shop=shop, user_id=user_id)


def make_campaign(
    shop: Shop,
    *,
    name: str = "Spring sale",
    audience: str = AudienceKind.ALL,
    segment: Segment | None = None,
    tag: Tag | None = None,
    timing: str = Timing.NOW,
    start: datetime | None = None,
    end: datetime | None = None,
    inbox: bool = True,
    email: bool = False,
    webhook: bool = False,
    holdout_percent: int = 0,
    variants: int | Sequence[tuple[str, str]] = 1,
    link: str = "https://example.com/sale",
    status: str = CampaignStatus.PLANNING,
) -> Campaign:
    """A saved campaign (PLANNING unless told) with its variants, made through the models.
    ``start`` defaults to T0; ``end`` to ``start`` (NOW/AT) or ``start`` + 24 h (BEST)."""
    start = start or T0
    if end is None:
        end = start + timedelta(hours=24) if timing == Timing.BEST else start
    campaign = Campaign.objects.create(
        shop=shop,
        created_by=shop.owner,
        name=name,
        link=link,
        audience_kind=audience,
        segment=segment,
        tag=tag,
        timing=timing,
        window_start=start,
        window_end=end,
        send_inbox=inbox,
        send_email=email,
        send_webhook=webhook,
        holdout_percent=holdout_percent,
        status=status,
    )
    texts = (
        [(f"Variant {i} title", f"Variant {i} text") for i in range(1, variants + 1)]
        if isinstance(variants, int)
        else list(variants)
    )
    CampaignVariant.objects.bulk_create(
        [
            CampaignVariant(campaign=campaign, number=i, title=title, text=text)
            for i, (title, text) in enumerate(texts, start=1)
        ]
    )
    return campaign


def plan(campaign: Campaign, *, now: datetime | None = None) -> Campaign:
    """Run the plan (``now`` defaults to the window start) and return the campaign reloaded."""
    from vshop.campaigns.planning import campaign_plan

    campaign_plan(campaign_id=campaign.pk, now=now or campaign.window_start)
    campaign.refresh_from_db()
    return campaign


def deliver_all(campaign: Campaign, *, batch_size: int = 500) -> int:
    """Deliver every pending slot of the campaign, due or not; returns the messages sent."""
    from vshop.campaigns.delivery import slot_deliver

    total = 0
    for slot_id in (
        SendSlot.objects.filter(campaign=campaign).order_by("at").values_list("pk", flat=True)
    ):
        total += slot_deliver(slot_id=slot_id, batch_size=batch_size)
    return total


def recipients(campaign: Campaign) -> list[CampaignRecipient]:
    return list(CampaignRecipient.objects.filter(campaign=campaign).order_by("pk"))


def recipient_of(campaign: Campaign, user: User | int) -> CampaignRecipient:
    user_id = user if isinstance(user, int) else user.pk
    return CampaignRecipient.objects.get(campaign=campaign, user_id=user_id)


def quiet_hours(user: User | int, start: int, end: int) -> MessagePreferences:
    user_id = user if isinstance(user, int) else user.pk
    prefs, _created = MessagePreferences.objects.update_or_create(
        user_id=user_id, defaults={"quiet_start": start, "quiet_end": end}
    )
    return prefs


def opt_out(user: User | int, channel: str, shop: Shop | None = None) -> ChannelOptOut:
    """She unsubscribes from a channel of this shop (``shop=None``: of every shop)."""
    user_id = user if isinstance(user, int) else user.pk
    return ChannelOptOut.objects.create(user_id=user_id, shop=shop, channel=channel)


def shop_settings(
    shop: Shop, *, per_fan_per_day: int | None = None, webhook_url: str = ""
) -> ShopMessagingSettings:
    row, _created = ShopMessagingSettings.objects.update_or_create(
        shop=shop,
        defaults={
            "per_fan_per_day": per_fan_per_day,
            "webhook_url": webhook_url,
            "webhook_secret": "s3cret" if webhook_url else "",
        },
    )
    return row


@pytest.fixture
def shop_fans(shop: Shop) -> list[User]:
    """Three followers of ``shop`` in Shanghai, with email addresses."""
    return make_fans(shop, 3)


def stub_send_time_if_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Kept for the modules that import it: the send-time model has landed, so this does
    nothing unless its functions still raise NotImplementedError (then: the first allowed
    candidate, no exploring)."""
    import numpy as np

    from vshop.campaigns import send_time

    try:
        send_time.arm_stats()
        return
    except NotImplementedError:
        pass

    def choose_hours(**kw: object) -> tuple[np.ndarray, np.ndarray]:
        allowed = np.asarray(kw["allowed"], dtype=bool)
        idx = np.where(allowed.any(axis=1), allowed.argmax(axis=1), -1)
        return idx, np.zeros(len(idx), dtype=bool)

    def load_profiles(user_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        n = len(user_ids)
        return np.zeros((n, 168), dtype=np.float32), np.zeros(n, dtype=np.float32)

    monkeypatch.setattr(send_time, "choose_hours", choose_hours)
    monkeypatch.setattr(send_time, "load_profiles", load_profiles)
    monkeypatch.setattr(send_time, "shop_prior", lambda shop_id: np.full(168, 1 / 168))
    monkeypatch.setattr(send_time, "arm_stats", lambda: (np.zeros(168), np.zeros(168)))
