"""Inbox API (mounted at /api/me/inbox): my messages, the unread count, marking read."""

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate

from vshop.api import ErrorOut, Page, acting_user
from vshop.messaging import selectors, services
from vshop.messaging.models import InboxMessage
from vshop.messaging.schemas import InboxFilters, InboxMessageOut, MarkedReadOut, UnreadCountOut

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


@router.post(
    "/{message_id}/read",
    response={200: InboxMessageOut, 404: ErrorOut},
    summary="Mark one of my messages read",
)
def inbox_read(request: HttpRequest, message_id: int) -> InboxMessage:
    return services.inbox_mark_read(user=acting_user(request), message_id=message_id)
