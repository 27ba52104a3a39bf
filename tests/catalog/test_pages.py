"""The supplier area: apply, status, products with SKU rows, images, publish, restock. Bad input
is a 4xx that writes nothing; another supplier gets 404."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import image_upload, make_product, make_supplier, make_user
from vshop.catalog import services as catalog
from vshop.catalog.models import Product, ProductImage, ProductStatus, Sku, Supplier
from vshop.inventory.models import Stock

pytestmark = pytest.mark.django_db


def _sku_rows(*rows: dict[str, str], initial: int = 0) -> dict[str, str]:
    data = {
        "skus-TOTAL_FORMS": str(len(rows)),
        "skus-INITIAL_FORMS": str(initial),
        "skus-MIN_NUM_FORMS": "0",
        "skus-MAX_NUM_FORMS": "100",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"skus-{i}-{key}"] = value
    return data


def _row(code: str = "RED-M", **overrides: str) -> dict[str, str]:
    row = {
        "code": code,
        "colour": "red",
        "size": "M",
        "supply_price": "10",
        "min_price": "15",
        "suggested_price": "19.90",
        "max_price": "30",
        "stock": "12",
        "weight_grams": "200",
    }
    row.update(overrides)
    return row


def _product_data(category, *rows: dict[str, str], initial: int = 0, **fields: str) -> dict:
    data = {
        "title": "Organic romper",
        "category": str(category.pk),
        "description_html": "<p>Soft</p><script>alert(1)</script>",
    }
    data.update(fields)
    data.update(_sku_rows(*rows, initial=initial))
    return data


def _stock(sku: Sku) -> int:
    return Stock.objects.get(sku=sku).quantity


# --- applying -------------------------------------------------------------------------------


def test_without_an_application_the_supplier_area_sends_her_to_apply(client):
    client.force_login(make_user())
    response = client.get(reverse("catalog:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:apply")


def test_apply_then_see_the_pending_status(client):
    user = make_user()
    client.force_login(user)
    response = client.post(
        reverse("catalog:apply"),
        {
            "company_name": "Sunny Baby Ltd",
            "contact_name": "Wang Fang",
            "contact_phone": "13800138000",
            "licence_number": "91310000MA1FL8XQ3X",
        },
    )
    assert response.status_code == 302
    supplier = Supplier.objects.get(owner=user)
    assert supplier.status == "pending"
    body = client.get(reverse("catalog:home")).content.decode()
    assert "waiting for an operator" in body or "等待" in body


def test_apply_with_a_bad_licence_number_is_400_and_creates_nothing(client):
    user = make_user()
    client.force_login(user)
    response = client.post(
        reverse("catalog:apply"),
        {
            "company_name": "Sunny",
            "contact_name": "Wang",
            "contact_phone": "13800138000",
            "licence_number": "abc",
        },
    )
    assert response.status_code == 400
    assert not Supplier.objects.filter(owner=user).exists()


def test_apply_with_a_taken_licence_number_is_409(client, supplier):
    user = make_user()
    client.force_login(user)
    response = client.post(
        reverse("catalog:apply"),
        {
            "company_name": "Copycat",
            "contact_name": "Li",
            "contact_phone": "13800138001",
            "licence_number": supplier.licence_number,
        },
    )
    assert response.status_code == 409
    assert not Supplier.objects.filter(owner=user).exists()


def test_rejected_status_shows_the_reason(client, operator):
    supplier = make_supplier(approved=False)
    catalog.supplier_reject(supplier=supplier, operator=operator, reason="Licence is expired")
    client.force_login(supplier.owner)
    body = client.get(reverse("catalog:home")).content.decode()
    assert "Licence is expired" in body


# --- products ---------------------------------------------------------------------------------


def test_create_a_product_with_two_sku_rows_in_yuan(client, supplier, category):
    client.force_login(supplier.owner)
    assert client.get(reverse("catalog:product_new")).status_code == 200
    response = client.post(
        reverse("catalog:product_new"),
        _product_data(category, _row("RED-M"), _row("BLUE-L", colour="blue", size="L")),
    )
    assert response.status_code == 302
    product = Product.objects.get(title="Organic romper")
    assert product.supplier == supplier and product.status == ProductStatus.DRAFT
    assert "<script>" not in product.description_html
    red = product.skus.get(code="RED-M")
    assert (red.supply_price, red.min_price, red.suggested_price, red.max_price) == (
        1000,
        1500,
        1990,
        3000,
    )
    assert red.options == {"colour": "red", "size": "M"} and red.weight_grams == 200
    assert _stock(red) == 12


def test_blank_extra_rows_are_skipped(client, supplier, category):
    client.force_login(supplier.owner)
    blank = {"stock": "0"}
    response = client.post(reverse("catalog:product_new"), _product_data(category, _row(), blank))
    assert response.status_code == 302
    assert Product.objects.get(title="Organic romper").skus.count() == 1


def test_add_a_sku_row_button_adds_a_row_and_saves_nothing(client, supplier, category):
    client.force_login(supplier.owner)
    data = _product_data(category, _row())
    data["add_row"] = "1"
    response = client.post(reverse("catalog:product_new"), data)
    assert response.status_code == 200
    assert len(response.context["formset"].forms) == 2
    assert not Product.objects.exists()


def test_bad_price_bounds_are_400_and_create_nothing(client, supplier, category):
    client.force_login(supplier.owner)
    response = client.post(
        reverse("catalog:product_new"),
        _product_data(category, _row(min_price="25", suggested_price="19.90")),
    )
    assert response.status_code == 400
    assert "supply price ≤ minimum" in response.content.decode()
    assert not Product.objects.exists()


def test_a_price_with_three_decimals_is_400(client, supplier, category):
    client.force_login(supplier.owner)
    response = client.post(
        reverse("catalog:product_new"), _product_data(category, _row(supply_price="10.001"))
    )
    assert response.status_code == 400
    assert not Product.objects.exists()


def test_missing_title_or_no_sku_is_400(client, supplier, category):
    client.force_login(supplier.owner)
    no_title = client.post(
        reverse("catalog:product_new"), _product_data(category, _row(), title="")
    )
    assert no_title.status_code == 400
    no_sku = client.post(reverse("catalog:product_new"), _product_data(category, {"stock": "0"}))
    assert no_sku.status_code == 400
    assert "at least one SKU" in no_sku.content.decode()
    assert not Product.objects.exists()


def test_duplicate_sku_codes_are_400(client, supplier, category):
    client.force_login(supplier.owner)
    response = client.post(
        reverse("catalog:product_new"), _product_data(category, _row("A1"), _row("A1"))
    )
    assert response.status_code == 400
    assert not Product.objects.exists()


def test_edit_a_product_changes_prices_and_retires_a_removed_sku(client, supplier, product):
    client.force_login(supplier.owner)
    page = client.get(reverse("catalog:product_edit", args=[product.pk]))
    assert page.status_code == 200
    assert "19.90" in page.content.decode()
    data = _product_data(
        product.category,
        _row("RED-M", suggested_price="22"),
        _row("BLUE-L", DELETE="on"),
        initial=2,
        title="Renamed romper",
    )
    response = client.post(reverse("catalog:product_edit", args=[product.pk]), data)
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.title == "Renamed romper"
    assert product.skus.get(code="RED-M").suggested_price == 2200
    assert not product.skus.get(code="BLUE-L").is_active


def test_edit_with_bad_bounds_is_400_and_changes_nothing(client, supplier, product):
    client.force_login(supplier.owner)
    data = _product_data(
        product.category, _row("RED-M", max_price="1"), initial=1, title="Changed title"
    )
    response = client.post(reverse("catalog:product_edit", args=[product.pk]), data)
    assert response.status_code == 400
    product.refresh_from_db()
    assert product.title == "Organic cotton baby romper"
    assert product.skus.get(code="RED-M").max_price == 3000


def test_product_list_shows_status_and_stock(client, supplier, product):
    client.force_login(supplier.owner)
    body = client.get(reverse("catalog:home")).content.decode()
    assert product.title in body
    assert "20 in stock" in body


# --- images ------------------------------------------------------------------------------------


def test_upload_and_remove_an_image(client, supplier, product):
    client.force_login(supplier.owner)
    response = client.post(
        reverse("catalog:image_add", args=[product.pk]), {"image": image_upload()}
    )
    assert response.status_code == 302
    image = product.images.get()
    assert image.thumbnail
    response = client.post(reverse("catalog:image_remove", args=[image.pk]))
    assert response.status_code == 302
    assert not product.images.exists()


def test_upload_that_is_not_an_image_is_400(client, supplier, product):
    client.force_login(supplier.owner)
    fake = SimpleUploadedFile("x.png", b"%PDF-1.4 not an image", content_type="image/png")
    response = client.post(reverse("catalog:image_add", args=[product.pk]), {"image": fake})
    assert response.status_code == 400
    assert "not an image" in response.content.decode()
    assert not product.images.exists()


def test_upload_that_is_too_large_is_400(client, supplier, product, settings):
    settings.VSHOP_IMAGE_MAX_BYTES = 500
    client.force_login(supplier.owner)
    response = client.post(
        reverse("catalog:image_add", args=[product.pk]), {"image": image_upload()}
    )
    assert response.status_code == 400
    assert "too large" in response.content.decode()
    assert not product.images.exists()


def test_upload_without_a_file_is_400(client, supplier, product):
    client.force_login(supplier.owner)
    response = client.post(reverse("catalog:image_add", args=[product.pk]), {})
    assert response.status_code == 400


# --- publishing and stock ------------------------------------------------------------------------


def test_approved_supplier_publishes_and_unpublishes(client, supplier, category):
    draft = make_product(supplier, category=category, publish=False)
    client.force_login(supplier.owner)
    client.post(reverse("catalog:product_publish", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == ProductStatus.PUBLISHED
    client.post(reverse("catalog:product_unpublish", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == ProductStatus.UNPUBLISHED


def test_pending_supplier_cannot_publish_and_is_told_why(client, category):
    supplier = make_supplier(approved=False)
    draft = make_product(supplier, category=category, publish=False)
    client.force_login(supplier.owner)
    page = client.get(reverse("catalog:product_edit", args=[draft.pk])).content.decode()
    assert "once an operator has approved" in page
    response = client.post(reverse("catalog:product_publish", args=[draft.pk]))
    assert response.status_code == 403
    assert "Only approved suppliers" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == ProductStatus.DRAFT


def test_restock_a_sku(client, supplier, product):
    sku = product.skus.get(code="RED-M")
    client.force_login(supplier.owner)
    response = client.post(reverse("catalog:sku_restock", args=[sku.pk]), {"quantity": "5"})
    assert response.status_code == 302
    assert _stock(sku) == 15


def test_restock_below_zero_or_with_nonsense_is_400_and_changes_nothing(client, supplier, product):
    sku = product.skus.get(code="RED-M")
    client.force_login(supplier.owner)
    too_many = client.post(reverse("catalog:sku_restock", args=[sku.pk]), {"quantity": "-11"})
    assert too_many.status_code == 400
    nonsense = client.post(reverse("catalog:sku_restock", args=[sku.pk]), {"quantity": "x"})
    assert nonsense.status_code == 400
    assert _stock(sku) == 10


# --- tenant isolation ------------------------------------------------------------------------------


@pytest.fixture
def rival(db, operator) -> Supplier:
    """A second supplier: she must never see or change the first supplier's products."""
    return make_supplier(operator=operator)


def test_another_supplier_cannot_see_or_edit_my_product(client, product, rival):
    client.force_login(rival.owner)
    assert client.get(reverse("catalog:product_edit", args=[product.pk])).status_code == 404
    data = _product_data(product.category, _row("RED-M"), initial=1, title="Hijacked")
    response = client.post(reverse("catalog:product_edit", args=[product.pk]), data)
    assert response.status_code == 404
    product.refresh_from_db()
    assert product.title == "Organic cotton baby romper"
    assert product.title not in client.get(reverse("catalog:home")).content.decode()


def test_another_supplier_cannot_unpublish_restock_or_change_images(client, product, rival):
    image = catalog.product_image_add(
        product=product, actor=product.supplier.owner, upload=image_upload()
    )
    sku = product.skus.get(code="RED-M")
    client.force_login(rival.owner)
    answers = [
        client.post(reverse("catalog:product_unpublish", args=[product.pk])),
        client.post(reverse("catalog:product_publish", args=[product.pk])),
        client.post(reverse("catalog:sku_restock", args=[sku.pk]), {"quantity": "5"}),
        client.post(reverse("catalog:image_remove", args=[image.pk])),
        client.post(reverse("catalog:image_add", args=[product.pk]), {"image": image_upload()}),
    ]
    assert [a.status_code for a in answers] == [404] * 5
    product.refresh_from_db()
    assert product.status == ProductStatus.PUBLISHED
    assert _stock(sku) == 10
    assert ProductImage.objects.filter(product=product).count() == 1


def test_a_shop_owner_cannot_restock_a_supplier_sku_from_her_shop(client, product, shop):
    sku = product.skus.get(code="RED-M")
    client.force_login(shop.owner)
    response = client.post(reverse("catalog:sku_restock", args=[sku.pk]), {"quantity": "5"})
    assert response.status_code == 302  # she has no supplier: sent to apply
    assert _stock(sku) == 10
