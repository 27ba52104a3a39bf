"""Loyalty pages: the owner's points rules and member levels (``/me/shop/loyalty/``), and the
fan's daily check-in (a POST from her pages) and her membership in a shop. Thin over
``fans.loyalty`` and ``fans.points``; a refused change re-renders the page with the reason
(400) and writes nothing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vshop.errors import DomainError, ValidationFailed
from vshop.fans import loyalty, points
from vshop.fans.models import LevelBasis, LoyaltyRules, ShopFan
from vshop.shops import selectors as shop_selectors
from vshop.shops.models import Shop
from vshop.shops.views import shop_owner_required
from vshop.web.auth import acting_user
from vshop.web.errors import domain_errors_as_pages

TEMPLATE = "fans/loyalty/settings.html"
NUMBER_FIELDS = tuple(loyalty.RULE_LIMITS)


def _int(raw: str, *, field: str) -> int:
    raw = (raw or "").strip()
    if not raw.isdigit() or len(raw) > 13:
        raise ValidationFailed(_("Enter a whole number."), field=field)
    return int(raw)


def _rows(shop: Shop, rules: LoyaltyRules) -> list[dict[str, Any]]:
    """The levels as the editor shows them (spend thresholds in whole yuan), plus blank rows
    up to the limit."""
    in_yuan = rules.level_basis == LevelBasis.SPEND
    rows: list[dict[str, Any]] = [
        {
            "id": x.pk,
            "name": x.name,
            "threshold": x.threshold // 100 if in_yuan else x.threshold,
            "discount_percent": x.discount_percent,
        }
        for x in loyalty.levels_of(shop_id=shop.pk)
    ]
    while len(rows) < loyalty.MAX_LEVELS:
        rows.append({"id": "", "name": "", "threshold": "", "discount_percent": ""})
    return rows


def _context(shop: Shop, **extra: Any) -> dict[str, Any]:
    rules = loyalty.rules_or_defaults(shop=shop)
    counts = {
        row["level_id"]: row["n"]
        for row in ShopFan.objects.filter(shop=shop, level__isnull=False)
        .values("level_id")
        .order_by()
        .annotate(n=Count("pk"))
    }
    context: dict[str, Any] = {
        "shop": shop,
        "rules": rules,
        "configured": rules.pk is not None,
        "rows": _rows(shop, rules),
        "level_counts": counts,
        "bases": LevelBasis.choices,
        "in_yuan": rules.level_basis == LevelBasis.SPEND,
        "max_levels": loyalty.MAX_LEVELS,
    }
    context.update(extra)
    return context


def _back(shop: Shop) -> HttpResponse:
    return redirect(f"{reverse('fans_loyalty:settings')}?shop={shop.pk}")


@shop_owner_required
@require_GET
def settings_page(request: HttpRequest, shop: Shop) -> HttpResponse:
    return render(request, TEMPLATE, _context(shop))


@shop_owner_required
@require_POST
def rules_save(request: HttpRequest, shop: Shop) -> HttpResponse:
    post = request.POST
    try:
        data: dict[str, object] = {
            name: _int(post.get(name, ""), field=name) for name in NUMBER_FIELDS
        }
        data["points_enabled"] = post.get("points_enabled") == "on"
        data["level_basis"] = post.get("level_basis", "")
        loyalty.rules_update(owner=acting_user(request), shop=shop, data=data)
    except DomainError as exc:
        return render(
            request, TEMPLATE, _context(shop, rules_error=exc, posted=post), status=exc.status
        )
    messages.success(request, _("Your points rules are saved."))
    return _back(shop)


@shop_owner_required
@require_POST
def levels_save(request: HttpRequest, shop: Shop) -> HttpResponse:
    post = request.POST
    rules = loyalty.rules_or_defaults(shop=shop)
    scale = 100 if rules.level_basis == LevelBasis.SPEND else 1
    wanted = []
    try:
        for i in range(loyalty.MAX_LEVELS + 5):
            name = (post.get(f"name_{i}") or "").strip()
            threshold = (post.get(f"threshold_{i}") or "").strip()
            discount = (post.get(f"discount_{i}") or "").strip()
            if not (name or threshold or discount):
                continue  # a blank row
            level_id = (post.get(f"id_{i}") or "").strip()
            wanted.append(
                loyalty.LevelInput(
                    id=int(level_id) if level_id.isdigit() else None,
                    name=name,
                    threshold=_int(threshold, field=f"threshold_{i}") * scale,
                    discount_percent=_int(discount or "0", field=f"discount_{i}"),
                )
            )
        loyalty.levels_replace(owner=acting_user(request), shop=shop, levels=wanted)
    except DomainError as exc:
        context = _context(shop, levels_error=exc)
        context["rows"] = [
            {
                "id": post.get(f"id_{i}", ""),
                "name": post.get(f"name_{i}", ""),
                "threshold": post.get(f"threshold_{i}", ""),
                "discount_percent": post.get(f"discount_{i}", ""),
            }
            for i in range(loyalty.MAX_LEVELS)
        ]
        return render(request, TEMPLATE, context, status=exc.status)
    messages.success(request, _("Your member levels are saved."))
    return _back(shop)


# --- the fan ---------------------------------------------------------------------------------


def _next_or(request: HttpRequest, fallback: str) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return fallback


@login_required
@domain_errors_as_pages
@require_POST
def check_in(request: HttpRequest, slug: str) -> HttpResponse:
    """The daily check-in button: earn the shop's points once a day, then back where she was."""
    shop = shop_selectors.shop_public_get(slug=slug)
    back = _next_or(request, reverse("fans_loyalty:membership", args=[shop.slug]))
    try:
        entry = points.points_check_in(user=acting_user(request), shop=shop)
    except (points.AlreadyCheckedIn, points.PointsOff) as exc:
        messages.info(request, exc.message)
        return redirect(back)
    messages.success(
        request,
        _("Checked in: +%(n)s points (%(balance)s in all).")
        % {"n": entry.delta, "balance": entry.balance_after},
    )
    return redirect(back)


@login_required
@domain_errors_as_pages
@require_http_methods(["GET", "HEAD"])
def membership(request: HttpRequest, slug: str) -> HttpResponse:
    """Her level, progress and points in one shop, with her points history."""
    shop = shop_selectors.shop_public_get(slug=slug)
    data = loyalty.membership_of(user=acting_user(request), shop=shop)
    return render(request, "fans/loyalty/membership.html", {"shop": shop, "m": data})
