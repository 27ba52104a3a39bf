"""Share pages: following a share link (``/r/<code>/``), a logged-in person's links for a shop or
a listing with their copy buttons and poster, and the poster image itself.

Thin: ``distribution.sharing`` makes and reads the links and records touches;
``analytics.visits`` counts the visit.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_safe

from vshop.analytics.visits import share_landed
from vshop.distribution import sharing
from vshop.distribution.models import Channel
from vshop.distribution.selectors import active_promoter
from vshop.distribution.visitors import visitor_id
from vshop.fans import activity
from vshop.fans.models import ActivityKind
from vshop.web.auth import acting_user
from vshop.web.errors import domain_errors_as_pages


def _not_valid(request: HttpRequest) -> HttpResponse:
    return render(request, "distribution/share/not_valid.html", status=404)


@require_safe
@never_cache
def follow(request: HttpRequest, code: str) -> HttpResponse:
    """Record the touch, count the visit, and go to the shop or listing the link shows."""
    try:
        link = sharing.share_link_by_code(code=code)
    except sharing.ShareLinkNotValid:
        return _not_valid(request)
    if request.method == "HEAD":  # a link checker or a chat app's preview: nobody visited
        return redirect(sharing.share_target_path(link))
    user = request.user if request.user.is_authenticated else None
    touch = sharing.touch_record(
        link=link,
        visitor_id=visitor_id(request),
        user=user,  # type: ignore[arg-type]
        client_ip=request.META.get("REMOTE_ADDR", ""),
    )
    if touch is not None:
        share_landed(request, link=link)
    return redirect(sharing.share_target_path(link))


@require_GET
@login_required
@domain_errors_as_pages
def share_page(request: HttpRequest, slug: str, listing_id: int | None = None) -> HttpResponse:
    """Her link for each channel, ready to copy, and the poster to save."""
    sharer = acting_user(request)
    shop = sharing.shareable_shop(slug=slug)
    listing = (
        sharing.shareable_listing(shop=shop, listing_id=listing_id)
        if listing_id is not None
        else None
    )
    links = sharing.share_links_for(sharer=sharer, shop=shop, listing=listing)
    activity.record_by(user=sharer, shop_id=shop.pk, kind=ActivityKind.SHARE, ref=listing_id)
    poster = next(link for link in links if link.channel == Channel.POSTER)
    return render(
        request,
        "distribution/share/page.html",
        {
            "shop": shop,
            "listing": listing,
            "rows": [(link, sharing.share_link_url(link)) for link in links],
            # Relative: the page may be reached on another host than VSHOP_SITE_URL (a laptop).
            "poster_url": reverse("sharing:poster", kwargs={"code": poster.code}),
            "is_owner": shop.owner_id == sharer.pk,
            "is_promoter": active_promoter(shop_id=shop.pk, user_id=sharer.pk) is not None,
        },
    )


@require_safe
def poster(request: HttpRequest, code: str) -> HttpResponse:
    """The link's poster (public: posters are made to be posted). Rendered once per content
    version and language; browsers revalidate with the ETag."""
    try:
        link = sharing.share_link_by_code(code=code)
    except sharing.ShareLinkNotValid:
        return _not_valid(request)
    etag = sharing.poster_etag(link)
    if etag in request.headers.get("If-None-Match", ""):
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(sharing.share_poster_png(link), content_type="image/png")
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=sharing.POSTER_MAX_AGE)
    return response
