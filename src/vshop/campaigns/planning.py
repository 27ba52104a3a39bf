"""The plan: every fan of the audience gets a send slot (or is held back), written as
``CampaignRecipient`` rows and ``SendSlot``s. Runs in the worker.

The audience is walked in chunks by fan id. Each chunk is one transaction that locks the
campaign row, skips fans planned already (a rerun after a crash), writes the chunk's recipient
rows and adds the chunk's figures to the campaign's counters: a worker that dies leaves the
rows and the counters in step, and the rerun plans only the rest.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

from django.db import connection, transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext

from vshop.campaigns.audience import CHUNK, Chunk, Planner, audience_fans, fan_rows
from vshop.campaigns.models import (
    AudienceKind,
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    RecipientState,
    SendSlot,
)
from vshop.errors import DomainError

_COLUMNS = (
    "campaign_id",
    "fan_id",
    "user_id",
    "variant",
    "slot_at",
    "local_hour",
    "explored",
    "state",
    "order_count",
    "order_value",
)


def campaign_plan(*, campaign_id: int, now: datetime | None = None) -> int:
    """Plan a campaign in PLANNING state; returns how many fans were planned. Running it again
    (a worker died half-way) plans only the fans not planned yet."""
    now = now or timezone.now()
    campaign = (
        Campaign.objects.select_related("shop", "segment", "tag").filter(pk=campaign_id).first()
    )
    if campaign is None or campaign.status != CampaignStatus.PLANNING:  # deleted: nothing to do
        return 0
    try:
        fans = audience_fans(campaign=campaign)
        planner = Planner.for_campaign(campaign, now=now)
    except DomainError as exc:  # a segment whose rule went stale: nobody to plan
        Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.PLANNING).update(
            status=CampaignStatus.FAILED, error=str(exc.message)[:300], finished_at=now
        )
        return 0
    planned = 0
    after = 0
    while rows := fan_rows(fans, after=after, email=planner.needs_email, limit=CHUNK):
        after = rows[-1][0]
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # A chunk need not wait for the disk: a server crash loses at most the last
                # chunks, rows and counters together (commits stay in order), and the rerun
                # plans them; the final step commits normally.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit = off")
            status = (
                Campaign.objects.select_for_update()
                .filter(pk=campaign_id)
                .values_list("status", flat=True)
                .first()
            )
            if status != CampaignStatus.PLANNING:  # cancelled meanwhile
                return planned
            done = set(
                CampaignRecipient.objects.filter(
                    campaign_id=campaign_id, fan_id__gte=rows[0][0], fan_id__lte=after
                ).values_list("fan_id", flat=True)
            )
            todo = [row for row in rows if row[0] not in done] if done else rows
            if not todo:
                continue
            chunk = planner.classify(todo)
            _write(campaign_id, chunk)
            planned += chunk.count(RecipientState.PLANNED)
            Campaign.objects.filter(pk=campaign_id).update(
                audience_count=F("audience_count") + len(todo),
                planned_count=F("planned_count") + chunk.count(RecipientState.PLANNED),
                holdout_count=F("holdout_count") + chunk.count(RecipientState.HOLDOUT),
                held_caps=F("held_caps") + chunk.count(RecipientState.CAPPED),
                held_quiet=F("held_quiet") + chunk.held_quiet,
                held_optout=F("held_optout") + chunk.count(RecipientState.OPTED_OUT),
            )
    _finish(campaign, now=now)
    return planned


def _finish(campaign: Campaign, *, now: datetime) -> None:
    """One slot per distinct send time of the planned fans; the campaign is scheduled (or
    done at once when nobody is to get it)."""
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status != CampaignStatus.PLANNING:
            return
        per_slot = (
            CampaignRecipient.objects.filter(campaign=locked, state=RecipientState.PLANNED)
            .values("slot_at")
            .annotate(n=Count("id"))
            .order_by("slot_at")
        )
        SendSlot.objects.bulk_create(
            [SendSlot(campaign=locked, at=row["slot_at"], planned=row["n"]) for row in per_slot],
            batch_size=1000,
            ignore_conflicts=True,
        )
        locked.planned_at = now
        locked.status = CampaignStatus.SCHEDULED
        if not locked.planned_count:
            locked.status = CampaignStatus.DONE
            locked.finished_at = now
        if not locked.audience_label:
            locked.audience_label = audience_label(locked)[:100]
        locked.save(update_fields=["planned_at", "status", "finished_at", "audience_label"])


def audience_label(campaign: Campaign) -> str:
    """The audience in words, kept on the campaign in case the segment or tag goes."""
    if campaign.audience_kind == AudienceKind.SEGMENT and campaign.segment:
        return gettext("Segment: %(name)s") % {"name": campaign.segment.name}
    if campaign.audience_kind == AudienceKind.TAG and campaign.tag:
        return gettext("Tag: %(name)s") % {"name": campaign.tag.name}
    return gettext("All fans")


def _write(campaign_id: int, chunk: Chunk) -> None:
    """The chunk's recipient rows: COPY on PostgreSQL (a million rows in seconds), bulk
    inserts elsewhere. The campaign row lock and the skip of planned fans keep the unique
    (campaign, fan) from ever being hit by the plan itself."""
    epochs = chunk.slot.tolist()
    stamps = {epoch: datetime.fromtimestamp(epoch, tz=UTC) for epoch in set(epochs)}
    rows = zip(
        chunk.fan_ids.tolist(),
        chunk.user_ids.tolist(),
        chunk.variant.tolist(),
        epochs,
        chunk.local_hour.tolist(),
        chunk.explored.tolist(),
        chunk.state.tolist(),
        strict=True,
    )
    if connection.vendor == "postgresql":
        iso = {epoch: moment.isoformat() for epoch, moment in stamps.items()}
        buffer = io.StringIO()
        for fan_id, user_id, variant, epoch, hour, explored, state in rows:
            flag = "t" if explored else "f"
            buffer.write(
                f"{campaign_id}\t{fan_id}\t{user_id}\t{variant}\t{iso[epoch]}\t{hour}\t{flag}"
                f"\t{state}\t0\t0\n"
            )
        sql = f"COPY {CampaignRecipient._meta.db_table} ({', '.join(_COLUMNS)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.copy(sql) as copy:
            copy.write(buffer.getvalue())
        return
    CampaignRecipient.objects.bulk_create(
        [
            CampaignRecipient(
                campaign_id=campaign_id,
                fan_id=fan_id,
                user_id=user_id,
                variant=variant,
                slot_at=stamps[epoch],
                local_hour=hour,
                explored=explored,
                state=state,
            )
            for fan_id, user_id, variant, epoch, hour, explored, state in rows
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
