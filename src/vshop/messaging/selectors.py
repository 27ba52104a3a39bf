"""Inbox reads: a person sees her own messages only."""

from __future__ import annotations

from django.db.models import QuerySet

from vshop.accounts.models import User
from vshop.messaging.models import InboxMessage


def inbox_for(*, user: User, unread: bool = False) -> QuerySet[InboxMessage]:
    """Her messages, newest first (``unread=True``: only those she has not read yet)."""
    messages = InboxMessage.objects.filter(recipient=user)
    if unread:
        messages = messages.filter(read_at__isnull=True)
    return messages.order_by("-created_at", "-pk")


def inbox_unread_count(*, user: User) -> int:
    """How many she has not read: one COUNT over the (recipient, read_at, …) index."""
    return InboxMessage.objects.filter(recipient=user, read_at__isnull=True).count()
