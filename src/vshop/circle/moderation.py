"""The operator: the queue of reported posts, hiding a post, suspending a shop's posting.

Operators only (``accounts.permissions.require_operator``; anybody else is ``PermissionDenied``).
The owner is told in her inbox whenever her post is hidden or shown again, or her posting is
suspended or reinstated, with the operator's reason.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Min, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from vshop.accounts.models import User
from vshop.accounts.permissions import require_operator
from vshop.circle.models import (
    REASON_MAX,
    Post,
    PostReport,
    PostStatus,
    ReportState,
    ShopPosting,
)
from vshop.errors import Conflict, NotFound, ValidationFailed
from vshop.messaging.services import notify
from vshop.shops.models import Shop
from vshop.shops.services import shop_pages_changed

DECISIONS = ("hide", "dismiss")


def _reason(value: object, *, required: bool = True) -> str:
    reason = " ".join((value if isinstance(value, str) else "").split())
    if required and not reason:
        raise ValidationFailed(_("Give a reason: the owner sees it."), field="reason")
    if len(reason) > REASON_MAX:
        raise ValidationFailed(
            _("A reason has %(n)s characters at most.") % {"n": REASON_MAX}, field="reason"
        )
    return reason


def post_page_link(post: Post) -> str:
    return reverse("circle_social:post", kwargs={"slug": post.shop.slug, "post_id": post.pk})


# --- the queue -------------------------------------------------------------------------------


def reports_open(*, operator: User) -> QuerySet[Post]:
    """Posts with open reports, most reported first (then the longest waiting), each with
    ``open_reports`` and ``first_reported_at``."""
    require_operator(operator)
    open_ = Q(reports__state=ReportState.OPEN)
    return (
        Post.objects.filter(reports__state=ReportState.OPEN)
        .exclude(status=PostStatus.DELETED)
        .annotate(
            open_reports=Count("reports", filter=open_, distinct=True),
            first_reported_at=Min("reports__created_at", filter=open_),
        )
        .select_related("shop")
        .order_by("-open_reports", "first_reported_at", "pk")
    )


def open_reports_of(*, operator: User, post_ids: list[int]) -> dict[int, list[PostReport]]:
    """The open reports of these posts, oldest first (one query for a page of the queue)."""
    require_operator(operator)
    found: dict[int, list[PostReport]] = {pk: [] for pk in post_ids}
    for report in PostReport.objects.filter(post_id__in=post_ids, state=ReportState.OPEN).order_by(
        "created_at", "pk"
    ):
        found[report.post_id].append(report)
    return found


@transaction.atomic
def report_decide(*, operator: User, report_id: int, action: str, reason: str = "") -> Post:
    """Decide an open report, and with it every open report of the same post: "hide" hides the
    post (the reason is required and the owner sees it); "dismiss" closes them, the post stays."""
    require_operator(operator)
    if action not in DECISIONS:
        raise ValidationFailed(_("Choose hide or dismiss."), field="action")
    report = PostReport.objects.select_related("post__shop").filter(pk=report_id).first()
    if report is None:
        raise NotFound(_("This report does not exist."))
    if report.state != ReportState.OPEN:
        raise Conflict(_("This report was already decided."))
    if action == "hide":
        return post_hide_by_operator(operator=operator, post_id=report.post_id, reason=reason)
    _reason(reason, required=False)
    PostReport.objects.filter(post_id=report.post_id, state=ReportState.OPEN).update(
        state=ReportState.DISMISSED, decided_at=timezone.now(), decided_by=operator
    )
    return report.post


# --- hiding a post -----------------------------------------------------------------------------


def _post_locked(post_id: int) -> Post:
    post = (
        Post.objects.select_for_update(of=("self",))
        .select_related("shop")
        .exclude(status=PostStatus.DELETED)
        .filter(pk=post_id)
        .first()
    )
    if post is None:
        raise NotFound(_("This post does not exist."))
    return post


@transaction.atomic
def post_hide_by_operator(*, operator: User, post_id: int, reason: str) -> Post:
    """Hide a post everywhere but from its owner; its open reports are decided "hidden"."""
    require_operator(operator)
    clean = _reason(reason)
    post = _post_locked(post_id)
    if post.hidden_at is not None:
        raise Conflict(_("This post is already hidden."))
    now = timezone.now()
    post.hidden_at, post.hidden_reason = now, clean
    post.save(update_fields=["hidden_at", "hidden_reason"])
    PostReport.objects.filter(post=post, state=ReportState.OPEN).update(
        state=ReportState.HIDDEN, decided_at=now, decided_by=operator
    )
    shop_pages_changed(shop_ids=[post.shop_id])  # a pinned post leaves the shop page
    notify(
        recipients=[post.shop.owner],
        kind="circle.post_hidden",
        title=_("Your post was hidden by the platform"),
        body=_("Reason: %(reason)s") % {"reason": clean},
        link=post_page_link(post),
    )
    return post


@transaction.atomic
def post_unhide_by_operator(*, operator: User, post_id: int) -> Post:
    require_operator(operator)
    post = _post_locked(post_id)
    if post.hidden_at is None:
        raise Conflict(_("This post is not hidden."))
    post.hidden_at, post.hidden_reason = None, ""
    post.save(update_fields=["hidden_at", "hidden_reason"])
    shop_pages_changed(shop_ids=[post.shop_id])
    notify(
        recipients=[post.shop.owner],
        kind="circle.post_shown",
        title=_("Your post is shown again"),
        body=_("The platform reviewed your post and shows it again."),
        link=post_page_link(post),
    )
    return post


# --- a shop's posting ----------------------------------------------------------------------------


def shop_for_posting(*, operator: User, slug: str) -> Shop:
    require_operator(operator)
    shop = Shop.objects.select_related("owner").filter(slug=slug).first()
    if shop is None:
        raise NotFound(_("There is no such shop."))
    return shop


def posting_of(*, shop: Shop) -> ShopPosting | None:
    return ShopPosting.objects.filter(shop=shop).first()


@transaction.atomic
def shop_posting_suspend(*, operator: User, shop: Shop, reason: str) -> ShopPosting:
    """The shop cannot post until reinstated (its posts stay)."""
    require_operator(operator)
    clean = _reason(reason)
    row, _created = ShopPosting.objects.select_for_update().get_or_create(shop=shop)
    if row.suspended_at is not None:
        raise Conflict(_("This shop's posting is already suspended."))
    row.suspended_at, row.reason = timezone.now(), clean
    row.save(update_fields=["suspended_at", "reason", "updated_at"])
    notify(
        recipients=[shop.owner],
        kind="circle.posting_suspended",
        title=_("Your shop cannot post in the circle for now"),
        body=_("Reason: %(reason)s") % {"reason": clean},
    )
    return row


@transaction.atomic
def shop_posting_reinstate(*, operator: User, shop: Shop) -> ShopPosting:
    require_operator(operator)
    row = ShopPosting.objects.select_for_update().filter(shop=shop).first()
    if row is None or row.suspended_at is None:
        raise Conflict(_("This shop's posting is not suspended."))
    row.suspended_at, row.reason = None, ""
    row.save(update_fields=["suspended_at", "reason", "updated_at"])
    notify(
        recipients=[shop.owner],
        kind="circle.posting_reinstated",
        title=_("Your shop can post in the circle again"),
        body=_("The platform lifted the suspension of your shop's posting."),
    )
    return row
