"""Catalogue writes: supplier applications and reviews, products, SKUs, images, restocking.

Every function takes the acting account and refuses rows that are not its own (``NotFound``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vshop.accounts.models import Role, User
from vshop.accounts.permissions import require_operator
from vshop.accounts.services import role_grant
from vshop.catalog.errors import (
    BadPriceBounds,
    LicenceTaken,
    ProductNotPublishable,
    SupplierExists,
    SupplierNotApproved,
)
from vshop.catalog.models import (
    Category,
    Product,
    ProductImage,
    ProductStatus,
    Sku,
    Supplier,
    SupplierStatus,
)
from vshop.catalog.richtext import sanitize_html
from vshop.errors import NotFound, PermissionDenied, ValidationFailed
from vshop.images import process_image
from vshop.inventory import services as inventory
from vshop.validation import clean_text

if TYPE_CHECKING:
    from vshop.shops.models import Shop

MAX_SKUS = 100
MAX_IMAGES = 12
_SKU_CODE = re.compile(r"^[A-Za-z0-9._-]{1,40}$")


@dataclass
class SkuInput:
    """What a supplier says about one variant. Prices in minor units."""

    code: str
    supply_price: int
    min_price: int
    max_price: int
    suggested_price: int
    stock: int = 0
    weight_grams: int = 0
    options: dict[str, str] = field(default_factory=dict)
    # Most units one buyer may take in one order; 0: the platform's limit.
    purchase_limit: int = 0


# --- suppliers --------------------------------------------------------------------------


def supplier_apply(
    *, user: User, company_name: str, contact_name: str, contact_phone: str, licence_number: str
) -> Supplier:
    """An account applies to become a supplier; an operator reviews the application."""
    from vshop.accounts.identifiers import normalize_mobile

    company_name = clean_text(company_name, field="company_name", max_length=100, required=True)
    contact_name = clean_text(contact_name, field="contact_name", max_length=60, required=True)
    licence_number = clean_text(
        licence_number, field="licence_number", max_length=40, required=True
    ).upper()
    if not re.fullmatch(r"[0-9A-Z]{8,40}", licence_number):
        raise ValidationFailed(
            _("A licence number has 8 to 40 letters and digits (the 18-character credit code)."),
            field="licence_number",
        )
    try:
        contact_phone = normalize_mobile(contact_phone)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, field="contact_phone") from exc
    if Supplier.objects.filter(owner=user).exists():
        raise SupplierExists()
    if Supplier.objects.filter(licence_number=licence_number).exists():
        raise LicenceTaken(field="licence_number")
    try:
        with transaction.atomic():
            return Supplier.objects.create(
                owner=user,
                company_name=company_name,
                contact_name=contact_name,
                contact_phone=contact_phone,
                licence_number=licence_number,
            )
    except IntegrityError as exc:
        raise LicenceTaken(field="licence_number") from exc


def _supplier_products_changed(supplier: Supplier) -> None:
    from vshop.shops.services import shop_pages_changed

    shop_pages_changed(product_ids=list(supplier.products.values_list("pk", flat=True)))


@transaction.atomic
def supplier_approve(*, supplier: Supplier, operator: User) -> Supplier:
    require_operator(operator)
    supplier.status = SupplierStatus.APPROVED
    supplier.status_reason = ""
    supplier.reviewed_by = operator
    supplier.reviewed_at = timezone.now()
    supplier.save(update_fields=["status", "status_reason", "reviewed_by", "reviewed_at"])
    role_grant(user=supplier.owner, role=Role.SUPPLIER)
    _supplier_products_changed(supplier)
    return supplier


@transaction.atomic
def supplier_reject(*, supplier: Supplier, operator: User, reason: str) -> Supplier:
    require_operator(operator)
    if supplier.status == SupplierStatus.APPROVED:
        raise ValidationFailed(_("An approved supplier is suspended, not rejected."))
    supplier.status = SupplierStatus.REJECTED
    supplier.status_reason = (reason or "").strip()[:200]
    supplier.reviewed_by = operator
    supplier.reviewed_at = timezone.now()
    supplier.save(update_fields=["status", "status_reason", "reviewed_by", "reviewed_at"])
    return supplier


@transaction.atomic
def supplier_suspend(*, supplier: Supplier, operator: User, reason: str) -> Supplier:
    """A suspended supplier's products stay listed but cannot be sold; pages say so."""
    require_operator(operator)
    if supplier.status != SupplierStatus.APPROVED:
        # Suspending, then reinstating, must not become a way round the review.
        raise ValidationFailed(
            _("Only an approved supplier can be suspended; reject an application.")
        )
    supplier.status = SupplierStatus.SUSPENDED
    supplier.status_reason = (reason or "").strip()[:200]
    supplier.reviewed_by = operator
    supplier.reviewed_at = timezone.now()
    supplier.save(update_fields=["status", "status_reason", "reviewed_by", "reviewed_at"])
    _supplier_products_changed(supplier)
    return supplier


@transaction.atomic
def supplier_reinstate(*, supplier: Supplier, operator: User) -> Supplier:
    """Lift a suspension: the supplier's products can be sold again. Only a suspended supplier
    is reinstated; a pending or rejected application is approved instead."""
    require_operator(operator)
    if supplier.status != SupplierStatus.SUSPENDED:
        raise ValidationFailed(_("Only a suspended supplier can be reinstated."))
    supplier.status = SupplierStatus.APPROVED
    supplier.status_reason = ""
    supplier.reviewed_by = operator
    supplier.reviewed_at = timezone.now()
    supplier.save(update_fields=["status", "status_reason", "reviewed_by", "reviewed_at"])
    _supplier_products_changed(supplier)
    return supplier


# --- products ----------------------------------------------------------------------------


def _check_sku_inputs(skus: Sequence[SkuInput]) -> None:
    if not skus:
        raise ValidationFailed(_("A product needs at least one SKU."), field="skus")
    if len(skus) > MAX_SKUS:
        raise ValidationFailed(_("Too many SKUs (100 at most)."), field="skus")
    codes = [s.code for s in skus]
    if len(set(codes)) != len(codes):
        raise ValidationFailed(_("Each SKU needs its own code."), field="skus")
    for s in skus:
        if not _SKU_CODE.match(s.code or ""):
            raise ValidationFailed(
                _("SKU codes use letters, digits, dots, dashes and underscores (40 at most)."),
                field="skus",
            )
        for name in (
            "supply_price",
            "min_price",
            "max_price",
            "suggested_price",
            "stock",
            "weight_grams",
            "purchase_limit",
        ):
            value = getattr(s, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0 or value > 10**9:
                raise ValidationFailed(
                    _("%(field)s must be a whole number of at least 0.") % {"field": name},
                    field="skus",
                )
        if s.purchase_limit > 999:  # the column is a small integer
            raise ValidationFailed(
                _("A purchase limit is at most 999 units (0 for no limit of its own)."),
                field="skus",
            )
        if (
            not (0 <= s.supply_price <= s.min_price <= s.suggested_price <= s.max_price)
            or s.min_price == 0
        ):
            raise BadPriceBounds(field="skus", sku=s.code)
        if (
            not isinstance(s.options, dict)
            or len(s.options) > 5
            or not all(
                isinstance(k, str) and isinstance(v, str) and 0 < len(k) <= 20 and 0 < len(v) <= 40
                for k, v in s.options.items()
            )
        ):
            raise ValidationFailed(
                _("Option values are up to 5 pairs such as colour: red, size: M."), field="skus"
            )


def _category(category_id: int | None) -> Category:
    category = Category.objects.filter(pk=category_id).first() if category_id else None
    if category is None:
        raise ValidationFailed(_("Choose a category."), field="category_id")
    return category


def _own_supplier(*, actor: User) -> Supplier:
    supplier = Supplier.objects.filter(owner=actor).first()
    if supplier is None:
        raise PermissionDenied(_("Apply as a supplier first."))
    return supplier


def _check_product_owner(product: Product, actor: User) -> None:
    """A product is changed only by its supplier's owner, or by the shop owner for her own goods."""
    supplier = product.supplier  # no query when supplier_id is None
    if supplier is not None:
        allowed = supplier.owner_id == actor.pk
    else:
        shop = product.shop
        # The product_from_supplier_or_shop constraint: a product without a supplier has a shop.
        assert shop is not None
        allowed = shop.owner_id == actor.pk
    if not allowed:
        raise NotFound(_("No such product."))


def _skus_create(product: Product, skus: Sequence[SkuInput]) -> list[Sku]:
    created = []
    for position, s in enumerate(skus):
        sku = Sku.objects.create(
            product=product,
            code=s.code,
            options=s.options,
            supply_price=s.supply_price,
            min_price=s.min_price,
            max_price=s.max_price,
            suggested_price=s.suggested_price,
            weight_grams=s.weight_grams,
            purchase_limit=s.purchase_limit,
            position=position,
        )
        inventory.stock_set(sku=sku, quantity=s.stock)
        created.append(sku)
    return created


@transaction.atomic
def product_create(
    *,
    actor: User,
    title: str,
    category_id: int,
    skus: Sequence[SkuInput],
    description_html: str = "",
    shop: Shop | None = None,
) -> Product:
    """A new draft product of the actor's supplier (or, with ``shop``, of her own shop)."""
    title = clean_text(title, field="title", max_length=120, required=True)
    category = _category(category_id)
    _check_sku_inputs(skus)
    if shop is None:
        owner_kwargs: dict[str, object] = {"supplier": _own_supplier(actor=actor)}
    else:
        if shop.owner_id != actor.pk:
            raise NotFound(_("No such shop."))
        owner_kwargs = {"shop": shop}
    product = Product.objects.create(
        **owner_kwargs,
        title=title,
        category=category,
        description_html=sanitize_html(description_html),
    )
    _skus_create(product, skus)
    return product


@transaction.atomic
def product_update(
    *,
    product: Product,
    actor: User,
    title: str | None = None,
    description_html: str | None = None,
    category_id: int | None = None,
    skus: Sequence[SkuInput] | None = None,
) -> Product:
    """Edit a product. SKUs are matched by code: new codes are added (with their stock), missing
    ones retired; the stock of existing SKUs is left alone (``sku_restock`` changes it).

    Shops' prices that fall outside new bounds are moved to the nearest bound.
    """
    _check_product_owner(product, actor)
    # Only the edited fields: shops adding the product change its listing count meanwhile.
    changed = ["updated_at"]
    if title is not None:
        product.title = clean_text(title, field="title", max_length=120, required=True)
        changed.append("title")
    if description_html is not None:
        product.description_html = sanitize_html(description_html)
        changed.append("description_html")
    if category_id is not None:
        product.category = _category(category_id)
        changed.append("category")
    product.save(update_fields=changed)
    if skus is not None:
        _check_sku_inputs(skus)
        existing = {s.code: s for s in product.skus.all()}
        for position, s in enumerate(skus):
            sku = existing.pop(s.code, None)
            if sku is None:
                new = _skus_create(product, [s])[0]
                Sku.objects.filter(pk=new.pk).update(position=position)
                continue
            sku.options = s.options
            sku.supply_price = s.supply_price
            sku.min_price = s.min_price
            sku.max_price = s.max_price
            sku.suggested_price = s.suggested_price
            sku.weight_grams = s.weight_grams
            sku.purchase_limit = s.purchase_limit
            sku.position = position
            sku.is_active = True
            sku.save()
            # Stock of an existing SKU moves only through restocking (and, later, sales): an
            # edit form loaded before a sale must not write back the old number.
        for retired in existing.values():
            retired.is_active = False
            retired.save(update_fields=["is_active"])
        from vshop.shops.services import listing_prices_clamp

        listing_prices_clamp(product=product)
    from vshop.shops.services import shop_pages_changed

    shop_pages_changed(product_ids=[product.pk])
    return product


@transaction.atomic
def product_publish(*, product: Product, actor: User) -> Product:
    _check_product_owner(product, actor)
    supplier = product.supplier  # no query when supplier_id is None
    if supplier is not None and not supplier.can_publish:
        raise SupplierNotApproved()
    if not product.skus.filter(is_active=True).exists():
        raise ProductNotPublishable(_("Add at least one SKU before publishing."))
    product.status = ProductStatus.PUBLISHED
    product.published_at = product.published_at or timezone.now()
    product.save(update_fields=["status", "published_at", "updated_at"])
    from vshop.shops.services import shop_pages_changed

    shop_pages_changed(product_ids=[product.pk])
    return product


@transaction.atomic
def product_unpublish(*, product: Product, actor: User) -> Product:
    """Take a product off sale everywhere; shops keep the listing, shown as unavailable."""
    _check_product_owner(product, actor)
    product.status = ProductStatus.UNPUBLISHED
    product.save(update_fields=["status", "updated_at"])
    from vshop.shops.services import shop_pages_changed

    shop_pages_changed(product_ids=[product.pk])
    return product


@transaction.atomic
def product_image_add(*, product: Product, actor: User, upload: UploadedFile) -> ProductImage:
    _check_product_owner(product, actor)
    if product.images.count() >= MAX_IMAGES:
        raise ValidationFailed(_("A product has 12 images at most."), field="image")
    processed = process_image(upload)
    position = product.images.count()
    image = ProductImage(product=product, position=position)
    image.image.save(processed.full.name, processed.full, save=False)
    image.thumbnail.save(processed.thumbnail.name, processed.thumbnail, save=False)
    image.save()
    from vshop.shops.services import shop_pages_changed

    shop_pages_changed(product_ids=[product.pk])
    return image


@transaction.atomic
def product_image_remove(*, image: ProductImage, actor: User) -> None:
    _check_product_owner(image.product, actor)
    product_id = image.product_id
    image.delete()
    from vshop.shops.services import shop_pages_changed

    shop_pages_changed(product_ids=[product_id])


@transaction.atomic
def sku_restock(*, sku: Sku, actor: User, quantity: int) -> int:
    """Add ``quantity`` units (negative to write off); returns the new stock level."""
    _check_product_owner(sku.product, actor)
    level = inventory.stock_add(sku=sku, quantity=quantity)
    from vshop.shops.services import shop_pages_changed

    shop_pages_changed(product_ids=[sku.product_id])
    return level


def product_listing_count_add(*, product_id: int, delta: int) -> None:
    Product.objects.filter(pk=product_id).update(listing_count=F("listing_count") + delta)
