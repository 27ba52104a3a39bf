"""Inbox reads: a person sees her own messages only."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q, QuerySet

from vshop.accounts.models import User
from vshop.messaging.models import ChannelOptOut, InboxMessage, MessagePreferences


def inbox_for(*, user: User, unread: bool = False) -> QuerySet[InboxMessage]:
    """Her messages, newest first (``unread=True``: only those she has not read yet)."""
    messages = InboxMessage.objects.filter(recipient=user)
    if unread:
        messages = messages.filter(read_at__isnull=True)
    return messages.order_by("-created_at", "-pk")


def inbox_unread_count(*, user: User) -> int:
    """How many she has not read: one COUNT over the (recipient, read_at, …) index."""
    return InboxMessage.objects.filter(recipient=user, read_at__isnull=True).count()


def quiet_hours_of(user_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """(quiet_start, quiet_end) of each of these people who changed hers; the others keep the
    default (``QUIET_START``, ``QUIET_END``). Callers pass at most a few thousand ids."""
    return {
        user_id: (start, end)
        for user_id, start, end in MessagePreferences.objects.filter(
            user_id__in=user_ids
        ).values_list("user_id", "quiet_start", "quiet_end")
    }


def channel_opt_outs(*, user_ids: Sequence[int], shop_id: int) -> dict[int, set[str]]:
    """The channels each of these people unsubscribed from for this shop (or for every shop);
    people with none are absent. Callers pass at most a few thousand ids."""
    opted: dict[int, set[str]] = {}
    rows = ChannelOptOut.objects.filter(user_id__in=user_ids).filter(
        Q(shop_id=shop_id) | Q(shop__isnull=True)
    )
    for user_id, channel in rows.values_list("user_id", "channel"):
        opted.setdefault(user_id, set()).add(channel)
    return opted


def is_quiet(hour: int, quiet: tuple[int, int]) -> bool:
    """Whether a local hour of the day (0–23) falls in quiet hours ``(start, end)``: 22–8 holds
    22:00 to 07:59; equal hours mean no quiet hours."""
    start, end = quiet
    if start == end:
        return False
    return start <= hour < end if start < end else hour >= start or hour < end
