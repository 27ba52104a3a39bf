"""The API document and its docs page: every path listed, every asset served by VShop itself;
unknown endpoints answer JSON."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

EXPECTED_PATHS = [
    "/api/accounts/signup",
    "/api/accounts/login",
    "/api/accounts/logout",
    "/api/me",
    "/api/me/password",
    "/api/me/tokens",
    "/api/me/tokens/{token_id}",
    "/api/supplier",
    "/api/supplier/apply",
    "/api/supplier/products",
    "/api/supplier/products/{product_id}",
    "/api/supplier/products/{product_id}/publish",
    "/api/supplier/products/{product_id}/unpublish",
    "/api/supplier/products/{product_id}/images",
    "/api/supplier/images/{image_id}",
    "/api/supplier/skus/{sku_id}/restock",
    "/api/categories",
    "/api/catalogue/products",
    "/api/catalogue/products/{product_id}",
    "/api/shops",
    "/api/shops/mine",
    "/api/shops/{shop_id}",
    "/api/shops/{shop_id}/avatar",
    "/api/shops/{shop_id}/cover",
    "/api/shops/{shop_id}/listings",
    "/api/shops/{shop_id}/own-goods",
    "/api/shops/{shop_id}/listings/reorder",
    "/api/shops/{shop_id}/listings/preview",
    "/api/listings/{listing_id}",
    "/api/listings/{listing_id}/images",
    "/api/listings/{listing_id}/images/{image_id}",
    "/api/storefront/shops",
    "/api/storefront/shops/{slug}",
    "/api/storefront/shops/{slug}/listings",
    "/api/storefront/shops/{slug}/listings/{listing_id}",
    "/api/storefront/shops/{slug}/follow",
    "/api/operator/suppliers",
    "/api/operator/suppliers/{supplier_id}/approve",
    "/api/operator/suppliers/{supplier_id}/reject",
    "/api/operator/suppliers/{supplier_id}/suspend",
    "/api/operator/shops/{shop_id}/suspend",
    "/api/operator/shops/{shop_id}/reinstate",
    "/api/operator/shops/{shop_id}/verify",
    "/api/me/inbox",
    "/api/me/inbox/unread-count",
    "/api/me/inbox/read-all",
    "/api/me/inbox/{message_id}/read",
    "/api/me/inbox/preferences",
    "/api/me/inbox/unsubscribes",
    "/api/me/inbox/unsubscribes/{opt_out_id}",
    "/api/cart",
    "/api/cart/lines",
    "/api/cart/lines/{line_id}",
    "/api/me/addresses",
    "/api/me/addresses/{address_id}",
    "/api/checkouts/preview",
    "/api/checkouts",
    "/api/checkouts/{number}",
    "/api/checkouts/{number}/cancel",
    "/api/orders",
    "/api/orders/{number}",
    "/api/orders/{number}/cancel",
    "/api/orders/{number}/confirm-receipt",
    "/api/orders/{number}/after-sales",
    "/api/orders/after-sales/{number}/photos",
    "/api/orders/after-sales/{number}/withdraw",
    "/api/orders/after-sales/{number}/return-shipped",
    "/api/orders/after-sales/{number}/dispute",
    "/api/shop-orders",
    "/api/shop-orders/{number}",
    "/api/fulfilment/orders",
    "/api/fulfilment/orders/packing-list.csv",
    "/api/fulfilment/orders/{number}",
    "/api/fulfilment/orders/{number}/ship",
    "/api/fulfilment/orders/{number}/cancel",
    "/api/fulfilment/after-sales",
    "/api/fulfilment/after-sales/{number}/approve",
    "/api/fulfilment/after-sales/{number}/reject",
    "/api/fulfilment/after-sales/{number}/receive-return",
    "/api/fulfilment/delivery-rule",
    "/api/fulfilment/shops/{shop_id}/delivery-rule",
    "/api/operator/disputes",
    "/api/operator/after-sales/{number}/arbitrate",
    "/api/operator/orders/{number}",
    "/api/payments/notify/{gateway}",
    "/api/payments/gateways",
    "/api/payments/checkouts/{number}",
    "/api/payments/{number}",
    "/api/payments/{number}/sync",
    "/api/operator/orders/{number}/refund",
    "/api/share-links",
    "/api/shops/{slug}/traffic",
    "/api/shops/{slug}/programme",
    "/api/shops/{slug}/promoters",
    "/api/shops/{slug}/promoters/{promoter_id}/approve",
    "/api/shops/{slug}/promoters/{promoter_id}/reject",
    "/api/shops/{slug}/promoters/{promoter_id}/remove",
    "/api/listings/{listing_id}/commission",
    "/api/storefront/shops/{slug}/programme",
    "/api/storefront/shops/{slug}/promoter",
    "/api/me/promoter-roles",
    "/api/me/promoter-orders",
    "/api/me/promoter-balances",
    "/api/operator/flags",
    "/api/operator/flags/{flag_id}/resolve",
    "/api/me/balances",
    "/api/me/statement",
    "/api/me/statement.csv",
    "/api/withdrawals",
    "/api/withdrawals/{number}",
    "/api/withdrawals/{number}/cancel",
    "/api/operator/withdrawals",
    "/api/operator/withdrawals/{number}/approve",
    "/api/operator/withdrawals/{number}/reject",
    # Keeping fans: CRM, segments and tags, loyalty, the fan's own side, reviews.
    "/api/me/data",
    "/api/me/delete",
    "/api/me/following",
    "/api/me/following/{slug}/mute",
    "/api/me/privacy",
    "/api/me/shops/{slug}/leave",
    "/api/orders/{number}/lines/{line_id}/review",
    "/api/shops/{slug}/fans",
    "/api/shops/{slug}/fans.csv",
    "/api/shops/{slug}/fans/bulk-tag",
    "/api/shops/{slug}/fans/count",
    "/api/shops/{slug}/fans/import",
    "/api/shops/{slug}/fans/import-template.csv",
    "/api/shops/{slug}/fans/{fan_id}",
    "/api/shops/{slug}/fans/{fan_id}/notes",
    "/api/shops/{slug}/fans/{fan_id}/notes/{note_id}",
    "/api/shops/{slug}/fans/{fan_id}/points",
    "/api/shops/{slug}/fans/{fan_id}/tags/{tag_id}",
    "/api/shops/{slug}/levels",
    "/api/shops/{slug}/loyalty",
    "/api/shops/{slug}/rfm",
    "/api/shops/{slug}/campaigns",
    "/api/shops/{slug}/campaigns/preview",
    "/api/shops/{slug}/campaigns/{campaign_id}",
    "/api/shops/{slug}/campaigns/{campaign_id}/cancel",
    "/api/shops/{slug}/messaging",
    "/api/shops/{slug}/posts",
    "/api/shops/{slug}/posts/{post_id}",
    "/api/shops/{slug}/posts/{post_id}/pin",
    "/api/shops/{slug}/messaging/rotate-secret",
    "/api/shops/{slug}/comments/{comment_id}/reply",
    "/api/shops/{slug}/comments/{comment_id}/hide",
    "/api/shops/{slug}/comments/{comment_id}",
    "/api/posts/{post_id}",
    "/api/posts/{post_id}/like",
    "/api/posts/{post_id}/comments",
    "/api/posts/{post_id}/comments/{comment_id}",
    "/api/posts/{post_id}/share",
    "/api/posts/{post_id}/hide",
    "/api/posts/{post_id}/report",
    "/api/operator/circle/reports",
    "/api/operator/circle/reports/{report_id}/decide",
    "/api/operator/circle/posts/{post_id}/hide",
    "/api/operator/circle/shops/{slug}/posting-suspension",
    "/api/me/circle",
    "/api/shops/{slug}/segments",
    "/api/shops/{slug}/segments/count",
    "/api/shops/{slug}/segments/{segment_id}",
    "/api/shops/{slug}/segments/{segment_id}/count",
    "/api/shops/{slug}/tags",
    "/api/shops/{slug}/tags/{tag_id}",
    "/api/storefront/listings/{listing_id}/reviews",
    "/api/storefront/shops/{slug}/check-in",
    "/api/storefront/shops/{slug}/membership",
]


def test_openapi_document_lists_every_path_with_a_summary(anon):
    resp = anon.get("/api/openapi.json")
    assert resp.status_code == 200
    doc = resp.json()
    assert doc["info"]["title"] == "VShop API"
    assert sorted(doc["paths"]) == sorted(EXPECTED_PATHS)
    for path, methods in doc["paths"].items():
        for method, operation in methods.items():
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"


def test_public_endpoints_need_no_auth_in_the_document(anon):
    doc = anon.get("/api/openapi.json").json()
    assert "security" not in doc["paths"]["/api/accounts/login"]["post"]
    assert "security" in doc["paths"]["/api/shops"]["post"]


def test_docs_page_loads_every_asset_from_vshop(anon):
    # when
    page = anon.get("/api/docs")
    # then
    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn" not in html.lower()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(assets) >= 4
    for url in assets:
        assert url.startswith("/api/"), url
        asset = anon.get(url)
        assert asset.status_code == 200, url
        assert b"".join(asset.streaming_content)


def test_only_the_bundled_docs_assets_are_served(anon):
    assert anon.get("/api/docs/assets/..%2Fsettings.py").status_code == 404
    assert anon.get("/api/docs/assets/redoc.standalone.js.map").status_code == 404


def test_an_unknown_endpoint_is_a_json_404(anon):
    resp = anon.get("/api/no/such/thing")
    assert resp.status_code == 404
    assert resp.json()["code"] == "not_found"


@pytest.mark.django_db
def test_a_multipart_upload_without_its_boundary_is_a_400_not_a_500(client):
    from tests.factories import make_shop
    from vshop.accounts.services import api_token_create

    shop = make_shop()
    _token, raw = api_token_create(user=shop.owner, name="app")

    response = client.generic(
        "POST",
        f"/api/shops/{shop.pk}/avatar",
        b"--x\r\n",
        content_type="multipart/form-data",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
