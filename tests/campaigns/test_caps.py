"""Frequency caps: the platform's (settings, or the operator's policy row), the owner's lower
one, per shop and across shops per her local day; held back at plan and at delivery; order
notifications are never capped; and on PostgreSQL two shops delivering to the same fans at
once never give anyone more than the cap."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import transaction

from tests.campaigns.kit import (
    T0,
    bulk_fans,
    deliver_all,
    make_campaign,
    make_fans,
    plan,
    recipient_of,
    recipients,
    shop_settings,
)
from tests.factories import make_shop
from tests.races import race
from vshop.campaigns import caps
from vshop.campaigns.delivery import slot_deliver
from vshop.campaigns.models import (
    DailyMessageCount,
    MessagingPolicy,
    RecipientState,
    SendSlot,
)
from vshop.fans.services import fan_follow
from vshop.messaging.models import InboxMessage
from vshop.messaging.services import notify

pytestmark = pytest.mark.django_db

DAY = date(2026, 6, 1)


def test_platform_caps_come_from_settings(shop, settings):
    settings.VSHOP_CAP_PER_SHOP_DAY = 2
    settings.VSHOP_CAP_PER_FAN_DAY = 5
    assert caps.caps_for_shop(shop_id=shop.pk) == caps.Caps(per_shop=2, per_fan=5)


def test_the_operators_policy_row_wins_over_settings(shop, settings):
    settings.VSHOP_CAP_PER_SHOP_DAY = 2
    MessagingPolicy.objects.create(pk=1, per_shop_per_day=4, per_fan_per_day=6)
    assert caps.caps_for_shop(shop_id=shop.pk) == caps.Caps(per_shop=4, per_fan=6)


def test_the_owner_may_only_lower_her_cap(shop, other_shop):
    MessagingPolicy.objects.create(pk=1, per_shop_per_day=2, per_fan_per_day=3)
    shop_settings(shop, per_fan_per_day=1)
    shop_settings(other_shop, per_fan_per_day=9)
    assert caps.caps_for_shop(shop_id=shop.pk) == caps.Caps(per_shop=1, per_fan=3)
    assert caps.caps_for_shop(shop_id=other_shop.pk) == caps.Caps(per_shop=2, per_fan=3)


def take(shop_id: int, users: list[int], day: date = DAY, **limits: int) -> set[int]:
    limits = {"per_shop": 1, "per_fan": 3, **limits}
    with transaction.atomic():
        return caps.caps_take(
            shop_id=shop_id, caps=caps.Caps(**limits), wants=[(u, day) for u in users]
        )


def test_the_shop_cap_is_per_her_day(shop):
    assert take(shop.pk, [7, 8]) == {7, 8}
    assert take(shop.pk, [7, 9]) == {9}
    assert take(shop.pk, [7], day=DAY + timedelta(days=1)) == {7}
    assert take(shop.pk, [7], per_shop=2) == {7}
    assert take(shop.pk, [7], per_shop=2) == set()
    row = DailyMessageCount.objects.get(user_id=7, day=DAY, shop_id=shop.pk)
    assert row.count == 2
    assert DailyMessageCount.objects.get(user_id=7, day=DAY, shop_id=0).count == 2


def test_the_cross_shop_cap_of_three(db):
    shops = [make_shop() for _ in range(4)]
    for s in shops[:3]:
        assert take(s.pk, [5]) == {5}
    assert take(shops[3].pk, [5]) == set()
    assert DailyMessageCount.objects.get(user_id=5, day=DAY, shop_id=0).count == 3
    assert not DailyMessageCount.objects.filter(shop_id=shops[3].pk, count__gt=0).exists()
    reader = caps.Caps(per_shop=1, per_fan=3)
    assert caps.capped_users(shop_id=shops[3].pk, caps=reader, wants=[(5, DAY), (6, DAY)]) == {5}


def test_capped_users_reads_without_writing(shop):
    take(shop.pk, [1])
    before = list(DailyMessageCount.objects.values_list("user_id", "shop_id", "count"))
    capped = caps.capped_users(
        shop_id=shop.pk,
        caps=caps.Caps(per_shop=1, per_fan=3),
        wants=[(1, DAY), (2, DAY), (1, DAY + timedelta(days=1))],
    )
    assert capped == {1}
    assert list(DailyMessageCount.objects.values_list("user_id", "shop_id", "count")) == before


def test_prune_drops_old_days(shop):
    take(shop.pk, [1], day=DAY - timedelta(days=5))
    take(shop.pk, [1], day=DAY)
    assert caps.daily_counts_prune(before=DAY - timedelta(days=2)) == 2  # shop row + all row
    assert set(DailyMessageCount.objects.values_list("day", flat=True)) == {DAY}


def test_the_plan_holds_back_fans_at_the_cap(shop):
    capped, free = make_fans(shop, 2)
    take(shop.pk, [capped.pk])  # 1 June in Shanghai: the day of T0 there
    campaign = plan(make_campaign(shop, start=T0))
    assert recipient_of(campaign, capped).state == RecipientState.CAPPED
    assert recipient_of(campaign, free).state == RecipientState.PLANNED
    assert (campaign.held_caps, campaign.planned_count) == (1, 1)
    assert SendSlot.objects.get(campaign=campaign).planned == 1


def test_the_owners_lower_cap_holds_at_delivery(shop):
    MessagingPolicy.objects.create(pk=1, per_shop_per_day=2, per_fan_per_day=3)
    shop_settings(shop, per_fan_per_day=1)
    (fan,) = make_fans(shop, 1)
    first = plan(make_campaign(shop, name="First", start=T0))
    second = plan(make_campaign(shop, name="Second", start=T0 + timedelta(hours=1)))
    assert deliver_all(first) == 1
    assert deliver_all(second) == 0
    assert recipient_of(second, fan).state == RecipientState.CAPPED
    assert InboxMessage.objects.filter(recipient=fan).count() == 1


def test_the_platform_cap_lets_two_through_when_the_policy_says_two(shop):
    MessagingPolicy.objects.create(pk=1, per_shop_per_day=2, per_fan_per_day=3)
    (fan,) = make_fans(shop, 1)
    for name in ("a", "b", "c"):
        deliver_all(plan(make_campaign(shop, name=name)))
    assert InboxMessage.objects.filter(recipient=fan, kind="campaign").count() == 2


def test_order_notifications_are_not_capped(shop):
    (fan,) = make_fans(shop, 1)
    deliver_all(plan(make_campaign(shop)))
    assert recipient_of(shop.campaigns.get(), fan).state == RecipientState.DELIVERED
    notify(recipients=[fan], kind="order.paid", title="Paid", body="Thanks", email=False)
    notify(recipients=[fan], kind="order.shipped", title="Shipped", body="On its way", email=False)
    assert InboxMessage.objects.filter(recipient=fan).count() == 3
    assert set(DailyMessageCount.objects.values_list("count", flat=True)) == {1}


def test_the_cap_day_is_her_local_day(shop):
    (fan,) = make_fans(shop, 1, time_zone="America/Los_Angeles")
    # T0 is 21:00 on 31 May in Los Angeles: yesterday's count there is what matters.
    take(shop.pk, [fan.pk], day=DAY - timedelta(days=1))
    campaign = plan(make_campaign(shop, start=T0))
    assert recipient_of(campaign, fan).state == RecipientState.CAPPED


# --- PostgreSQL: two shops, the same fans, at the same time -----------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_shops_delivering_at_once_never_exceed_the_fans_cap(shop, other_shop):
    MessagingPolicy.objects.create(pk=1, per_shop_per_day=1, per_fan_per_day=1)
    users = bulk_fans(shop, 400)
    for user_id in users:
        fan_follow_id(user_id, other_shop)
    campaigns = [plan(make_campaign(s, start=T0)) for s in (shop, other_shop)]
    slots = [SendSlot.objects.get(campaign=c).pk for c in campaigns]
    assert all(c.planned_count == 400 for c in campaigns)

    results = race(2, lambda i: slot_deliver(slot_id=slots[i], batch_size=50))

    assert results == ["ok", "ok"]
    per_user = {}
    for user_id in InboxMessage.objects.values_list("recipient_id", flat=True):
        per_user[user_id] = per_user.get(user_id, 0) + 1
    assert per_user == dict.fromkeys(users, 1)
    states = [r.state for c in campaigns for r in recipients(c)]
    assert states.count(RecipientState.DELIVERED) == 400
    assert states.count(RecipientState.CAPPED) == 400
    assert set(DailyMessageCount.objects.filter(shop_id=0).values_list("count", flat=True)) == {1}


def fan_follow_id(user_id: int, shop) -> None:
    from vshop.accounts.models import User

    fan_follow(fan=User.objects.get(pk=user_id), shop=shop)
