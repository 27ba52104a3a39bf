"""Inbox API (mounted at /api/me/inbox): my messages, the unread count, marking read; my
message preferences (quiet hours) and unsubscribes."""

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from vshop.api import ErrorOut, Page, acting_user
from vshop.messaging import selectors, services
from vshop.messaging.models import ChannelOptOut, InboxMessage, MessagePreferences
from vshop.messaging.schemas import (
    InboxFilters,
    InboxMessageOut,
    MarkedReadOut,
    OptOutIn,
    OptOutOut,
    PreferencesIn,
    PreferencesOut,
    UnreadCountOut,
)

ERRORS = {400: ErrorOut, 404: ErrorOut, 422: ErrorOut}

router = Router(tags=["inbox"])


@router.get("", response=list[InboxMessageOut], summary="My inbox, newest first")
@paginate(Page)
def inbox_list(request: HttpRequest, filters: Query[InboxFilters]) -> QuerySet[InboxMessage]:
    return selectors.inbox_for(user=acting_user(request), unread=filters.unread)


@router.get("/unread-count", response=UnreadCountOut, summary="How many messages I have not read")
def inbox_unread(request: HttpRequest) -> dict[str, int]:
    return {"unread": selectors.inbox_unread_count(user=acting_user(request))}


@router.post("/read-all", response=MarkedReadOut, summary="Mark all my messages read")
def inbox_read_all(request: HttpRequest) -> dict[str, int]:
    return {"marked": services.inbox_mark_all_read(user=acting_user(request))}


@router.get("/preferences", response=PreferencesOut, summary="My quiet hours")
def preferences_get(request: HttpRequest) -> MessagePreferences:
    return selectors.preferences_of(user=acting_user(request))


@router.put("/preferences", response={200: PreferencesOut, **ERRORS}, summary="Set my quiet hours")
def preferences_put(request: HttpRequest, payload: PreferencesIn) -> MessagePreferences:
    return services.preferences_update(
        user=acting_user(request), quiet_start=payload.quiet_start, quiet_end=payload.quiet_end
    )


@router.get(
    "/unsubscribes",
    response=list[OptOutOut],
    summary="The channels I unsubscribed from, for every shop or per shop",
)
def unsubscribes_list(request: HttpRequest) -> list[ChannelOptOut]:
    return selectors.opt_outs_of(user=acting_user(request))


@router.post(
    "/unsubscribes",
    response={201: OptOutOut, **ERRORS},
    summary="Unsubscribe from a channel of one shop, or of every shop (again is fine)",
)
def unsubscribes_add(request: HttpRequest, payload: OptOutIn) -> Status:
    shop = selectors.shop_to_unsubscribe(slug=payload.shop) if payload.shop else None
    opt_out = services.channel_unsubscribe(
        user=acting_user(request), channel=payload.channel, shop=shop
    )
    return Status(201, opt_out)


@router.delete(
    "/unsubscribes/{opt_out_id}",
    response={204: None, **ERRORS},
    summary="Resubscribe: undo one of my unsubscribes",
)
def unsubscribes_remove(request: HttpRequest, opt_out_id: int) -> Status:
    services.channel_resubscribe(user=acting_user(request), opt_out_id=opt_out_id)
    return Status(204, None)


@router.post(
    "/{message_id}/read",
    response={200: InboxMessageOut, 404: ErrorOut},
    summary="Mark one of my messages read",
)
def inbox_read(request: HttpRequest, message_id: int) -> InboxMessage:
    return services.inbox_mark_read(user=acting_user(request), message_id=message_id)
