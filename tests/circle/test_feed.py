"""The circle (``feed.circle_page``): what she sees, in what order, page after page."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.circle.kit import clean_timelines, follow, make_post  # noqa: F401
from tests.factories import make_listing, make_product, make_shop, make_user, sku_input
from vshop.circle import fanout, feed
from vshop.circle.models import CirclePolicy, Post, PostHide, PostImage, PostLike, PostStatus
from vshop.errors import ValidationFailed
from vshop.fans import services as fans
from vshop.fans.models import ShopFan
from vshop.shops.models import Shop

NOW = timezone.now().replace(microsecond=0)


@pytest.fixture(params=["database", pytest.param("redis", marks=pytest.mark.redis)])
def store(request, settings) -> str:
    if request.param == "database":
        settings.REDIS_URL = ""
    return request.param


def post(shop: Shop, minutes_ago: float, **kwargs) -> Post:
    """A post of the shop, pushed to its followers as the worker would."""
    p = make_post(shop, published_at=NOW - timedelta(minutes=minutes_ago), **kwargs)
    fanout.post_fan_out(post_id=p.pk)
    return p


def ids(page: feed.FeedPage) -> list[int]:
    return [p.pk for p in page.posts]


def walk(user, *, mode: str = "newest", limit: int = 3) -> list[list[Post]]:
    pages, cursor = [], None
    for _ in range(200):
        page = feed.circle_page(user=user, mode=mode, cursor=cursor, limit=limit)
        pages.append(page.posts)
        cursor = page.next_cursor
        if cursor is None:
            return pages
    raise AssertionError("the cursor never ended")


def big(shop: Shop) -> None:
    """Make the shop big: its posts are merged at read time."""
    Shop.objects.filter(pk=shop.pk).update(fan_count=50_000)


@pytest.fixture
def her(db):
    return make_user("her@example.com")


def test_newest_first_merges_pushed_posts_with_big_shops_posts(store, her):
    small, large = make_shop(), make_shop()
    follow(her, small)
    follow(her, large)
    big(large)
    a = post(small, 30)
    b = post(large, 20)  # not pushed: fan-out skipped? (pushed anyway, but read-time merge too)
    c = post(small, 10)
    d = make_post(large, published_at=NOW - timedelta(minutes=5))  # never fanned out
    assert ids(feed.circle_page(user=her)) == [d.pk, c.pk, b.pk, a.pk]


def test_posts_she_must_not_see_never_appear(store, her):
    shop, muted, left, stranger_shop = make_shop(), make_shop(), make_shop(), make_shop()
    for s in (shop, muted, left):
        follow(her, s)
    seen = post(shop, 1)
    hidden_by_her = post(shop, 2)
    PostHide.objects.create(user=her, post=hidden_by_her)
    by_operator = post(shop, 3)
    deleted = post(shop, 4)
    post(muted, 5)
    post(left, 6)
    post(stranger_shop, 7)
    make_post(shop, status=PostStatus.SCHEDULED, published_at=NOW)
    Post.objects.filter(pk=by_operator.pk).update(hidden_at=timezone.now())
    Post.objects.filter(pk=deleted.pk).update(status=PostStatus.DELETED)
    fans.fan_mute(fan=her, shop=muted, muted=True)
    Follow = fans.Follow
    Follow.objects.filter(fan=her, shop=left).delete()  # left without the timeline clean-up
    big_muted = make_shop()
    follow(her, big_muted)
    big(big_muted)
    make_post(big_muted, published_at=NOW)
    fans.fan_mute(fan=her, shop=big_muted, muted=True)
    for mode in ("newest", "for_you"):
        assert ids(feed.circle_page(user=her, mode=mode)) == [seen.pk], mode


def test_her_circle_has_only_her_shops(store, her):
    mine, theirs = make_shop(), make_shop()
    other = make_user("other@example.com")
    follow(her, mine)
    follow(other, theirs)
    big(theirs)
    p1, p2 = post(mine, 2), post(theirs, 1)
    assert ids(feed.circle_page(user=her)) == [p1.pk]
    assert ids(feed.circle_page(user=other)) == [p2.pk]
    assert ids(feed.circle_page(user=her, mode="for_you")) == [p1.pk]


def test_no_shop_shows_three_posts_in_a_row(store, her):
    a, b = make_shop(), make_shop()
    follow(her, a)
    follow(her, b)
    a1, a2, a3, a4 = (post(a, m) for m in (1, 2, 3, 4))
    b1 = post(b, 10)
    page = feed.circle_page(user=her, limit=10)
    # The third of a's run waits for b's post; with no other shop left, the rest go anyway.
    assert ids(page) == [a1.pk, a2.pk, b1.pk, a3.pk, a4.pk]
    assert page.next_cursor is None


def test_a_held_back_post_comes_on_the_next_page(store, her):
    a, b = make_shop(), make_shop()
    follow(her, a)
    follow(her, b)
    a1, a2, a3 = (post(a, m) for m in (1, 2, 3))
    b1, b2 = post(b, 4), post(b, 5)
    first = feed.circle_page(user=her, limit=3)
    assert ids(first) == [a1.pk, a2.pk, b1.pk]
    second = feed.circle_page(user=her, cursor=first.next_cursor, limit=3)
    assert ids(second) == [a3.pk, b2.pk]


def _no_three_in_a_row(posts: list[Post]) -> bool:
    shops = [p.shop_id for p in posts]
    return all(not (shops[i] == shops[i + 1] == shops[i + 2]) for i in range(len(shops) - 2))


@pytest.mark.parametrize("limit", [1, 2, 3, 7])
def test_walking_all_pages_never_repeats_nor_skips(store, her, limit):
    rng = random.Random(limit)
    shops = [make_shop() for _ in range(4)]
    for s in shops:
        follow(her, s)
    big(shops[0])
    expected = []
    for i in range(40):
        # Many share one instant: ties are broken by id across pages.
        minutes = rng.choice([0, 5, 5, 5, 9, 12, 20]) + i // 8
        s = rng.choice(shops if i % 3 else shops[:2])
        expected.append(post(s, minutes).pk)
    pages = walk(her, limit=limit)
    seen = [p.pk for page in pages for p in page]
    assert len(seen) == len(set(seen)), "a post came twice"
    assert sorted(seen) == sorted(expected), "a post was skipped"
    for page in pages[:-1]:
        assert len(page) == limit
    if limit >= 3:
        # Within a page no shop shows three in a row while another shop still has posts.
        for page in pages[:-2]:
            assert _no_three_in_a_row(page)


def test_a_post_published_while_she_scrolls_does_not_come_twice(store, her):
    shop, other = make_shop(), make_shop()
    follow(her, shop)
    follow(her, other)
    olds = [post(shop if i % 2 else other, 10 + i) for i in range(6)]
    first = feed.circle_page(user=her, limit=3)
    post(shop, 0)  # newer than everything: it belongs above, not in the next pages
    rest = walk_from(her, first.next_cursor)
    seen = ids(first) + rest
    assert sorted(seen) == sorted(p.pk for p in olds)


def walk_from(user, cursor) -> list[int]:
    out = []
    while cursor:
        page = feed.circle_page(user=user, cursor=cursor, limit=3)
        out += ids(page)
        cursor = page.next_cursor
    return out


@pytest.mark.parametrize(
    "cursor", ["garbage", "eyJ1IjoxfQ", "a" * 300, "", "..:.."], ids=str.__len__
)
def test_a_bad_cursor_is_refused(her, cursor):
    if not cursor:
        assert feed.circle_page(user=her, cursor=cursor).posts == []
        return
    with pytest.raises(ValidationFailed) as err:
        feed.circle_page(user=her, cursor=cursor)
    assert err.value.field == "cursor"


def test_a_cursor_is_hers_and_for_one_mode(store, her):
    shop = make_shop()
    other = make_user("other@example.com")
    for u in (her, other):
        follow(u, shop)
    for m in range(5):
        post(shop, m)
    cursor = feed.circle_page(user=her, limit=2).next_cursor
    assert cursor
    with pytest.raises(ValidationFailed):
        feed.circle_page(user=other, cursor=cursor)
    with pytest.raises(ValidationFailed):
        feed.circle_page(user=her, cursor=cursor, mode="for_you")


@pytest.mark.parametrize("kwargs", [{"mode": "oldest"}, {"limit": 0}, {"limit": 51}])
def test_bad_mode_or_limit_is_refused(her, kwargs):
    with pytest.raises(ValidationFailed):
        feed.circle_page(user=her, **kwargs)


def test_for_you_ranks_her_favourite_shop_and_engaging_in_stock_posts_first(store, her, supplier):
    loved, plain, sold = make_shop(), make_shop(), make_shop()
    for s in (loved, plain, sold):
        follow(her, s)
    ShopFan.objects.filter(shop=loved, user=her).update(visit_count=30, order_count=4)
    gone = make_product(supplier, skus=[sku_input("X", stock=0)])
    sold_listing = make_listing(sold, gone)
    p_plain = post(plain, 1)
    p_sold = post(sold, 2, cards=[sold_listing])
    p_loved = post(loved, 60)
    p_buzz = post(plain, 90)
    Post.objects.filter(pk=p_buzz.pk).update(like_count=12, comment_count=3, share_count=1)
    ranked = ids(feed.circle_page(user=her, mode="for_you", limit=10))
    assert ranked[0] == p_loved.pk
    assert ranked.index(p_buzz.pk) < ranked.index(p_plain.pk)
    assert ranked[-1] == p_sold.pk  # sold out sinks below the fresh, plain one


def test_for_you_pages_are_slices_of_one_ranking_and_never_repeat(store, her):
    shops = [make_shop() for _ in range(3)]
    for s in shops:
        follow(her, s)
    big(shops[2])
    made = [post(shops[i % 3], i * 7).pk for i in range(14)]
    make_post(shops[0], published_at=NOW - timedelta(days=8))  # too old for "for you"
    pages = walk(her, mode="for_you", limit=4)
    seen = [p.pk for page in pages for p in page]
    assert sorted(seen) == sorted(made)
    assert all(_no_three_in_a_row(page) for page in pages)
    # A post published after the first page does not push others back into view.
    first = feed.circle_page(user=her, mode="for_you", limit=4)
    post(shops[1], 0)
    later = walk_from_mode(her, first.next_cursor, "for_you")
    assert len(set(ids(first) + later)) == len(made)


def walk_from_mode(user, cursor, mode) -> list[int]:
    out = []
    while cursor:
        page = feed.circle_page(user=user, mode=mode, cursor=cursor, limit=4)
        out += ids(page)
        cursor = page.next_cursor
    return out


def test_for_you_drops_a_post_she_hides_while_scrolling(store, her):
    shop = make_shop()
    follow(her, shop)
    made = [post(shop, i) for i in range(4)]
    first = feed.circle_page(user=her, mode="for_you", limit=2)
    PostHide.objects.create(user=her, post=made[3])
    second = feed.circle_page(user=her, mode="for_you", cursor=first.next_cursor, limit=2)
    assert made[3].pk not in ids(second)


def test_for_you_expired_list_is_a_clear_400(store, her):
    from django.core.cache import cache

    shop = make_shop()
    follow(her, shop)
    for i in range(3):
        post(shop, i)
    first = feed.circle_page(user=her, mode="for_you", limit=1)
    cache.clear()
    with pytest.raises(ValidationFailed):
        feed.circle_page(user=her, mode="for_you", cursor=first.next_cursor, limit=1)


def test_a_page_loads_in_a_fixed_number_of_queries(store, her, supplier):
    shops = [make_shop() for _ in range(3)]
    for s in shops:
        follow(her, s)
    big(shops[0])
    listing = make_listing(shops[1], make_product(supplier))

    def add(n: int) -> None:
        for i in range(n):
            p = post(shops[i % 3], i, cards=[listing] if i % 3 == 1 else ())
            PostImage.objects.create(post=p, image="circle/a.png", thumbnail="circle/t.png")
            PostLike.objects.create(post=p, user=her)

    add(3)
    with CaptureQueriesContext(connection) as few:
        small_page = feed.circle_page(user=her, limit=20)
    add(12)
    with CaptureQueriesContext(connection) as many:
        big_page = feed.circle_page(user=her, limit=20)
    assert len(big_page.posts) == 15 and len(small_page.posts) == 3
    # 12 + up to 3 widening windows of the big shops' query when they post rarely.
    assert len(many) == len(few) <= 15
    p = big_page.posts[0]
    assert p.liked_by_me and len(p.images.all()) == 1
    carded = next(x for x in big_page.posts if x.card_facts)
    assert carded.card_facts[0]["in_stock"] and carded.card_facts[0]["price_fen"] > 0


def test_policy_threshold_decides_which_shops_are_merged_at_read_time(store, her):
    shop = make_shop()
    follow(her, shop)
    p = make_post(shop, published_at=NOW)  # never fanned out
    assert ids(feed.circle_page(user=her)) == []  # small: only what was pushed
    CirclePolicy.objects.create(pk=1, fanout_threshold=1)
    assert ids(feed.circle_page(user=her)) == [p.pk]


def test_big_shops_old_posts_come_in_order_across_the_widening_windows(store, her):
    large, larger, small = make_shop(), make_shop(), make_shop()
    for s in (large, larger, small):
        follow(her, s)
    big(large)
    big(larger)
    days = [0.1, 2, 3, 20, 45, 90]
    # Two big shops in turn, so the 2-in-a-row rule keeps the time order.
    made = [
        make_post(large if i % 2 else larger, published_at=NOW - timedelta(days=d)).pk
        for i, d in enumerate(days)
    ]
    pushed = post(small, 60 * 24 * 10)  # ten days old
    order = [*made[:3], pushed.pk, *made[3:]]
    seen = [p.pk for page in walk(her, limit=2) for p in page]
    assert seen == order
    assert ids(feed.circle_page(user=her, limit=20)) == order
