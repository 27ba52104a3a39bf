"""The inbox page: her messages, newest first; opening one marks it read (a POST) and goes to
its page; one button marks them all read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from vshop.fans import activity
from vshop.fans.models import ActivityKind
from vshop.messaging import selectors, services
from vshop.web.auth import acting_user
from vshop.web.errors import domain_errors_as_pages

PER_PAGE = 20
MAX_PAGE = 1000


def _page_number(value: str | None) -> int:
    try:
        return min(max(int(value or "1"), 1), MAX_PAGE)
    except ValueError:
        return 1


def _inbox_url(page: int) -> str:
    url = reverse("messaging:inbox")
    return f"{url}?page={page}" if page > 1 else url


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    page = _page_number(request.GET.get("page"))
    start = (page - 1) * PER_PAGE
    # One row more than a page tells whether another page follows, without a COUNT query.
    rows = list(selectors.inbox_for(user=acting_user(request))[start : start + PER_PAGE + 1])
    return render(
        request,
        "messaging/inbox.html",
        {
            "inbox_messages": rows[:PER_PAGE],
            "has_more": len(rows) > PER_PAGE,
            "page": page,
            "next_page": page + 1,
            "previous_page": page - 1,
        },
    )


@login_required
@require_POST
@domain_errors_as_pages
def open_message(request: HttpRequest, message_id: int) -> HttpResponse:
    """Mark the message read, then go to its page (or back to the inbox when it has none)."""
    message = services.inbox_mark_read(user=acting_user(request), message_id=message_id)
    if message.link and url_has_allowed_host_and_scheme(
        message.link, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        activity.record_message(
            user=request.user, link=message.link, message_id=message.pk,
            kind=ActivityKind.CLICK,
            shop_id=message.shop_id,
        )
        return redirect(message.link)
    return redirect(_inbox_url(_page_number(request.POST.get("page"))))


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    marked = services.inbox_mark_all_read(user=acting_user(request))
    if marked:
        messages.success(
            request,
            ngettext("%(n)d message marked read.", "%(n)d messages marked read.", marked)
            % {"n": marked},
        )
    return redirect("messaging:inbox")
