"""Suppliers through the API: applying, products with SKUs, images, publishing, restocking."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.conftest import client_for
from tests.factories import image_upload, make_product, make_supplier
from vshop.catalog.models import Product, ProductImage, ProductStatus, Sku, Supplier
from vshop.inventory.models import Stock

pytestmark = pytest.mark.django_db

APPLICATION = {
    "company_name": "Hangzhou Cotton Co.",
    "contact_name": "Wang Fang",
    "contact_phone": "13800138000",
    "licence_number": "91330100MA2AAAAA1X",
}


def product_body(category_id: int, **changes: object) -> dict:
    body = {
        "title": "Bamboo baby towel",
        "category_id": category_id,
        "description_html": "<p>Soft</p><script>alert(1)</script>",
        "skus": [
            {
                "code": "WHITE",
                "supply_price": 1000,
                "min_price": 1500,
                "max_price": 3000,
                "suggested_price": 1990,
                "stock": 8,
                "options": {"colour": "white"},
            }
        ],
    }
    body.update(changes)
    return body


def test_apply_then_see_the_pending_application(nobody_client):
    # when
    resp = nobody_client.post("/api/supplier/apply", APPLICATION)
    # then
    assert resp.status_code == 201, resp.content
    assert resp.json()["status"] == "pending"
    assert resp.json()["can_publish"] is False
    mine = nobody_client.get("/api/supplier")
    assert mine.status_code == 200
    assert mine.json()["contact_phone"] == "+8613800138000"


def test_apply_cannot_set_its_own_status(nobody_client):
    resp = nobody_client.post("/api/supplier/apply", {**APPLICATION, "status": "approved"})
    assert resp.status_code == 422
    assert not Supplier.objects.exists()


def test_apply_with_a_bad_licence_number_says_which_field(nobody_client):
    resp = nobody_client.post("/api/supplier/apply", {**APPLICATION, "licence_number": "x"})
    assert resp.status_code == 400
    assert resp.json()["field"] == "licence_number"
    assert not Supplier.objects.exists()


def test_no_application_yet_is_404(nobody_client):
    resp = nobody_client.get("/api/supplier")
    assert resp.status_code == 404
    assert resp.json()["message"]


def test_create_product_sanitises_and_keeps_it_a_draft(supplier_client, category):
    # when
    resp = supplier_client.post("/api/supplier/products", product_body(category.pk))
    # then
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["status"] == "draft"
    assert "<script>" not in body["description_html"]
    assert body["currency"] == "CNY"
    (sku,) = body["skus"]
    assert sku["supply_price"] == 1000
    assert sku["stock"] == 8
    assert sku["options"] == {"colour": "white"}


def test_price_bounds_out_of_order_are_refused_and_nothing_is_written(supplier_client, category):
    body = product_body(category.pk)
    body["skus"][0]["min_price"] = 900  # below the supply price
    resp = supplier_client.post("/api/supplier/products", body)
    assert resp.status_code == 400
    assert resp.json()["code"] == "bad_price_bounds"
    assert not Product.objects.exists()
    assert not Sku.objects.exists()


def test_a_product_without_skus_is_422(supplier_client, category):
    resp = supplier_client.post("/api/supplier/products", product_body(category.pk, skus=[]))
    assert resp.status_code == 422
    assert resp.json()["field"] == "skus"
    assert not Product.objects.exists()


def test_a_price_that_is_not_a_number_is_422(supplier_client, category):
    body = product_body(category.pk)
    body["skus"][0]["supply_price"] = "ten yuan"
    resp = supplier_client.post("/api/supplier/products", body)
    assert resp.status_code == 422
    assert resp.json()["field"] == "skus.0.supply_price"
    assert not Product.objects.exists()


def test_an_unknown_category_is_refused(supplier_client, category):
    resp = supplier_client.post("/api/supplier/products", product_body(99999))
    assert resp.status_code == 400
    assert resp.json()["field"] == "category_id"


def test_only_a_supplier_creates_catalogue_products(nobody_client, category):
    resp = nobody_client.post("/api/supplier/products", product_body(category.pk))
    assert resp.status_code == 403
    assert not Product.objects.exists()


def test_list_get_and_edit_my_products(supplier_client, supplier, category):
    # given
    product = make_product(supplier, category=category, title="Romper", publish=False)
    # when
    listed = supplier_client.get("/api/supplier/products?status=draft")
    got = supplier_client.get(f"/api/supplier/products/{product.pk}")
    patched = supplier_client.patch(
        f"/api/supplier/products/{product.pk}", {"title": "Organic romper"}
    )
    # then
    assert listed.json()["count"] == 1
    assert got.json()["title"] == "Romper"
    assert patched.status_code == 200
    assert patched.json()["title"] == "Organic romper"
    assert len(patched.json()["skus"]) == 2


def test_edit_skus_by_code_adds_and_retires(supplier_client, supplier, category):
    product = make_product(supplier, category=category)
    body = product_body(category.pk)["skus"]
    resp = supplier_client.patch(f"/api/supplier/products/{product.pk}", {"skus": body})
    assert resp.status_code == 200
    assert [s["code"] for s in resp.json()["skus"]] == ["WHITE"]


def test_publish_and_unpublish(supplier_client, supplier, category):
    product = make_product(supplier, category=category, publish=False)
    published = supplier_client.post(f"/api/supplier/products/{product.pk}/publish")
    assert published.status_code == 200
    assert published.json()["status"] == "published"
    assert published.json()["published_at"]
    unpublished = supplier_client.post(f"/api/supplier/products/{product.pk}/unpublish")
    assert unpublished.json()["status"] == "unpublished"


def test_an_unapproved_supplier_cannot_publish(operator, category):
    # given
    pending = make_supplier(approved=False)
    product = make_product(pending, category=category, publish=False)
    # when
    resp = client_for(pending.owner).post(f"/api/supplier/products/{product.pk}/publish")
    # then
    assert resp.status_code == 403
    assert resp.json()["code"] == "supplier_not_approved"
    product.refresh_from_db()
    assert product.status == ProductStatus.DRAFT


def test_upload_an_image_makes_a_thumbnail_and_delete_removes_it(supplier_client, product):
    # when
    resp = supplier_client.post(
        f"/api/supplier/products/{product.pk}/images", {"image": image_upload(size=(1600, 900))}
    )
    # then
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["url"].startswith("/media/products/")
    assert body["thumbnail_url"].endswith("_t.jpg")
    assert body["width"] == 1200
    # when
    deleted = supplier_client.delete(f"/api/supplier/images/{body['id']}")
    # then
    assert deleted.status_code == 204
    assert not ProductImage.objects.exists()


def test_a_file_that_is_not_an_image_is_refused(supplier_client, product):
    fake = SimpleUploadedFile("photo.png", b"this is text", content_type="image/png")
    resp = supplier_client.post(f"/api/supplier/products/{product.pk}/images", {"image": fake})
    assert resp.status_code == 400
    assert resp.json()["field"] == "image"
    assert not ProductImage.objects.exists()


def test_an_image_that_is_too_large_is_refused(supplier_client, product, settings):
    settings.VSHOP_IMAGE_MAX_BYTES = 1024
    resp = supplier_client.post(
        f"/api/supplier/products/{product.pk}/images", {"image": image_upload(size=(800, 800))}
    )
    assert resp.status_code == 400
    assert "too large" in resp.json()["message"]
    assert not ProductImage.objects.exists()


def test_an_upload_without_the_file_is_422(supplier_client, product):
    resp = supplier_client.post(
        f"/api/supplier/products/{product.pk}/images",
        {},
        content_type="multipart/form-data; boundary=BoUnDaRy",
    )
    assert resp.status_code == 422
    assert resp.json()["field"] == "image"


def test_restock_adds_units_and_refuses_going_below_zero(supplier_client, product):
    sku = product.skus.first()
    resp = supplier_client.post(f"/api/supplier/skus/{sku.pk}/restock", {"quantity": 5})
    assert resp.status_code == 200
    assert resp.json() == {"sku_id": sku.pk, "stock": 15}
    too_many = supplier_client.post(f"/api/supplier/skus/{sku.pk}/restock", {"quantity": -100})
    assert too_many.status_code == 400
    assert Stock.objects.get(sku=sku).quantity == 15


def test_restock_an_unknown_sku_is_404(supplier_client):
    resp = supplier_client.post("/api/supplier/skus/424242/restock", {"quantity": 5})
    assert resp.status_code == 404


def test_applying_needs_a_login(anon):
    assert anon.post("/api/supplier/apply", APPLICATION).status_code == 401
    assert not Supplier.objects.exists()
