"""The post page: public for a live post (text, thumbnails linking to full size, cards, likes,
comments with the owner's replies), 404 when hidden or deleted except to the owner; a logged-in
fan likes (with and without htmx), comments, shares, hides and reports; the owner replies, hides
and deletes comments; another owner gets 404 and changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.circle.kit import make_post
from tests.e2e.test_open_a_shop_in_a_minute import browser  # noqa: F401 (fixture)
from tests.factories import image_upload, make_user
from vshop.circle import social
from vshop.circle.models import PostComment, PostHide, PostImage, PostLike, PostReport, PostShare

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def url(post, name: str = "post", **kw) -> str:
    return reverse(
        f"circle_social:{name}", kwargs={"slug": post.shop.slug, "post_id": post.pk, **kw}
    )


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_visitor_sees_a_live_post_with_images_cards_and_comments(client, shop, listing, fan):
    post = make_post(
        shop, text="<p>Spring <b>sale</b><script>alert(1)</script></p>", cards=[listing]
    )
    PostImage.objects.create(post=post, image=image_upload(), thumbnail=image_upload("t.png"))
    comment = social.comment_add(user=fan, post_id=post.pk, text="Lovely")
    social.comment_reply(owner=shop.owner, shop=shop, comment_id=comment.pk, text="Thank you")
    response = client.get(url(post))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Spring <b>sale</b>" in page and "<script>alert(1)" not in page
    image = post.images.get()
    assert f'href="{image.image.url}"' in page and f'src="{image.thumbnail.url}"' in page
    assert listing.product.title in page
    assert "Lovely" in page and "Thank you" in page
    assert "Log in to like and comment" in page
    assert 'name="reason"' not in page  # no report form for a visitor


@pytest.mark.parametrize("kind", ["hidden", "deleted"])
def test_a_hidden_or_deleted_post_is_404(client, shop, fan, kind):
    post = make_post(
        shop, hidden=kind == "hidden", status="deleted" if kind == "deleted" else "published"
    )
    assert client.get(url(post)).status_code == 404
    assert logged_in(fan).get(url(post)).status_code == 404


def test_the_owner_sees_her_hidden_post_marked(shop):
    post = make_post(shop, hidden=True)
    response = logged_in(shop.owner).get(url(post))
    assert response.status_code == 200
    assert 'data-testid="post-hidden"' in response.content.decode()


def test_a_post_at_another_shops_address_is_404(client, shop, other_shop):
    post = make_post(shop)
    wrong = reverse("circle_social:post", kwargs={"slug": other_shop.slug, "post_id": post.pk})
    assert client.get(wrong).status_code == 404


def test_like_without_script_and_with_htmx(shop, fan):
    post = make_post(shop)
    client = logged_in(fan)
    response = client.post(url(post, "like"), {"action": "like"})
    assert response.status_code == 302 and response["Location"] == url(post)
    assert PostLike.objects.filter(post=post, user=fan).exists()
    fragment = client.post(url(post, "like"), {"action": "unlike"}, **HX)
    assert fragment.status_code == 200
    text = fragment.content.decode()
    assert 'id="like-box"' in text and "0 likes" in text and "<html" not in text
    assert not PostLike.objects.exists()


def test_a_visitor_is_sent_to_log_in_to_like(client, shop):
    post = make_post(shop)
    response = client.post(url(post, "like"))
    assert response.status_code == 302 and "/accounts/login" in response["Location"]
    assert not PostLike.objects.exists()


def test_comment_with_htmx_and_a_bad_one_is_400_with_nothing_written(shop, fan):
    post = make_post(shop)
    client = logged_in(fan)
    ok = client.post(url(post, "comment_add"), {"text": "So pretty"}, **HX)
    assert ok.status_code == 200 and "So pretty" in ok.content.decode()
    bad = client.post(url(post, "comment_add"), {"text": "  "}, **HX)
    assert bad.status_code == 400 and "Write a comment first" in bad.content.decode()
    long = client.post(url(post, "comment_add"), {"text": "x" * 501})
    assert long.status_code == 400 and "500 characters at most" in long.content.decode()
    assert PostComment.objects.count() == 1


def test_a_comment_on_a_hidden_post_is_404_and_nothing_is_written(shop, fan):
    post = make_post(shop, hidden=True)
    assert logged_in(fan).post(url(post, "comment_add"), {"text": "hi"}).status_code == 404
    assert not PostComment.objects.exists()


def test_the_owner_has_controls_on_each_comment_and_a_fan_does_not(shop, fan):
    post = make_post(shop)
    comment = social.comment_add(user=make_user(), post_id=post.pk, text="hi")
    owner_page = logged_in(shop.owner).get(url(post)).content.decode()
    fan_page = logged_in(fan).get(url(post)).content.decode()
    for name in ("comment_reply", "comment_hide", "comment_delete"):
        assert url(post, name, comment_id=comment.pk) in owner_page
        assert url(post, name, comment_id=comment.pk) not in fan_page
    assert 'data-testid="report-form"' in fan_page and 'data-testid="share-box"' in fan_page


def test_the_owner_replies_hides_and_deletes_through_the_page(shop, fan):
    post = make_post(shop)
    comment = social.comment_add(user=fan, post_id=post.pk, text="hi")
    owner = logged_in(shop.owner)
    reply = owner.post(url(post, "comment_reply", comment_id=comment.pk), {"text": "Hello!"}, **HX)
    assert reply.status_code == 200 and "Hello!" in reply.content.decode()
    assert (
        owner.post(url(post, "comment_hide", comment_id=comment.pk), {"action": "hide"}).status_code
        == 302
    )
    comment.refresh_from_db()
    assert comment.hidden_at is not None
    assert owner.post(url(post, "comment_delete", comment_id=comment.pk)).status_code == 302
    assert not PostComment.objects.exists()


def test_another_owner_gets_404_and_nothing_changes(shop, other_shop, fan):
    post = make_post(shop)
    comment = social.comment_add(user=fan, post_id=post.pk, text="hi")
    rival = logged_in(other_shop.owner)
    assert (
        rival.post(url(post, "comment_reply", comment_id=comment.pk), {"text": "x"}).status_code
        == 404
    )
    assert rival.post(url(post, "comment_hide", comment_id=comment.pk)).status_code == 404
    assert rival.post(url(post, "comment_delete", comment_id=comment.pk)).status_code == 404
    # a fan deleting another's comment: 404 too
    assert (
        logged_in(make_user()).post(url(post, "comment_delete", comment_id=comment.pk)).status_code
        == 404
    )
    comment.refresh_from_db()
    assert comment.hidden_at is None
    assert PostComment.objects.count() == 1


def test_share_shows_the_link_to_copy(shop, listing, fan):
    post = make_post(shop, cards=[listing])
    client = logged_in(fan)
    response = client.post(url(post, "share"), {"channel": "weibo"}, **HX)
    assert response.status_code == 200
    share = PostShare.objects.get()
    assert f"/r/{share.share_link.code}/" in response.content.decode()
    page = client.post(url(post, "share"), {"channel": "qq"})
    assert page.status_code == 200 and 'data-testid="share-url"' in page.content.decode()
    assert client.post(url(post, "share"), {"channel": "fax"}).status_code == 400
    assert PostShare.objects.count() == 2


def test_hide_and_report_through_the_page(shop, fan):
    post = make_post(shop)
    client = logged_in(fan)
    assert client.post(url(post, "hide"), {"action": "hide"}).status_code == 302
    assert PostHide.objects.filter(user=fan, post=post).exists()
    assert "Show it in my circle again" in client.get(url(post)).content.decode()
    client.post(url(post, "hide"), {"action": "unhide"})
    assert not PostHide.objects.exists()
    empty = client.post(url(post, "report"), {"reason": " "})
    assert empty.status_code == 400 and "Say what is wrong" in empty.content.decode()
    assert not PostReport.objects.exists()
    assert client.post(url(post, "report"), {"reason": "Fake"}).status_code == 302
    assert PostReport.objects.get().reason == "Fake"
    assert 'data-testid="reported"' in client.get(url(post)).content.decode()
    assert client.post(url(post, "report"), {"reason": "Again"}).status_code == 409


def test_the_post_page_reads_a_fixed_number_of_queries_however_many_comments(shop, listing, fan):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    post = make_post(shop, cards=[listing])
    client = logged_in(fan)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url(post)).status_code == 200
        return len(ctx.captured_queries)

    comment = social.comment_add(user=make_user(), post_id=post.pk, text="one")
    social.comment_reply(owner=shop.owner, shop=shop, comment_id=comment.pk, text="re")
    few = queries()
    for i in range(8):
        c = social.comment_add(user=make_user(), post_id=post.pk, text=f"more {i}")
        social.comment_reply(owner=shop.owner, shop=shop, comment_id=c.pk, text="re")
    assert queries() == few


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_like_and_comment_swap_in_place_in_a_browser(live_server, browser):
    from tests.e2e.test_open_a_shop_in_a_minute import PHONE
    from tests.factories import PASSWORD, make_shop

    make_user("mei@example.com", name="Mei")
    post = make_post(make_shop(slug="lily-picks"), text="<p>New romper</p>")
    context = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/?next={url(post)}")
    page.fill("input[name=identifier]", "mei@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(f"**{url(post)}")
    loads: list[str] = []
    page.on("load", lambda _page: loads.append("load"))

    page.click("#like-box button")
    page.wait_for_selector("[data-testid=like-count]:has-text('1 like')")
    page.fill("#comment-text", "Does it come in blue?")
    page.click("#comments button[type=submit]")
    page.wait_for_selector("[data-testid=comment]:has-text('Does it come in blue?')")
    assert loads == []  # both were swapped in, the page was not reloaded
    assert PostLike.objects.count() == 1 and PostComment.objects.count() == 1
    context.close()
