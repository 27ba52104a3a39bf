"""The owner's posts through ``circle.posts``: sanitised text, images with thumbnails, cards of
her own listings, scheduling, the daily cap in her day, suspension, the edit window, delete,
pin one at a time, and the minute job that publishes scheduled posts once. Every refusal
writes nothing: no post, no image row, no file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.circle.kit import make_post
from tests.factories import image_upload, make_listing, make_product
from tests.races import race
from vshop.circle import fanout, posts, selectors
from vshop.circle.models import CirclePolicy, Post, PostCard, PostImage, PostStatus, ShopPosting
from vshop.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from vshop.shops import services as shops
from vshop.shops.models import ListingStatus, Shop, ShopStatus

pytestmark = pytest.mark.django_db

# 15:00 in Shanghai on 10 June 2026.
NOW = datetime(2026, 6, 10, 7, 0, tzinfo=UTC)


@pytest.fixture
def announced(monkeypatch) -> list[int]:
    """The post ids handed to the fan-out."""
    calls: list[int] = []
    monkeypatch.setattr(fanout, "post_published", lambda *, post_id: calls.append(post_id))
    return calls


def create(shop: Shop, **kw: object) -> Post:
    args: dict[str, object] = {
        "text": "New romper in!",
        "images": [],
        "listing_ids": [],
        "now": NOW,
    }
    args.update(kw)
    return posts.post_create(shop=shop, actor=shop.owner, **args)  # type: ignore[arg-type]


def media_files() -> list[Path]:
    root = Path(django_settings.MEDIA_ROOT) / "circle"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def nothing_written() -> None:
    assert Post.objects.count() == 0
    assert PostImage.objects.count() == 0
    assert PostCard.objects.count() == 0
    assert media_files() == []


def not_an_image(name: str = "virus.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"MZ this is no picture", content_type="image/png")


# --- create ------------------------------------------------------------------------------------


def test_a_post_goes_out_now_and_is_handed_to_the_fan_out_after_commit(
    shop, listing, announced, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post = create(
            shop,
            images=[image_upload(), image_upload("b.jpg", fmt="JPEG")],
            listing_ids=[listing.pk],
        )
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
    assert post.published_at == NOW and post.publish_at == NOW
    assert post.author == shop.owner
    assert announced == [post.pk]
    images = list(post.images.all())
    assert [i.position for i in images] == [0, 1]
    for image in images:
        assert default_storage.exists(image.image.name)
        assert default_storage.exists(image.thumbnail.name)
        assert image.thumbnail.name != image.image.name
    assert [c.listing_id for c in post.cards.all()] == [listing.pk]


def test_the_text_is_sanitised_scripts_and_handlers_removed_links_nofollow(shop):
    post = create(
        shop,
        text=(
            '<p onclick="steal()">Hi <b>all</b><script>alert(1)</script></p>'
            '<a href="https://lily.example/x" onmouseover="x()">look</a>'
            '<a href="javascript:alert(1)">bad</a><img src=x onerror=alert(1)><iframe></iframe>'
        ),
    )
    assert "<script" not in post.text and "alert(1)" not in post.text
    assert "onclick" not in post.text and "onmouseover" not in post.text
    assert "onerror" not in post.text and "<img" not in post.text and "iframe" not in post.text
    assert "javascript:" not in post.text
    assert "<p>Hi <b>all</b></p>" in post.text
    assert 'href="https://lily.example/x"' in post.text
    assert 'rel="nofollow noopener"' in post.text


def test_a_scheduled_post_waits_and_is_not_fanned_out(
    shop, announced, django_capture_on_commit_callbacks
):
    at = NOW + timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        post = create(shop, publish_at=at)
    assert (post.status, post.publish_at, post.published_at) == (PostStatus.SCHEDULED, at, None)
    assert announced == []


def test_a_time_a_few_seconds_ago_means_now(shop):
    post = create(shop, publish_at=NOW - timedelta(seconds=30))
    assert post.status == PostStatus.PUBLISHED and post.published_at == NOW


@pytest.mark.parametrize(
    ("publish_at", "words"),
    [
        (NOW - timedelta(minutes=2), "in the past"),
        (NOW + timedelta(days=30, minutes=1), "30 days"),
        (datetime(2026, 6, 12, 9, 0), "time zone"),
    ],
    ids=["past", "too-far", "naive"],
)
def test_a_bad_publish_time_is_refused(shop, publish_at, words):
    with pytest.raises(ValidationFailed) as exc:
        create(shop, publish_at=publish_at, images=[image_upload()])
    assert words in exc.value.message and exc.value.field == "publish_at"
    nothing_written()


def test_a_tenth_image_is_refused_and_nothing_is_stored(shop):
    with pytest.raises(ValidationFailed) as exc:
        create(shop, images=[image_upload(f"{i}.png", size=(40, 40)) for i in range(10)])
    assert exc.value.status == 400 and "9 images" in exc.value.message
    nothing_written()


def test_nine_images_are_fine(shop):
    post = create(shop, images=[image_upload(f"{i}.png", size=(40, 40)) for i in range(9)])
    assert post.images.count() == 9
    assert len(media_files()) == 18


def test_a_file_that_is_not_an_image_is_refused_and_no_file_is_left(shop):
    with pytest.raises(ValidationFailed) as exc:
        create(shop, images=[image_upload(), image_upload("b.png"), not_an_image()])
    assert exc.value.field == "images"
    nothing_written()


def test_a_card_of_another_shops_listing_is_refused_without_saying_whose(
    shop, listing, other_shop, supplier
):
    theirs = make_listing(other_shop, make_product(supplier))
    with pytest.raises(ValidationFailed) as exc:
        create(shop, listing_ids=[listing.pk, theirs.pk], images=[image_upload()])
    assert exc.value.message == "Choose products on sale in your shop."
    assert other_shop.name not in exc.value.message
    nothing_written()


def test_a_card_of_her_hidden_listing_or_a_missing_one_is_refused(shop, listing):
    shops.listing_update(listing=listing, actor=shop.owner, status=ListingStatus.HIDDEN)
    for ids in ([listing.pk], [99_999_999]):
        with pytest.raises(ValidationFailed):
            create(shop, listing_ids=ids)
    nothing_written()


def test_a_tenth_card_is_refused(shop, supplier):
    listings = [make_listing(shop, make_product(supplier)) for _ in range(10)]
    with pytest.raises(ValidationFailed) as exc:
        create(shop, listing_ids=[x.pk for x in listings])
    assert "9 products" in exc.value.message
    nothing_written()
    assert create(shop, listing_ids=[x.pk for x in listings[:9]]).cards.count() == 9


@pytest.mark.parametrize("text", ["", "   ", "<p> </p><br>", "<script>alert(1)</script>"])
def test_an_empty_post_is_refused(shop, text):
    with pytest.raises(ValidationFailed) as exc:
        create(shop, text=text)
    assert exc.value.status == 400
    nothing_written()


def test_a_post_with_only_a_card_or_only_a_picture_is_fine(shop, listing):
    assert create(shop, text="", listing_ids=[listing.pk]).text == ""
    assert create(shop, text="", images=[image_upload()]).images.count() == 1


def test_an_over_long_text_is_refused_and_the_limit_itself_is_fine(shop):
    with pytest.raises(ValidationFailed) as exc:
        create(shop, text="x" * 2001)
    assert "2000" in exc.value.message
    nothing_written()
    assert len(create(shop, text="x" * 2000).text) == 2000


def test_only_the_owner_posts_in_her_shop(shop, other_shop):
    with pytest.raises(NotFound):
        posts.post_create(
            shop=shop, actor=other_shop.owner, text="Hi", images=[], listing_ids=[], now=NOW
        )
    nothing_written()


def test_a_suspended_shop_posting_is_refused_with_the_reason(shop, operator):
    ShopPosting.objects.create(shop=shop, suspended_at=NOW, reason="Spam in the circle")
    with pytest.raises(PermissionDenied) as exc:
        create(shop, images=[image_upload()])
    assert exc.value.status == 403 and "Spam in the circle" in exc.value.message
    nothing_written()


def test_a_suspended_shop_cannot_post(shop):
    Shop.objects.filter(pk=shop.pk).update(status=ShopStatus.SUSPENDED)
    shop.refresh_from_db()
    with pytest.raises(PermissionDenied):
        create(shop)
    nothing_written()


# --- the daily cap -----------------------------------------------------------------------------


def test_the_fourth_post_of_the_day_is_refused_saying_when_she_can_post_again(shop):
    for i in range(3):
        create(shop, now=NOW + timedelta(minutes=i))
    with pytest.raises(posts.DailyCapReached) as exc:
        create(shop, now=NOW + timedelta(hours=1), images=[image_upload()])
    assert exc.value.status == 429
    # the next day starts at midnight in Shanghai, her zone
    assert "2026-06-11 00:00" in exc.value.message and "Asia/Shanghai" in exc.value.message
    assert exc.value.details["next_at"] == "2026-06-11T00:00:00+08:00"
    assert Post.objects.count() == 3
    assert media_files() == []


def test_she_can_schedule_the_refused_post_for_tomorrow(shop):
    for i in range(3):
        create(shop, now=NOW + timedelta(minutes=i))
    tomorrow = datetime(2026, 6, 10, 16, 0, tzinfo=UTC)  # 00:00 on 11 June in Shanghai
    assert create(shop, publish_at=tomorrow).status == PostStatus.SCHEDULED


def test_scheduled_posts_count_on_their_own_day(shop):
    day_after = NOW + timedelta(days=2)
    for i in range(3):
        create(shop, publish_at=day_after + timedelta(minutes=i))
    create(shop)  # today is still free
    with pytest.raises(posts.DailyCapReached) as exc:
        create(shop, publish_at=day_after + timedelta(hours=1))
    assert "2026-06-12" in exc.value.message and "2026-06-13 00:00" in exc.value.message


def test_the_day_is_the_owners_own_day(shop):
    owner = shop.owner
    owner.time_zone = "America/New_York"
    owner.save(update_fields=["time_zone"])
    morning = datetime(2026, 6, 10, 14, 0, tzinfo=UTC)  # 10:00 in New York
    for i in range(3):
        create(shop, now=morning + timedelta(minutes=i))
    # 23:30 UTC is already 11 June in Shanghai, but still 10 June in New York
    with pytest.raises(posts.DailyCapReached) as exc:
        create(shop, now=datetime(2026, 6, 10, 23, 30, tzinfo=UTC))
    assert "2026-06-11 00:00 (America/New_York)" in exc.value.message
    assert create(shop, now=datetime(2026, 6, 11, 4, 1, tzinfo=UTC)).pk  # 00:01 in New York


def test_deleting_a_published_post_does_not_give_it_back_but_a_scheduled_one_does(shop):
    first = create(shop)
    create(shop, now=NOW + timedelta(minutes=1))
    later = create(shop, publish_at=NOW + timedelta(hours=3))
    posts.post_delete(shop=shop, actor=shop.owner, post_id=first.pk)
    with pytest.raises(posts.DailyCapReached):
        create(shop, now=NOW + timedelta(minutes=2))
    posts.post_delete(shop=shop, actor=shop.owner, post_id=later.pk)
    assert create(shop, now=NOW + timedelta(minutes=3)).pk


def test_the_operators_policy_overrides_the_setting(shop, settings):
    settings.VSHOP_CIRCLE_POSTS_PER_DAY = 5
    CirclePolicy.objects.create(pk=1, posts_per_day=1)
    create(shop)
    with pytest.raises(posts.DailyCapReached) as exc:
        create(shop, now=NOW + timedelta(minutes=1))
    assert exc.value.details["cap"] == 1


def test_the_setting_is_the_cap_without_a_policy(shop, settings):
    settings.VSHOP_CIRCLE_POSTS_PER_DAY = 4
    for i in range(4):
        create(shop, now=NOW + timedelta(minutes=i))
    with pytest.raises(posts.DailyCapReached):
        create(shop, now=NOW + timedelta(minutes=5))


def test_other_shops_posts_do_not_count(shop, other_shop):
    for i in range(3):
        create(other_shop, now=NOW + timedelta(minutes=i))
    assert create(shop).pk


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_six_posts_at_once_never_exceed_the_cap_of_three(shop):
    results = race(6, lambda i: create(Shop.objects.get(pk=shop.pk), text=f"Post {i}"))
    assert sorted(results) == ["ok"] * 3 + ["post_cap"] * 3
    assert Post.objects.filter(shop=shop).count() == 3


# --- the publishing job ------------------------------------------------------------------------


def test_the_job_publishes_due_posts_once_and_hands_each_to_the_fan_out(
    shop, other_shop, announced, django_capture_on_commit_callbacks
):
    due = create(shop, publish_at=NOW + timedelta(minutes=10))
    later = create(shop, publish_at=NOW + timedelta(hours=5))
    theirs = create(other_shop, publish_at=NOW + timedelta(minutes=5))
    at = NOW + timedelta(minutes=11)
    with django_capture_on_commit_callbacks(execute=True):
        assert posts.posts_publish_due(now=at) == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert posts.posts_publish_due(now=at + timedelta(minutes=1)) == 0
    assert sorted(announced) == sorted([due.pk, theirs.pk])
    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.status, due.published_at) == (PostStatus.PUBLISHED, at)
    assert later.status == PostStatus.SCHEDULED


def test_the_job_leaves_posts_of_a_suspended_shop_waiting(shop, announced):
    post = create(shop, publish_at=NOW + timedelta(minutes=10))
    ShopPosting.objects.create(shop=shop, suspended_at=NOW, reason="Spam")
    assert posts.posts_publish_due(now=NOW + timedelta(hours=1)) == 0
    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED


def test_the_job_leaves_posts_of_a_suspended_shop_waiting_too(shop, announced):
    post = create(shop, publish_at=NOW + timedelta(minutes=10))
    Shop.objects.filter(pk=shop.pk).update(status=ShopStatus.SUSPENDED)
    assert posts.posts_publish_due(now=NOW + timedelta(hours=1)) == 0
    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED


def test_the_job_skips_deleted_scheduled_posts(shop, announced):
    post = create(shop, publish_at=NOW + timedelta(minutes=10))
    posts.post_delete(shop=shop, actor=shop.owner, post_id=post.pk)
    assert posts.posts_publish_due(now=NOW + timedelta(hours=1)) == 0
    post.refresh_from_db()
    assert post.status == PostStatus.DELETED


def test_the_huey_task_runs_the_job(shop, announced, monkeypatch):
    from vshop.circle import tasks

    post = create(shop, publish_at=NOW + timedelta(minutes=1))
    monkeypatch.setattr(posts.timezone, "now", lambda: NOW + timedelta(minutes=2))
    tasks.posts_publish_due.call_local()
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_publish_each_post_once(shop, other_shop, monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(fanout, "post_published", lambda *, post_id: calls.append(post_id))
    made = [
        create(s, publish_at=NOW + timedelta(days=d, minutes=m))
        for s in (shop, other_shop)
        for d in (1, 2, 3)
        for m in (1, 2, 3)
    ]
    at = NOW + timedelta(days=5)
    counts: list[int] = []
    results = race(2, lambda i: counts.append(posts.posts_publish_due(now=at)))
    assert results == ["ok", "ok"]
    assert sum(counts) == len(made) == 18
    assert sorted(calls) == sorted(p.pk for p in made)


# --- edit --------------------------------------------------------------------------------------


def test_a_published_post_is_editable_for_fifteen_minutes(shop, listing):
    post = create(shop)
    posts.post_update(
        shop=shop,
        actor=shop.owner,
        post_id=post.pk,
        text="<i>Fixed</i> typo",
        listing_ids=[listing.pk],
        now=NOW + timedelta(minutes=15),
    )
    post.refresh_from_db()
    assert post.text == "<i>Fixed</i> typo" and post.edited_at == NOW + timedelta(minutes=15)
    assert [c.listing_id for c in post.cards.all()] == [listing.pk]
    with pytest.raises(Conflict) as exc:
        posts.post_update(
            shop=shop,
            actor=shop.owner,
            post_id=post.pk,
            text="Too late",
            listing_ids=[],
            now=NOW + timedelta(minutes=15, seconds=1),
        )
    assert exc.value.status == 409 and "15 minutes" in exc.value.message
    post.refresh_from_db()
    assert post.text == "<i>Fixed</i> typo" and post.cards.count() == 1


def test_the_edit_window_follows_the_setting(shop, settings):
    settings.VSHOP_CIRCLE_EDIT_MINUTES = 2
    post = create(shop)
    with pytest.raises(Conflict):
        posts.post_update(
            shop=shop, actor=shop.owner, post_id=post.pk, text="x", now=NOW + timedelta(minutes=3)
        )


def test_a_scheduled_post_is_editable_any_time_and_can_move(shop):
    post = create(shop, publish_at=NOW + timedelta(days=3))
    new_time = NOW + timedelta(days=4)
    posts.post_update(
        shop=shop,
        actor=shop.owner,
        post_id=post.pk,
        text="Later",
        publish_at=new_time,
        now=NOW + timedelta(days=2),
    )
    post.refresh_from_db()
    assert (post.text, post.publish_at, post.status) == ("Later", new_time, PostStatus.SCHEDULED)


def test_moving_a_scheduled_post_now_publishes_it(
    shop, announced, django_capture_on_commit_callbacks
):
    post = create(shop, publish_at=NOW + timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        posts.post_update(shop=shop, actor=shop.owner, post_id=post.pk, publish_at=NOW, now=NOW)
    post.refresh_from_db()
    assert (post.status, post.published_at) == (PostStatus.PUBLISHED, NOW)
    assert announced == [post.pk]


def test_moving_a_scheduled_post_to_a_full_day_is_refused(shop):
    for i in range(3):
        create(shop, now=NOW + timedelta(minutes=i))
    post = create(shop, publish_at=NOW + timedelta(days=1))
    with pytest.raises(posts.DailyCapReached):
        posts.post_update(
            shop=shop,
            actor=shop.owner,
            post_id=post.pk,
            publish_at=NOW + timedelta(hours=2),
            now=NOW,
        )
    post.refresh_from_db()
    assert post.publish_at == NOW + timedelta(days=1)


def test_a_published_post_cannot_be_rescheduled(shop):
    post = create(shop)
    with pytest.raises(Conflict):
        posts.post_update(
            shop=shop,
            actor=shop.owner,
            post_id=post.pk,
            publish_at=NOW + timedelta(days=1),
            now=NOW,
        )


def test_an_edit_is_checked_like_a_new_post(shop, listing, other_shop, supplier):
    theirs = make_listing(other_shop, make_product(supplier))
    post = create(shop, listing_ids=[listing.pk])
    bad = [
        {"text": "x" * 2001},
        {"text": "", "listing_ids": []},
        {"listing_ids": [theirs.pk]},
    ]
    for kw in bad:
        with pytest.raises(ValidationFailed):
            posts.post_update(shop=shop, actor=shop.owner, post_id=post.pk, now=NOW, **kw)
    post.refresh_from_db()
    assert post.text == "New romper in!" and post.edited_at is None
    assert [c.listing_id for c in post.cards.all()] == [listing.pk]


def test_a_post_the_platform_hid_cannot_be_edited(shop):
    post = make_post(shop, hidden=True, published_at=NOW)
    with pytest.raises(Conflict):
        posts.post_update(shop=shop, actor=shop.owner, post_id=post.pk, text="x", now=NOW)


def test_another_owner_edits_deletes_or_pins_nothing(shop, other_shop):
    post = create(shop)
    calls = [
        lambda s, a: posts.post_update(shop=s, actor=a, post_id=post.pk, text="Mine!", now=NOW),
        lambda s, a: posts.post_delete(shop=s, actor=a, post_id=post.pk),
        lambda s, a: posts.post_pin(shop=s, actor=a, post_id=post.pk),
        lambda s, a: posts.post_unpin(shop=s, actor=a, post_id=post.pk),
    ]
    for call in calls:
        # her own shop with another's post id, and the other's shop with her own account
        with pytest.raises(NotFound):
            call(other_shop, other_shop.owner)
        with pytest.raises(NotFound):
            call(shop, other_shop.owner)
    post.refresh_from_db()
    assert (post.text, post.status, post.pinned_at) == ("New romper in!", "published", None)


# --- delete, pin -------------------------------------------------------------------------------


def test_a_deleted_post_leaves_her_list_and_is_gone(shop):
    post = create(shop)
    posts.post_pin(shop=shop, actor=shop.owner, post_id=post.pk)
    posts.post_delete(shop=shop, actor=shop.owner, post_id=post.pk, now=NOW)
    post.refresh_from_db()
    assert (post.status, post.deleted_at, post.pinned_at) == (PostStatus.DELETED, NOW, None)
    assert list(selectors.posts_of_shop(shop=shop)) == []
    assert selectors.pinned_post(shop=shop) is None
    with pytest.raises(NotFound):
        selectors.post_of_shop(shop=shop, post_id=post.pk)
    with pytest.raises(NotFound):
        posts.post_delete(shop=shop, actor=shop.owner, post_id=post.pk)


def test_one_pinned_post_at_a_time(shop):
    first = create(shop, text="First")
    second = create(shop, text="Second", now=NOW + timedelta(minutes=1))
    posts.post_pin(shop=shop, actor=shop.owner, post_id=first.pk)
    posts.post_pin(shop=shop, actor=shop.owner, post_id=second.pk)
    posts.post_pin(shop=shop, actor=shop.owner, post_id=second.pk)  # again: harmless
    assert list(Post.objects.filter(pinned_at__isnull=False)) == [second]
    pinned = selectors.pinned_post(shop=shop)
    assert pinned is not None and pinned.post == second
    posts.post_unpin(shop=shop, actor=shop.owner, post_id=second.pk)
    assert selectors.pinned_post(shop=shop) is None


def test_pinning_bumps_the_shop_pages_version(shop):
    post = create(shop)
    before = Shop.objects.get(pk=shop.pk).content_version
    posts.post_pin(shop=shop, actor=shop.owner, post_id=post.pk)
    pinned = Shop.objects.get(pk=shop.pk).content_version
    posts.post_unpin(shop=shop, actor=shop.owner, post_id=post.pk)
    assert before < pinned < Shop.objects.get(pk=shop.pk).content_version


def test_a_scheduled_or_hidden_post_cannot_be_pinned(shop):
    scheduled = create(shop, publish_at=NOW + timedelta(days=1))
    hidden = make_post(shop, hidden=True)
    for post in (scheduled, hidden):
        with pytest.raises(Conflict):
            posts.post_pin(shop=shop, actor=shop.owner, post_id=post.pk)
    assert not Post.objects.filter(pinned_at__isnull=False).exists()


def test_the_pinned_post_shows_only_while_live(shop):
    post = create(shop, images=[image_upload(), image_upload("b.png")])
    posts.post_pin(shop=shop, actor=shop.owner, post_id=post.pk)
    pinned = selectors.pinned_post(shop=shop)
    assert pinned is not None
    assert pinned.thumbnail_url == post.images.get(position=0).thumbnail.url
    Post.objects.filter(pk=post.pk).update(hidden_at=NOW)  # an operator hid it
    assert selectors.pinned_post(shop=shop) is None


def test_her_posts_newest_first_scheduled_on_top_without_deleted(shop, other_shop):
    old = create(shop, text="Old")
    new = create(shop, text="New", now=NOW + timedelta(minutes=5))
    scheduled = create(shop, publish_at=NOW + timedelta(days=1))
    gone = create(shop, publish_at=NOW + timedelta(days=2))
    posts.post_delete(shop=shop, actor=shop.owner, post_id=gone.pk)
    create(other_shop)
    assert list(selectors.posts_of_shop(shop=shop)) == [scheduled, new, old]
    assert list(selectors.shop_live_posts(shop=shop)) == [new, old]
