"""Platform pages: the home page that lists shops, and a trivial page for benchmarks."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language

from vshop.shops import selectors as shops

SHOPS_PER_PAGE = 24
MAX_PAGE = 200


def _page_number(request: HttpRequest) -> int:
    try:
        return min(max(int(request.GET.get("page", "1")), 1), MAX_PAGE)
    except ValueError:
        return 1


def home(request: HttpRequest) -> HttpResponse:
    """Open shops, verified and most followed first; search and a category filter."""
    q = (request.GET.get("q") or "").strip()[:100]
    categories = shops.shop_categories_public()
    wanted = (request.GET.get("category") or "").strip()
    category = next((c for c in categories if wanted and wanted in (c.slug, str(c.pk))), None)
    page = _page_number(request)
    start = (page - 1) * SHOPS_PER_PAGE
    # One row more than a page tells whether another page follows, without a COUNT query.
    rows = list(
        shops.shops_public_list(q=q, category_id=category.pk if category else None)[
            start : start + SHOPS_PER_PAGE + 1
        ]
    )
    return render(
        request,
        "web/home.html",
        {
            "shops": rows[:SHOPS_PER_PAGE],
            "has_more": len(rows) > SHOPS_PER_PAGE,
            "page": page,
            "next_page": page + 1,
            "q": q,
            "categories": categories,
            "category": category,
        },
    )


def language(request: HttpRequest) -> HttpResponse:
    """Switch the page language with a plain link and go back where the visitor was.

    A GET (unlike Django's ``set_language``) so that pages cached for anonymous visitors need no
    CSRF token; all it can change is the visitor's own language cookie.
    """
    next_url = request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    code = request.GET.get("language", "")
    if code in dict(settings.LANGUAGES) and check_for_language(code):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


def hello(request: HttpRequest) -> HttpResponse:
    """The cheapest Django page: the yardstick the storefront benchmark compares against."""
    return HttpResponse("hello", content_type="text/plain")
