"""The supplier area: apply, see the application's status, list products with SKU rows, upload
images, publish, restock. Thin: forms check the shape, ``catalog.services`` the rules; another
supplier's products are ``NotFound``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vshop.catalog import selectors, services
from vshop.catalog.forms import (
    ProductForm,
    RestockForm,
    SkuFormSet,
    SkuRowForm,
    SupplierApplyForm,
)
from vshop.catalog.models import Product, Supplier
from vshop.errors import DomainError, NotFound, ValidationFailed
from vshop.web.auth import acting_user
from vshop.web.errors import domain_errors_as_pages, render_with_error

View = Callable[..., HttpResponse]
NEW_PRODUCT_ROWS = 2


def supplier_required(view: View) -> View:
    """Log in, then pass her supplier to the view; without one, go and apply."""

    @login_required
    @domain_errors_as_pages
    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        supplier = selectors.supplier_of_user(user=acting_user(request))
        if supplier is None:
            messages.info(request, _("Apply as a supplier first."))
            return redirect("catalog:apply")
        return view(request, supplier, *args, **kwargs)

    return wrapper


@supplier_required
def home(request: HttpRequest, supplier: Supplier) -> HttpResponse:
    """The application's status and the supplier's products with their stock."""
    products = list(
        selectors.supplier_products(user=acting_user(request), q=request.GET.get("q", ""))
    )
    rows = [
        (p, sum(getattr(getattr(s, "stock", None), "quantity", 0) for s in p.skus.all()))
        for p in products
    ]
    return render(
        request,
        "catalog/home.html",
        {"supplier": supplier, "rows": rows, "q": request.GET.get("q", "")},
    )


@login_required
def apply(request: HttpRequest) -> HttpResponse:
    if selectors.supplier_of_user(user=acting_user(request)) is not None:
        return redirect("catalog:home")
    template = "catalog/apply.html"
    form = SupplierApplyForm(request.POST or None)
    context = {"form": form}
    if request.method != "POST":
        return render(request, template, context)
    if not form.is_valid():
        return render(request, template, context, status=400)
    try:
        services.supplier_apply(user=acting_user(request), **form.cleaned_data)
    except DomainError as exc:
        return render_with_error(request, template, context, exc, form)
    messages.success(request, _("Thank you! We will review your application shortly."))
    return redirect("catalog:home")


# --- products ---------------------------------------------------------------------------------


def _with_extra_row(data: QueryDict) -> QueryDict:
    """The posted form with one more blank SKU row, for the "Add a SKU row" button."""
    data = data.copy()
    total = int(data.get("skus-TOTAL_FORMS", "0") or 0)
    data["skus-TOTAL_FORMS"] = str(min(total + 1, 100))
    return data


def _sku_initial(product: Product) -> list[dict[str, object]]:
    return [
        {
            "code": sku.code,
            "colour": sku.options.get("colour", ""),
            "size": sku.options.get("size", ""),
            "supply_price": sku.supply_price,
            "min_price": sku.min_price,
            "suggested_price": sku.suggested_price,
            "max_price": sku.max_price,
            "stock": getattr(getattr(sku, "stock", None), "quantity", 0),
            "weight_grams": sku.weight_grams,
            "purchase_limit": sku.purchase_limit,
        }
        for sku in product.skus.all()
    ]


def _kept_skus(formset: forms.BaseFormSet[SkuRowForm]) -> list[services.SkuInput]:
    """The filled-in rows that are not marked for removal; blank extra rows are skipped."""
    deleted = set(map(id, formset.deleted_forms))
    return [f.sku_input() for f in formset.forms if id(f) not in deleted and f.cleaned_data]


def _product_page(
    request: HttpRequest,
    supplier: Supplier,
    product: Product | None,
    *,
    form: ProductForm | None = None,
    formset: forms.BaseFormSet[SkuRowForm] | None = None,
    error: DomainError | None = None,
    status: int = 200,
) -> HttpResponse:
    if form is None:
        form = ProductForm(
            initial=(
                {
                    "title": product.title,
                    "category": product.category_id,
                    "description_html": product.description_html,
                }
                if product
                else None
            )
        )
    if formset is None:
        initial = _sku_initial(product) if product else []
        formset = SkuFormSet(prefix="skus", initial=initial)
        # Read when the rows are first built, so set before the template asks for them.
        formset.extra = 1 if product else NEW_PRODUCT_ROWS
    context = {
        "supplier": supplier,
        "product": product,
        "form": form,
        "formset": formset,
        "restock_form": RestockForm(),
        "error": error,
    }
    template = "catalog/product_form.html"
    if error is not None:
        return render_with_error(request, template, context, error)
    return render(request, template, context, status=status)


def _product_save(
    request: HttpRequest, supplier: Supplier, product: Product | None
) -> HttpResponse:
    form = ProductForm(request.POST)
    if "add_row" in request.POST:
        formset = SkuFormSet(_with_extra_row(request.POST), prefix="skus")
        return _product_page(request, supplier, product, form=form, formset=formset)
    formset = SkuFormSet(request.POST, prefix="skus")
    if not (form.is_valid() and formset.is_valid()):
        return _product_page(request, supplier, product, form=form, formset=formset, status=400)
    data = form.cleaned_data
    try:
        if product is None:
            product = services.product_create(
                actor=acting_user(request),
                title=data["title"],
                category_id=data["category"].pk,
                description_html=data["description_html"],
                skus=_kept_skus(formset),
            )
        else:
            services.product_update(
                product=product,
                actor=acting_user(request),
                title=data["title"],
                category_id=data["category"].pk,
                description_html=data["description_html"],
                skus=_kept_skus(formset),
            )
    except DomainError as exc:
        if product is not None and product.pk:
            product.refresh_from_db()
        return _product_page(request, supplier, product, form=form, formset=formset, error=exc)
    messages.success(request, _("Saved."))
    return redirect("catalog:product_edit", product_id=product.pk)


@supplier_required
def product_new(request: HttpRequest, supplier: Supplier) -> HttpResponse:
    if request.method == "POST":
        return _product_save(request, supplier, None)
    return _product_page(request, supplier, None)


@supplier_required
def product_edit(request: HttpRequest, supplier: Supplier, product_id: int) -> HttpResponse:
    product = selectors.supplier_product_get(user=acting_user(request), product_id=product_id)
    if request.method == "POST":
        return _product_save(request, supplier, product)
    return _product_page(request, supplier, product)


@supplier_required
@require_POST
def image_add(request: HttpRequest, supplier: Supplier, product_id: int) -> HttpResponse:
    user = acting_user(request)
    product = selectors.supplier_product_get(user=user, product_id=product_id)
    uploads = request.FILES.getlist("image")
    try:
        if not uploads:
            raise ValidationFailed(_("Choose an image file."), field="image")
        for upload in uploads:
            services.product_image_add(product=product, actor=user, upload=upload)
    except DomainError as exc:
        product = selectors.supplier_product_get(user=user, product_id=product_id)
        return _product_page(request, supplier, product, error=exc)
    messages.success(request, _("Image added."))
    return redirect("catalog:product_edit", product_id=product.pk)


@supplier_required
@require_POST
def image_remove(request: HttpRequest, supplier: Supplier, image_id: int) -> HttpResponse:
    user = acting_user(request)
    image = selectors.supplier_image_get(user=user, image_id=image_id)
    product_id = image.product_id
    services.product_image_remove(image=image, actor=user)
    messages.success(request, _("Image removed."))
    return redirect("catalog:product_edit", product_id=product_id)


@supplier_required
@require_POST
def product_publish(request: HttpRequest, supplier: Supplier, product_id: int) -> HttpResponse:
    user = acting_user(request)
    product = selectors.supplier_product_get(user=user, product_id=product_id)
    try:
        services.product_publish(product=product, actor=user)
    except DomainError as exc:
        return _product_page(request, supplier, product, error=exc)
    messages.success(request, _("Published: shops can now add it."))
    return redirect("catalog:product_edit", product_id=product.pk)


@supplier_required
@require_POST
def product_unpublish(request: HttpRequest, supplier: Supplier, product_id: int) -> HttpResponse:
    user = acting_user(request)
    product = selectors.supplier_product_get(user=user, product_id=product_id)
    services.product_unpublish(product=product, actor=user)
    messages.success(request, _("Unpublished: shops keep it, shown as no longer on sale."))
    return redirect("catalog:product_edit", product_id=product.pk)


@supplier_required
@require_POST
def sku_restock(request: HttpRequest, supplier: Supplier, sku_id: int) -> HttpResponse:
    user = acting_user(request)
    sku = selectors.sku_of_actor(user=user, sku_id=sku_id)
    if sku.product.supplier_id != supplier.pk:
        raise NotFound()  # a shop owner's own goods are not restocked from the supplier area
    form = RestockForm(request.POST)
    product = selectors.supplier_product_get(user=user, product_id=sku.product_id)
    try:
        if not form.is_valid():
            raise ValidationFailed(
                _("Enter a whole number of units other than 0."), field="quantity"
            )
        level = services.sku_restock(sku=sku, actor=user, quantity=form.cleaned_data["quantity"])
    except DomainError as exc:
        return _product_page(request, supplier, product, error=exc)
    messages.success(
        request, _("%(code)s now has %(n)s in stock.") % {"code": sku.code, "n": level}
    )
    return redirect("catalog:product_edit", product_id=product.pk)
