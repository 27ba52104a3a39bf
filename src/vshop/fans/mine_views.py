"""The fan's own pages: the shops she follows (levels, points, check-in, mute, unfollow, leave)
at ``/me/following/``, and her privacy at ``/me/privacy/`` (what shops may see, download her
data, delete her account). Thin over ``fans.mine``, ``fans.services``, ``fans.privacy`` and
``accounts.deletion``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from vshop.accounts.deletion import account_delete
from vshop.errors import DomainError
from vshop.fans import mine, privacy, services
from vshop.fans.api_mine import data_download
from vshop.web.auth import acting_user
from vshop.web.errors import domain_errors_as_pages


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


@login_required
@require_GET
def following(request: HttpRequest) -> HttpResponse:
    rows = mine.my_shops(user=acting_user(request))
    return render(
        request,
        "fans/mine/following.html",
        {
            "followed": [r for r in rows if r.is_following],
            "others": [r for r in rows if not r.is_following],
        },
    )


def _row_answer(request: HttpRequest, slug: str, done: str) -> HttpResponse:
    """htmx: the shop's row again, in its new state; a plain form: back to the list."""
    if _is_htmx(request):
        row = mine.my_shop(user=acting_user(request), slug=slug)
        return render(request, "fans/mine/_shop_row.html", {"row": row})
    messages.success(request, done)
    return redirect("fans_mine:following")


@login_required
@require_POST
@domain_errors_as_pages
def mute(request: HttpRequest, slug: str) -> HttpResponse:
    muted = request.POST.get("muted") == "1"
    shop = mine.my_shop(user=acting_user(request), slug=slug).shop
    services.fan_mute(fan=acting_user(request), shop=shop, muted=muted)
    done = _("Muted: no more pushes or posts from this shop.") if muted else _("Unmuted.")
    return _row_answer(request, slug, done)


@login_required
@require_POST
@domain_errors_as_pages
def unfollow(request: HttpRequest, slug: str) -> HttpResponse:
    shop = mine.my_shop(user=acting_user(request), slug=slug).shop
    services.fan_unfollow(fan=acting_user(request), shop=shop)
    return _row_answer(request, slug, _("You no longer follow %(shop)s.") % {"shop": shop.name})


@login_required
@require_POST
@domain_errors_as_pages
def leave(request: HttpRequest, slug: str) -> HttpResponse:
    shop = mine.my_shop(user=acting_user(request), slug=slug).shop
    services.fan_leave_shop(fan=acting_user(request), shop=shop)
    messages.success(
        request, _("You left %(shop)s: it no longer has you on its fan list.") % {"shop": shop.name}
    )
    return redirect("fans_mine:following")


# --- privacy ---------------------------------------------------------------------------------

PRIVACY_TEMPLATE = "fans/mine/privacy.html"


def _privacy_context(request: HttpRequest, **extra: object) -> dict[str, object]:
    user = acting_user(request)
    settings = privacy.privacy_settings_of(user=user)
    return {
        "choices": [(name, str(label), settings[name]) for name, label in privacy_labels().items()],
        **extra,
    }


def privacy_labels() -> dict[str, str]:
    from vshop.fans.models import PrivacySettings

    return {
        name: str(getattr(PrivacySettings._meta.get_field(name), "verbose_name", name))
        for name in privacy.PRIVACY_FIELDS
    }


@login_required
def privacy_page(request: HttpRequest) -> HttpResponse:
    """GET: her settings; POST: save them (a checkbox left out is "no")."""
    if request.method == "POST":
        privacy.privacy_update(
            user=acting_user(request),
            **{name: request.POST.get(name) == "on" for name in privacy.PRIVACY_FIELDS},
        )
        messages.success(request, _("Saved. Every shop you are a fan of now sees only this."))
        return redirect("fans_mine:privacy")
    return render(request, PRIVACY_TEMPLATE, _privacy_context(request))


@login_required
@require_GET
def data(request: HttpRequest) -> HttpResponse:
    return data_download(acting_user(request))


@login_required
@require_POST
def delete_account(request: HttpRequest) -> HttpResponse:
    try:
        account_delete(user=acting_user(request), password=request.POST.get("password", ""))
    except DomainError as exc:
        return render(
            request,
            PRIVACY_TEMPLATE,
            _privacy_context(request, delete_error=exc),
            status=exc.status,
        )
    logout(request)
    messages.success(request, _("Your account is deleted. Thank you for shopping with us."))
    return redirect("web:home")
