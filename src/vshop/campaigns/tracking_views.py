"""Views of the signed links.

No login anywhere: the signed token is the authority. A bad or tampered token is a 404 page,
except for the open pixel, which is the same image whatever the token (it reveals nothing).
Tokens travel in the URL, so answers are never cached and send no referrer onwards."""

from __future__ import annotations

import base64

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from vshop.accounts.models import User
from vshop.campaigns import tracking
from vshop.campaigns.tracking_record import (
    recipient_clicked,
    recipient_destination,
    recipient_opened,
)
from vshop.errors import DomainError, NotFound
from vshop.messaging import selectors as messaging_selectors
from vshop.messaging import services as messaging_services
from vshop.shops.models import Shop
from vshop.web.errors import error_page

# A 1×1 transparent GIF.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")

_NO_CACHE = "no-store, no-cache, must-revalidate, max-age=0, private"


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = _NO_CACHE
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


def _invalid(request: HttpRequest) -> HttpResponse:
    return _private(error_page(request, NotFound(_("This link is not valid."))))


@require_http_methods(["GET", "HEAD"])
def click(request: HttpRequest, token: str) -> HttpResponse:
    """Record the click, then go to the campaign's link (taken from the campaign, never from
    the request: this cannot be used as an open redirect). A HEAD (a mail scanner checking
    the link; browsers GET) goes the same way without counting."""
    recipient_id = tracking.recipient_of_click(token)
    if recipient_id is None:
        return _invalid(request)
    try:
        if request.method == "HEAD":
            destination = recipient_destination(recipient_id=recipient_id)
        else:
            destination = recipient_clicked(recipient_id=recipient_id)
    except DomainError:
        return _invalid(request)
    return _private(HttpResponseRedirect(destination))


@require_http_methods(["GET", "HEAD"])
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    """The email's open pixel: always the same image; an open is recorded for a good token."""
    recipient_id = tracking.recipient_of_open(token)
    if recipient_id is not None and request.method == "GET":
        recipient_opened(recipient_id=recipient_id)
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Pragma"] = "no-cache"
    response["Expires"] = "0"
    return _private(response)


@csrf_exempt  # a mail client's one-click POST carries no cookie; the signed token decides
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: the shop and channel, one button. POST: unsubscribed (again is fine), with a
    resubscribe button; ``scope=all`` stops the channel for every shop. A mail client's
    RFC 8058 one-click POST (``List-Unsubscribe=One-Click``) unsubscribes from the token's
    shop. A GET never changes anything: mail scanners open links."""
    parsed = tracking.unsubscribe_of(token)
    if parsed is None:
        return _invalid(request)
    user_id, shop_id, channel = parsed
    user = User.objects.filter(pk=user_id).first()
    shop = Shop.objects.filter(pk=shop_id).first() if shop_id else None
    if user is None or channel not in messaging_selectors.CHANNELS or (shop_id and shop is None):
        return _invalid(request)

    done = ""
    scope = "shop" if shop is not None else "all"
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        if not one_click and request.POST.get("scope") == "all":
            scope = "all"
        target = shop if scope == "shop" else None
        if not one_click and request.POST.get("action") == "resubscribe":
            opt_out = messaging_selectors.opt_out_find(user=user, channel=channel, shop=target)
            if opt_out is not None:
                messaging_services.channel_resubscribe(user=user, opt_out_id=opt_out.pk)
            done = "resubscribed"
        else:
            messaging_services.channel_unsubscribe(user=user, channel=channel, shop=target)
            done = "unsubscribed"
    elif shop is not None and messaging_selectors.opt_out_find(
        user=user, channel=channel, shop=None
    ):
        scope = "all"  # already off for every shop: the page says so
    current = messaging_selectors.opt_out_find(
        user=user, channel=channel, shop=shop if scope == "shop" else None
    )
    return _private(
        render(
            request,
            "campaigns/tracking/unsubscribe.html",
            {
                "shop": shop,
                "channel": channel,
                "channel_label": messaging_selectors.channel_label(channel),
                "done": done,
                "scope": scope,
                "unsubscribed": current is not None,
            },
        )
    )
