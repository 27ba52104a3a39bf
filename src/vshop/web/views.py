"""Platform pages: the home page that lists shops, and a trivial page for benchmarks."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from vshop.shops import selectors as shops


def home(request: HttpRequest) -> HttpResponse:
    shop_list = shops.shops_public_list(q=request.GET.get("q", ""))[:60]
    return render(request, "web/home.html", {"shops": shop_list, "q": request.GET.get("q", "")})


def hello(request: HttpRequest) -> HttpResponse:
    """The cheapest Django page: the yardstick the storefront benchmark compares against."""
    return HttpResponse("hello", content_type="text/plain")
