"""Follow and unfollow a shop from its pages: htmx swaps the button, plain forms redirect back."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from vshop.errors import NotFound
from vshop.fans import services
from vshop.shops import selectors as shops
from vshop.shops.models import Shop


def _shop_or_404(slug: str) -> Shop:
    try:
        return shops.shop_public_get(slug=slug)
    except NotFound as exc:
        raise Http404() from exc


def _login_redirect(request: HttpRequest, slug: str) -> HttpResponse:
    """Anonymous fans log in first and come back to the shop."""
    shop_url = reverse("storefront:home", kwargs={"slug": slug})
    url = f"{reverse('accounts:login')}?{urlencode({'next': shop_url})}"
    if getattr(request, "htmx", False):
        # A redirect inside an htmx swap would paste the login page into the button.
        return HttpResponse(status=204, headers={"HX-Redirect": url})
    return HttpResponseRedirect(url)


def _answer(request: HttpRequest, slug: str, *, following: bool) -> HttpResponse:
    shop = _shop_or_404(slug)  # again, for the fan count the write just changed
    if getattr(request, "htmx", False):
        return render(request, "fans/follow_button.html", {"shop": shop, "following": following})
    return HttpResponseRedirect(reverse("storefront:home", kwargs={"slug": slug}))


@require_POST
def follow(request: HttpRequest, slug: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login_redirect(request, slug)
    services.fan_follow(fan=request.user, shop=_shop_or_404(slug))
    return _answer(request, slug, following=True)


@require_POST
def unfollow(request: HttpRequest, slug: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login_redirect(request, slug)
    services.fan_unfollow(fan=request.user, shop=_shop_or_404(slug))
    return _answer(request, slug, following=False)
