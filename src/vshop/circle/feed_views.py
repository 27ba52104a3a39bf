"""The fan's circle page ``/circle/``: newest first or "for you", infinite scroll (htmx loads
the next page when its marker is revealed; without script a "More" link does). Thin over
``circle.feed``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from vshop.circle import feed
from vshop.web.auth import acting_user
from vshop.web.errors import domain_errors_as_pages

PAGE_SIZE = 20


@login_required
@require_GET
@domain_errors_as_pages
def circle(request: HttpRequest) -> HttpResponse:
    mode = request.GET.get("mode") or "newest"
    cursor = request.GET.get("cursor") or None
    page = feed.circle_page(user=acting_user(request), mode=mode, cursor=cursor, limit=PAGE_SIZE)
    context = {"page": page, "mode": mode, "first": cursor is None}
    # htmx asks for the next page only: the items and the next marker, appended in place.
    if getattr(request, "htmx", False) and cursor:
        return render(request, "circle/feed/_page.html", context)
    return render(request, "circle/feed/circle.html", context)
