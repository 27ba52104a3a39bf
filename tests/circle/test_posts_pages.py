"""The owner's post pages (/me/shop/posts/: list, compose, edit, delete, pin) and the pinned post
on the shop's home page. Bad input answers 4xx with nothing written; another owner's post is 404
and stays as it was; a visitor is sent to log in."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.circle.kit import make_post
from tests.e2e.test_open_a_shop_in_a_minute import PHONE, browser  # noqa: F401 (fixture)
from tests.factories import (
    PASSWORD,
    image_upload,
    make_category,
    make_listing,
    make_product,
    make_shop,
    make_supplier,
)
from vshop.circle import fanout, posts
from vshop.circle.models import Post, PostImage, PostStatus, ShopPosting
from vshop.shops.storefront_views import local_pages

pytestmark = pytest.mark.django_db

LIST = "/me/shop/posts/"
NEW = "/me/shop/posts/new/"


@pytest.fixture(autouse=True)
def _no_fan_out(monkeypatch) -> None:
    monkeypatch.setattr(fanout, "post_published", lambda *, post_id: None)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner(shop) -> Client:
    return logged_in(shop.owner)


@pytest.fixture
def rival(other_shop) -> Client:
    return logged_in(other_shop.owner)


def media_files() -> list[Path]:
    root = Path(django_settings.MEDIA_ROOT) / "circle"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_the_urls_have_their_names():
    assert reverse("circle_posts:posts") == LIST
    assert reverse("circle_posts:new") == NEW
    assert reverse("circle_posts:edit", args=[7]) == "/me/shop/posts/7/edit/"
    assert reverse("circle_posts:pin", args=[7]) == "/me/shop/posts/7/pin/"
    assert reverse("circle_posts:unpin", args=[7]) == "/me/shop/posts/7/unpin/"
    assert reverse("circle_posts:delete", args=[7]) == "/me/shop/posts/7/delete/"


def test_a_visitor_is_sent_to_log_in(client, shop):
    for url in (LIST, NEW, f"/me/shop/posts/{make_post(shop).pk}/edit/"):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_the_dashboard_links_to_her_posts(owner):
    assert 'data-testid="circle-posts"' in owner.get("/me/shop/").content.decode()


# --- list --------------------------------------------------------------------------------------


def test_her_list_shows_her_posts_with_status_and_counts_not_anyone_elses(owner, shop, other_shop):
    live = make_post(shop, text="<p>Live one</p>")
    Post.objects.filter(pk=live.pk).update(like_count=7, comment_count=3, share_count=2)
    make_post(
        shop,
        text="Tomorrow's",
        status=PostStatus.SCHEDULED,
        published_at=timezone.now() + timedelta(days=1),
    )
    make_post(shop, text="Deleted one", status=PostStatus.DELETED)
    make_post(other_shop, text="Their secret post")
    page = owner.get(LIST).content.decode()
    assert "<p>Live one</p>" in page and "Tomorrow's" in page
    assert "Scheduled" in page and "Published" in page
    assert "7 likes" in page and "3 comments" in page and "2 shares" in page
    assert "Deleted one" not in page and "Their secret post" not in page
    assert page.count('data-testid="edit-post"') == 2
    assert page.count('data-testid="pin-post"') == 1  # the scheduled one cannot be pinned


def test_an_old_post_has_no_edit_link(owner, shop):
    make_post(shop, published_at=timezone.now() - timedelta(hours=1))
    assert 'data-testid="edit-post"' not in owner.get(LIST).content.decode()


# --- compose -----------------------------------------------------------------------------------


def test_the_compose_form_offers_her_listings_only(owner, shop, listing, other_shop, supplier):
    theirs = make_listing(other_shop, make_product(supplier, title="Rival teapot"))
    page = owner.get(NEW).content.decode()
    assert f'name="listings" value="{listing.pk}"' in page
    assert f'value="{theirs.pk}"' not in page and "Rival teapot" not in page
    assert 'type="file"' in page and "multiple" in page and 'type="datetime-local"' in page
    assert 'enctype="multipart/form-data"' in page


def test_she_posts_with_pictures_and_a_card(owner, shop, listing):
    response = owner.post(
        NEW,
        {
            "text": "Fresh <b>stock</b>",
            "images": [image_upload("a.png"), image_upload("b.png")],
            "listings": [str(listing.pk)],
            "publish_at": "",
        },
    )
    assert response.status_code == 302 and response["Location"] == LIST
    post = Post.objects.get()
    assert (post.text, post.status) == ("Fresh <b>stock</b>", PostStatus.PUBLISHED)
    assert post.images.count() == 2 and [c.listing_id for c in post.cards.all()] == [listing.pk]
    assert "Posted" in owner.get(LIST).content.decode()


def test_publish_at_is_her_local_time(owner, shop):
    owner_user = shop.owner
    owner_user.time_zone = "Europe/Paris"
    owner_user.save(update_fields=["time_zone"])
    paris = ZoneInfo("Europe/Paris")
    local = (timezone.now() + timedelta(days=3)).astimezone(paris).replace(second=0, microsecond=0)
    response = owner.post(NEW, {"text": "Later", "publish_at": local.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    post = Post.objects.get()
    assert post.status == PostStatus.SCHEDULED and post.publish_at == local


@pytest.mark.parametrize(
    "case", ["ten-images", "not-an-image", "empty", "too-long", "bad-time", "bad-listing"]
)
def test_bad_input_shows_the_form_again_with_400_and_writes_nothing(
    owner, shop, other_shop, supplier, case
):
    data: dict[str, object] = {"text": "Hello"}
    if case == "ten-images":
        data["images"] = [image_upload(f"{i}.png", size=(30, 30)) for i in range(10)]
    elif case == "not-an-image":
        data["images"] = [image_upload(), SimpleUploadedFile("x.png", b"nope")]
    elif case == "empty":
        data["text"] = "  "
    elif case == "too-long":
        data["text"] = "w" * 2001
    elif case == "bad-time":
        data["publish_at"] = "tomorrow-ish"
    elif case == "bad-listing":
        data["listings"] = [str(make_listing(other_shop, make_product(supplier)).pk)]
    response = owner.post(NEW, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-testid="post-error"' in page
    if case == "too-long":
        assert "w" * 2001 in page  # what she wrote is still there
    assert Post.objects.count() == 0 and PostImage.objects.count() == 0
    assert media_files() == []


def test_past_the_cap_the_page_says_when_she_can_post_again(owner, shop):
    for _ in range(3):
        make_post(shop)
    response = owner.post(NEW, {"text": "Fourth", "images": [image_upload()]})
    assert response.status_code == 429
    tomorrow = timezone.now().astimezone(ZoneInfo("Asia/Shanghai")).date() + timedelta(1)
    assert f"{tomorrow:%Y-%m-%d} 00:00" in response.content.decode()
    assert Post.objects.count() == 3 and media_files() == []


def test_a_suspended_shop_sees_why_and_cannot_post(owner, shop):
    ShopPosting.objects.create(shop=shop, suspended_at=timezone.now(), reason="Too many ads")
    assert "Too many ads" in owner.get(LIST).content.decode()
    response = owner.post(NEW, {"text": "Hi"})
    assert response.status_code == 403 and "Too many ads" in response.content.decode()
    assert Post.objects.count() == 0


# --- edit --------------------------------------------------------------------------------------


def test_she_edits_a_fresh_post(owner, shop, listing):
    post = make_post(shop, text="Typo", published_at=timezone.now() - timedelta(minutes=2))
    url = f"/me/shop/posts/{post.pk}/edit/"
    page = owner.get(url).content.decode()
    assert "Typo" in page and 'data-testid="edit-deadline"' in page
    assert 'type="datetime-local"' not in page  # a published post keeps its time
    response = owner.post(url, {"text": "Fixed", "listings": [str(listing.pk)]})
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.text == "Fixed" and post.cards.get().listing_id == listing.pk


def test_a_scheduled_post_can_be_moved_on_the_edit_page(owner, shop):
    post = posts.post_create(
        shop=shop,
        actor=shop.owner,
        text="Soon",
        images=[],
        listing_ids=[],
        publish_at=timezone.now() + timedelta(days=1),
    )
    url = f"/me/shop/posts/{post.pk}/edit/"
    assert 'type="datetime-local"' in owner.get(url).content.decode()
    local = (timezone.now() + timedelta(days=2)).astimezone(ZoneInfo("Asia/Shanghai"))
    local = local.replace(second=0, microsecond=0)
    response = owner.post(url, {"text": "Soon", "publish_at": local.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.publish_at == local


def test_after_the_window_the_edit_page_is_409_and_nothing_changes(owner, shop):
    post = make_post(shop, text="Old", published_at=timezone.now() - timedelta(minutes=20))
    url = f"/me/shop/posts/{post.pk}/edit/"
    assert owner.get(url).status_code == 409
    assert owner.post(url, {"text": "New"}).status_code == 409
    post.refresh_from_db()
    assert post.text == "Old" and post.edited_at is None


def test_a_bad_edit_is_400_and_changes_nothing(owner, shop):
    post = make_post(shop, text="Keep")
    response = owner.post(f"/me/shop/posts/{post.pk}/edit/", {"text": "q" * 2001})
    assert response.status_code == 400 and 'data-testid="post-error"' in response.content.decode()
    post.refresh_from_db()
    assert post.text == "Keep" and post.edited_at is None


# --- delete, pin, isolation --------------------------------------------------------------------


def test_delete_pin_and_unpin(owner, shop):
    first, second = make_post(shop, text="First"), make_post(shop, text="Second")
    assert owner.post(f"/me/shop/posts/{first.pk}/pin/").status_code == 302
    assert owner.post(f"/me/shop/posts/{second.pk}/pin/").status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.pinned_at is None and second.pinned_at is not None
    assert 'data-testid="pinned"' in owner.get(LIST).content.decode()
    assert owner.post(f"/me/shop/posts/{second.pk}/unpin/").status_code == 302
    assert owner.post(f"/me/shop/posts/{first.pk}/delete/").status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.pinned_at is None and first.status == PostStatus.DELETED


def test_the_actions_need_post(owner, shop):
    post = make_post(shop)
    for action in ("delete", "pin", "unpin"):
        assert owner.get(f"/me/shop/posts/{post.pk}/{action}/").status_code == 405
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED and post.pinned_at is None


def test_another_owner_gets_404_on_every_page_and_changes_nothing(rival, shop):
    post = make_post(shop, text="Mine")
    base = f"/me/shop/posts/{post.pk}"
    assert rival.get(f"{base}/edit/").status_code == 404
    assert rival.post(f"{base}/edit/", {"text": "Hacked"}).status_code == 404
    for action in ("delete", "pin", "unpin"):
        assert rival.post(f"{base}/{action}/").status_code == 404
    assert "Mine" not in rival.get(LIST).content.decode()
    post.refresh_from_db()
    assert (post.text, post.status, post.pinned_at, post.edited_at) == (
        "Mine",
        PostStatus.PUBLISHED,
        None,
        None,
    )


# --- the pinned post on the shop page ----------------------------------------------------------


@pytest.fixture
def page_cache(settings):
    """The anonymous page cache on, in this process only."""
    settings.VSHOP_PAGE_CACHE_SECONDS = 60
    settings.VSHOP_PAGE_VERSION_SECONDS = 0
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"pinned-{id(settings)}",
        }
    }
    local_pages.clear()


def test_the_shop_page_shows_the_pinned_post_and_drops_it_when_unpinned(
    client, shop, listing, page_cache
):
    post = posts.post_create(
        shop=shop,
        actor=shop.owner,
        text="<p>Hello <b>fans</b></p><script>x()</script>",
        images=[image_upload()],
        listing_ids=[],
    )
    other = make_post(shop, text="<p>Not pinned</p>")
    home = f"/s/{shop.slug}/"
    assert 'data-testid="pinned-post"' not in client.get(home).content.decode()  # now cached
    posts.post_pin(shop=shop, actor=shop.owner, post_id=post.pk)
    page = client.get(home).content.decode()
    assert 'data-testid="pinned-post"' in page
    assert "<p>Hello <b>fans</b></p>" in page and "x()" not in page
    assert post.images.get().thumbnail.url in page
    assert f"/s/{shop.slug}/posts/{post.pk}/" in page
    assert "Not pinned" not in page
    posts.post_unpin(shop=shop, actor=shop.owner, post_id=post.pk)
    assert 'data-testid="pinned-post"' not in client.get(home).content.decode()
    assert other.pk  # made, never shown


def test_a_hidden_or_deleted_pinned_post_is_not_on_the_shop_page(client, shop, listing, settings):
    # Rows are changed directly below: render each page afresh (moderation bumps the version).
    settings.VSHOP_PAGE_CACHE_SECONDS = 0
    post = make_post(shop, text="<p>Pinned words</p>")
    posts.post_pin(shop=shop, actor=shop.owner, post_id=post.pk)
    home = f"/s/{shop.slug}/"
    assert "Pinned words" in client.get(home).content.decode()
    Post.objects.filter(pk=post.pk).update(hidden_at=timezone.now())
    assert "Pinned words" not in client.get(home).content.decode()
    Post.objects.filter(pk=post.pk).update(hidden_at=None)
    posts.post_delete(shop=shop, actor=shop.owner, post_id=post.pk)
    assert "Pinned words" not in client.get(home).content.decode()


def test_another_shops_pinned_post_is_not_on_this_shop_page(client, shop, other_shop, listing):
    theirs = make_post(other_shop, text="<p>Rival news</p>")
    posts.post_pin(shop=other_shop, actor=other_shop.owner, post_id=theirs.pk)
    assert "Rival news" not in client.get(f"/s/{shop.slug}/").content.decode()
    assert "Rival news" in client.get(f"/s/{other_shop.slug}/").content.decode()


# --- in a phone's browser ----------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_she_posts_from_her_phone_and_pins_it_on_her_shop_page(
    live_server, browser, tmp_path, settings
):
    settings.VSHOP_PAGE_CACHE_SECONDS = 0
    shop = make_shop(slug="lily-picks")
    supplier = make_supplier()
    listing = make_listing(
        shop, make_product(supplier, category=make_category(), title="Linen sun hat")
    )
    pictures = []
    for name in ("hat.png", "beach.png"):
        path = tmp_path / name
        path.write_bytes(image_upload(name).read())
        pictures.append(str(path))

    context = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/?next={NEW}")
    page.fill("input[name=identifier]", shop.owner.email or "")
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(f"**{NEW}")
    page.fill("textarea[name=text]", "Summer is here.\nNew hats in the shop!")
    page.set_input_files("input[name=images]", pictures)
    page.check(f"input[name=listings][value='{listing.pk}']")
    page.screenshot(path=str(tmp_path / "compose.png"), full_page=True)
    page.click("[data-testid=publish-post]")
    page.wait_for_url(f"**{LIST}")
    row = page.locator("[data-testid=post-row]")
    assert row.count() == 1
    assert row.locator(".ps-thumbs img").count() == 2
    assert "Linen sun hat" in row.inner_text()
    page.click("[data-testid=pin-post]")
    page.wait_for_selector("[data-testid=pinned]")
    page.screenshot(path=str(tmp_path / "list.png"), full_page=True)

    page.goto(f"{live_server.url}/s/lily-picks/")
    pinned = page.locator("[data-testid=pinned-post]")
    assert "New hats in the shop!" in pinned.inner_text()
    assert pinned.locator("img").count() == 1
    page.screenshot(path=str(tmp_path / "shop.png"), full_page=True)
    context.close()
    post = Post.objects.get()
    assert post.images.count() == 2 and post.pinned_at is not None
