"""Circle API: a live post, likes, comments, shares, hiding and reporting a post (any logged-in
user); the owner's replies, hiding and deleting comments on her posts; the operators' queue of
reported posts, hiding posts and suspending a shop's posting. Thin over ``circle.social`` and
``circle.moderation``: a post that is not live is 404, another owner's comment is 404."""

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from vshop.accounts.models import User
from vshop.api import ErrorOut, Id, InputSchema, Page, acting_user, require_operator
from vshop.circle import moderation, social
from vshop.circle.models import COMMENT_MAX, REASON_MAX, Post, PostComment, ShopPosting
from vshop.distribution import sharing
from vshop.distribution.models import Channel
from vshop.shops import selectors as shop_selectors
from vshop.shops.models import Shop

posts_router = Router(tags=["circle"])
owner_router = Router(tags=["circle"])
operator_router = Router(tags=["circle moderation"])

ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}


# --- schemas ---------------------------------------------------------------------------------


class CommentIn(InputSchema):
    text: str = Field(..., max_length=COMMENT_MAX * 4, description="plain text, 1–500 characters")


class ShareIn(InputSchema):
    channel: str = Field(..., max_length=10, description=f"one of {', '.join(Channel.values)}")


class ReportIn(InputSchema):
    reason: str = Field(..., max_length=REASON_MAX * 4, description="1–200 characters")


class ReasonIn(InputSchema):
    reason: str = Field(..., max_length=REASON_MAX * 4, description="the owner sees it")


class DecideIn(InputSchema):
    action: str = Field(..., description="hide (the post) or dismiss (the reports)")
    reason: str = Field("", max_length=REASON_MAX * 4, description="required to hide")


class ImageOut(Schema):
    url: str
    thumbnail_url: str


class CardOut(Schema):
    listing_id: int
    title: str


class PostOut(Schema):
    id: int
    shop: str = Field(..., description="the shop's short address")
    shop_name: str
    text: str = Field(..., description="sanitised HTML")
    images: list[ImageOut]
    cards: list[CardOut]
    published_at: datetime | None
    pinned: bool
    like_count: int
    comment_count: int
    share_count: int
    liked: bool = Field(..., description="I like it")
    hidden_by_me: bool
    hidden: bool = Field(..., description="hidden by an operator (only its owner sees it)")
    hidden_reason: str


class LikeOut(Schema):
    liked: bool
    like_count: int


class CommentOut(Schema):
    id: int
    post_id: int
    user_id: int
    author: str
    text: str
    reply_to: int | None
    hidden: bool
    created_at: datetime


class ThreadOut(CommentOut):
    replies: list[CommentOut]


class ShareOut(Schema):
    url: str = Field(..., description="the link to post")
    code: str = Field(..., description="the share link's code (it names a promoter's sales)")
    channel: str
    listing_id: int | None
    share_count: int


class HiddenOut(Schema):
    hidden: bool


class ReportOut(Schema):
    id: int
    post_id: int
    state: str
    created_at: datetime


class QueueReportOut(Schema):
    id: int
    reporter_id: int
    reason: str
    created_at: datetime


class QueueItemOut(Schema):
    post_id: int
    shop: str
    text: str
    open_reports: int
    first_reported_at: datetime
    hidden: bool
    reports: list[QueueReportOut]


class ModeratedPostOut(Schema):
    id: int
    shop: str
    hidden: bool
    hidden_reason: str


class PostingOut(Schema):
    shop: str
    suspended: bool
    suspended_at: datetime | None
    reason: str


# --- output helpers ----------------------------------------------------------------------------


def _post_out(post: Post, user: User) -> dict[str, Any]:
    return {
        "id": post.pk,
        "shop": post.shop.slug,
        "shop_name": post.shop.name,
        "text": post.text,
        "images": [
            {"url": i.image.url, "thumbnail_url": i.thumbnail.url} for i in post.images.all()
        ],
        "cards": [
            {"listing_id": c.listing_id, "title": c.listing.product.title}
            for c in post.cards.select_related("listing__product")
        ],
        "published_at": post.published_at,
        "pinned": post.pinned_at is not None,
        "like_count": post.like_count,
        "comment_count": post.comment_count,
        "share_count": post.share_count,
        "liked": social.liked_by(user=user, post_id=post.pk),
        "hidden_by_me": social.hidden_by(user=user, post_id=post.pk),
        "hidden": post.hidden_at is not None,
        "hidden_reason": post.hidden_reason if post.shop.owner_id == user.pk else "",
    }


def _comment_out(c: PostComment) -> dict[str, Any]:
    return {
        "id": c.pk,
        "post_id": c.post_id,
        "user_id": c.user_id,
        "author": c.user.display_name or _("a fan"),
        "text": c.text,
        "reply_to": c.reply_to_id,
        "hidden": c.hidden_at is not None,
        "created_at": c.created_at,
    }


def _shop(request: HttpRequest, slug: str) -> Shop:
    return shop_selectors.shop_of_owner(owner=acting_user(request), slug=slug)


def _posting_out(shop: Shop, row: ShopPosting | None) -> dict[str, Any]:
    return {
        "shop": shop.slug,
        "suspended": row is not None and row.suspended_at is not None,
        "suspended_at": row.suspended_at if row else None,
        "reason": row.reason if row else "",
    }


def _moderated(post: Post) -> dict[str, Any]:
    return {
        "id": post.pk,
        "shop": post.shop.slug,
        "hidden": post.hidden_at is not None,
        "hidden_reason": post.hidden_reason,
    }


# --- fans --------------------------------------------------------------------------------------


@posts_router.get(
    "/{post_id}", response={200: PostOut, **ERRORS}, summary="A live post (its owner: also hidden)"
)
def post_get(request: HttpRequest, post_id: Id) -> dict[str, Any]:
    user = acting_user(request)
    return _post_out(social.post_for_viewer(post_id=post_id, viewer=user), user)


@posts_router.post("/{post_id}/like", response={200: LikeOut, **ERRORS}, summary="Like a post")
def like(request: HttpRequest, post_id: Id) -> dict[str, Any]:
    post = social.post_like(user=acting_user(request), post_id=post_id)
    return {"liked": True, "like_count": post.like_count}


@posts_router.delete(
    "/{post_id}/like", response={200: LikeOut, **ERRORS}, summary="Take my like back"
)
def unlike(request: HttpRequest, post_id: Id) -> dict[str, Any]:
    post = social.post_unlike(user=acting_user(request), post_id=post_id)
    return {"liked": False, "like_count": post.like_count}


@posts_router.get(
    "/{post_id}/comments",
    response={200: list[ThreadOut], **ERRORS},
    summary="Comments, newest first, each with the owner's replies",
)
@paginate(Page)
def comments(request: HttpRequest, post_id: Id) -> "_Threads":
    user = acting_user(request)
    post = social.post_live_get(post_id=post_id)
    return _Threads(post, user, social.comments_of(post=post, viewer=user))


class _Threads:
    """What the paginator reads: one COUNT, then the page's comments and their replies."""

    def __init__(self, post: Post, user: User, qs: QuerySet[PostComment]) -> None:
        self.post, self.user, self.qs = post, user, qs

    def __len__(self) -> int:
        return self.qs.count()

    def __getitem__(self, page: slice) -> list[dict[str, Any]]:
        threads = social.threads_of(post=self.post, viewer=self.user, comments=list(self.qs[page]))
        return [
            {**_comment_out(t.comment), "replies": [_comment_out(r) for r in t.replies]}
            for t in threads
        ]


@posts_router.post(
    "/{post_id}/comments", response={201: CommentOut, **ERRORS}, summary="Comment on a post"
)
def comment_add(request: HttpRequest, post_id: Id, payload: CommentIn) -> Status:
    comment = social.comment_add(user=acting_user(request), post_id=post_id, text=payload.text)
    return Status(201, _comment_out(comment))


@posts_router.delete(
    "/{post_id}/comments/{comment_id}",
    response={204: None, **ERRORS},
    summary="Delete my own comment",
)
def comment_delete_own(request: HttpRequest, post_id: Id, comment_id: Id) -> Status:
    social.comment_delete_own(user=acting_user(request), comment_id=comment_id, post_id=post_id)
    return Status(204, None)


@posts_router.post(
    "/{post_id}/share",
    response={200: ShareOut, **ERRORS},
    summary="My share link for a post on one channel (a promoter's link names her sales)",
)
def share(request: HttpRequest, post_id: Id, payload: ShareIn) -> dict[str, Any]:
    link = social.post_share(user=acting_user(request), post_id=post_id, channel=payload.channel)
    post = social.post_live_get(post_id=post_id)
    return {
        "url": sharing.share_link_url(link),
        "code": link.code,
        "channel": link.channel,
        "listing_id": link.listing_id,
        "share_count": post.share_count,
    }


@posts_router.post(
    "/{post_id}/hide", response={200: HiddenOut, **ERRORS}, summary="Hide a post from my circle"
)
def hide(request: HttpRequest, post_id: Id) -> dict[str, Any]:
    social.post_hide(user=acting_user(request), post_id=post_id)
    return {"hidden": True}


@posts_router.delete(
    "/{post_id}/hide", response={200: HiddenOut, **ERRORS}, summary="Show a post I hid again"
)
def unhide(request: HttpRequest, post_id: Id) -> dict[str, Any]:
    social.post_unhide(user=acting_user(request), post_id=post_id)
    return {"hidden": False}


@posts_router.post(
    "/{post_id}/report",
    response={201: ReportOut, **ERRORS},
    summary="Report a post to the operators (once per post: again is 409)",
)
def report(request: HttpRequest, post_id: Id, payload: ReportIn) -> Status:
    row = social.post_report(user=acting_user(request), post_id=post_id, reason=payload.reason)
    return Status(
        201,
        {"id": row.pk, "post_id": row.post_id, "state": row.state, "created_at": row.created_at},
    )


# --- the owner ---------------------------------------------------------------------------------


@owner_router.post(
    "/{slug}/comments/{comment_id}/reply",
    response={201: CommentOut, **ERRORS},
    summary="Reply to a fan's comment on my post",
)
def comment_reply(request: HttpRequest, slug: str, comment_id: Id, payload: CommentIn) -> Status:
    shop = _shop(request, slug)
    reply = social.comment_reply(
        owner=acting_user(request), shop=shop, comment_id=comment_id, text=payload.text
    )
    return Status(201, _comment_out(reply))


@owner_router.post(
    "/{slug}/comments/{comment_id}/hide",
    response={200: CommentOut, **ERRORS},
    summary="Hide a comment on my post",
)
def comment_hide(request: HttpRequest, slug: str, comment_id: Id) -> dict[str, Any]:
    shop = _shop(request, slug)
    c = social.comment_hide(owner=acting_user(request), shop=shop, comment_id=comment_id)
    return _comment_out(c)


@owner_router.delete(
    "/{slug}/comments/{comment_id}/hide",
    response={200: CommentOut, **ERRORS},
    summary="Show a comment I hid again",
)
def comment_unhide(request: HttpRequest, slug: str, comment_id: Id) -> dict[str, Any]:
    shop = _shop(request, slug)
    c = social.comment_unhide(owner=acting_user(request), shop=shop, comment_id=comment_id)
    return _comment_out(c)


@owner_router.delete(
    "/{slug}/comments/{comment_id}",
    response={204: None, **ERRORS},
    summary="Delete a comment (and its replies) on my post",
)
def comment_delete(request: HttpRequest, slug: str, comment_id: Id) -> Status:
    shop = _shop(request, slug)
    social.comment_delete(owner=acting_user(request), shop=shop, comment_id=comment_id)
    return Status(204, None)


# --- operators ---------------------------------------------------------------------------------


@operator_router.get(
    "/reports",
    response={200: list[QueueItemOut], **ERRORS},
    summary="Posts with open reports, most reported first",
)
@paginate(Page)
def reports_queue(request: HttpRequest) -> "_Queue":
    operator = require_operator(request)
    return _Queue(operator, moderation.reports_open(operator=operator))


class _Queue:
    def __init__(self, operator: User, qs: QuerySet[Post]) -> None:
        self.operator, self.qs = operator, qs

    def __len__(self) -> int:
        return self.qs.count()

    def __getitem__(self, page: slice) -> list[dict[str, Any]]:
        posts = list(self.qs[page])
        reports = moderation.open_reports_of(operator=self.operator, post_ids=[p.pk for p in posts])
        return [
            {
                "post_id": p.pk,
                "shop": p.shop.slug,
                "text": p.text,
                "open_reports": p.open_reports,  # type: ignore[attr-defined]
                "first_reported_at": p.first_reported_at,  # type: ignore[attr-defined]
                "hidden": p.hidden_at is not None,
                "reports": [
                    {
                        "id": r.pk,
                        "reporter_id": r.reporter_id,
                        "reason": r.reason,
                        "created_at": r.created_at,
                    }
                    for r in reports[p.pk]
                ],
            }
            for p in posts
        ]


@operator_router.post(
    "/reports/{report_id}/decide",
    response={200: ModeratedPostOut, **ERRORS},
    summary="Decide a report (and the post's other open reports): hide the post, or dismiss",
)
def report_decide(request: HttpRequest, report_id: Id, payload: DecideIn) -> dict[str, Any]:
    post = moderation.report_decide(
        operator=require_operator(request),
        report_id=report_id,
        action=payload.action,
        reason=payload.reason,
    )
    return _moderated(post)


@operator_router.post(
    "/posts/{post_id}/hide",
    response={200: ModeratedPostOut, **ERRORS},
    summary="Hide a post (its owner is told why)",
)
def operator_hide(request: HttpRequest, post_id: Id, payload: ReasonIn) -> dict[str, Any]:
    post = moderation.post_hide_by_operator(
        operator=require_operator(request), post_id=post_id, reason=payload.reason
    )
    return _moderated(post)


@operator_router.delete(
    "/posts/{post_id}/hide",
    response={200: ModeratedPostOut, **ERRORS},
    summary="Show a hidden post again",
)
def operator_unhide(request: HttpRequest, post_id: Id) -> dict[str, Any]:
    post = moderation.post_unhide_by_operator(operator=require_operator(request), post_id=post_id)
    return _moderated(post)


@operator_router.post(
    "/shops/{slug}/posting-suspension",
    response={200: PostingOut, **ERRORS},
    summary="Suspend a shop's posting (its owner is told why)",
)
def posting_suspend(request: HttpRequest, slug: str, payload: ReasonIn) -> dict[str, Any]:
    operator = require_operator(request)
    shop = moderation.shop_for_posting(operator=operator, slug=slug)
    row = moderation.shop_posting_suspend(operator=operator, shop=shop, reason=payload.reason)
    return _posting_out(shop, row)


@operator_router.delete(
    "/shops/{slug}/posting-suspension",
    response={200: PostingOut, **ERRORS},
    summary="Let a shop post again",
)
def posting_reinstate(request: HttpRequest, slug: str) -> dict[str, Any]:
    operator = require_operator(request)
    shop = moderation.shop_for_posting(operator=operator, slug=slug)
    row = moderation.shop_posting_reinstate(operator=operator, shop=shop)
    return _posting_out(shop, row)


def mount(api: NinjaAPI) -> None:
    api.add_router("/posts", posts_router)
    api.add_router("/shops", owner_router)
    api.add_router("/operator/circle", operator_router)
