"""The shop owner's pages: open a shop, pick from the catalogue, price, list her own goods and
run her listings. Thin: forms check the shape, ``shops.services`` the rules, and
``shops.strategy`` alone says what a listing costs and earns."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from vshop.catalog import selectors as catalog_selectors
from vshop.errors import DomainError, NotFound
from vshop.shops import selectors, services
from vshop.shops.forms import (
    CatalogueFilterForm,
    ListingPricesForm,
    OwnGoodsForm,
    ShopOpenForm,
    ShopSettingsForm,
    posted_prices,
)
from vshop.shops.models import Listing, ListingStatus, Shop
from vshop.shops.strategy import strategy_for
from vshop.web.auth import acting_user
from vshop.web.errors import domain_errors_as_pages, error_page, render_with_error

SESSION_SHOP = "vshop_manage_shop"
CATALOGUE_PAGE_SIZE = 24

View = Callable[..., HttpResponse]


class HtmxHttpRequest(HttpRequest):
    """A request as ``HtmxMiddleware`` leaves it, for the type checker (django-htmx's recipe)."""

    htmx: HtmxDetails


def _current_shop(request: HttpRequest) -> Shop | None:
    """The shop she is managing: ``?shop=<id>`` (remembered in the session), else her first.
    Another owner's shop id is ``NotFound``."""
    wanted = request.GET.get("shop", "")
    if wanted:
        if not wanted.isdigit():
            raise NotFound()
        shop = selectors.shop_of_owner(owner=acting_user(request), shop_id=int(wanted))
        request.session[SESSION_SHOP] = shop.pk
        return shop
    remembered = request.session.get(SESSION_SHOP)
    if remembered:
        try:
            return selectors.shop_of_owner(owner=acting_user(request), shop_id=remembered)
        except NotFound:
            request.session.pop(SESSION_SHOP, None)
    return selectors.shops_of_owner(owner=acting_user(request)).first()


def shop_owner_required(view: View) -> View:
    """Log in, then pass her current shop to the view; without a shop, go and open one."""

    @login_required
    @domain_errors_as_pages
    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        shop = _current_shop(request)
        if shop is None:
            messages.info(request, _("Open your shop first: it takes a minute."))
            return redirect("shops:open")
        return view(request, shop, *args, **kwargs)

    return wrapper


def _back_to_dashboard(shop: Shop) -> HttpResponse:
    return redirect(f"{reverse('shops:dashboard')}?shop={shop.pk}")


# --- opening a shop and its settings ---------------------------------------------------------


def _slug_context(
    *, slug: str, suggested: str, errors: list[str] | None = None, check: bool = False
) -> dict[str, object]:
    return {
        "slug_value": slug,
        "slug_suggested": suggested,
        "slug_errors": errors or [],
        "slug_problem": selectors.shop_slug_problem(slug=slug) if check and slug else "",
        "slug_checked": check and bool(slug),
    }


@login_required
def shop_open(request: HttpRequest) -> HttpResponse:
    """Name and short address are all she must give; then straight on to the catalogue."""
    template = "shops/manage/open.html"
    form = ShopOpenForm(request.POST or None, request.FILES or None)
    if request.method != "POST":
        suggested = selectors.shop_slug_suggest(name="")
        return render(
            request,
            template,
            {"form": form, **_slug_context(slug=suggested, suggested=suggested)},
        )
    context: dict[str, object] = {
        "form": form,
        **_slug_context(
            slug=request.POST.get("slug", ""),
            suggested=request.POST.get("slug_suggested", ""),
        ),
    }
    if not form.is_valid():
        context["slug_errors"] = form.errors.get("slug", [])
        return render(request, template, context, status=400)
    data = form.cleaned_data
    try:
        shop = services.shop_open(
            owner=acting_user(request),
            name=data["name"],
            slug=data["slug"],
            bio=data["bio"],
            category_id=data["category"].pk if data["category"] else None,
            avatar=data["avatar"],
            cover=data["cover"],
        )
    except DomainError as exc:
        if exc.field == "slug":
            context["slug_errors"] = [exc.message]
        return render_with_error(request, template, context, exc, form)
    request.session[SESSION_SHOP] = shop.pk
    messages.success(request, _("Your shop is open! Now pick a few products your fans will love."))
    return redirect("shops:catalogue")


@login_required
@require_GET
def slug_suggest(request: HttpRequest) -> HttpResponse:
    """htmx: as she types the name, suggest a short address, unless she has typed her own."""
    slug = request.GET.get("slug", "").strip().lower()
    suggested = request.GET.get("slug_suggested", "")
    if not slug or slug == suggested:
        slug = suggested = selectors.shop_slug_suggest(name=request.GET.get("name", ""))
    return render(
        request,
        "shops/manage/_slug_field.html",
        _slug_context(slug=slug, suggested=suggested, check=True),
    )


@login_required
@require_GET
def slug_check(request: HttpRequest) -> HttpResponse:
    """htmx: is this short address free? A hint only; opening the shop checks again."""
    slug = request.GET.get("slug", "").strip().lower()
    return render(
        request,
        "shops/manage/_slug_status.html",
        _slug_context(slug=slug, suggested="", check=True),
    )


@shop_owner_required
def shop_settings(request: HttpRequest, shop: Shop) -> HttpResponse:
    template = "shops/manage/settings.html"
    initial = {"name": shop.name, "bio": shop.bio, "category": shop.category_id}
    form = ShopSettingsForm(request.POST or None, request.FILES or None, initial=initial)
    context = {"form": form, "shop": shop}
    if request.method != "POST":
        return render(request, template, context)
    if not form.is_valid():
        return render(request, template, context, status=400)
    data = form.cleaned_data
    try:
        services.shop_update(
            shop=shop,
            actor=acting_user(request),
            name=data["name"],
            bio=data["bio"],
            category_id=data["category"].pk if data["category"] else None,
            avatar=data["avatar"],
            cover=data["cover"],
        )
    except DomainError as exc:
        return render_with_error(request, template, context, exc, form)
    messages.success(request, _("Your shop is saved."))
    return _back_to_dashboard(shop)


# --- the catalogue picker ----------------------------------------------------------------------


@shop_owner_required
@require_GET
def catalogue(request: HtmxHttpRequest, shop: Shop) -> HttpResponse:
    form = CatalogueFilterForm(request.GET)
    status = 200
    if form.is_valid():
        products = catalog_selectors.catalogue_browse(**form.browse_kwargs())
    else:
        products = catalog_selectors.catalogue_browse()
        status = 400
    page = Paginator(products, CATALOGUE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "shop": shop,
        "form": form,
        "page": page,
        "cards": selectors.catalogue_cards(shop=shop, products=page.object_list),
        "query": query.urlencode(),
        "listing_count": shop.listings.count(),
    }
    template = (
        "shops/manage/_catalogue_results.html"
        if request.htmx and request.htmx.target == "catalogue-results"
        else "shops/manage/catalogue.html"
    )
    return render(request, template, context, status=status)


@shop_owner_required
@require_POST
def catalogue_add(request: HtmxHttpRequest, shop: Shop, product_id: int) -> HttpResponse:
    """One tap: the product goes on sale in her shop at the suggested prices."""
    try:
        services.listing_add_from_catalog(
            shop=shop, actor=acting_user(request), product_id=product_id
        )
    except DomainError as exc:
        if request.htmx:
            return render(
                request,
                "shops/manage/_add_button.html",
                {"product_id": product_id, "error": exc},
                status=exc.status,
            )
        return error_page(request, exc)
    if request.htmx:
        return render(
            request, "shops/manage/_add_button.html", {"product_id": product_id, "added": True}
        )
    messages.success(request, _("Added to your shop."))
    return redirect("shops:catalogue")


def _margins_response(request: HttpRequest, skus: list, prices: dict) -> HttpResponse:
    rows = selectors.margin_preview(skus=skus, prices=prices)
    return render(
        request,
        "shops/manage/_margins.html",
        {"rows": rows, "has_problem": any(r.problem for r in rows)},
    )


def _price_rows(form: ListingPricesForm, rows: list) -> list[tuple[object, object]]:
    """Each SKU's margin preview beside its price input."""
    return [(row, form[f"price_{row.sku.pk}"]) for row in rows]


@shop_owner_required
def catalogue_customise(request: HttpRequest, shop: Shop, product_id: int) -> HttpResponse:
    """Her own price per SKU inside the supplier's bounds and her endorsement, margins shown
    live before she saves."""
    product = catalog_selectors.catalogue_product_get(product_id=product_id)
    skus = list(product.skus.all())
    template = "shops/manage/customise.html"
    initial = {f"price_{s.pk}": s.suggested_price for s in skus}
    form = ListingPricesForm(request.POST or None, skus=skus, initial=initial)
    rows = selectors.margin_preview(
        skus=skus, prices=posted_prices(request.POST) if request.method == "POST" else {}
    )
    context = {
        "shop": shop,
        "product": product,
        "form": form,
        "price_rows": _price_rows(form, rows),
        "margins_url": reverse("shops:catalogue_margins", args=[product.pk]),
    }
    if request.method != "POST":
        return render(request, template, context)
    if not form.is_valid():
        return render(request, template, context, status=400)
    try:
        services.listing_add_from_catalog(
            shop=shop,
            actor=acting_user(request),
            product_id=product.pk,
            prices=form.prices(),
            endorsement=form.cleaned_data["endorsement"],
            is_pinned=form.cleaned_data["is_pinned"],
        )
    except DomainError as exc:
        return render_with_error(request, template, context, exc, form)
    messages.success(request, _("“%(title)s” is on sale in your shop.") % {"title": product.title})
    return _back_to_dashboard(shop)


@shop_owner_required
@require_POST
def catalogue_margins(request: HttpRequest, shop: Shop, product_id: int) -> HttpResponse:
    product = catalog_selectors.catalogue_product_get(product_id=product_id)
    return _margins_response(request, list(product.skus.all()), posted_prices(request.POST))


# --- her own goods ------------------------------------------------------------------------------


@shop_owner_required
def own_goods_new(request: HttpRequest, shop: Shop) -> HttpResponse:
    template = "shops/manage/own_goods.html"
    form = OwnGoodsForm(request.POST or None, request.FILES or None)
    context = {"shop": shop, "form": form}
    if request.method != "POST":
        return render(request, template, context)
    if not form.is_valid():
        return render(request, template, context, status=400)
    data = form.cleaned_data
    try:
        listing = services.listing_create_own_goods_with_photos(
            shop=shop,
            actor=acting_user(request),
            title=data["title"],
            category_id=data["category"].pk,
            skus=form.sku_inputs(),
            photos=data["photos"],
            description_html=data["description_html"],
            endorsement=data["endorsement"],
        )
    except DomainError as exc:
        return render_with_error(request, template, context, exc, form)
    messages.success(
        request, _("“%(title)s” is on sale in your shop.") % {"title": listing.product.title}
    )
    return _back_to_dashboard(shop)


# --- the dashboard and one listing --------------------------------------------------------------


@shop_owner_required
@require_GET
def dashboard(request: HttpRequest, shop: Shop) -> HttpResponse:
    strategy = strategy_for(buyer=None)
    listings = list(selectors.listings_of_owner(owner=acting_user(request), shop=shop))
    return render(
        request,
        "shops/manage/dashboard.html",
        {
            "shop": shop,
            "shops": list(selectors.shops_of_owner(owner=acting_user(request))),
            "rows": [(listing, strategy.offer_for(listing)) for listing in listings],
        },
    )


def _own_listing(request: HttpRequest, listing_id: int) -> Listing:
    return selectors.listing_of_owner(owner=acting_user(request), listing_id=listing_id)


@login_required
@domain_errors_as_pages
def listing_edit(request: HttpRequest, listing_id: int) -> HttpResponse:
    listing = _own_listing(request, listing_id)
    offer = strategy_for(buyer=None).offer_for(listing)
    skus = [s for s in listing.product.skus.all() if s.is_active]
    template = "shops/manage/listing_edit.html"
    initial = {
        "endorsement": listing.endorsement,
        "is_pinned": listing.is_pinned,
        **{f"price_{s.sku_id}": s.price for s in offer.skus},
    }
    form = ListingPricesForm(request.POST or None, skus=skus, initial=initial)
    prices = posted_prices(request.POST) if request.method == "POST" else {}
    rows = selectors.margin_preview(
        skus=skus, prices=prices or {s.sku_id: s.price for s in offer.skus}
    )
    context = {
        "shop": listing.shop,
        "listing": listing,
        "offer": offer,
        "form": form,
        "price_rows": _price_rows(form, rows),
        "margins_url": reverse("shops:listing_margins", args=[listing.pk]),
    }
    if request.method != "POST":
        return render(request, template, context)
    if not form.is_valid():
        return render(request, template, context, status=400)
    try:
        services.listing_update(
            listing=listing,
            actor=acting_user(request),
            prices=form.prices(),
            endorsement=form.cleaned_data["endorsement"],
            is_pinned=form.cleaned_data["is_pinned"],
        )
    except DomainError as exc:
        return render_with_error(request, template, context, exc, form)
    messages.success(request, _("Saved."))
    return _back_to_dashboard(listing.shop)


@login_required
@domain_errors_as_pages
@require_POST
def listing_margins(request: HttpRequest, listing_id: int) -> HttpResponse:
    listing = _own_listing(request, listing_id)
    skus = [s for s in listing.product.skus.all() if s.is_active]
    return _margins_response(request, skus, posted_prices(request.POST))


@login_required
@domain_errors_as_pages
@require_POST
def listing_pin(request: HttpRequest, listing_id: int) -> HttpResponse:
    listing = _own_listing(request, listing_id)
    services.listing_update(
        listing=listing, actor=acting_user(request), is_pinned=request.POST.get("pinned") == "1"
    )
    return _back_to_dashboard(listing.shop)


@login_required
@domain_errors_as_pages
@require_POST
def listing_move(request: HttpRequest, listing_id: int) -> HttpResponse:
    listing = _own_listing(request, listing_id)
    step = {"up": -1, "down": 1}.get(request.POST.get("direction", ""), 0)
    services.listing_move(listing=listing, actor=acting_user(request), step=step)
    return _back_to_dashboard(listing.shop)


@login_required
@domain_errors_as_pages
@require_POST
def listing_visibility(request: HttpRequest, listing_id: int) -> HttpResponse:
    listing = _own_listing(request, listing_id)
    status = ListingStatus.HIDDEN if request.POST.get("hide") == "1" else ListingStatus.ACTIVE
    services.listing_update(listing=listing, actor=acting_user(request), status=status)
    return _back_to_dashboard(listing.shop)


@login_required
@domain_errors_as_pages
@require_POST
def listing_remove(request: HttpRequest, listing_id: int) -> HttpResponse:
    listing = _own_listing(request, listing_id)
    title = listing.product.title
    services.listing_remove(listing=listing, actor=acting_user(request))
    messages.success(request, _("“%(title)s” removed from your shop.") % {"title": title})
    return _back_to_dashboard(listing.shop)
