"""Fans and posts: likes, comments (the owner replies, hides, deletes), shares, hiding a post,
reporting it.

A fan acts on a *live* post (published, not deleted, not hidden by an operator); any other post
is ``NotFound`` to her, so hidden and deleted posts look like no post at all. The owner acts on
comments of her shop's posts only (the caller found the shop with ``shop_of_owner``); another
shop's comment is ``NotFound``. Counters on ``Post`` move with ``F()`` inside the transaction
that changes the rows they count, so they stay exact under concurrent requests.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import nh3
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from vshop.accounts.models import User
from vshop.catalog.models import ProductStatus
from vshop.circle.models import (
    COMMENT_MAX,
    REASON_MAX,
    Post,
    PostCard,
    PostComment,
    PostHide,
    PostLike,
    PostReport,
    PostShare,
    PostStatus,
)
from vshop.distribution import sharing
from vshop.distribution.models import ShareLink
from vshop.errors import Conflict, NotFound, ValidationFailed
from vshop.fans import activity
from vshop.fans.models import ActivityKind
from vshop.shops.models import Listing, ListingStatus, Shop

# --- reading ---------------------------------------------------------------------------------


def _live() -> QuerySet[Post]:
    return Post.objects.filter(status=PostStatus.PUBLISHED, hidden_at__isnull=True)


def post_live_get(*, post_id: int) -> Post:
    """A live post any logged-in user may see; anything else is ``NotFound``."""
    post = _live().select_related("shop").filter(pk=post_id).first()
    if post is None:
        raise NotFound(_("This post is not available."))
    return post


def post_for_viewer(*, post_id: int, viewer: User | None, slug: str | None = None) -> Post:
    """The post page's post: a live one for everybody; the owner also sees hers hidden by an
    operator (or still scheduled). A deleted post, or the wrong shop address, is ``NotFound``."""
    qs = Post.objects.select_related("shop").exclude(status=PostStatus.DELETED).filter(pk=post_id)
    if slug is not None:
        qs = qs.filter(shop__slug=slug)
    post = qs.first()
    if post is None or (not post.is_live and (viewer is None or post.shop.owner_id != viewer.pk)):
        raise NotFound(_("This post is not available."))
    return post


def liked_by(*, user: User | None, post_id: int) -> bool:
    return user is not None and PostLike.objects.filter(post_id=post_id, user=user).exists()


def hidden_by(*, user: User | None, post_id: int) -> bool:
    return user is not None and PostHide.objects.filter(post_id=post_id, user=user).exists()


def reported_by(*, user: User | None, post_id: int) -> bool:
    return user is not None and PostReport.objects.filter(post_id=post_id, reporter=user).exists()


def _visible_to(viewer: User | None, post: Post) -> Q:
    """The comments this viewer sees: the owner sees all (hidden ones marked); a fan sees the
    ones not hidden, whose thread is not hidden, and her own."""
    if viewer is not None and post.shop.owner_id == viewer.pk:
        return Q()
    shown = Q(hidden_at__isnull=True) & (
        Q(reply_to__isnull=True) | Q(reply_to__hidden_at__isnull=True)
    )
    return shown | Q(user_id=viewer.pk) if viewer is not None else shown


def comment_of_post(*, post: Post, comment_id: int) -> PostComment:
    """A comment of this post; one of another post is ``NotFound``."""
    comment = PostComment.objects.filter(pk=comment_id, post=post).first()
    if comment is None:
        raise NotFound(_("This comment is not available."))
    return comment


@dataclass
class Thread:
    comment: PostComment
    replies: list[PostComment]


def comments_of(*, post: Post, viewer: User | None) -> QuerySet[PostComment]:
    """Top-level comments the viewer sees, newest first (paginate, then ``threads_of``)."""
    return (
        PostComment.objects.filter(post=post, reply_to__isnull=True)
        .filter(_visible_to(viewer, post))
        .select_related("user")
        .order_by("-created_at", "-pk")
    )


def threads_of(*, post: Post, viewer: User | None, comments: list[PostComment]) -> list[Thread]:
    """Each comment with the replies the viewer sees, oldest reply first (one query)."""
    replies: dict[int, list[PostComment]] = {c.pk: [] for c in comments}
    for reply in (
        PostComment.objects.filter(reply_to_id__in=list(replies))
        .filter(_visible_to(viewer, post))
        .select_related("user")
        .order_by("created_at", "pk")
    ):
        replies[reply.reply_to_id].append(reply)  # type: ignore[index]
    return [Thread(comment=c, replies=replies[c.pk]) for c in comments]


# --- likes -----------------------------------------------------------------------------------


def post_like(*, user: User, post_id: int) -> Post:
    """She likes the post (again is harmless: the unique constraint keeps one like)."""
    post = post_live_get(post_id=post_id)
    with transaction.atomic():
        try:
            with transaction.atomic():
                PostLike.objects.create(post=post, user=user)
        except IntegrityError:
            pass  # she already liked it
        else:
            Post.objects.filter(pk=post.pk).update(like_count=F("like_count") + 1)
    post.refresh_from_db(fields=["like_count", "comment_count", "share_count"])
    return post


def post_unlike(*, user: User, post_id: int) -> Post:
    """She takes her like back (again is harmless)."""
    post = post_live_get(post_id=post_id)
    with transaction.atomic():
        deleted, _rows = PostLike.objects.filter(post=post, user=user).delete()
        if deleted:
            Post.objects.filter(pk=post.pk).update(like_count=F("like_count") - 1)
    post.refresh_from_db(fields=["like_count", "comment_count", "share_count"])
    return post


# --- comments --------------------------------------------------------------------------------


def clean_comment(value: object, *, field: str = "text") -> str:
    """Plain text, 1–``COMMENT_MAX`` characters once any markup is stripped."""
    text = html.unescape(nh3.clean(value if isinstance(value, str) else "", tags=set()))
    text = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")).strip()
    if not text:
        raise ValidationFailed(_("Write a comment first."), field=field)
    if len(text) > COMMENT_MAX:
        raise ValidationFailed(
            _("A comment has %(n)s characters at most (this one has %(has)s).")
            % {"n": COMMENT_MAX, "has": len(text)},
            field=field,
        )
    return text


def _counted(comment: PostComment, root_hidden: bool) -> bool:
    """Whether ``comment_count`` counts it: shown to fans (itself and its thread not hidden)."""
    return comment.hidden_at is None and not (comment.reply_to_id and root_hidden)


def _move_comment_count(post_id: int, delta: int) -> None:
    if delta:
        Post.objects.filter(pk=post_id).update(comment_count=F("comment_count") + delta)


def comment_add(*, user: User, post_id: int, text: str) -> PostComment:
    """Her comment on a live post she has not hidden."""
    post = post_live_get(post_id=post_id)
    clean = clean_comment(text)
    if hidden_by(user=user, post_id=post.pk):
        raise ValidationFailed(_("You hid this post: show it again to comment."), field="post")
    with transaction.atomic():
        comment = PostComment.objects.create(post=post, user=user, text=clean)
        _move_comment_count(post.pk, 1)
    return comment


def _owners_comment(shop: Shop, comment_id: int, *, lock: bool) -> tuple[PostComment, PostComment]:
    """(the comment, the root of its thread) on one of this shop's posts, both locked (root
    first, so two writes on one thread never deadlock); another shop's is ``NotFound``."""
    qs = PostComment.objects.select_related("post").filter(
        pk=comment_id, post__shop=shop, post__status=PostStatus.PUBLISHED
    )
    return _lock_thread(qs, lock=lock)


def _lock_thread(qs: QuerySet[PostComment], *, lock: bool) -> tuple[PostComment, PostComment]:
    found = qs.first()
    if found is None:
        raise NotFound(_("This comment is not available."))
    root_id = found.reply_to_id or found.pk
    if lock:
        # Lock the root, then re-read the comment: it may have changed while we waited.
        root = PostComment.objects.select_for_update().filter(pk=root_id).first()
        comment = PostComment.objects.select_related("post").filter(pk=found.pk).first()
        if root is None or comment is None:
            raise NotFound(_("This comment is not available."))
        return comment, root
    root = found if found.reply_to_id is None else PostComment.objects.get(pk=root_id)
    return found, root


@transaction.atomic
def comment_reply(*, owner: User, shop: Shop, comment_id: int, text: str) -> PostComment:
    """The owner answers a fan's comment on her live post (one level: not a reply to a reply)."""
    _check_owner(owner, shop)
    clean = clean_comment(text)
    comment, _root = _owners_comment(shop, comment_id, lock=True)
    if comment.reply_to_id is not None:
        raise ValidationFailed(_("Reply to the fan's comment, not to a reply."), field="comment")
    if not comment.post.is_live:
        raise ValidationFailed(
            _("This post is hidden by the platform: comments are closed."), field="post"
        )
    if comment.hidden_at is not None:
        raise ValidationFailed(
            _("This comment is hidden: show it again to reply."), field="comment"
        )
    reply = PostComment.objects.create(post=comment.post, user=owner, reply_to=comment, text=clean)
    _move_comment_count(comment.post_id, 1)
    return reply


def _set_hidden(owner: User, shop: Shop, comment_id: int, hidden: bool) -> PostComment:
    _check_owner(owner, shop)
    comment, root = _owners_comment(shop, comment_id, lock=True)
    if (comment.hidden_at is not None) == hidden:
        return comment  # already so
    root_hidden = root.hidden_at is not None
    if comment.reply_to_id is None:
        # The thread's visible replies appear or disappear with it.
        shown_replies = PostComment.objects.filter(reply_to=comment, hidden_at__isnull=True).count()
        delta = 1 + shown_replies
    else:
        delta = 0 if root_hidden else 1
    comment.hidden_at = timezone.now() if hidden else None
    PostComment.objects.filter(pk=comment.pk).update(hidden_at=comment.hidden_at)
    _move_comment_count(comment.post_id, -delta if hidden else delta)
    return comment


@transaction.atomic
def comment_hide(*, owner: User, shop: Shop, comment_id: int) -> PostComment:
    """The owner hides a comment on her post (fans no longer see it; its author still does)."""
    return _set_hidden(owner, shop, comment_id, True)


@transaction.atomic
def comment_unhide(*, owner: User, shop: Shop, comment_id: int) -> PostComment:
    return _set_hidden(owner, shop, comment_id, False)


def _delete(comment: PostComment, root: PostComment) -> None:
    root_hidden = root.hidden_at is not None
    counted = 1 if _counted(comment, root_hidden) else 0
    if comment.reply_to_id is None and comment.hidden_at is None:
        counted += PostComment.objects.filter(reply_to=comment, hidden_at__isnull=True).count()
    comment.delete()  # its replies go with it
    _move_comment_count(comment.post_id, -counted)


@transaction.atomic
def comment_delete(*, owner: User, shop: Shop, comment_id: int) -> None:
    """The owner deletes a comment (with its replies) on one of her posts."""
    _check_owner(owner, shop)
    comment, root = _owners_comment(shop, comment_id, lock=True)
    _delete(comment, root)


@transaction.atomic
def comment_delete_own(*, user: User, comment_id: int, post_id: int | None = None) -> None:
    """She deletes her own comment (with the owner's replies to it); another's is ``NotFound``."""
    qs = PostComment.objects.filter(pk=comment_id, user=user).exclude(
        post__status=PostStatus.DELETED
    )
    if post_id is not None:
        qs = qs.filter(post_id=post_id)
    comment, root = _lock_thread(qs, lock=True)
    _delete(comment, root)


def _check_owner(owner: User, shop: Shop) -> None:
    if shop.owner_id != owner.pk:
        raise NotFound()


# --- shares ----------------------------------------------------------------------------------


def _share_listing(post: Post) -> Listing | None:
    """The first card's listing while it is on sale (a link to it then), else None (the shop)."""
    card = (
        PostCard.objects.filter(
            post=post,
            listing__shop_id=post.shop_id,
            listing__status=ListingStatus.ACTIVE,
            listing__product__status=ProductStatus.PUBLISHED,
        )
        .select_related("listing__product")
        .order_by("position", "pk")
        .first()
    )
    return card.listing if card is not None else None


def post_share(*, user: User, post_id: int, channel: str) -> ShareLink:
    """Her share link for the post on one channel: a ``distribution`` share link to the post's
    first listing on sale (or the shop), so that when she is the shop's promoter the visits and
    orders it brings are attributed to her. The first share per link counts once."""
    post = post_live_get(post_id=post_id)
    link = sharing.share_link_for(
        sharer=user, shop=post.shop, listing=_share_listing(post), channel=channel
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                PostShare.objects.create(post=post, user=user, share_link=link)
        except IntegrityError:
            pass  # the same link again: one share
        else:
            Post.objects.filter(pk=post.pk).update(share_count=F("share_count") + 1)
    activity.record_by(user=user, shop_id=post.shop_id, kind=ActivityKind.SHARE, ref=None)
    return link


# --- hiding and reporting ------------------------------------------------------------------------


def post_hide(*, user: User, post_id: int) -> None:
    """She does not want to see this post again (again is harmless)."""
    post = post_live_get(post_id=post_id)
    PostHide.objects.get_or_create(post=post, user=user)


def post_unhide(*, user: User, post_id: int) -> None:
    PostHide.objects.filter(post_id=post_id, user=user).delete()


def clean_reason(value: object) -> str:
    reason = " ".join((value if isinstance(value, str) else "").split())
    if not reason:
        raise ValidationFailed(_("Say what is wrong with this post."), field="reason")
    if len(reason) > REASON_MAX:
        raise ValidationFailed(
            _("A reason has %(n)s characters at most.") % {"n": REASON_MAX}, field="reason"
        )
    return reason


def post_report(*, user: User, post_id: int, reason: str) -> PostReport:
    """She reports a live post to the operators: once per post (again is ``Conflict``, 409)."""
    post = post_live_get(post_id=post_id)
    clean = clean_reason(reason)
    if post.shop.owner_id == user.pk:
        raise ValidationFailed(_("You cannot report your own post."), field="post")
    try:
        with transaction.atomic():
            return PostReport.objects.create(post=post, reporter=user, reason=clean)
    except IntegrityError:
        raise Conflict(_("You already reported this post.")) from None
