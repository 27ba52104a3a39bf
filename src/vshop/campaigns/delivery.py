"""Delivery of due send slots: inbox messages written, caps counted, recipients marked and
email/webhook sends queued in the outbox, one transaction per batch, so a worker that dies in
the middle of a slot leaves every fan with the message exactly once.

A batch takes the slot's planned recipients in id order with their rows locked (skipping rows
another worker holds, on PostgreSQL), checks again what may have changed since the plan (she
muted the shop or unsubscribed, a cap filled up, the owner cancelled), and writes everything
in that one transaction: the inbox rows, the caps' counts, the outbox rows and the recipients'
new state. A batch that rolls back left nothing; one that committed is never redone, because
its recipients are no longer PLANNED.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from vshop.campaigns import caps as caps_module
from vshop.campaigns import tracking
from vshop.campaigns.audience import local_day, with_rows
from vshop.campaigns.models import (
    AudienceKind,
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    CampaignVariant,
    Channel,
    OutgoingMessage,
    RecipientState,
    SendSlot,
    ShopMessagingSettings,
    SlotState,
)
from vshop.fans.models import ShopFan
from vshop.messaging.models import TITLE_MAX, WHY_MAX, ChannelOptOut, InboxMessage
from vshop.messaging.selectors import channel_opt_outs

KIND = "campaign"


@dataclass
class _Slot:
    """What every batch of one slot needs, read once."""

    slot: SendSlot
    campaign: Campaign
    variants: dict[int, CampaignVariant]
    caps: caps_module.Caps
    webhook_ok: bool
    audience_words: str
    click_prefix: str  # the click link around its token, reversed once per slot
    click_suffix: str


def slot_deliver(*, slot_id: int, batch_size: int = 500, deadline: float | None = None) -> int:
    """Deliver the planned recipients of one slot in batches; returns how many got it.
    ``deadline`` (a ``time.monotonic()`` value) stops between batches."""
    slot = SendSlot.objects.select_related("campaign", "campaign__shop").filter(pk=slot_id).first()
    if slot is None or slot.state != SlotState.PENDING:
        return 0
    campaign = slot.campaign
    if slot.started_at is None:
        SendSlot.objects.filter(pk=slot.pk, started_at__isnull=True).update(
            started_at=timezone.now()
        )
    webhook_url = (
        ShopMessagingSettings.objects.filter(shop_id=campaign.shop_id)
        .values_list("webhook_url", flat=True)
        .first()
    )
    prefix, suffix = reverse("campaigns_tracking:click", args=["TOKEN"]).split("TOKEN")
    ctx = _Slot(
        slot=slot,
        campaign=campaign,
        variants={v.number: v for v in campaign.variants.all()},
        caps=caps_module.caps_for_shop(shop_id=campaign.shop_id),
        webhook_ok=bool(webhook_url),
        audience_words=_audience_words(campaign),
        click_prefix=prefix,
        click_suffix=suffix,
    )
    delivered = 0
    while deadline is None or time.monotonic() < deadline:
        with transaction.atomic():
            got, more = _batch(ctx, batch_size)
        delivered += got
        if not more:
            _slot_finish(slot)
            break
    return delivered


def due_slots_deliver(*, now: datetime | None = None, deadline_seconds: float = 50) -> int:
    """Deliver every slot that is due; returns how many messages went out."""
    now = now or timezone.now()
    deadline = time.monotonic() + deadline_seconds
    due = list(
        SendSlot.objects.filter(state=SlotState.PENDING, at__lte=now)
        .order_by("at", "pk")
        .values_list("pk", flat=True)
    )
    total = 0
    for slot_id in due:
        if time.monotonic() >= deadline:
            break
        total += slot_deliver(slot_id=slot_id, deadline=deadline)
    return total


def _batch(ctx: _Slot, batch_size: int) -> tuple[int, bool]:
    """One batch in the caller's transaction: (messages delivered, whether to go on)."""
    campaign = ctx.campaign
    status = Campaign.objects.filter(pk=campaign.pk).values_list("status", flat=True).first()
    due = CampaignRecipient.objects.filter(
        campaign_id=campaign.pk, slot_at=ctx.slot.at, state=RecipientState.PLANNED
    )
    if status == CampaignStatus.CANCELLED:
        due.update(state=RecipientState.CANCELLED)
        return 0, False
    locked = due.order_by("pk")
    if connection.vendor == "postgresql":
        locked = locked.select_for_update(skip_locked=True)
    rows = list(locked.values_list("pk", "fan_id", "user_id", "variant")[:batch_size])
    if not rows:
        return 0, False

    shop_id = campaign.shop_id
    user_ids = [user_id for _pk, _fan, user_id, _variant in rows]
    fans = {
        pk: (tz, contactable, muted, follower, orders)
        for pk, tz, contactable, muted, follower, orders in ShopFan.objects.filter(
            pk__in=[fan_id for _pk, fan_id, _user, _variant in rows]
        ).values_list("pk", "time_zone", "contactable", "is_muted", "is_follower", "order_count")
    }
    opted = channel_opt_outs(user_ids=with_rows(ChannelOptOut, user_ids), shop_id=shop_id)
    emails: dict[int, str] = {}
    if campaign.send_email:
        from vshop.accounts.models import User

        emails = {
            pk: email
            for pk, email in User.objects.filter(pk__in=user_ids, is_active=True).values_list(
                "pk", "email"
            )
            if email
        }

    opted_out: list[int] = []
    open_channels: dict[int, list[str]] = {}
    wants: list[tuple[int, date]] = []
    for pk, fan_id, user_id, _variant in rows:
        fan = fans.get(fan_id)
        channels = _channels(ctx, user_id, opted.get(user_id), emails) if fan and fan[1] else []
        if fan is None or fan[2] or not channels:
            opted_out.append(pk)
            continue
        open_channels[pk] = channels
        wants.append((user_id, local_day(ctx.slot.at, fan[0])))
    taken = caps_module.caps_take(shop_id=shop_id, caps=ctx.caps, wants=wants)

    now = timezone.now()
    capped: list[int] = []
    inbox: list[tuple[int, str, str, str, str, int]] = []  # user, title, body, link, why, pk
    outbox: list[OutgoingMessage] = []
    delivered: list[int] = []
    for pk, fan_id, user_id, variant in rows:
        if pk not in open_channels:
            continue
        channels = open_channels[pk]
        if user_id not in taken:
            capped.append(pk)
            continue
        delivered.append(pk)
        if Channel.INBOX in channels:
            words = ctx.variants.get(variant) or ctx.variants.get(1)
            inbox.append(
                (
                    user_id,
                    (words.title if words else campaign.name)[:TITLE_MAX],
                    words.text if words else "",
                    ctx.click_prefix + tracking.click_token(pk) + ctx.click_suffix,
                    _why(ctx, fans[fan_id]),
                    pk,
                )
            )
        outbox += [
            OutgoingMessage(recipient_id=pk, channel=channel, next_try_at=now)
            for channel in channels
            if channel != Channel.INBOX
        ]
    message_of = _inbox_write(inbox, shop_id=shop_id, now=now) if inbox else {}
    if outbox:
        OutgoingMessage.objects.bulk_create(outbox, batch_size=1000, ignore_conflicts=True)
        transaction.on_commit(_outgoing_send, robust=True)
    _mark(delivered, message_of, now)
    if opted_out:
        CampaignRecipient.objects.filter(pk__in=opted_out).update(state=RecipientState.OPTED_OUT)
    if capped:
        CampaignRecipient.objects.filter(pk__in=capped).update(state=RecipientState.CAPPED)
    return len(delivered), True


def _channels(
    ctx: _Slot, user_id: int, opted: set[str] | None, emails: dict[int, str]
) -> list[str]:
    """The campaign's channels still open for her."""
    channels = []
    for channel in ctx.campaign.channels:
        if opted and channel in opted:
            continue
        if channel == Channel.EMAIL and user_id not in emails:
            continue
        if channel == Channel.WEBHOOK and not ctx.webhook_ok:
            continue
        channels.append(channel)
    return channels


def _inbox_write(
    inbox: list[tuple[int, str, str, str, str, int]], *, shop_id: int, now: datetime
) -> dict[int, int]:
    """The inbox messages (not through ``messaging.services.notify``: no plain inbox email,
    the outbox does email); returns recipient row id → message id. One INSERT of arrays on
    PostgreSQL (the ORM's bulk insert costs more than the rest of the batch)."""
    if connection.vendor == "postgresql":
        table = InboxMessage._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (recipient_id, kind, title, body, link, created_at,"
                " shop_id, why, campaign_recipient_id)"
                " SELECT u, %s, t, b, l, %s, %s, w, r FROM unnest(%s::bigint[], %s::text[],"
                " %s::text[], %s::text[], %s::text[], %s::bigint[]) AS m(u, t, b, l, w, r)"
                " RETURNING campaign_recipient_id, id",
                [KIND, now, shop_id, *(list(column) for column in zip(*inbox, strict=True))],
            )
            return dict(cursor.fetchall())
    messages = InboxMessage.objects.bulk_create(
        [
            InboxMessage(
                recipient_id=user_id,
                kind=KIND,
                title=title,
                body=body,
                link=link,
                created_at=now,
                shop_id=shop_id,
                why=why,
                campaign_recipient_id=pk,
            )
            for user_id, title, body, link, why, pk in inbox
        ],
        batch_size=1000,
    )
    return {m.campaign_recipient_id: m.pk for m in messages if m.campaign_recipient_id}


def _mark(delivered: list[int], message_of: dict[int, int], now: datetime) -> None:
    """Recipients delivered, with their inbox message: one statement on PostgreSQL."""
    if connection.vendor == "postgresql" and message_of:
        table = CampaignRecipient._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS r SET state = %s, delivered_at = %s, "
                "inbox_message_id = v.message FROM unnest(%s::bigint[], %s::bigint[]) "
                "AS v(recipient, message) WHERE r.id = v.recipient",
                [
                    RecipientState.DELIVERED,
                    now,
                    delivered,
                    [message_of.get(pk) for pk in delivered],
                ],
            )
        return
    if not delivered:
        return
    CampaignRecipient.objects.filter(pk__in=delivered).update(
        state=RecipientState.DELIVERED, delivered_at=now
    )
    with_inbox = [
        CampaignRecipient(pk=pk, inbox_message_id=message_of[pk])
        for pk in delivered
        if pk in message_of
    ]
    if with_inbox:
        CampaignRecipient.objects.bulk_update(with_inbox, ["inbox_message_id"], batch_size=500)


def _outgoing_send() -> None:
    from vshop.campaigns import tasks

    tasks.campaign_outgoing_send()


def _slot_finish(slot: SendSlot) -> None:
    """Slot done when nobody of it is still planned; the campaign when no slot is pending."""
    with transaction.atomic():
        remaining = CampaignRecipient.objects.filter(
            campaign_id=slot.campaign_id, slot_at=slot.at, state=RecipientState.PLANNED
        ).exists()
        if remaining:  # another worker holds the rest; it finishes the slot
            return
        now = timezone.now()
        cancelled = Campaign.objects.filter(
            pk=slot.campaign_id, status=CampaignStatus.CANCELLED
        ).exists()
        SendSlot.objects.filter(pk=slot.pk, state=SlotState.PENDING).update(
            state=SlotState.CANCELLED if cancelled else SlotState.DONE, finished_at=now
        )
        pending = SendSlot.objects.filter(
            campaign_id=slot.campaign_id, state=SlotState.PENDING
        ).exists()
        if not pending:
            Campaign.objects.filter(pk=slot.campaign_id, status=CampaignStatus.SCHEDULED).update(
                status=CampaignStatus.DONE, finished_at=now
            )


def _audience_words(campaign: Campaign) -> str:
    # Segment and tag names are the owner's private labels ("lapsed", "VIP"): never shown to fans.
    if campaign.audience_kind == AudienceKind.ALL:
        return gettext("sent to all its fans")
    return gettext("sent to a group of its fans")


def _why(ctx: _Slot, fan: tuple[str, bool, bool, bool, int]) -> str:
    """Why she got it, in her words: what ties her to the shop, and the audience."""
    shop = ctx.campaign.shop.name
    _tz, _contactable, _muted, follower, orders = fan
    if follower:
        why = gettext("You follow %(shop)s") % {"shop": shop}
    elif orders:
        why = gettext("You bought from %(shop)s") % {"shop": shop}
    else:
        why = gettext("You are a customer of %(shop)s") % {"shop": shop}
    if ctx.audience_words:
        why = f"{why} · {ctx.audience_words}"
    return why[:WHY_MAX]
