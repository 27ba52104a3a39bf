"""Promoter pages: the owner's programme settings, per-listing rates and her promoters (under
/me/shop/promoters/), the promoter's own page (/me/promoting/) and a shop's join page
(/promote/<slug>/). Thin: forms check the shape, ``distribution.services`` the rules, and the
selectors scope every read to the acting account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from vshop.distribution import selectors, services
from vshop.distribution.forms import (
    DecisionForm,
    JoinForm,
    ListingRatesForm,
    PercentField,
    ProgrammeForm,
    percent_of,
)
from vshop.distribution.models import Programme, Promoter, PromoterStatus
from vshop.errors import DomainError, ValidationFailed
from vshop.shops import selectors as shop_selectors
from vshop.shops.models import Shop
from vshop.shops.views import shop_owner_required
from vshop.web.auth import acting_user
from vshop.web.errors import domain_errors_as_pages, render_with_error

PAGE_SIZE = 20
# The example on the settings page: a sale that leaves her ¥40 of margin.
EXAMPLE_MARGIN = 4000
# Pages built by other parts of VShop, linked by their path.


def share_page(slug: str) -> str:
    return reverse("sharing:shop", args=[slug])


@dataclass(frozen=True)
class Example:
    """What a sale with ``margin`` pays each level at these rates (rounded down, as orders)."""

    margin: int
    level1: int
    level2: int
    levels: int

    @property
    def kept(self) -> int:
        return self.margin - self.level1 - self.level2


def _example(level1_rate: int, level2_rate: int, levels: int) -> Example:
    return Example(
        margin=EXAMPLE_MARGIN,
        level1=selectors.commission_on(EXAMPLE_MARGIN, level1_rate),
        level2=selectors.commission_on(EXAMPLE_MARGIN, level2_rate) if levels == 2 else 0,
        levels=levels,
    )


def _with_shop(url: str, shop: Shop, **params: str) -> str:
    return f"{url}?{urlencode({'shop': shop.pk, **{k: v for k, v in params.items() if v}})}"


# --- the owner: her promoters ----------------------------------------------------------------


@dataclass(frozen=True)
class PromoterRow:
    promoter: Promoter
    commission: int


@shop_owner_required
@require_GET
def owner_promoters(request: HttpRequest, shop: Shop) -> HttpResponse:
    """Her shop's promoters and applications: one tab per status, orders brought and
    commission earned by each, and the owner's buttons."""
    owner = acting_user(request)
    status = request.GET.get("status", "")
    http_status = 200
    if status and status not in PromoterStatus.values:
        status, http_status = "", 400
    promoters = selectors.promoters_of_shop(owner=owner, shop=shop, status=status or None)
    page = Paginator(promoters, PAGE_SIZE).get_page(request.GET.get("page"))
    earned = selectors.commission_earned(shop=shop, promoters=page.object_list)
    counts = dict(
        Promoter.objects.filter(shop=shop)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("status", "n")
    )
    base = reverse("distribution:owner_promoters")
    tabs = [
        {
            "label": label,
            "count": sum(counts.values()) if not value else counts.get(value, 0),
            "url": _with_shop(base, shop, status=value),
            "current": value == status,
        }
        for value, label in [("", _("All")), *PromoterStatus.choices]
    ]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "shop": shop,
        "shops": list(shop_selectors.shops_of_owner(owner=owner)),
        "programme": selectors.programme_of(shop=shop),
        "tabs": tabs,
        "status": status,
        "page": page,
        "rows": [PromoterRow(p, earned[p.pk]) for p in page.object_list],
        "query": query.urlencode(),
        "decision_form": DecisionForm(),
        "bad_status": http_status == 400,
    }
    return render(request, "distribution/owner_promoters.html", context, status=http_status)


_DECISIONS = {
    "approve": (services.promoter_approve, gettext_lazy("Approved: %(name)s is now a promoter.")),
    "reject": (services.promoter_reject, gettext_lazy("Application of %(name)s rejected.")),
    "remove": (services.promoter_remove, gettext_lazy("%(name)s is no longer a promoter.")),
}


@shop_owner_required
@require_POST
def owner_decide(request: HttpRequest, shop: Shop, promoter_id: int, action: str) -> HttpResponse:
    """Approve, reject or remove one of her shop's promoters. Another shop's is not found."""
    service, done = _DECISIONS[action]
    form = DecisionForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(_("Keep the note under 300 characters."), field="note")
    promoter = service(
        owner=acting_user(request),
        shop=shop,
        promoter_id=promoter_id,
        note=form.cleaned_data["note"],
    )
    messages.success(request, done % {"name": promoter.user.name})
    return redirect(
        _with_shop(
            reverse("distribution:owner_promoters"), shop, status=request.POST.get("back", "")
        )
    )


# --- the owner: programme settings -----------------------------------------------------------


@shop_owner_required
def owner_settings(request: HttpRequest, shop: Shop) -> HttpResponse:
    """Who may join, how many levels, the rates (percent of her margin) and attribution."""
    template = "distribution/owner_settings.html"
    programme = selectors.programme_of(shop=shop)
    form = ProgrammeForm(request.POST or None, initial=ProgrammeForm.initial_of(programme))
    context: dict[str, Any] = {
        "shop": shop,
        "form": form,
        "example": _example(programme.level1_rate, programme.level2_rate, programme.levels),
        "for_owner": True,
    }
    if request.method != "POST":
        return render(request, template, context)
    if not form.is_valid():
        return render(request, template, context, status=400)
    data = dict(form.cleaned_data)
    data["level2_rate"] = data.get("level2_rate") or 0
    context["example"] = _example(data["level1_rate"], data["level2_rate"], data["levels"])
    try:
        services.programme_update(owner=acting_user(request), shop=shop, data=data)
    except DomainError as exc:
        return render_with_error(request, template, context, exc, form)
    messages.success(request, _("Your promoter programme is saved."))
    return redirect(_with_shop(reverse("distribution:owner_settings"), shop))


@login_required
@require_GET
def owner_settings_example(request: HttpRequest) -> HttpResponse:
    """htmx: the example line as she types the rates (writes nothing)."""
    field = PercentField(required=False)
    try:
        rate1 = field.clean(request.GET.get("level1_rate", ""))
        rate2 = field.clean(request.GET.get("level2_rate", ""))
        levels = int(request.GET.get("levels", "1"))
    except (DjangoValidationError, ValueError):  # not a number yet: no example until it is
        return render(request, "distribution/_example.html", {"example": None})
    context = {"example": _example(rate1, rate2, levels), "for_owner": True}
    return render(request, "distribution/_example.html", context)


# --- the owner: per-listing rates ------------------------------------------------------------


@dataclass(frozen=True)
class RatesRow:
    rates: selectors.ListingRates
    form: ListingRatesForm


def _rates_context(
    request: HttpRequest, shop: Shop, *, bound: tuple[int, ListingRatesForm] | None = None
) -> dict[str, Any]:
    programme = selectors.programme_of(shop=shop)
    rows = []
    for rates in selectors.listing_rates(owner=acting_user(request), shop=shop):
        if bound is not None and bound[0] == rates.listing.pk:
            form = bound[1]
        else:
            form = ListingRatesForm(
                initial={
                    "level1_rate": percent_of(rates.level1_rate),
                    "level2_rate": percent_of(rates.level2_rate),
                },
                prefix=f"l{rates.listing.pk}",
            )
        rows.append(RatesRow(rates, form))
    return {"shop": shop, "programme": programme, "rows": rows}


@shop_owner_required
@require_GET
def owner_rates(request: HttpRequest, shop: Shop) -> HttpResponse:
    """Her listings with the rates that apply to each and what they pay on its margin."""
    return render(request, "distribution/owner_rates.html", _rates_context(request, shop))


@login_required
@domain_errors_as_pages
@require_POST
def owner_rate_set(request: HttpRequest, listing_id: int) -> HttpResponse:
    """Set one listing's own rates, or (``clear``) go back to the programme's."""
    owner = acting_user(request)
    shop = selectors.listing_rates_of(owner=owner, listing_id=listing_id).listing.shop
    back = _with_shop(reverse("distribution:owner_rates"), shop)
    if request.POST.get("action") == "clear":
        services.listing_commission_clear(owner=owner, listing_id=listing_id)
        messages.success(request, _("Back to your programme's rates."))
        return redirect(back)
    form = ListingRatesForm(request.POST, prefix=f"l{listing_id}")
    template = "distribution/owner_rates.html"
    if not form.is_valid():
        context = _rates_context(request, shop, bound=(listing_id, form))
        return render(request, template, {**context, "error_listing": listing_id}, status=400)
    try:
        services.listing_commission_set(
            owner=owner,
            listing_id=listing_id,
            level1_rate=form.cleaned_data["level1_rate"],
            level2_rate=form.cleaned_data["level2_rate"] or 0,
        )
    except DomainError as exc:
        context = _rates_context(request, shop, bound=(listing_id, form))
        return render_with_error(
            request, template, {**context, "error_listing": listing_id}, exc, form
        )
    messages.success(request, _("Rates saved."))
    return redirect(back)


# --- the promoter ----------------------------------------------------------------------------


@login_required
@require_GET
def promoting(request: HttpRequest) -> HttpResponse:
    """Her roles per shop, the orders she brought with her commission on each, and her
    commission balances."""
    user = acting_user(request)
    roles = selectors.promoter_roles_of(user=user)
    page = Paginator(selectors.promoter_attributions(user=user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "roles": [(role, share_page(role.shop.slug)) for role in roles],
        "page": page,
        "orders": selectors.brought_orders(user=user, attributions=page.object_list),
        "balances": selectors.commission_balances(user=user),
        "money_page": reverse("payouts:money"),
        "query": "",
    }
    return render(request, "distribution/promoting.html", context)


def _terms(programme: Programme) -> dict[str, Any]:
    return {
        "level1_percent": percent_of(programme.level1_rate),
        "level2_percent": percent_of(programme.level2_rate) if programme.levels == 2 else 0,
        "example": _example(programme.level1_rate, programme.level2_rate, programme.levels),
    }


@domain_errors_as_pages
def join(request: HttpRequest, slug: str) -> HttpResponse:
    """A shop's terms for promoters and the button to join (or apply). Anyone may read them;
    joining needs an account."""
    shop = shop_selectors.shop_public_get(slug=slug)
    programme = selectors.programme_of(shop=shop)
    user = acting_user(request) if request.user.is_authenticated else None
    ref = (request.POST.get("ref") or request.GET.get("ref") or "").strip()[:40]
    form = JoinForm(request.POST or None, initial={"ref": ref})
    context: dict[str, Any] = {
        "shop": shop,
        "programme": programme,
        **_terms(programme),
        "form": form,
        "role": selectors.promoter_role(user=user, shop=shop) if user else None,
        "is_owner": user is not None and shop.owner_id == user.pk,
        "inviter": selectors.promoter_by_code(shop=shop, code=ref) if ref else None,
        "share_url": share_page(shop.slug),
    }
    template = "distribution/join.html"
    if request.method != "POST":
        return render(request, template, context)
    if user is None:
        return redirect_to_login(request.get_full_path())
    if not form.is_valid():
        return render(request, template, context, status=400)
    try:
        promoter = services.promoter_join(
            user=user,
            shop=shop,
            message=form.cleaned_data["message"],
            recruiter_code=form.cleaned_data["ref"] or None,
        )
    except DomainError as exc:
        return render_with_error(request, template, context, exc, form)
    if promoter.status == PromoterStatus.APPLIED:
        messages.success(request, _("Application sent: the shop owner will answer soon."))
    else:
        messages.success(
            request, _("You are a promoter of %(shop)s. Share it!") % {"shop": shop.name}
        )
    return redirect("distribution:promoting")
