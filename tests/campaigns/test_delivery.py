"""Delivery of due slots: an inbox message each with her variant, the tracked link, the shop
and why she got it; outbox rows for email and webhook; opt-outs and mutes since the plan;
caps counted; a slot delivered twice sends nothing twice; a cancelled campaign sends nothing;
and on PostgreSQL a worker killed in the middle of a slot leaves everyone with exactly one
message."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.db.models import Count

from tests.campaigns.kit import (
    T0,
    bulk_fans,
    deliver_all,
    make_campaign,
    make_fans,
    opt_out,
    plan,
    recipient_of,
    recipients,
    shop_settings,
)
from tests.races import wait_for_other_sessions_to_end
from vshop.campaigns import delivery, tracking
from vshop.campaigns.models import (
    CampaignStatus,
    DailyMessageCount,
    OutgoingMessage,
    RecipientState,
    SendSlot,
    SlotState,
    Timing,
)
from vshop.fans.models import ShopFan
from vshop.fans.services import fan_mute
from vshop.messaging.models import InboxMessage

pytestmark = pytest.mark.django_db


def test_each_fan_gets_her_variant_in_the_inbox(shop):
    fans = make_fans(shop, 4)
    campaign = plan(make_campaign(shop, variants=[("Hello A", "Text A"), ("Hello B", "Text B")]))

    assert deliver_all(campaign) == 4

    messages = {m.recipient_id: m for m in InboxMessage.objects.filter(kind="campaign")}
    assert set(messages) == {u.pk for u in fans}
    for row in recipients(campaign):
        message = messages[row.user_id]
        assert row.state == RecipientState.DELIVERED
        assert row.delivered_at is not None
        assert row.inbox_message_id == message.pk
        assert message.campaign_recipient_id == row.pk
        assert (message.title, message.body) == (
            ("Hello A", "Text A") if row.variant == 1 else ("Hello B", "Text B")
        )
        assert message.link.startswith("/c/")  # the signed click redirect
        assert tracking.recipient_of_click(message.link.split("/")[-2]) == row.pk
        assert message.shop_id == shop.pk
        assert message.why == f"You follow {shop.name} · sent to all its fans"
    slot = SendSlot.objects.get(campaign=campaign)
    assert slot.state == SlotState.DONE and slot.finished_at is not None
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DONE


def test_why_says_a_group_and_never_the_owners_private_segment_name(shop):
    from vshop.fans.models import Segment

    (fan,) = make_fans(shop, 1)
    segment = Segment.objects.create(
        shop=shop,
        name="VIP",
        rule={"op": "and", "conditions": [{"field": "is_follower", "op": "is", "value": True}]},
    )
    campaign = plan(make_campaign(shop, audience="segment", segment=segment))
    deliver_all(campaign)
    message = InboxMessage.objects.get(recipient=fan)
    assert message.why == f"You follow {shop.name} · sent to a group of its fans"
    assert "VIP" not in message.why


def test_email_and_webhook_go_to_the_outbox(shop):
    shop_settings(shop, webhook_url="https://hooks.example.com/vshop")
    with_email = make_fans(shop, 2)
    (mobile_only,) = make_fans(shop, 1, email=False)
    campaign = plan(make_campaign(shop, inbox=False, email=True, webhook=True))

    assert deliver_all(campaign) == 3

    assert not InboxMessage.objects.filter(kind="campaign").exists()
    rows = OutgoingMessage.objects.filter(recipient__campaign=campaign)
    emails = {o.recipient.user_id for o in rows if o.channel == "email"}
    hooks = {o.recipient.user_id for o in rows if o.channel == "webhook"}
    assert emails == {u.pk for u in with_email}
    assert hooks == {u.pk for u in [*with_email, mobile_only]}
    assert {o.state for o in rows} == {"pending"}


def test_webhook_without_a_shop_webhook_queues_nothing(shop):
    make_fans(shop, 1)
    campaign = plan(make_campaign(shop, webhook=True))
    deliver_all(campaign)
    assert not OutgoingMessage.objects.exists()
    assert InboxMessage.objects.filter(kind="campaign").count() == 1


def test_delivering_a_slot_twice_sends_nothing_twice(shop):
    make_fans(shop, 5)
    campaign = plan(make_campaign(shop, email=True))
    slot = SendSlot.objects.get(campaign=campaign)

    assert delivery.slot_deliver(slot_id=slot.pk, batch_size=2) == 5
    SendSlot.objects.filter(pk=slot.pk).update(state=SlotState.PENDING)  # as if never finished
    assert delivery.slot_deliver(slot_id=slot.pk, batch_size=2) == 0

    assert InboxMessage.objects.filter(kind="campaign").count() == 5
    assert OutgoingMessage.objects.count() == 5
    assert DailyMessageCount.objects.filter(shop_id=shop.pk).values("count").distinct().count() == 1
    assert set(DailyMessageCount.objects.values_list("count", flat=True)) == {1}


def test_a_cancelled_campaign_delivers_nothing(shop):
    make_fans(shop, 3)
    campaign = plan(make_campaign(shop))
    campaign.status = CampaignStatus.CANCELLED
    campaign.save(update_fields=["status"])

    assert deliver_all(campaign) == 0

    assert not InboxMessage.objects.exists()
    assert {r.state for r in recipients(campaign)} == {RecipientState.CANCELLED}
    assert SendSlot.objects.get(campaign=campaign).state == SlotState.CANCELLED
    assert not DailyMessageCount.objects.exists()


def test_opt_outs_and_mutes_since_the_plan_are_respected(shop, other_shop):
    muted, inbox_out, all_out, other_out, keeps = make_fans(shop, 5)
    campaign = plan(make_campaign(shop))
    fan_mute(fan=muted, shop=shop, muted=True)
    opt_out(inbox_out, "inbox", shop)
    opt_out(all_out, "inbox")  # every shop
    opt_out(other_out, "inbox", other_shop)  # another shop only: still gets this one

    assert deliver_all(campaign) == 2

    states = {r.user_id: r.state for r in recipients(campaign)}
    assert states == {
        muted.pk: RecipientState.OPTED_OUT,
        inbox_out.pk: RecipientState.OPTED_OUT,
        all_out.pk: RecipientState.OPTED_OUT,
        other_out.pk: RecipientState.DELIVERED,
        keeps.pk: RecipientState.DELIVERED,
    }
    assert set(InboxMessage.objects.values_list("recipient_id", flat=True)) == {
        other_out.pk,
        keeps.pk,
    }
    # Only the delivered were counted against the caps.
    assert set(DailyMessageCount.objects.values_list("user_id", flat=True)) == {
        other_out.pk,
        keeps.pk,
    }


def test_a_fan_record_gone_since_the_plan_gets_nothing(shop):
    (fan,) = make_fans(shop, 1)
    campaign = plan(make_campaign(shop))
    ShopFan.objects.filter(shop=shop, user=fan).update(contactable=False)
    deliver_all(campaign)
    assert recipient_of(campaign, fan).state == RecipientState.OPTED_OUT
    assert not InboxMessage.objects.exists()


def test_only_due_slots_are_delivered(shop):
    make_fans(shop, 2)
    now_campaign = plan(make_campaign(shop, start=T0))
    later = plan(make_campaign(shop, name="Later", start=T0 + timedelta(hours=2)))

    assert delivery.due_slots_deliver(now=T0 + timedelta(minutes=1)) == 2

    assert SendSlot.objects.get(campaign=now_campaign).state == SlotState.DONE
    assert SendSlot.objects.get(campaign=later).state == SlotState.PENDING
    assert {r.state for r in recipients(later)} == {RecipientState.PLANNED}
    # Two hours later the second one is due; same day, same shop: capped at one a day.
    assert delivery.due_slots_deliver(now=T0 + timedelta(hours=3)) == 0
    assert {r.state for r in recipients(later)} == {RecipientState.CAPPED}
    later.refresh_from_db()
    assert later.status == CampaignStatus.DONE


def test_the_deadline_stops_between_batches(shop):
    make_fans(shop, 3)
    campaign = plan(make_campaign(shop))
    slot = SendSlot.objects.get(campaign=campaign)
    assert delivery.slot_deliver(slot_id=slot.pk, batch_size=1, deadline=time.monotonic()) == 0
    assert SendSlot.objects.get(pk=slot.pk).state == SlotState.PENDING
    assert delivery.slot_deliver(slot_id=slot.pk, batch_size=1) == 3


def test_outbox_send_is_queued_after_commit(shop, monkeypatch, django_capture_on_commit_callbacks):
    calls = []
    monkeypatch.setattr(delivery, "_outgoing_send", lambda: calls.append(1))
    make_fans(shop, 2)
    campaign = plan(make_campaign(shop, email=True))
    with django_capture_on_commit_callbacks(execute=True):
        deliver_all(campaign)
    assert calls == [1]


def test_no_outbox_no_task(shop, monkeypatch, django_capture_on_commit_callbacks):
    calls = []
    monkeypatch.setattr(delivery, "_outgoing_send", lambda: calls.append(1))
    make_fans(shop, 2)
    campaign = plan(make_campaign(shop))
    with django_capture_on_commit_callbacks(execute=True):
        deliver_all(campaign)
    assert calls == []


# --- PostgreSQL: a worker killed in the middle of a slot -----------------------------------


_CHILD = """
import django, os, sys
django.setup()
from vshop.campaigns.delivery import slot_deliver
slot_deliver(slot_id=int(sys.argv[1]), batch_size=100)
"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_slot_leaves_everyone_with_exactly_one_message(shop):
    n = 3000
    bulk_fans(shop, n)
    campaign = plan(make_campaign(shop, timing=Timing.NOW, start=T0, email=True))
    slot = SendSlot.objects.get(campaign=campaign)
    assert slot.planned == n

    db = connection.settings_dict
    url = (  # the test database, over TCP or a socket directory (quoted, as _common does)
        f"postgres://{quote(db['USER'] or '', safe='')}:{quote(db['PASSWORD'] or '', safe='')}"
        f"@{quote(db['HOST'] or '127.0.0.1', safe='')}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": "",
        "DJANGO_SETTINGS_MODULE": "vshop.settings",
        "PYTHONPATH": f"{root / 'src'}{os.pathsep}{root}",
    }
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(slot.pk)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        give_up = time.monotonic() + 60
        while time.monotonic() < give_up:
            sent = InboxMessage.objects.filter(kind="campaign").count()
            if sent >= 300 or child.poll() is not None:
                break
            time.sleep(0.005)
        assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    wait_for_other_sessions_to_end()  # the killed child's server process
    partial = InboxMessage.objects.filter(kind="campaign").count()
    assert 0 < partial < n, partial

    delivery.slot_deliver(slot_id=slot.pk, batch_size=500)

    per_user = (
        InboxMessage.objects.filter(kind="campaign").values("recipient_id").annotate(n=Count("id"))
    )
    assert len(per_user) == n
    assert {row["n"] for row in per_user} == {1}
    assert OutgoingMessage.objects.count() == n
    assert {r.state for r in recipients(campaign)} == {RecipientState.DELIVERED}
    ledger = DailyMessageCount.objects.filter(shop_id=shop.pk)
    assert ledger.count() == n and set(ledger.values_list("count", flat=True)) == {1}
    assert set(DailyMessageCount.objects.filter(shop_id=0).values_list("count", flat=True)) == {1}
    assert SendSlot.objects.get(pk=slot.pk).state == SlotState.DONE
