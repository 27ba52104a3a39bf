"""Operators moderate the circle: the reported posts' queue (most reported first), hiding a post
(its open reports decided, its owner told, its page gone for everyone else), dismissing reports,
suspending and reinstating a shop's posting; through the services (operators only) and the
console's actions; the circle policy is one row."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.circle.kit import make_post
from tests.factories import make_user
from vshop.circle import moderation, social
from vshop.circle.models import CirclePolicy, Post, PostReport, ReportState, ShopPosting
from vshop.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from vshop.messaging.models import InboxMessage

pytestmark = pytest.mark.django_db

REPORTS = reverse("admin:circle_postreport_changelist")
POSTS = reverse("admin:circle_post_changelist")
POSTINGS = reverse("admin:circle_shopposting_changelist")


def act(client, changelist: str, action: str, *rows, **extra: str):
    return client.post(
        changelist, {"action": action, "_selected_action": [r.pk for r in rows], **extra}
    )


def test_only_operators_moderate(shop, fan):
    post = make_post(shop)
    report = social.post_report(user=fan, post_id=post.pk, reason="x")
    for user in (shop.owner, fan):
        with pytest.raises(PermissionDenied):
            moderation.reports_open(operator=user)
        with pytest.raises(PermissionDenied):
            moderation.report_decide(operator=user, report_id=report.pk, action="dismiss")
        with pytest.raises(PermissionDenied):
            moderation.post_hide_by_operator(operator=user, post_id=post.pk, reason="x")
        with pytest.raises(PermissionDenied):
            moderation.shop_posting_suspend(operator=user, shop=shop, reason="x")
    post.refresh_from_db()
    assert post.hidden_at is None and not ShopPosting.objects.exists()
    assert PostReport.objects.get().state == ReportState.OPEN


def test_the_queue_is_most_reported_first_and_leaves_decided_posts(shop, other_shop, operator):
    one, three, two = make_post(shop), make_post(shop), make_post(other_shop)
    for post, n in ((one, 1), (three, 3), (two, 2)):
        for _ in range(n):
            social.post_report(user=make_user(), post_id=post.pk, reason="bad")
    queue = list(moderation.reports_open(operator=operator))
    assert [(p.pk, p.open_reports) for p in queue] == [(three.pk, 3), (two.pk, 2), (one.pk, 1)]
    report = PostReport.objects.filter(post=two).first()
    moderation.report_decide(operator=operator, report_id=report.pk, action="dismiss")
    assert set(PostReport.objects.filter(post=two).values_list("state", flat=True)) == {"dismissed"}
    assert [p.pk for p in moderation.reports_open(operator=operator)] == [three.pk, one.pk]
    with pytest.raises(Conflict):
        moderation.report_decide(operator=operator, report_id=report.pk, action="hide", reason="x")
    assert Post.objects.get(pk=two.pk).hidden_at is None


def test_hiding_a_post_decides_its_reports_tells_the_owner_and_hides_it(
    client, shop, fan, operator
):
    post = make_post(shop)
    social.post_report(user=fan, post_id=post.pk, reason="scam")
    with pytest.raises(ValidationFailed):
        moderation.post_hide_by_operator(operator=operator, post_id=post.pk, reason=" ")
    assert Post.objects.get(pk=post.pk).hidden_at is None
    moderation.post_hide_by_operator(operator=operator, post_id=post.pk, reason="Scam")
    post.refresh_from_db()
    assert (post.hidden_reason, post.is_live) == ("Scam", False)
    assert PostReport.objects.get().state == ReportState.HIDDEN
    notice = InboxMessage.objects.get(recipient=shop.owner, kind="circle.post_hidden")
    assert "Scam" in notice.body and notice.link.endswith(f"/posts/{post.pk}/")
    assert client.get(notice.link).status_code == 404
    with pytest.raises(Conflict):
        moderation.post_hide_by_operator(operator=operator, post_id=post.pk, reason="again")
    moderation.post_unhide_by_operator(operator=operator, post_id=post.pk)
    assert Post.objects.get(pk=post.pk).is_live
    with pytest.raises(NotFound):
        moderation.post_hide_by_operator(
            operator=operator, post_id=make_post(shop, status="deleted").pk, reason="x"
        )


def test_posting_is_suspended_and_reinstated_and_the_owner_told(shop, operator):
    row = moderation.shop_posting_suspend(operator=operator, shop=shop, reason="Spam")
    assert row.suspended_at is not None and row.reason == "Spam"
    with pytest.raises(Conflict):
        moderation.shop_posting_suspend(operator=operator, shop=shop, reason="Spam")
    moderation.shop_posting_reinstate(operator=operator, shop=shop)
    assert ShopPosting.objects.get().suspended_at is None
    with pytest.raises(Conflict):
        moderation.shop_posting_reinstate(operator=operator, shop=shop)
    kinds = list(
        InboxMessage.objects.filter(recipient=shop.owner)
        .order_by("pk")
        .values_list("kind", flat=True)
    )
    assert kinds[-2:] == ["circle.posting_suspended", "circle.posting_reinstated"]


# --- the console -------------------------------------------------------------------------------


def test_console_queue_hides_the_post_with_a_reason(client, shop, fan, operator):
    post = make_post(shop)
    report = social.post_report(user=fan, post_id=post.pk, reason="fake")
    client.force_login(operator)
    listed = client.get(REPORTS, {"state__exact": "open"})
    assert list(listed.context["cl"].result_list) == [report]
    asked = act(client, REPORTS, "hide_post", report)
    assert 'name="reason"' in asked.content.decode()
    assert Post.objects.get().hidden_at is None
    done = act(client, REPORTS, "hide_post", report, apply="Hide", reason="Fake goods")
    assert done.status_code == 302
    post.refresh_from_db()
    assert post.hidden_reason == "Fake goods"
    assert PostReport.objects.get().state == ReportState.HIDDEN


def test_console_dismisses_and_posts_hide_and_show(client, shop, fan, operator):
    post = make_post(shop)
    report = social.post_report(user=fan, post_id=post.pk, reason="meh")
    client.force_login(operator)
    act(client, REPORTS, "dismiss", report)
    assert PostReport.objects.get().state == ReportState.DISMISSED
    act(client, POSTS, "hide", post, apply="Hide", reason="Off topic")
    assert Post.objects.get().hidden_at is not None
    act(client, POSTS, "unhide", post)
    assert Post.objects.get().hidden_at is None
    # posts are read only in the console
    assert client.get(reverse("admin:circle_post_change", args=[post.pk])).status_code == 200
    assert client.get(reverse("admin:circle_post_add")).status_code == 403


def test_console_suspends_posting_through_the_service(client, shop, operator):
    client.force_login(operator)
    response = client.post(
        reverse("admin:circle_shopposting_add"), {"shop": shop.pk, "reason": "Spam"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row = ShopPosting.objects.get()
    assert row.suspended_at is not None and row.reason == "Spam"
    assert InboxMessage.objects.filter(
        recipient=shop.owner, kind="circle.posting_suspended"
    ).exists()
    act(client, POSTINGS, "reinstate", row)
    assert ShopPosting.objects.get().suspended_at is None


def test_console_refuses_a_suspension_without_a_reason(client, shop, operator):
    client.force_login(operator)
    response = client.post(
        reverse("admin:circle_shopposting_add"), {"shop": shop.pk, "reason": " "}
    )
    assert response.status_code == 200
    assert not ShopPosting.objects.exists()


def test_circle_policy_is_one_row_never_deleted(client, operator):
    client.force_login(operator)
    add = reverse("admin:circle_circlepolicy_add")
    assert client.post(add, {"posts_per_day": 5, "fanout_threshold": 5000}).status_code == 302
    policy = CirclePolicy.objects.get()
    assert (policy.pk, policy.posts_per_day) == (1, 5)
    assert client.get(add).status_code == 403
    assert client.get(reverse("admin:circle_circlepolicy_delete", args=[1])).status_code == 403


def test_a_shop_owner_cannot_open_the_console(client, shop):
    client.force_login(shop.owner)
    assert client.get(REPORTS).status_code == 302  # to the console's login
