"""Inbox writes: notify people (an inbox message each, and an email after commit), mark read.

Order events and campaigns call ``notify`` inside their own transaction: if it rolls back, the
messages go with it and no email is sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vshop.accounts.models import User
from vshop.errors import NotFound, ValidationFailed
from vshop.fans import activity
from vshop.fans.models import ActivityKind
from vshop.messaging import signals
from vshop.messaging.models import (
    BODY_MAX,
    KIND_MAX,
    LINK_MAX,
    TITLE_MAX,
    ChannelOptOut,
    InboxMessage,
    MessagePreferences,
)
from vshop.messaging.selectors import CHANNELS
from vshop.messaging.tasks import inbox_email_send
from vshop.shops.models import Shop

#: Messages emailed per worker task (one SMTP connection each): a campaign to thousands of fans
#: becomes a few dozen tasks, and one failed batch is retried without resending the others.
EMAIL_BATCH = 100

_KIND = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_MAX_ID = 2**63 - 1


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _checked_link(link: str) -> str:
    """A page of this site (``/orders/12/``), never another site: the inbox page redirects to it."""
    link = link.strip()
    if not link:
        return ""
    if (
        not link.startswith("/")
        or link.startswith("//")
        or "\\" in link
        or any(c.isspace() or ord(c) < 32 for c in link)
        or len(link) > LINK_MAX
    ):
        raise ValidationFailed(_("A message links to a page of this site only."), field="link")
    return link


def _enqueue_emails(message_ids: list[int]) -> None:
    inbox_email_send(message_ids)


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    title: str,
    body: str,
    link: str = "",
    email: bool = True,
) -> list[InboxMessage]:
    """Write one inbox message per distinct recipient; email those with an address.

    ``kind`` is a short code (``order.paid``); ``link`` a page of this site (``/orders/12/``).
    A title over 120 or a body over 2000 characters is cut with "…" rather than refused, so a
    long product name never fails an order. Emails are queued only after the surrounding
    transaction commits, and a mail server that is down never fails this call.
    """
    return notify_each(
        recipients=[(user, link) for user in recipients],
        kind=kind,
        title=title,
        body=body,
        email=email,
    )


def notify_each(
    *,
    recipients: Iterable[tuple[User | int, str]],
    kind: str,
    title: str,
    body: str,
    email: bool = True,
) -> list[InboxMessage]:
    """``notify`` where each recipient has her own link (the buyer her order page, the seller
    his): one write and one email job for all of them. A recipient may be given by id alone
    (no query to load her): whether she has an address is then the email job's to check."""
    kind = kind.strip()
    if not _KIND.fullmatch(kind) or len(kind) > KIND_MAX:
        raise ValidationFailed(
            _("A message kind is a short code such as order.paid."), field="kind"
        )
    title = _clip(" ".join(str(title).split()), TITLE_MAX)  # one line: it is the email subject
    if not title:
        raise ValidationFailed(_("A message needs a title."), field="title")
    body = _clip(str(body).strip(), BODY_MAX)

    distinct: dict[int, tuple[User | None, str]] = {}
    for recipient, link in recipients:
        user = recipient if isinstance(recipient, User) else None
        pk = recipient.pk if isinstance(recipient, User) else recipient
        if pk is not None:
            distinct.setdefault(pk, (user, _checked_link(link)))
    if not distinct:
        return []
    now = timezone.now()
    messages = InboxMessage.objects.bulk_create(
        [
            InboxMessage(
                recipient_id=pk, kind=kind, title=title, body=body, link=link, created_at=now
            )
            for pk, (_user, link) in distinct.items()
        ]
    )
    if email:
        to_email = [
            m.pk
            for m in messages
            if (user := distinct[m.recipient_id][0]) is None or (user.email and user.is_active)
        ]
        for start in range(0, len(to_email), EMAIL_BATCH):
            batch = to_email[start : start + EMAIL_BATCH]
            # robust: a queue that cannot be reached is logged, and the committed work stands.
            transaction.on_commit(partial(_enqueue_emails, batch), robust=True)
    return messages


@transaction.atomic
def inbox_mark_read(*, user: User, message_id: int) -> InboxMessage:
    """Mark one of her messages read (again is fine); another person's message is NotFound."""
    message = (
        InboxMessage.objects.filter(recipient=user, pk=message_id).first()
        if 1 <= message_id <= _MAX_ID
        else None
    )
    if message is None:
        raise NotFound(_("No such message."))
    if message.read_at is None:
        message.read_at = timezone.now()
        InboxMessage.objects.filter(pk=message.pk, read_at__isnull=True).update(
            read_at=message.read_at
        )
        if not message.campaign_recipient_id:
            # A campaign's message is recorded as opened by campaigns (message_read), once.
            activity.record_message(
                user=user,
                link=message.link,
                message_id=message.pk,
                kind=ActivityKind.OPEN,
                shop_id=message.shop_id,
            )
        signals.message_read.send(sender=InboxMessage, message=message)
    return message


@transaction.atomic
def inbox_mark_all_read(*, user: User) -> int:
    """Mark all her unread messages read; returns how many were unread."""
    return InboxMessage.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- her message preferences -------------------------------------------------------------------


def _hour(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 23:
        raise ValidationFailed(_("An hour is a whole number from 0 to 23."), field=field)
    return value


@transaction.atomic
def preferences_update(*, user: User, quiet_start: int, quiet_end: int) -> MessagePreferences:
    """Set her quiet hours (her local time, 0–23; ``quiet_start == quiet_end``: none). No shop
    sends her marketing messages in them; order and payment messages still arrive."""
    start = _hour(quiet_start, "quiet_start")
    end = _hour(quiet_end, "quiet_end")
    prefs, _created = MessagePreferences.objects.update_or_create(
        user=user, defaults={"quiet_start": start, "quiet_end": end}
    )
    return prefs


def channel_unsubscribe(*, user: User, channel: str, shop: Shop | None = None) -> ChannelOptOut:
    """She stops a channel's marketing messages of one shop (or of every shop: ``shop=None``).
    Again is fine: the same row comes back."""
    if channel not in CHANNELS:
        raise ValidationFailed(_("Choose a channel: inbox, email or webhook."), field="channel")
    existing = ChannelOptOut.objects.filter(user=user, shop=shop, channel=channel).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return ChannelOptOut.objects.create(user=user, shop=shop, channel=channel)
    except IntegrityError:  # the same click twice at once: the other one made it
        return ChannelOptOut.objects.get(user=user, shop=shop, channel=channel)


@transaction.atomic
def channel_resubscribe(*, user: User, opt_out_id: int) -> None:
    """Undo one of her unsubscribes; another person's (or none) is NotFound."""
    deleted = (
        ChannelOptOut.objects.filter(user=user, pk=opt_out_id).delete()[0]
        if 1 <= opt_out_id <= _MAX_ID
        else 0
    )
    if not deleted:
        raise NotFound(_("No such unsubscribe."))
