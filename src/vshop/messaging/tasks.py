"""Emails of inbox messages, sent by the Huey worker once the notifying transaction committed.

A mail server that is down or slow never fails the request that notified: the send is retried a
few times, then given up with a log line. The inbox message stays either way.
"""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone
from huey.api import Task
from huey.contrib.djhuey import db_task

from vshop.messaging.models import InboxMessage

logger = logging.getLogger(__name__)

SEND_RETRIES = 3
SEND_RETRY_DELAY = 60  # seconds between tries


def email_body(message: InboxMessage) -> str:
    """The message's text, then its page as an absolute URL (when the site's URL is known)."""
    site = settings.VSHOP_SITE_URL.rstrip("/")
    if message.link and site:
        return f"{message.body}\n\n{site}{message.link}".lstrip()
    return message.body


def _email(message: InboxMessage, address: str, connection: BaseEmailBackend) -> EmailMessage:
    return EmailMessage(
        subject=message.title,
        body=email_body(message),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        connection=connection,
    )


@db_task(retries=SEND_RETRIES, retry_delay=SEND_RETRY_DELAY, context=True)
def inbox_email_send(message_ids: list[int], task: Task | None = None) -> int:
    """Email these inbox messages over one SMTP connection; returns how many went out.

    Messages already emailed (by an earlier try) are skipped, so a retry sends only the rest.
    An address the server refuses is skipped with a warning: trying again would not help.
    """
    pending = list(
        InboxMessage.objects.filter(pk__in=message_ids, emailed_at__isnull=True)
        .select_related("recipient")
        .order_by("pk")
    )
    sent: list[int] = []
    try:
        with get_connection() as connection:
            for message in pending:
                address = message.recipient.email
                if not address or not message.recipient.is_active:
                    continue
                try:
                    _email(message, address, connection).send()
                except smtplib.SMTPRecipientsRefused as exc:
                    logger.warning("Inbox email %s: recipient refused: %s", message.pk, exc)
                    continue
                sent.append(message.pk)
    except (smtplib.SMTPException, OSError) as exc:
        _mark_emailed(sent)  # a retry sends only the rest
        tries_left = task.retries if task is not None else 0
        if tries_left:
            logger.warning(
                "Inbox email failed (%s: %s) after %d sent; retrying in %ds, %d tries left",
                type(exc).__name__,
                exc,
                len(sent),
                SEND_RETRY_DELAY,
                tries_left,
            )
            raise
        logger.error(
            "Inbox email given up (%s: %s): %d of %d messages not emailed (ids %s)",
            type(exc).__name__,
            exc,
            len(pending) - len(sent),
            len(pending),
            [m.pk for m in pending],
        )
        return len(sent)
    _mark_emailed(sent)
    return len(sent)


def _mark_emailed(message_ids: list[int]) -> None:
    """One write for the batch; if the worker dies before it, a retry may send one batch twice
    (at-least-once, as email is), never a message not sent."""
    if message_ids:
        InboxMessage.objects.filter(pk__in=message_ids).update(emailed_at=timezone.now())
