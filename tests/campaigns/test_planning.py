"""The plan: each fan's slot (now, at a time, or her best hour), moved out of her quiet hours
in her own zone; slots and counters; variants split evenly; a rerun after a crash plans nobody
twice; a campaign no longer planning is left alone."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.campaigns.kit import (
    T0,
    T_QUIET,
    bulk_fans,
    make_campaign,
    make_fans,
    plan,
    quiet_hours,
    recipient_of,
    recipients,
)
from vshop.campaigns import planning
from vshop.campaigns.models import (
    CampaignRecipient,
    CampaignStatus,
    RecipientState,
    SendSlot,
    Timing,
)

pytestmark = pytest.mark.django_db


SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(moment, zone="Asia/Shanghai"):
    return moment.astimezone(ZoneInfo(zone))


def test_now_outside_quiet_hours_is_one_slot_at_the_start(shop):
    fans = make_fans(shop, 3)
    campaign = plan(make_campaign(shop, timing=Timing.NOW, start=T0))

    rows = recipients(campaign)
    assert {r.user_id for r in rows} == {u.pk for u in fans}
    assert {r.slot_at for r in rows} == {T0}
    assert {r.state for r in rows} == {RecipientState.PLANNED}
    assert {r.local_hour for r in rows} == {12}  # Monday 12:00 in Shanghai
    assert campaign.status == CampaignStatus.SCHEDULED
    assert campaign.planned_at == T0
    assert (campaign.audience_count, campaign.planned_count, campaign.held_quiet) == (3, 3, 0)
    slot = SendSlot.objects.get(campaign=campaign)
    assert (slot.at, slot.planned) == (T0, 3)


def test_now_in_her_quiet_hours_waits_until_eight_her_time(shop):
    make_fans(shop, 2)
    campaign = plan(make_campaign(shop, timing=Timing.NOW, start=T_QUIET))  # 23:00 there

    slots = {r.slot_at for r in recipients(campaign)}
    assert len(slots) == 1
    (slot,) = slots
    assert local(slot).hour == 8 and local(slot).minute == 0
    assert local(slot).date() == local(T_QUIET).date() + timedelta(days=1)
    assert campaign.held_quiet == 2
    assert campaign.planned_count == 2  # still planned, only later


def test_her_own_quiet_hours_are_honoured(shop):
    night_owl, early = make_fans(shop, 2)
    quiet_hours(night_owl, 2, 6)  # 23:00 is fine for her
    quiet_hours(early, 20, 9)  # she keeps quiet until 09:00
    campaign = plan(make_campaign(shop, timing=Timing.AT, start=T_QUIET))

    assert recipient_of(campaign, night_owl).slot_at == T_QUIET
    late = recipient_of(campaign, early).slot_at
    assert local(late).hour == 9
    assert campaign.held_quiet == 1


def test_no_quiet_hours_when_start_equals_end(shop):
    (fan,) = make_fans(shop, 1)
    quiet_hours(fan, 0, 0)
    campaign = plan(make_campaign(shop, timing=Timing.NOW, start=T_QUIET))
    assert recipient_of(campaign, fan).slot_at == T_QUIET


def test_a_fan_in_another_zone_uses_her_own_clock(shop):
    (berlin,) = make_fans(shop, 1, time_zone="Europe/Berlin")
    (shanghai,) = make_fans(shop, 1)
    campaign = plan(make_campaign(shop, timing=Timing.NOW, start=T_QUIET))

    assert recipient_of(campaign, berlin).slot_at == T_QUIET  # 17:00 in Berlin
    assert recipient_of(campaign, berlin).local_hour == 17  # Monday 17:00
    assert local(recipient_of(campaign, shanghai).slot_at).hour == 8
    # The Berlin fan at 03:00 her time (01:00 UTC) would wait until 08:00 Berlin time.
    other = plan(make_campaign(shop, name="Night", start=T0.replace(hour=1)))
    slot = recipient_of(other, berlin).slot_at
    assert local(slot, "Europe/Berlin").hour == 8
    assert SendSlot.objects.filter(campaign=other).count() == 2


def test_an_unknown_zone_falls_back_to_the_sites(shop):
    (fan,) = make_fans(shop, 1, time_zone="Mars/Olympus")
    campaign = plan(make_campaign(shop, timing=Timing.NOW, start=T0))
    assert recipient_of(campaign, fan).local_hour == 12


def test_best_picks_an_allowed_top_of_hour_in_the_window(shop):
    make_fans(shop, 6)
    start = T0 + timedelta(minutes=17)
    campaign = plan(make_campaign(shop, timing=Timing.BEST, start=start))

    rows = recipients(campaign)
    assert len(rows) == 6
    for row in rows:
        assert start <= row.slot_at < campaign.window_end
        assert row.slot_at == start or row.slot_at.minute == 0
        assert not 0 <= (local(row.slot_at).hour - 22) % 24 < 10  # not in 22–8
        at = local(row.slot_at)
        assert row.local_hour == at.weekday() * 24 + at.hour
    slots = SendSlot.objects.filter(campaign=campaign)
    assert sum(s.planned for s in slots) == 6
    assert {s.at for s in slots} == {r.slot_at for r in rows}


def test_best_with_no_allowed_hour_waits_for_the_end_of_quiet_hours(shop):
    make_fans(shop, 2)
    campaign = plan(
        make_campaign(shop, timing=Timing.BEST, start=T_QUIET, end=T_QUIET + timedelta(hours=3))
    )
    for row in recipients(campaign):
        assert local(row.slot_at).hour == 8
    assert campaign.held_quiet == 2


def test_variants_are_split_evenly(shop):
    bulk_fans(shop, 90)
    campaign = plan(make_campaign(shop, variants=3))
    counts = [
        CampaignRecipient.objects.filter(campaign=campaign, variant=v).count() for v in (1, 2, 3)
    ]
    assert counts == [30, 30, 30]


def test_variants_are_drawn_at_random_not_in_id_order(shop):
    bulk_fans(shop, 40)
    campaign = plan(make_campaign(shop, variants=2))
    by_id = [r.variant for r in recipients(campaign)]
    assert by_id != [1, 2] * 20 and by_id != [1] * 20 + [2] * 20


def test_rerun_after_a_crash_plans_nobody_twice(shop, monkeypatch):
    bulk_fans(shop, 25)
    campaign = make_campaign(shop, holdout_percent=20)
    monkeypatch.setattr(planning, "CHUNK", 10)
    real_write = planning._write
    calls = {"n": 0}

    def dies_on_the_second_chunk(campaign_id, chunk):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed")
        real_write(campaign_id, chunk)

    monkeypatch.setattr(planning, "_write", dies_on_the_second_chunk)
    with pytest.raises(RuntimeError):
        planning.campaign_plan(campaign_id=campaign.pk, now=T0)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PLANNING
    assert CampaignRecipient.objects.filter(campaign=campaign).count() == 10
    assert campaign.audience_count == 10  # counters in step with the rows

    monkeypatch.setattr(planning, "_write", real_write)
    planning.campaign_plan(campaign_id=campaign.pk, now=T0)
    campaign.refresh_from_db()
    rows = recipients(campaign)
    assert len(rows) == 25 == len({r.fan_id for r in rows})
    assert campaign.audience_count == 25
    assert campaign.planned_count + campaign.holdout_count == 25
    assert campaign.planned_count == sum(r.state == RecipientState.PLANNED for r in rows)
    assert SendSlot.objects.get(campaign=campaign).planned == campaign.planned_count
    # Once more: nothing changes.
    assert planning.campaign_plan(campaign_id=campaign.pk, now=T0) == 0
    assert CampaignRecipient.objects.filter(campaign=campaign).count() == 25


def test_a_campaign_not_in_planning_is_left_alone(shop):
    make_fans(shop, 2)
    for status in (CampaignStatus.CANCELLED, CampaignStatus.SCHEDULED, CampaignStatus.DONE):
        campaign = make_campaign(shop, status=status, name=status)
        assert planning.campaign_plan(campaign_id=campaign.pk, now=T0) == 0
        assert not CampaignRecipient.objects.filter(campaign=campaign).exists()
        assert not SendSlot.objects.filter(campaign=campaign).exists()


def test_a_campaign_deleted_before_its_plan_plans_nothing(shop):
    make_fans(shop, 1)
    campaign = make_campaign(shop)
    campaign_id = campaign.pk
    campaign.delete()
    assert planning.campaign_plan(campaign_id=campaign_id, now=T0) == 0
    assert not CampaignRecipient.objects.exists()
    assert not SendSlot.objects.exists()


def test_nobody_reachable_is_done_at_once(shop):
    (fan,) = make_fans(shop, 1)
    campaign = plan(make_campaign(shop, inbox=False, email=False, webhook=True))  # no webhook
    assert campaign.status == CampaignStatus.DONE
    assert campaign.held_optout == 1 and campaign.planned_count == 0
    assert recipient_of(campaign, fan).state == RecipientState.OPTED_OUT
    assert not SendSlot.objects.filter(campaign=campaign).exists()


def test_the_plan_returns_how_many_were_planned(shop):
    make_fans(shop, 3)
    campaign = make_campaign(shop)
    assert planning.campaign_plan(campaign_id=campaign.pk, now=T0) == 3


def test_a_stale_segment_fails_the_campaign(shop):
    from vshop.fans.models import Segment

    segment = Segment.objects.create(
        shop=shop,
        name="Gone",
        rule={"op": "and", "conditions": [{"field": "tag", "op": "any", "value": [999999]}]},
    )
    campaign = make_campaign(shop, audience="segment", segment=segment)
    assert planning.campaign_plan(campaign_id=campaign.pk, now=T0) == 0
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FAILED
    assert campaign.error
