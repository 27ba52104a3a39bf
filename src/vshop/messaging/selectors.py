"""Inbox reads: a person sees her own messages only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vshop.accounts.models import User
from vshop.errors import NotFound
from vshop.messaging.models import ChannelOptOut, InboxMessage, MessagePreferences
from vshop.shops.models import Shop


def inbox_for(*, user: User, unread: bool = False) -> QuerySet[InboxMessage]:
    """Her messages, newest first (``unread=True``: only those she has not read yet)."""
    messages = InboxMessage.objects.filter(recipient=user).select_related("shop")
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


# --- her message preferences -------------------------------------------------------------------

#: The channels a shop's marketing messages come through, as she sees them.
CHANNELS: dict[str, Any] = {
    "inbox": _("In-app inbox"),
    "email": pgettext_lazy("channel", "Email"),
    "webhook": _("The shop's app / WeChat"),
}


def channel_label(channel: str) -> str:
    return str(CHANNELS.get(channel, channel))


def preferences_of(*, user: User) -> MessagePreferences:
    """Her preferences; the defaults (unsaved) when she never changed them."""
    prefs = MessagePreferences.objects.filter(user=user).first()
    return prefs or MessagePreferences(user=user)


def opt_outs_of(*, user: User) -> list[ChannelOptOut]:
    """Her unsubscribes: every shop's first, then per shop by name."""
    rows = ChannelOptOut.objects.filter(user=user).select_related("shop")
    return sorted(
        rows, key=lambda o: (o.shop_id is not None, o.shop.name if o.shop else "", o.channel)
    )


def followed_shops(*, user: User) -> QuerySet[Shop]:
    """The shops she follows, by name: what she may unsubscribe from one by one."""
    return Shop.objects.filter(follows__fan=user).order_by("name", "pk")


def opt_out_find(*, user: User, channel: str, shop: Shop | None) -> ChannelOptOut | None:
    """Her unsubscribe from this channel of this shop (``shop=None``: of every shop), if any."""
    return ChannelOptOut.objects.filter(user=user, channel=channel, shop=shop).first()


def shop_to_unsubscribe(*, slug: str) -> Shop:
    """A shop she names to unsubscribe from (any shop may have her address: she bought
    there once); an unknown slug is NotFound."""
    shop = Shop.objects.filter(slug=slug).first()
    if shop is None:
        raise NotFound(_("No such shop."))
    return shop
