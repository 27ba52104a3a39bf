"""The owner's posts API: /api/shops/{slug}/posts (multipart create, list), one post (get,
patch, delete), pin and unpin. Bad input is a 4xx with nothing written; another owner gets 404
on every route and changes nothing; a visitor gets 401."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests.api.conftest import client_for
from tests.circle.kit import make_post
from tests.factories import image_upload, make_listing, make_product
from vshop.circle import fanout
from vshop.circle.models import Post, PostCard, PostImage, PostStatus, ShopPosting

pytestmark = pytest.mark.django_db

BASE = "/api/shops/lily-picks/posts"


@pytest.fixture(autouse=True)
def _no_fan_out(monkeypatch) -> list[int]:
    calls: list[int] = []
    monkeypatch.setattr(fanout, "post_published", lambda *, post_id: calls.append(post_id))
    return calls


@pytest.fixture
def anon():
    return client_for(None)


@pytest.fixture
def owner(shop):
    return client_for(shop.owner)


@pytest.fixture
def rival(other_shop):
    return client_for(other_shop.owner)


def media_files() -> list[Path]:
    root = Path(django_settings.MEDIA_ROOT) / "circle"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def nothing_written() -> None:
    assert Post.objects.count() == 0
    assert PostImage.objects.count() == 0
    assert PostCard.objects.count() == 0
    assert media_files() == []


def multipart(client, path: str, **fields: object):
    """POST multipart/form-data (lists are repeated fields, files are uploads), whatever the
    fields: the JSON client would send a form without a file as JSON."""
    return Client.post(client, path, fields)


# --- create ------------------------------------------------------------------------------------


def test_she_posts_text_pictures_and_cards(owner, listing, _no_fan_out):
    response = multipart(
        owner,
        BASE,
        text="<p>New <b>romper</b></p><script>x()</script>",
        listing_ids=[listing.pk],
        images=[image_upload("a.png"), image_upload("b.jpg", fmt="JPEG")],
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "published"
    assert body["text"] == "<p>New <b>romper</b></p>"
    assert body["can_edit"] is True and body["pinned"] is False
    assert [i["position"] for i in body["images"]] == [0, 1]
    assert all(i["url"].startswith("/media/circle/") for i in body["images"])
    assert all("/thumbs/" in i["thumbnail_url"] for i in body["images"])
    assert body["cards"] == [
        {
            "listing_id": listing.pk,
            "title": "Organic cotton baby romper",
            "url": f"/s/lily-picks/l/{listing.pk}/",
        }
    ]
    assert len(media_files()) == 4


def test_a_time_without_an_offset_is_in_her_zone(owner):
    local = (timezone.now() + timedelta(days=2)).astimezone(timezone.get_default_timezone())
    naive = local.replace(tzinfo=None, second=0, microsecond=0)
    response = multipart(owner, BASE, text="Sale on Friday", publish_at=naive.isoformat())
    assert response.status_code == 201, response.content
    post = Post.objects.get()
    assert post.status == PostStatus.SCHEDULED
    assert post.publish_at == naive.replace(tzinfo=local.tzinfo).astimezone(UTC)


@pytest.mark.parametrize(
    "case",
    ["ten-images", "not-an-image", "empty", "too-long", "past", "too-far"],
)
def test_bad_input_is_400_and_nothing_is_written(owner, case):
    fields: dict[str, object] = {"text": "Hello"}
    if case == "ten-images":
        fields["images"] = [image_upload(f"{i}.png", size=(30, 30)) for i in range(10)]
    elif case == "not-an-image":
        fields["images"] = [
            image_upload(),
            SimpleUploadedFile("x.png", b"not a picture", content_type="image/png"),
        ]
    elif case == "empty":
        fields["text"] = "<p></p>"
    elif case == "too-long":
        fields["text"] = "y" * 2001
    elif case == "past":
        fields["publish_at"] = (timezone.now() - timedelta(hours=1)).isoformat()
    elif case == "too-far":
        fields["publish_at"] = (timezone.now() + timedelta(days=31)).isoformat()
    response = multipart(owner, BASE, **fields)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid" and response.json()["message"]
    nothing_written()


def test_a_card_of_another_shops_listing_is_400(owner, other_shop, supplier):
    theirs = make_listing(other_shop, make_product(supplier))
    response = multipart(owner, BASE, text="Look", listing_ids=[theirs.pk])
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "Choose products on sale in your shop.",
        "field": "listing_ids",
    }
    nothing_written()


def test_an_unknown_field_or_a_bad_id_is_422(owner):
    response = multipart(owner, BASE, text="x", colour="red")
    assert response.status_code == 422 and response.json()["field"] == "colour"
    response = multipart(owner, BASE, text="x", image=image_upload())  # "images" misspelt
    assert response.status_code == 422 and response.json()["field"] == "image"
    assert multipart(owner, BASE, text="x", listing_ids=["abc"]).status_code == 422
    nothing_written()


def test_a_retry_with_the_same_idempotency_key_posts_once(owner):
    def send():
        fields = {"text": "Once", "images": [image_upload()]}
        return Client.post(owner, BASE, fields, HTTP_IDEMPOTENCY_KEY="post-1")

    first, again = send(), send()
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    assert Post.objects.count() == 1 and len(media_files()) == 2


def test_past_the_daily_cap_she_is_told_when_she_can_post_again(owner, shop):
    for _ in range(3):
        assert multipart(owner, BASE, text="Hi").status_code == 201
    response = multipart(owner, BASE, text="Fourth", images=[image_upload()])
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "post_cap"
    tomorrow = timezone.now().astimezone(timezone.get_default_timezone()).date() + timedelta(1)
    assert f"{tomorrow:%Y-%m-%d} 00:00" in body["message"]
    assert body["details"]["next_at"].startswith(f"{tomorrow:%Y-%m-%d}T00:00:00")
    assert Post.objects.count() == 3 and media_files() == []


def test_a_suspended_shop_gets_403(owner, shop):
    ShopPosting.objects.create(shop=shop, suspended_at=timezone.now(), reason="Spam")
    response = multipart(owner, BASE, text="Hi")
    assert response.status_code == 403 and "Spam" in response.json()["message"]
    nothing_written()


def test_another_owner_cannot_post_in_her_shop(rival):
    assert multipart(rival, BASE, text="Hi", images=[image_upload()]).status_code == 404
    nothing_written()


def test_a_visitor_gets_401(anon, shop):
    assert multipart(anon, BASE, text="Hi").status_code == 401
    assert anon.get(BASE).status_code == 401
    nothing_written()


# --- read --------------------------------------------------------------------------------------


def test_her_list_is_paginated_and_leaves_out_deleted_and_other_shops_posts(
    owner, shop, other_shop
):
    mine = [make_post(shop, text=f"Mine {i}") for i in range(3)]
    gone = make_post(shop, text="Gone", status=PostStatus.DELETED)
    make_post(other_shop, text="Theirs")
    body = owner.get(f"{BASE}?page_size=2").json()
    assert body["count"] == 3 and body["pages"] == 2
    texts = [p["text"] for p in body["items"]]
    texts += [p["text"] for p in owner.get(f"{BASE}?page=2&page_size=2").json()["items"]]
    assert sorted(texts) == sorted(p.text for p in mine)
    assert gone.text not in texts


def test_one_post_and_isolation_of_reads(owner, rival, shop, other_shop):
    post = make_post(shop)
    theirs = make_post(other_shop)
    assert owner.get(f"{BASE}/{post.pk}").json()["id"] == post.pk
    assert owner.get(f"{BASE}/{theirs.pk}").status_code == 404  # their post through her slug
    assert rival.get(BASE).status_code == 404
    assert rival.get(f"{BASE}/{post.pk}").status_code == 404


# --- edit, delete, pin -------------------------------------------------------------------------


def test_she_edits_within_the_window_and_not_after(owner, shop, listing):
    post = make_post(shop, published_at=timezone.now() - timedelta(minutes=5))
    response = owner.patch(f"{BASE}/{post.pk}", {"text": "Fixed", "listing_ids": [listing.pk]})
    assert response.status_code == 200, response.content
    assert response.json()["text"] == "Fixed"
    assert [c["listing_id"] for c in response.json()["cards"]] == [listing.pk]
    old = make_post(shop, text="Old", published_at=timezone.now() - timedelta(minutes=16))
    response = owner.patch(f"{BASE}/{old.pk}", {"text": "Too late"})
    assert response.status_code == 409 and "15 minutes" in response.json()["message"]
    old.refresh_from_db()
    assert old.text == "Old" and old.edited_at is None


def test_a_patch_with_only_cards_keeps_the_text(owner, shop, listing):
    post = make_post(shop, text="<p>Keep me</p>")
    response = owner.patch(f"{BASE}/{post.pk}", {"listing_ids": [listing.pk]})
    assert response.status_code == 200
    assert response.json()["text"] == "<p>Keep me</p>"


def test_a_bad_patch_is_400_and_changes_nothing(owner, shop, other_shop, supplier):
    post = make_post(shop, text="Keep")
    theirs = make_listing(other_shop, make_product(supplier))
    for body in ({"text": "z" * 2001}, {"text": ""}, {"listing_ids": [theirs.pk]}):
        assert owner.patch(f"{BASE}/{post.pk}", body).status_code == 400
    assert owner.patch(f"{BASE}/{post.pk}", {"colour": "red"}).status_code == 422
    post.refresh_from_db()
    assert post.text == "Keep" and post.edited_at is None and post.cards.count() == 0


def test_a_scheduled_post_is_moved(owner, shop):
    response = multipart(
        owner, BASE, text="Later", publish_at=(timezone.now() + timedelta(days=2)).isoformat()
    )
    post_id = response.json()["id"]
    new_time = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    response = owner.patch(f"{BASE}/{post_id}", {"publish_at": new_time.isoformat()})
    assert response.status_code == 200, response.content
    assert Post.objects.get(pk=post_id).publish_at == new_time


def test_she_deletes_a_post(owner, shop):
    post = make_post(shop)
    assert owner.delete(f"{BASE}/{post.pk}").status_code == 204
    assert owner.get(f"{BASE}/{post.pk}").status_code == 404
    assert owner.delete(f"{BASE}/{post.pk}").status_code == 404
    post.refresh_from_db()
    assert post.status == PostStatus.DELETED


def test_pin_and_unpin_one_at_a_time(owner, shop):
    first, second = make_post(shop), make_post(shop)
    assert owner.post(f"{BASE}/{first.pk}/pin").json()["pinned"] is True
    assert owner.post(f"{BASE}/{second.pk}/pin").json()["pinned"] is True
    assert owner.get(f"{BASE}/{first.pk}").json()["pinned"] is False
    assert owner.delete(f"{BASE}/{second.pk}/pin").json()["pinned"] is False
    assert not Post.objects.filter(pinned_at__isnull=False).exists()


def test_pinning_a_scheduled_post_is_409(owner, shop):
    post = make_post(shop, status=PostStatus.SCHEDULED)
    assert owner.post(f"{BASE}/{post.pk}/pin").status_code == 409
    post.refresh_from_db()
    assert post.pinned_at is None


def test_another_owner_changes_nothing_through_any_route(rival, shop, other_shop, listing):
    post = make_post(shop, text="Mine")
    theirs_path = f"/api/shops/{other_shop.slug}/posts/{post.pk}"
    attempts = [
        rival.patch(f"{BASE}/{post.pk}", {"text": "Hacked"}),
        rival.delete(f"{BASE}/{post.pk}"),
        rival.post(f"{BASE}/{post.pk}/pin"),
        rival.delete(f"{BASE}/{post.pk}/pin"),
        # her post's id through the rival's own shop
        rival.get(theirs_path),
        rival.patch(theirs_path, {"text": "Hacked"}),
        rival.delete(theirs_path),
        rival.post(f"{theirs_path}/pin"),
        rival.delete(f"{theirs_path}/pin"),
    ]
    assert [r.status_code for r in attempts] == [404] * len(attempts)
    post.refresh_from_db()
    assert (post.text, post.status, post.pinned_at, post.edited_at) == (
        "Mine",
        PostStatus.PUBLISHED,
        None,
        None,
    )


def test_the_routes_are_in_the_openapi_document(anon):
    paths = anon.get("/api/openapi.json").json()["paths"]
    assert set(paths["/api/shops/{slug}/posts"]) == {"get", "post"}
    assert set(paths["/api/shops/{slug}/posts/{post_id}"]) == {"get", "patch", "delete"}
    assert set(paths["/api/shops/{slug}/posts/{post_id}/pin"]) == {"post", "delete"}
    body = paths["/api/shops/{slug}/posts"]["post"]["requestBody"]["content"]
    assert "images" in body["multipart/form-data"]["schema"]["properties"]


def test_counts_come_out_as_they_are(owner, shop):
    post = make_post(shop)
    Post.objects.filter(pk=post.pk).update(like_count=4, comment_count=2, share_count=1)
    body = owner.get(f"{BASE}/{post.pk}").json()
    assert (body["like_count"], body["comment_count"], body["share_count"]) == (4, 2, 1)


def test_a_post_the_platform_hid_says_so(owner, shop):
    post = make_post(shop, hidden=True, published_at=datetime.now(UTC))
    body = owner.get(f"{BASE}/{post.pk}").json()
    assert body["hidden"] is True and body["can_edit"] is False
    assert owner.patch(f"{BASE}/{post.pk}", {"text": "x"}).status_code == 409
