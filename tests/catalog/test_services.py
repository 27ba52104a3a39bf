"""Catalogue rules: supplier approval, price bounds, sanitised descriptions, images, restocking."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import image_upload, make_product, make_supplier, make_user, sku_input
from vshop.catalog import selectors, services
from vshop.catalog.errors import BadPriceBounds, LicenceTaken, SupplierNotApproved
from vshop.catalog.models import Product, ProductImage, ProductStatus, SupplierStatus
from vshop.errors import NotFound, PermissionDenied, ValidationFailed
from vshop.inventory.models import Stock

pytestmark = pytest.mark.django_db


def test_a_pending_supplier_drafts_but_cannot_publish(category):
    supplier = make_supplier(approved=False)
    product = make_product(supplier, category=category, publish=False)

    with pytest.raises(SupplierNotApproved):
        services.product_publish(product=product, actor=supplier.owner)

    product.refresh_from_db()
    assert product.status == ProductStatus.DRAFT


def test_an_approved_supplier_publishes_and_gets_the_supplier_role(operator, category):
    supplier = make_supplier(approved=False)
    services.supplier_approve(supplier=supplier, operator=operator)

    product = make_product(supplier, category=category)

    assert product.status == ProductStatus.PUBLISHED
    assert supplier.owner.has_role("supplier")


def test_only_operators_review_suppliers():
    supplier = make_supplier(approved=False)

    with pytest.raises(PermissionDenied):
        services.supplier_approve(supplier=supplier, operator=make_user())

    supplier.refresh_from_db()
    assert supplier.status == SupplierStatus.PENDING


def test_a_licence_number_is_used_once():
    supplier = make_supplier(approved=False)

    with pytest.raises(LicenceTaken):
        services.supplier_apply(
            user=make_user(),
            company_name="Copycat",
            contact_name="Zhang",
            contact_phone="13900139000",
            licence_number=supplier.licence_number.lower(),
        )


@pytest.mark.parametrize(
    "sku",
    [
        sku_input(supply=2000, lo=1500),  # supply above minimum
        sku_input(lo=2500, suggested=1990),  # suggested below minimum
        sku_input(hi=1800),  # maximum below suggested
        sku_input(supply=0, lo=0, suggested=0, hi=0),  # free
    ],
    ids=["supply>min", "suggested<min", "max<suggested", "zero"],
)
def test_price_bounds_must_be_ordered_and_nothing_is_written(supplier, category, sku):
    with pytest.raises(BadPriceBounds):
        services.product_create(
            actor=supplier.owner, title="Bad", category_id=category.pk, skus=[sku]
        )

    assert Product.objects.count() == 0


def test_duplicate_sku_codes_are_refused(supplier, category):
    with pytest.raises(ValidationFailed):
        services.product_create(
            actor=supplier.owner,
            title="Twin",
            category_id=category.pk,
            skus=[sku_input("A"), sku_input("A")],
        )


def test_description_is_sanitised(supplier, category):
    product = services.product_create(
        actor=supplier.owner,
        title="Cream",
        category_id=category.pk,
        skus=[sku_input()],
        description_html='<p onclick="steal()">Gentle <script>alert(1)</script><a href="javascript:x">x</a></p>',
    )

    assert "script" not in product.description_html
    assert "onclick" not in product.description_html
    assert "javascript" not in product.description_html
    assert "Gentle" in product.description_html


def test_image_upload_makes_a_thumbnail(product):
    image = services.product_image_add(
        product=product, actor=product.supplier.owner, upload=image_upload(size=(2000, 1500))
    )

    assert image.width == 1200 and image.height == 900
    assert image.thumbnail.name.endswith("_t.jpg")


def test_a_file_that_is_not_an_image_is_refused(product):
    fake = SimpleUploadedFile("evil.png", b"<?php system($_GET['c']); ?>", content_type="image/png")

    with pytest.raises(ValidationFailed) as exc:
        services.product_image_add(product=product, actor=product.supplier.owner, upload=fake)

    assert exc.value.field == "image"
    assert ProductImage.objects.count() == 0


def test_a_too_large_image_is_refused(product, settings):
    settings.VSHOP_IMAGE_MAX_BYTES = 1000

    with pytest.raises(ValidationFailed, match="too large"):
        services.product_image_add(
            product=product, actor=product.supplier.owner, upload=image_upload(size=(800, 800))
        )

    assert ProductImage.objects.count() == 0


def test_another_supplier_cannot_touch_a_product(product, category):
    rival = make_supplier()
    sku = product.skus.first()

    with pytest.raises(NotFound):
        services.product_update(product=product, actor=rival.owner, title="Mine now")
    with pytest.raises(NotFound):
        services.product_unpublish(product=product, actor=rival.owner)
    with pytest.raises(NotFound):
        services.sku_restock(sku=sku, actor=rival.owner, quantity=5)
    with pytest.raises(NotFound):
        services.product_image_add(product=product, actor=rival.owner, upload=image_upload())

    product.refresh_from_db()
    assert product.title == "Organic cotton baby romper"
    assert product.status == ProductStatus.PUBLISHED
    assert Stock.objects.get(sku=sku).quantity == 10


def test_restock_adds_and_never_goes_below_zero(product):
    sku = product.skus.first()

    assert services.sku_restock(sku=sku, actor=product.supplier.owner, quantity=5) == 15
    with pytest.raises(ValidationFailed):
        services.sku_restock(sku=sku, actor=product.supplier.owner, quantity=-16)
    assert Stock.objects.get(sku=sku).quantity == 15


def test_catalogue_hides_drafts_and_suspended_suppliers(operator, category):
    visible = make_product(make_supplier(operator=operator), category=category, title="Visible")
    make_product(make_supplier(operator=operator), category=category, title="Draft", publish=False)
    suspended = make_supplier(operator=operator)
    make_product(suspended, category=category, title="Suspended")
    services.supplier_suspend(supplier=suspended, operator=operator, reason="fake goods")

    titles = [p.title for p in selectors.catalogue_browse()]

    assert titles == [visible.title]


def test_catalogue_filters_by_margin_and_sorts_by_it(supplier, category):
    low = make_product(
        supplier,
        category=category,
        title="Low",
        skus=[sku_input(supply=1000, lo=1100, suggested=1200, hi=1500)],
    )
    high = make_product(
        supplier,
        category=category,
        title="High",
        skus=[sku_input(supply=1000, lo=1500, suggested=3000, hi=4000)],
    )

    by_margin = list(selectors.catalogue_browse(sort="margin"))
    assert [p.pk for p in by_margin] == [high.pk, low.pk]
    assert by_margin[0].best_margin == 2000
    assert [p.pk for p in selectors.catalogue_browse(min_margin=500)] == [high.pk]
    assert [p.pk for p in selectors.catalogue_browse(q="low")] == [low.pk]


def test_editing_a_product_leaves_existing_stock_alone_and_stocks_new_skus(product):
    red = product.skus.get(code="RED-M")
    services.sku_restock(sku=red, actor=product.supplier.owner, quantity=5)  # 15 now

    services.product_update(
        product=product,
        actor=product.supplier.owner,
        skus=[sku_input("RED-M", stock=10), sku_input("GREEN-S", stock=7)],
    )

    assert Stock.objects.get(sku=red).quantity == 15
    assert Stock.objects.get(sku__code="GREEN-S").quantity == 7
    assert not product.skus.get(code="BLUE-L").is_active


def test_a_pending_application_cannot_be_suspended_round_the_review(operator):
    supplier = make_supplier(approved=False)

    with pytest.raises(ValidationFailed):
        services.supplier_suspend(supplier=supplier, operator=operator, reason="x")

    supplier.refresh_from_db()
    assert supplier.status == SupplierStatus.PENDING
