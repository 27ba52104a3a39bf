"""The inbox page: her messages, newest first; opening one marks it read (a POST) and goes to
its page; one button marks them all read. The header's unread badge, polled by htmx. Her
message preferences: quiet hours and the channels she unsubscribed from."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vshop.accounts.models import User
from vshop.errors import DomainError
from vshop.fans import activity
from vshop.fans.models import ActivityKind
from vshop.messaging import selectors, services
from vshop.web.auth import acting_user
from vshop.web.errors import domain_errors_as_pages, render_with_error

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
        if not message.campaign_recipient_id:
            # A campaign's link is its click redirect, which records the click itself.
            activity.record_message(
                user=request.user,
                link=message.link,
                message_id=message.pk,
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


@require_GET
def badge(request: HttpRequest) -> HttpResponse:
    """The header's unread badge alone, for htmx to poll; a visitor (or an expired session)
    gets 204, which htmx leaves alone."""
    if not request.user.is_authenticated:
        return HttpResponse(status=204)
    response = render(request, "messaging/_badge.html")
    response["Cache-Control"] = "no-store, private"
    return response


def _preferences_context(user: User) -> dict[str, object]:
    prefs = selectors.preferences_of(user=user)
    return {
        "prefs": prefs,
        "hours": range(24),
        "opt_outs": [
            (o, selectors.channel_label(o.channel)) for o in selectors.opt_outs_of(user=user)
        ],
        "channels": [(key, str(label)) for key, label in selectors.CHANNELS.items()],
        "shops": list(selectors.followed_shops(user=user)),
    }


def _hour_field(value: str | None) -> int | str:
    """A posted hour as a number, or as it came (the service refuses it with a message)."""
    try:
        return int(value or "")
    except ValueError:
        return value or ""


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """Her quiet hours (GET shows, POST saves) and her unsubscribes."""
    user = acting_user(request)
    if request.method == "POST":
        try:
            services.preferences_update(
                user=user,
                quiet_start=_hour_field(request.POST.get("quiet_start")),  # type: ignore[arg-type]
                quiet_end=_hour_field(request.POST.get("quiet_end")),  # type: ignore[arg-type]
            )
        except DomainError as exc:
            return render_with_error(
                request, "messaging/preferences.html", _preferences_context(user), exc
            )
        messages.success(request, _("Quiet hours saved."))
        return redirect("messaging:preferences")
    return render(request, "messaging/preferences.html", _preferences_context(user))


@login_required
@require_POST
def unsubscribe(request: HttpRequest) -> HttpResponse:
    """Stop a channel for every shop (``shop`` empty) or for one shop she names by slug."""
    user = acting_user(request)
    try:
        slug = (request.POST.get("shop") or "").strip()
        shop = selectors.shop_to_unsubscribe(slug=slug) if slug else None
        services.channel_unsubscribe(user=user, channel=request.POST.get("channel", ""), shop=shop)
    except DomainError as exc:
        return render_with_error(
            request, "messaging/preferences.html", _preferences_context(user), exc
        )
    messages.success(request, _("Unsubscribed."))
    return redirect("messaging:preferences")


@login_required
@require_POST
@domain_errors_as_pages
def resubscribe(request: HttpRequest, opt_out_id: int) -> HttpResponse:
    services.channel_resubscribe(user=acting_user(request), opt_out_id=opt_out_id)
    messages.success(request, _("Subscribed again."))
    return redirect("messaging:preferences")
