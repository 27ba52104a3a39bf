"""The audience: all fans (followers, buyers, consenting contacts with an account), a saved
segment's, a tag's, never another shop's; the preview counts exactly what the plan does;
opt-outs and mutes at plan time; the holdout's share."""

from __future__ import annotations

import pytest
from django.db import transaction

from tests.campaigns.kit import (
    T0,
    T_QUIET,
    bulk_fans,
    make_campaign,
    make_fans,
    opt_out,
    plan,
    recipient_of,
    shop_settings,
)
from tests.factories import make_user
from vshop.campaigns.audience import Reach, audience_fans, campaign_reach
from vshop.campaigns.caps import Caps, caps_take
from vshop.campaigns.models import (
    AudienceKind,
    Campaign,
    CampaignRecipient,
    RecipientState,
    Timing,
)
from vshop.errors import NotFound
from vshop.fans.models import FanSource, FanTag, Segment, ShopFan, Tag
from vshop.fans.services import fan_mute

pytestmark = pytest.mark.django_db


def record(shop, user=None, **fields) -> ShopFan:
    data = {"source": FanSource.FOLLOW, **fields}
    return ShopFan.objects.create(shop=shop, user=user, **data)


def test_all_fans_are_followers_buyers_and_consenting_contacts(shop, other_shop):
    follower = record(shop, make_user(), is_follower=True)
    buyer = record(shop, make_user(), source=FanSource.ORDER, order_count=2)
    contact = record(shop, make_user(), source=FanSource.IMPORT, contactable=True)
    record(shop, make_user(), source=FanSource.IMPORT, contactable=False)  # never said yes
    record(shop, None, source=FanSource.IMPORT, mobile="+8613900000001")  # no account
    record(shop, make_user(), source=FanSource.PROMOTER)  # neither follows nor bought
    record(other_shop, make_user(), is_follower=True)  # another shop's

    campaign = make_campaign(shop)
    fans = list(audience_fans(campaign=campaign))
    assert [f.pk for f in fans] == sorted([follower.pk, buyer.pk, contact.pk])


def test_a_segments_fans(shop):
    big = record(shop, make_user(), is_follower=True, total_spend=50000)
    record(shop, make_user(), is_follower=True, total_spend=100)
    record(shop, None, source=FanSource.IMPORT, total_spend=90000, mobile="+8613900000002")
    segment = Segment.objects.create(
        shop=shop,
        name="Big",
        rule={"op": "and", "conditions": [{"field": "total_spend", "op": "gte", "value": 10000}]},
    )
    campaign = make_campaign(shop, audience=AudienceKind.SEGMENT, segment=segment)
    assert [f.pk for f in audience_fans(campaign=campaign)] == [big.pk]


def test_another_shops_segment_or_tag_is_not_found(shop, other_shop):
    segment = Segment.objects.create(
        shop=other_shop, name="Theirs", rule={"op": "and", "conditions": []}
    )
    tag = Tag.objects.create(shop=other_shop, name="Theirs")
    with pytest.raises(NotFound):
        audience_fans(campaign=Campaign(shop=shop, audience_kind="segment", segment=segment))
    with pytest.raises(NotFound):
        audience_fans(campaign=Campaign(shop=shop, audience_kind="tag", tag=tag))


def test_a_tags_fans(shop):
    tagged = record(shop, make_user(), is_follower=True)
    record(shop, make_user(), is_follower=True)
    tag = Tag.objects.create(shop=shop, name="Twins")
    FanTag.objects.create(fan=tagged, tag=tag)
    campaign = make_campaign(shop, audience=AudienceKind.TAG, tag=tag)
    assert [f.pk for f in audience_fans(campaign=campaign)] == [tagged.pk]


def test_a_deleted_segment_or_tag_is_nobody(shop):
    record(shop, make_user(), is_follower=True)
    for kind in (AudienceKind.SEGMENT, AudienceKind.TAG):
        assert not audience_fans(campaign=Campaign(shop=shop, audience_kind=kind)).exists()


def test_opt_outs_and_mutes_at_plan_time(shop, other_shop):
    muted, unsubscribed, everywhere, elsewhere, no_consent, fine = make_fans(shop, 6)
    fan_mute(fan=muted, shop=shop, muted=True)
    opt_out(unsubscribed, "inbox", shop)
    opt_out(everywhere, "inbox")
    opt_out(elsewhere, "inbox", other_shop)
    ShopFan.objects.filter(shop=shop, user=no_consent).update(contactable=False)
    campaign = plan(make_campaign(shop))
    states = {
        u: recipient_of(campaign, u).state
        for u in (muted, unsubscribed, everywhere, elsewhere, no_consent, fine)
    }
    assert states == {
        muted: RecipientState.OPTED_OUT,
        unsubscribed: RecipientState.OPTED_OUT,
        everywhere: RecipientState.OPTED_OUT,
        elsewhere: RecipientState.PLANNED,
        no_consent: RecipientState.OPTED_OUT,
        fine: RecipientState.PLANNED,
    }
    assert (campaign.held_optout, campaign.planned_count) == (4, 2)


def test_one_open_channel_is_enough(shop):
    inbox_out, no_email = make_fans(shop, 1) + make_fans(shop, 1, email=False)
    opt_out(inbox_out, "inbox", shop)
    opt_out(no_email, "inbox", shop)
    campaign = plan(make_campaign(shop, email=True))
    assert recipient_of(campaign, inbox_out).state == RecipientState.PLANNED  # by email
    assert recipient_of(campaign, no_email).state == RecipientState.OPTED_OUT
    shop_settings(shop, webhook_url="https://hooks.example.com/x")
    again = plan(make_campaign(shop, name="Again", email=True, webhook=True))
    assert recipient_of(again, no_email).state == RecipientState.PLANNED  # by webhook


def test_holdout_share(shop):
    bulk_fans(shop, 200)
    campaign = plan(make_campaign(shop, holdout_percent=20, variants=2))
    held = CampaignRecipient.objects.filter(campaign=campaign, state=RecipientState.HOLDOUT)
    assert held.count() == 40 == campaign.holdout_count
    assert set(held.values_list("variant", flat=True)) == {0}
    assert set(held.values_list("slot_at", flat=True)) == {T0}  # measured from the same time
    assert campaign.planned_count == 160
    # Random, not the first or last fans by id.
    ids = sorted(CampaignRecipient.objects.filter(campaign=campaign).values_list("pk", flat=True))
    held_ids = sorted(held.values_list("pk", flat=True))
    assert held_ids not in (ids[:40], ids[-40:])


def test_the_holdout_is_reproducible(shop):
    bulk_fans(shop, 50)
    campaign = make_campaign(shop, holdout_percent=10)
    first = campaign_reach(campaign=campaign, now=T0)
    assert first == campaign_reach(campaign=campaign, now=T0)


def test_the_preview_counts_what_the_plan_does(shop, other_shop):
    fans = make_fans(shop, 12)
    make_fans(shop, 3, time_zone="Europe/Berlin")
    fan_mute(fan=fans[0], shop=shop, muted=True)
    opt_out(fans[1], "inbox")
    with transaction.atomic():
        caps_take(shop_id=shop.pk, caps=Caps(1, 3), wants=[(fans[2].pk, T_QUIET.date())])
    campaign = make_campaign(shop, timing=Timing.NOW, start=T_QUIET, holdout_percent=10)

    preview = campaign_reach(campaign=campaign, now=T_QUIET)
    planned = plan(campaign, now=T_QUIET)

    assert preview == Reach(
        audience=planned.audience_count,
        reach=planned.planned_count,
        holdout=planned.holdout_count,
        held_caps=planned.held_caps,
        held_quiet=planned.held_quiet,
        held_optout=planned.held_optout,
    )
    assert preview.audience == 15
    assert preview.held_optout == 2
    assert preview.holdout == 1  # 10 % of 13
    assert preview.held_caps in (0, 1)  # she may be in the holdout, then not capped
    assert preview.reach == 13 - preview.holdout - preview.held_caps
    # The Berlin fans are awake at 17:00; the Shanghai ones wait until 08:00.
    planned_rows = CampaignRecipient.objects.filter(campaign=campaign, state=RecipientState.PLANNED)
    awake = planned_rows.filter(slot_at=T_QUIET).count()
    assert 2 <= awake <= 3  # one of them may be in the holdout
    assert preview.held_quiet == preview.reach - awake > 0


def test_the_preview_of_an_unsaved_campaign_writes_nothing(shop):
    make_fans(shop, 3)
    draft = Campaign(
        shop=shop,
        name="Draft",
        audience_kind=AudienceKind.ALL,
        timing=Timing.NOW,
        window_start=T0,
        window_end=T0,
        holdout_percent=0,
    )
    assert campaign_reach(campaign=draft, now=T0) == Reach(3, 3, 0, 0, 0, 0)
    assert not Campaign.objects.exists()
    assert not CampaignRecipient.objects.exists()


def test_a_large_audience_is_previewed_on_an_even_sample_and_scaled_up(shop, monkeypatch):
    from vshop.campaigns import audience

    users = bulk_fans(shop, 400)
    for user_id in users[::4]:  # a quarter unsubscribed from the inbox, spread over the ids
        opt_out(user_id, "inbox", shop)
    monkeypatch.setattr(audience, "PREVIEW_SAMPLE", 100)
    campaign = make_campaign(shop, holdout_percent=0)

    preview = campaign_reach(campaign=campaign, now=T0)

    assert preview.estimated
    assert preview.audience == 400  # exact
    assert abs(preview.held_optout - 100) <= 60
    assert abs(preview.reach - 300) <= 60
    assert preview.reach + preview.held_optout == pytest.approx(400, abs=2)
    monkeypatch.setattr(audience, "PREVIEW_SAMPLE", 1000)
    exact = campaign_reach(campaign=campaign, now=T0)
    assert not exact.estimated
    assert (exact.audience, exact.reach, exact.held_optout) == (400, 300, 100)
