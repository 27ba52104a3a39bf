"""Attribution: an order paid in the shop within 72 h of her campaign message's slot counts for
the campaign (her latest one of that shop; the holdout too); later, earlier or in another shop
it does not. Paying through the real flow credits the campaign."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from tests.buying import pay, place
from tests.campaigns.kit import (
    T0,
    deliver_all,
    make_campaign,
    make_fans,
    plan,
    quiet_hours,
    recipient_of,
)
from vshop.campaigns.attribution import orders_paid_attribute
from vshop.campaigns.models import CampaignRecipient, RecipientState

pytestmark = pytest.mark.django_db


def order(user, shop, paid_at, total=12900):
    return SimpleNamespace(buyer_id=user.pk, shop_id=shop.pk, paid_at=paid_at, total=total)


@pytest.fixture
def delivered(shop):
    (fan,) = make_fans(shop, 1)
    campaign = plan(make_campaign(shop, start=T0))
    deliver_all(campaign)
    return fan, campaign


def test_an_order_within_the_window_counts(shop, delivered):
    fan, campaign = delivered
    assert orders_paid_attribute([order(fan, shop, T0 + timedelta(hours=71))]) == 1
    assert orders_paid_attribute([order(fan, shop, T0 + timedelta(hours=72), total=100)]) == 1
    row = recipient_of(campaign, fan)
    assert row.ordered_at == T0 + timedelta(hours=71)  # the first order
    assert (row.order_count, row.order_value) == (2, 13000)


def test_an_order_after_the_window_or_before_the_message_does_not(shop, delivered):
    fan, campaign = delivered
    late = order(fan, shop, T0 + timedelta(hours=73))
    early = order(fan, shop, T0 - timedelta(minutes=1))
    assert orders_paid_attribute([late, early]) == 0
    row = recipient_of(campaign, fan)
    assert (row.ordered_at, row.order_count, row.order_value) == (None, 0, 0)


def test_an_order_in_another_shop_does_not(shop, other_shop, delivered):
    fan, campaign = delivered
    assert orders_paid_attribute([order(fan, other_shop, T0 + timedelta(hours=1))]) == 0
    assert recipient_of(campaign, fan).order_count == 0


def test_another_buyer_does_not(shop, delivered):
    _fan, _campaign = delivered
    (stranger,) = make_fans(shop, 1)
    assert orders_paid_attribute([order(stranger, shop, T0 + timedelta(hours=1))]) == 0
    assert not CampaignRecipient.objects.filter(order_count__gt=0).exists()


def test_the_latest_message_gets_the_order(shop, settings):
    settings.VSHOP_CAP_PER_SHOP_DAY = 5
    (fan,) = make_fans(shop, 1)
    first = plan(make_campaign(shop, name="First", start=T0))
    second = plan(make_campaign(shop, name="Second", start=T0 + timedelta(hours=2)))
    deliver_all(first)
    deliver_all(second)
    assert orders_paid_attribute([order(fan, shop, T0 + timedelta(hours=3))]) == 1
    assert recipient_of(first, fan).order_count == 0
    assert recipient_of(second, fan).order_count == 1


def test_the_holdout_is_measured_too(shop):
    make_fans(shop, 2)
    campaign = plan(make_campaign(shop, start=T0, holdout_percent=50))
    held = CampaignRecipient.objects.get(campaign=campaign, state=RecipientState.HOLDOUT)
    buyer = SimpleNamespace(pk=held.user_id)
    assert orders_paid_attribute([order(buyer, shop, T0 + timedelta(hours=5))]) == 1
    held.refresh_from_db()
    assert held.order_count == 1


def test_planned_or_capped_messages_do_not_count(shop):
    (fan,) = make_fans(shop, 1)
    campaign = plan(make_campaign(shop, start=T0))  # planned, not delivered
    assert orders_paid_attribute([order(fan, shop, T0 + timedelta(hours=1))]) == 0
    CampaignRecipient.objects.filter(campaign=campaign).update(state=RecipientState.CAPPED)
    assert orders_paid_attribute([order(fan, shop, T0 + timedelta(hours=1))]) == 0


def test_paying_an_order_credits_the_campaign(listing):
    shop = listing.shop
    (fan,) = make_fans(shop, 1)
    quiet_hours(fan, 0, 0)  # whatever the clock says, she gets it at once
    now = timezone.now()
    campaign = plan(make_campaign(shop, start=now - timedelta(hours=1)))
    deliver_all(campaign)
    checkout = pay(place(fan, listing))
    order_row = checkout.orders.get()
    row = recipient_of(campaign, fan)
    assert row.order_count == 1
    assert row.order_value == order_row.total
    assert row.ordered_at == order_row.paid_at
