"""The circle's social API: a live post, likes, comments, shares, hiding and reporting (any
logged-in user; a post that is not live is 404 and nothing is written), the owner's replies,
hiding and deleting (another owner: 404, nothing changes), and the operators' endpoints (403 for
anybody else)."""

from __future__ import annotations

import pytest

from tests.api.conftest import client_for
from tests.circle.kit import make_post
from tests.factories import make_user
from vshop.circle import social
from vshop.circle.models import (
    Post,
    PostComment,
    PostHide,
    PostLike,
    PostReport,
    ReportState,
    ShopPosting,
)
from vshop.distribution.models import ShareLink
from vshop.messaging.models import InboxMessage

pytestmark = pytest.mark.django_db


def test_a_live_post_reads_with_my_state(shop, listing, fan):
    post = make_post(shop, text="<p>Hi</p>", cards=[listing])
    social.post_like(user=fan, post_id=post.pk)
    body = client_for(fan).get(f"/api/posts/{post.pk}").json()
    assert body["id"] == post.pk and body["shop"] == shop.slug
    assert body["cards"] == [{"listing_id": listing.pk, "title": listing.product.title}]
    assert (body["liked"], body["like_count"], body["hidden"]) == (True, 1, False)


def test_a_hidden_or_deleted_post_is_404_except_the_hidden_one_to_its_owner(shop, fan):
    hidden = make_post(shop, hidden=True)
    deleted = make_post(shop, status="deleted")
    assert client_for(fan).get(f"/api/posts/{hidden.pk}").status_code == 404
    assert client_for(fan).get(f"/api/posts/{deleted.pk}").status_code == 404
    mine = client_for(shop.owner).get(f"/api/posts/{hidden.pk}")
    assert mine.status_code == 200 and mine.json()["hidden"] is True
    assert client_for(shop.owner).get(f"/api/posts/{deleted.pk}").status_code == 404


def test_like_and_unlike(shop, fan):
    post = make_post(shop)
    api = client_for(fan)
    assert api.post(f"/api/posts/{post.pk}/like").json() == {"liked": True, "like_count": 1}
    assert api.post(f"/api/posts/{post.pk}/like").json() == {"liked": True, "like_count": 1}
    assert api.delete(f"/api/posts/{post.pk}/like").json() == {"liked": False, "like_count": 0}


def test_a_visitor_must_log_in(shop):
    anon = client_for(None)
    post = make_post(shop)
    assert anon.post(f"/api/posts/{post.pk}/like").status_code == 401
    assert anon.get(f"/api/posts/{post.pk}").status_code == 401
    assert not PostLike.objects.exists()


def test_comments_are_listed_newest_first_with_replies(shop, fan):
    post = make_post(shop)
    api = client_for(fan)
    first = api.post(f"/api/posts/{post.pk}/comments", {"text": "first"})
    assert first.status_code == 201
    api.post(f"/api/posts/{post.pk}/comments", {"text": "second"})
    reply = client_for(shop.owner).post(
        f"/api/shops/{shop.slug}/comments/{first.json()['id']}/reply", {"text": "thanks"}
    )
    assert reply.status_code == 201 and reply.json()["reply_to"] == first.json()["id"]
    body = api.get(f"/api/posts/{post.pk}/comments").json()
    assert body["count"] == 2
    assert [c["text"] for c in body["items"]] == ["second", "first"]
    assert [r["text"] for r in body["items"][1]["replies"]] == ["thanks"]


@pytest.mark.parametrize("text", ["", "  ", "x" * 501])
def test_an_empty_or_overlong_comment_is_400_and_nothing_is_written(shop, fan, text):
    post = make_post(shop)
    response = client_for(fan).post(f"/api/posts/{post.pk}/comments", {"text": text})
    assert response.status_code == 400 and response.json()["field"] == "text"
    assert not PostComment.objects.exists()


def test_a_comment_on_a_hidden_post_is_404_and_nothing_is_written(shop, fan):
    post = make_post(shop, hidden=True)
    response = client_for(fan).post(f"/api/posts/{post.pk}/comments", {"text": "hi"})
    assert response.status_code == 404
    assert not PostComment.objects.exists()
    assert client_for(fan).get(f"/api/posts/{post.pk}/comments").status_code == 404


def test_an_unknown_field_is_422(shop, fan):
    post = make_post(shop)
    response = client_for(fan).post(f"/api/posts/{post.pk}/comments", {"text": "x", "user": 1})
    assert response.status_code == 422
    assert not PostComment.objects.exists()


def test_owner_hides_unhides_and_deletes_comments(shop, fan):
    post = make_post(shop)
    comment = social.comment_add(user=fan, post_id=post.pk, text="hi")
    owner = client_for(shop.owner)
    url = f"/api/shops/{shop.slug}/comments/{comment.pk}"
    assert owner.post(f"{url}/hide").json()["hidden"] is True
    assert Post.objects.get().comment_count == 0
    assert owner.delete(f"{url}/hide").json()["hidden"] is False
    assert owner.delete(url).status_code == 204
    assert not PostComment.objects.exists()


def test_another_owner_cannot_reply_hide_or_delete_404_nothing_changes(shop, other_shop, fan):
    post = make_post(shop)
    comment = social.comment_add(user=fan, post_id=post.pk, text="hi")
    rival = client_for(other_shop.owner)
    for slug in (other_shop.slug, shop.slug):
        url = f"/api/shops/{slug}/comments/{comment.pk}"
        assert rival.post(f"{url}/reply", {"text": "x"}).status_code == 404
        assert rival.post(f"{url}/hide").status_code == 404
        assert rival.delete(f"{url}/hide").status_code == 404
        assert rival.delete(url).status_code == 404
    comment.refresh_from_db()
    assert comment.hidden_at is None
    assert PostComment.objects.count() == 1


def test_a_fan_deletes_her_own_comment_not_anothers(shop, fan):
    post = make_post(shop)
    mine = social.comment_add(user=fan, post_id=post.pk, text="mine")
    hers = social.comment_add(user=make_user(), post_id=post.pk, text="hers")
    api = client_for(fan)
    assert api.delete(f"/api/posts/{post.pk}/comments/{hers.pk}").status_code == 404
    assert api.delete(f"/api/posts/{post.pk}/comments/{mine.pk}").status_code == 204
    assert list(PostComment.objects.values_list("pk", flat=True)) == [hers.pk]


def test_share_gives_a_url_and_code(shop, listing, fan):
    post = make_post(shop, cards=[listing])
    response = client_for(fan).post(f"/api/posts/{post.pk}/share", {"channel": "wechat"})
    assert response.status_code == 200
    body = response.json()
    link = ShareLink.objects.get()
    assert body["code"] == link.code and body["url"].endswith(f"/r/{link.code}/")
    assert (body["listing_id"], body["share_count"]) == (listing.pk, 1)


def test_share_on_a_bad_channel_is_400_and_writes_nothing(shop, fan):
    post = make_post(shop)
    response = client_for(fan).post(f"/api/posts/{post.pk}/share", {"channel": "fax"})
    assert response.status_code == 400
    assert not ShareLink.objects.exists()


def test_hide_and_unhide(shop, fan):
    post = make_post(shop)
    api = client_for(fan)
    assert api.post(f"/api/posts/{post.pk}/hide").json() == {"hidden": True}
    assert api.get(f"/api/posts/{post.pk}").json()["hidden_by_me"] is True
    assert api.delete(f"/api/posts/{post.pk}/hide").json() == {"hidden": False}
    assert not PostHide.objects.exists()


def test_report_once_then_409_and_an_empty_reason_is_400(shop, fan):
    post = make_post(shop)
    api = client_for(fan)
    assert api.post(f"/api/posts/{post.pk}/report", {"reason": ""}).status_code == 400
    assert not PostReport.objects.exists()
    assert api.post(f"/api/posts/{post.pk}/report", {"reason": "fake"}).status_code == 201
    assert api.post(f"/api/posts/{post.pk}/report", {"reason": "fake"}).status_code == 409
    assert PostReport.objects.count() == 1


# --- operators ---------------------------------------------------------------------------------


def test_operator_endpoints_are_403_for_a_shop_owner_and_a_fan(shop, fan):
    post = make_post(shop)
    report = social.post_report(user=fan, post_id=post.pk, reason="bad")
    for user in (shop.owner, fan):
        api = client_for(user)
        assert api.get("/api/operator/circle/reports").status_code == 403
        assert (
            api.post(
                f"/api/operator/circle/reports/{report.pk}/decide",
                {"action": "hide", "reason": "x"},
            ).status_code
            == 403
        )
        assert (
            api.post(f"/api/operator/circle/posts/{post.pk}/hide", {"reason": "x"}).status_code
            == 403
        )
        assert api.delete(f"/api/operator/circle/posts/{post.pk}/hide").status_code == 403
        url = f"/api/operator/circle/shops/{shop.slug}/posting-suspension"
        assert api.post(url, {"reason": "x"}).status_code == 403
        assert api.delete(url).status_code == 403
    post.refresh_from_db()
    assert post.hidden_at is None
    assert PostReport.objects.get().state == ReportState.OPEN
    assert not ShopPosting.objects.exists()


def test_the_queue_puts_the_most_reported_first_and_hide_decides_all(shop, other_shop, operator):
    quiet = make_post(other_shop)
    loud = make_post(shop)
    social.post_report(user=make_user(), post_id=quiet.pk, reason="meh")
    reports = [
        social.post_report(user=make_user(), post_id=loud.pk, reason="scam") for _ in range(3)
    ]
    api = client_for(operator)
    queue = api.get("/api/operator/circle/reports").json()
    assert [(i["post_id"], i["open_reports"]) for i in queue["items"]] == [
        (loud.pk, 3),
        (quiet.pk, 1),
    ]
    assert {r["id"] for r in queue["items"][0]["reports"]} == {r.pk for r in reports}
    # hiding without a reason is 400, nothing changes
    url = f"/api/operator/circle/reports/{reports[0].pk}/decide"
    assert api.post(url, {"action": "hide", "reason": ""}).status_code == 400
    assert api.post(url, {"action": "burn", "reason": "x"}).status_code == 400
    assert Post.objects.get(pk=loud.pk).hidden_at is None
    response = api.post(url, {"action": "hide", "reason": "Scam"})
    assert response.status_code == 200 and response.json()["hidden"] is True
    assert set(PostReport.objects.filter(post=loud).values_list("state", flat=True)) == {"hidden"}
    assert [i["post_id"] for i in api.get("/api/operator/circle/reports").json()["items"]] == [
        quiet.pk
    ]
    assert api.post(url, {"action": "dismiss"}).status_code == 409
    assert InboxMessage.objects.filter(recipient=shop.owner, kind="circle.post_hidden").exists()


def test_operator_hides_unhides_and_suspends_posting(shop, operator):
    post = make_post(shop)
    api = client_for(operator)
    assert (
        api.post(f"/api/operator/circle/posts/{post.pk}/hide", {"reason": "Nope"}).status_code
        == 200
    )
    assert (
        api.post(f"/api/operator/circle/posts/{post.pk}/hide", {"reason": "Nope"}).status_code
        == 409
    )
    assert api.delete(f"/api/operator/circle/posts/{post.pk}/hide").json()["hidden"] is False
    assert api.post("/api/operator/circle/posts/999999/hide", {"reason": "x"}).status_code == 404
    url = f"/api/operator/circle/shops/{shop.slug}/posting-suspension"
    assert api.post(url, {"reason": ""}).status_code == 400
    assert not ShopPosting.objects.exists()
    body = api.post(url, {"reason": "Spam"}).json()
    assert (body["suspended"], body["reason"]) == (True, "Spam")
    assert api.delete(url).json()["suspended"] is False
    assert api.delete(url).status_code == 409
    assert (
        api.post(
            "/api/operator/circle/shops/no-such-shop/posting-suspension", {"reason": "x"}
        ).status_code
        == 404
    )
    kinds = set(InboxMessage.objects.filter(recipient=shop.owner).values_list("kind", flat=True))
    assert {
        "circle.post_hidden",
        "circle.post_shown",
        "circle.posting_suspended",
        "circle.posting_reinstated",
    } <= kinds
