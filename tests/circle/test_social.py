"""Fans and posts, through the services: likes (idempotent, exact under a race), comments (plain
text, 1–500 characters, never on a hidden or deleted post; the owner replies one level, hides
and deletes; comment_count exact), shares through distribution's share links (a promoter's
share gets her the sale), hiding and reporting a post."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.buying import pay, place
from tests.circle.kit import make_post
from tests.factories import make_user
from tests.races import race
from vshop.circle import social
from vshop.circle.models import (
    Post,
    PostComment,
    PostHide,
    PostLike,
    PostReport,
    PostShare,
    PostStatus,
)
from vshop.distribution.models import OrderAttribution, Promoter, PromoterStatus, ShareLink
from vshop.errors import Conflict, NotFound, ValidationFailed
from vshop.shops import services as shops
from vshop.shops.models import ListingStatus

pytestmark = pytest.mark.django_db


def counts(post: Post) -> tuple[int, int, int]:
    post.refresh_from_db()
    return post.like_count, post.comment_count, post.share_count


# --- likes -----------------------------------------------------------------------------------


def test_a_like_counts_once_and_unlike_takes_it_back(shop, fan):
    post = make_post(shop)
    social.post_like(user=fan, post_id=post.pk)
    social.post_like(user=fan, post_id=post.pk)
    social.post_like(user=make_user(), post_id=post.pk)
    assert counts(post)[0] == 2 == PostLike.objects.filter(post=post).count()
    social.post_unlike(user=fan, post_id=post.pk)
    social.post_unlike(user=fan, post_id=post.pk)
    assert counts(post)[0] == 1 == PostLike.objects.filter(post=post).count()


@pytest.mark.parametrize("state", ["hidden", "deleted", "scheduled"])
def test_a_post_that_is_not_live_cannot_be_liked_and_nothing_is_written(shop, fan, state):
    post = make_post(
        shop,
        hidden=state == "hidden",
        status={"deleted": PostStatus.DELETED, "scheduled": PostStatus.SCHEDULED}.get(
            state, PostStatus.PUBLISHED
        ),
    )
    with pytest.raises(NotFound):
        social.post_like(user=fan, post_id=post.pk)
    assert counts(post) == (0, 0, 0)
    assert not PostLike.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_like_count_is_exact_when_many_fans_like_and_unlike_at_once(shop):
    post = make_post(shop)
    fans = [make_user() for _ in range(8)]
    # every fan likes twice at once: 8 likes
    results = race(16, lambda i: social.post_like(user=fans[i % 8], post_id=post.pk))
    assert results == ["ok"] * 16
    assert counts(post)[0] == 8 == PostLike.objects.filter(post=post).count()
    # half of them take it back twice at once
    results = race(8, lambda i: social.post_unlike(user=fans[i % 4], post_id=post.pk))
    assert results == ["ok"] * 8
    assert counts(post)[0] == 4 == PostLike.objects.filter(post=post).count()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_comment_count_is_exact_under_concurrent_comments_hides_and_deletes(shop):
    post = make_post(shop)
    fans = [make_user() for _ in range(6)]
    first = [social.comment_add(user=f, post_id=post.pk, text="hi") for f in fans[:3]]

    def act(i: int) -> None:
        if i < 6:
            social.comment_add(user=fans[i], post_id=post.pk, text="again")
        elif i < 9:
            social.comment_hide(owner=shop.owner, shop=shop, comment_id=first[0].pk)
        else:
            social.comment_delete(owner=shop.owner, shop=shop, comment_id=first[1].pk)

    results = race(11, act)
    assert all(r in ("ok", "not_found") for r in results), results
    visible = PostComment.objects.filter(post=post, hidden_at__isnull=True).count()
    assert counts(post)[1] == visible == 7


# --- comments --------------------------------------------------------------------------------


def test_a_comment_is_plain_text_and_counts(shop, fan):
    post = make_post(shop)
    comment = social.comment_add(user=fan, post_id=post.pk, text="  <b>Love</b> it & <i>more</i> ")
    assert comment.text == "Love it & more"
    assert counts(post)[1] == 1


@pytest.mark.parametrize(
    "text", ["", "   ", "<p></p>", "x" * 501], ids=["empty", "blank", "only-markup", "too-long"]
)
def test_an_empty_or_overlong_comment_is_refused_and_nothing_is_written(shop, fan, text):
    post = make_post(shop)
    with pytest.raises(ValidationFailed) as err:
        social.comment_add(user=fan, post_id=post.pk, text=text)
    assert err.value.field == "text"
    assert not PostComment.objects.exists()
    assert counts(post)[1] == 0


def test_500_characters_is_allowed(shop, fan):
    post = make_post(shop)
    assert len(social.comment_add(user=fan, post_id=post.pk, text="x" * 500).text) == 500


def test_a_comment_on_a_hidden_or_deleted_post_is_refused_and_nothing_is_written(shop, fan):
    hidden = make_post(shop, hidden=True)
    deleted = make_post(shop, status=PostStatus.DELETED)
    for post in (hidden, deleted):
        with pytest.raises(NotFound):
            social.comment_add(user=fan, post_id=post.pk, text="hello")
    assert not PostComment.objects.exists()


def test_a_comment_on_a_post_she_hid_is_refused(shop, fan):
    post = make_post(shop)
    social.post_hide(user=fan, post_id=post.pk)
    with pytest.raises(ValidationFailed):
        social.comment_add(user=fan, post_id=post.pk, text="hello")
    assert not PostComment.objects.exists()


def test_the_owner_replies_one_level_and_the_count_follows(shop, fan):
    post = make_post(shop)
    comment = social.comment_add(user=fan, post_id=post.pk, text="Does it run small?")
    reply = social.comment_reply(owner=shop.owner, shop=shop, comment_id=comment.pk, text="No!")
    assert (reply.reply_to_id, reply.user_id, reply.post_id) == (comment.pk, shop.owner_id, post.pk)
    assert counts(post)[1] == 2
    with pytest.raises(ValidationFailed):
        social.comment_reply(owner=shop.owner, shop=shop, comment_id=reply.pk, text="again")
    assert PostComment.objects.count() == 2
    threads = social.threads_of(
        post=post, viewer=fan, comments=list(social.comments_of(post=post, viewer=fan))
    )
    assert [(t.comment.pk, [r.pk for r in t.replies]) for t in threads] == [
        (comment.pk, [reply.pk])
    ]


def test_another_owner_cannot_reply_hide_or_delete_and_nothing_changes(shop, other_shop, fan):
    post = make_post(shop)
    comment = social.comment_add(user=fan, post_id=post.pk, text="hi")
    rival = other_shop.owner
    for call in (
        lambda: social.comment_reply(owner=rival, shop=other_shop, comment_id=comment.pk, text="x"),
        lambda: social.comment_hide(owner=rival, shop=other_shop, comment_id=comment.pk),
        lambda: social.comment_delete(owner=rival, shop=other_shop, comment_id=comment.pk),
        # her own shop's key in another's shop: still not hers
        lambda: social.comment_hide(owner=rival, shop=shop, comment_id=comment.pk),
    ):
        with pytest.raises(NotFound):
            call()
    comment.refresh_from_db()
    assert comment.hidden_at is None
    assert PostComment.objects.count() == 1
    assert counts(post)[1] == 1


def test_hiding_a_comment_hides_its_thread_from_fans_and_the_count(shop, fan):
    post = make_post(shop)
    other = make_user()
    comment = social.comment_add(user=fan, post_id=post.pk, text="spam")
    social.comment_reply(owner=shop.owner, shop=shop, comment_id=comment.pk, text="no")
    social.comment_add(user=other, post_id=post.pk, text="nice")
    assert counts(post)[1] == 3
    social.comment_hide(owner=shop.owner, shop=shop, comment_id=comment.pk)
    social.comment_hide(owner=shop.owner, shop=shop, comment_id=comment.pk)  # again: no change
    assert counts(post)[1] == 1
    # another fan sees only the other comment; its author still sees hers; the owner all
    assert [c.text for c in social.comments_of(post=post, viewer=other)] == ["nice"]
    assert {c.text for c in social.comments_of(post=post, viewer=fan)} == {"nice", "spam"}
    assert social.comments_of(post=post, viewer=shop.owner).count() == 2
    # a hidden comment gets no reply
    with pytest.raises(ValidationFailed):
        social.comment_reply(owner=shop.owner, shop=shop, comment_id=comment.pk, text="x")
    social.comment_unhide(owner=shop.owner, shop=shop, comment_id=comment.pk)
    assert counts(post)[1] == 3


def test_deleting_a_comment_takes_its_replies_and_the_count_stays_exact(shop, fan):
    post = make_post(shop)
    comment = social.comment_add(user=fan, post_id=post.pk, text="q")
    social.comment_reply(owner=shop.owner, shop=shop, comment_id=comment.pk, text="a")
    social.comment_add(user=fan, post_id=post.pk, text="q2")
    social.comment_delete(owner=shop.owner, shop=shop, comment_id=comment.pk)
    assert PostComment.objects.count() == 1
    assert counts(post)[1] == 1


def test_a_fan_deletes_her_own_comment_only(shop, fan):
    post = make_post(shop)
    mine = social.comment_add(user=fan, post_id=post.pk, text="mine")
    hers = social.comment_add(user=make_user(), post_id=post.pk, text="hers")
    with pytest.raises(NotFound):
        social.comment_delete_own(user=fan, comment_id=hers.pk)
    social.comment_delete_own(user=fan, comment_id=mine.pk)
    assert list(PostComment.objects.values_list("pk", flat=True)) == [hers.pk]
    assert counts(post)[1] == 1


# --- shares ----------------------------------------------------------------------------------


def test_a_share_makes_a_link_to_the_first_card_and_counts_once_per_link(shop, listing, fan):
    post = make_post(shop, cards=[listing])
    link = social.post_share(user=fan, post_id=post.pk, channel="wechat")
    again = social.post_share(user=fan, post_id=post.pk, channel="wechat")
    social.post_share(user=fan, post_id=post.pk, channel="moments")
    assert again.pk == link.pk
    assert (link.sharer_id, link.shop_id, link.listing_id) == (fan.pk, shop.pk, listing.pk)
    assert counts(post)[2] == 2 == PostShare.objects.count()


def test_a_post_without_a_card_on_sale_shares_the_shop(shop, listing, fan):
    post = make_post(shop, cards=[listing])
    shops.listing_update(listing=listing, actor=shop.owner, status=ListingStatus.HIDDEN)
    link = social.post_share(user=fan, post_id=post.pk, channel="qq")
    assert (link.shop_id, link.listing_id) == (shop.pk, None)


def test_a_bad_channel_or_a_hidden_post_shares_nothing(shop, fan):
    post = make_post(shop)
    with pytest.raises(ValidationFailed):
        social.post_share(user=fan, post_id=post.pk, channel="telegram")
    with pytest.raises(NotFound):
        social.post_share(user=fan, post_id=make_post(shop, hidden=True).pk, channel="wechat")
    assert not ShareLink.objects.exists() and not PostShare.objects.exists()
    assert counts(post)[2] == 0


def test_an_order_through_a_promoters_post_share_is_attributed_to_her(shop, listing, fan):
    # given a fan who is an active promoter of the shop, sharing its post with a listing card
    promoter = Promoter.objects.create(shop=shop, user=fan, status=PromoterStatus.ACTIVE)
    post = make_post(shop, cards=[listing])
    link = social.post_share(user=fan, post_id=post.pk, channel="moments")
    # when a friend follows the link, logged in, and buys
    buyer = make_user()
    client = Client()
    client.force_login(buyer)
    assert client.get(f"/r/{link.code}/").status_code == 302
    pay(place(buyer, listing))
    # then the order is attributed to her promoter record through that link
    attribution = OrderAttribution.objects.get(order__buyer=buyer)
    assert attribution.promoter_id == promoter.pk
    assert (attribution.sharer_id, attribution.channel) == (fan.pk, "moments")
    assert attribution.last_touch is not None and attribution.last_touch.link_id == link.pk


# --- hiding and reporting ---------------------------------------------------------------------


def test_she_hides_a_post_and_shows_it_again(shop, fan):
    post = make_post(shop)
    social.post_hide(user=fan, post_id=post.pk)
    social.post_hide(user=fan, post_id=post.pk)
    assert social.hidden_by(user=fan, post_id=post.pk)
    assert PostHide.objects.count() == 1
    social.post_unhide(user=fan, post_id=post.pk)
    assert not PostHide.objects.exists()


def test_a_report_is_once_per_fan_and_post(shop, fan):
    post = make_post(shop)
    report = social.post_report(user=fan, post_id=post.pk, reason="  Fake   brand ")
    assert report.reason == "Fake brand"
    with pytest.raises(Conflict):
        social.post_report(user=fan, post_id=post.pk, reason="again")
    assert PostReport.objects.count() == 1


@pytest.mark.parametrize("reason", ["", "   ", "x" * 201])
def test_a_report_without_a_good_reason_is_refused_and_nothing_is_written(shop, fan, reason):
    post = make_post(shop)
    with pytest.raises(ValidationFailed) as err:
        social.post_report(user=fan, post_id=post.pk, reason=reason)
    assert err.value.field == "reason"
    assert not PostReport.objects.exists()


def test_the_owner_cannot_report_her_own_post_nor_anyone_a_hidden_one(shop, fan):
    post = make_post(shop)
    with pytest.raises(ValidationFailed):
        social.post_report(user=shop.owner, post_id=post.pk, reason="x")
    with pytest.raises(NotFound):
        social.post_report(user=fan, post_id=make_post(shop, hidden=True).pk, reason="x")
    assert not PostReport.objects.exists()


def test_the_owner_sees_her_hidden_post_and_nobody_else_does(shop, other_shop, fan):
    post = make_post(shop, hidden=True)
    assert social.post_for_viewer(post_id=post.pk, viewer=shop.owner).pk == post.pk
    for viewer in (fan, other_shop.owner, None):
        with pytest.raises(NotFound):
            social.post_for_viewer(post_id=post.pk, viewer=viewer)
    deleted = make_post(shop, status=PostStatus.DELETED)
    with pytest.raises(NotFound):
        social.post_for_viewer(post_id=deleted.pk, viewer=shop.owner)
    with pytest.raises(NotFound):  # the right post at another shop's address
        social.post_for_viewer(post_id=post.pk, viewer=shop.owner, slug=other_shop.slug)
