"""The owner's posts: create (text, images, listing cards, scheduled), edit for a short time,
delete, pin; the daily cap; publishing scheduled posts.

Every function takes the shop the caller found with ``shop_of_owner`` and the acting owner; a
shop or post that is not hers is ``NotFound``. Bad input is refused before anything is written,
and images reach the storage only once every check passed.

Locks: the shop row first (it serialises one shop's posts, so two quick posts cannot both slip
under the daily cap, and only one post is ever pinned), then the post row.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import nh3
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vshop.accounts.models import User
from vshop.circle import fanout, selectors
from vshop.circle.models import (
    MAX_CARDS,
    MAX_IMAGES,
    TEXT_MAX,
    Post,
    PostCard,
    PostImage,
    PostStatus,
)
from vshop.errors import Conflict, NotFound, PermissionDenied, TooManyRequests, ValidationFailed
from vshop.images import ProcessedImage, process_image
from vshop.shops.models import Listing, ListingStatus, Shop, ShopStatus
from vshop.shops.services import shop_pages_changed

# What a client may send at all before cleaning; the real limit is TEXT_MAX after cleaning.
RAW_TEXT_MAX = 20_000
SCHEDULE_MAX_AHEAD = timedelta(days=30)
# "Publish at" a minute ago is "now": the form was filled in a moment ago.
PAST_SLACK = timedelta(minutes=1)
PUBLISH_BATCH = 500

ALLOWED_TAGS = {"b", "i", "em", "strong", "br", "p", "a"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_SCHEMES = {"http", "https"}
LINK_REL = "nofollow noopener"


class DailyCapReached(TooManyRequests):
    """The shop already posted (or scheduled) its posts for that day."""

    code = "post_cap"


# --- checks ------------------------------------------------------------------------------------


def _owned(shop: Shop, actor: User) -> None:
    if shop.owner_id != actor.pk:
        raise NotFound()


def zone_of(user: User) -> tzinfo:
    """Her time zone (the cap's day and the compose form's times are hers)."""
    try:
        return ZoneInfo(user.time_zone or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def clean_post_text(value: object) -> str:
    """Sanitised HTML: b, i, em, strong, br, p and http(s) links (rel="nofollow noopener") are
    kept; scripts, styles, event handlers and every other tag are removed. Text with nothing
    visible left is "". At most ``TEXT_MAX`` characters of cleaned HTML."""
    raw = value if isinstance(value, str) else ""
    if len(raw) > RAW_TEXT_MAX:
        raise ValidationFailed(
            _("A post has %(n)s characters at most.") % {"n": TEXT_MAX}, field="text"
        )
    cleaned = nh3.clean(
        raw.replace("\r\n", "\n"),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel=LINK_REL,
    ).strip()
    if not html.unescape(nh3.clean(cleaned, tags=set())).strip():
        return ""
    if len(cleaned) > TEXT_MAX:
        raise ValidationFailed(
            _("A post has %(n)s characters at most (this one has %(has)s).")
            % {"n": TEXT_MAX, "has": len(cleaned)},
            field="text",
        )
    return cleaned


def _own_listings(shop: Shop, listing_ids: Sequence[int]) -> list[Listing]:
    """Her active listings, in the order asked for (a repeated id counts once). Any other id —
    another shop's, hidden, or none at all — is the same 400, so nothing is revealed."""
    wanted = list(dict.fromkeys(listing_ids))
    if len(wanted) > MAX_CARDS:
        raise ValidationFailed(
            _("A post shows %(n)s products at most.") % {"n": MAX_CARDS}, field="listing_ids"
        )
    if not wanted:
        return []
    if not all(isinstance(i, int) and 0 < i < 2**63 for i in wanted):
        raise ValidationFailed(_("Choose products on sale in your shop."), field="listing_ids")
    found = {
        listing.pk: listing
        for listing in Listing.objects.filter(
            shop=shop, status=ListingStatus.ACTIVE, pk__in=wanted
        ).select_related("product")
    }
    if len(found) != len(wanted):
        raise ValidationFailed(_("Choose products on sale in your shop."), field="listing_ids")
    return [found[i] for i in wanted]


def _publish_time(publish_at: datetime | None, now: datetime) -> datetime:
    """When the post goes out: now, or a time in the next 30 days."""
    if publish_at is None:
        return now
    if timezone.is_naive(publish_at):
        raise ValidationFailed(_("Give the time with its time zone."), field="publish_at")
    if publish_at < now - PAST_SLACK:
        raise ValidationFailed(_("The publish time is in the past."), field="publish_at")
    if publish_at > now + SCHEDULE_MAX_AHEAD:
        raise ValidationFailed(
            _("A post can be scheduled %(n)s days ahead at most.") % {"n": SCHEDULE_MAX_AHEAD.days},
            field="publish_at",
        )
    return max(publish_at, now)


def _check_may_post(shop: Shop) -> None:
    if not shop.is_open:
        raise PermissionDenied(_("Your shop is suspended: it cannot post."))
    suspension = selectors.posting_suspension(shop=shop)
    if suspension is not None:
        message = _("Posting is suspended for your shop.")
        if suspension.reason:
            message = _("Posting is suspended for your shop: %(reason)s") % {
                "reason": suspension.reason
            }
        raise PermissionDenied(message)


def _day_of(at: datetime, zone: tzinfo) -> tuple[datetime, datetime]:
    day = at.astimezone(zone).date()
    return (
        datetime.combine(day, time.min, tzinfo=zone),
        datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone),
    )


def _check_daily_cap(
    shop: Shop, *, at: datetime, zone: tzinfo, now: datetime, exclude_id: int | None = None
) -> None:
    """At most ``posts_per_day`` posts published or scheduled on the day of ``at`` (her day). A
    post deleted after it went out still counts (deleting it does not give the post back); one
    deleted while only scheduled does not."""
    cap = selectors.posts_per_day()
    start, end = _day_of(at, zone)
    posts = Post.objects.filter(shop=shop, publish_at__gte=start, publish_at__lt=end).exclude(
        status=PostStatus.DELETED, published_at__isnull=True
    )
    if exclude_id is not None:
        posts = posts.exclude(pk=exclude_id)
    count = posts.count()
    if count < cap:
        return
    when = end.strftime("%Y-%m-%d %H:%M")
    if start <= now < end:
        message = _(
            "Your shop has posted %(count)s times today, the most a shop may post in a day. "
            "You can post again from %(when)s (%(zone)s), or schedule this post for then."
        )
    else:
        message = _(
            "Your shop already has %(count)s posts on %(day)s, the most a shop may post in a "
            "day. Choose another day: from %(when)s (%(zone)s) you can post again."
        )
    raise DailyCapReached(
        message
        % {"count": count, "day": start.strftime("%Y-%m-%d"), "when": when, "zone": str(zone)},
        field="publish_at",
        cap=cap,
        next_at=end.isoformat(),
    )


def _lock_shop(shop: Shop) -> None:
    Shop.objects.select_for_update().filter(pk=shop.pk).values_list("pk", flat=True).first()


def _locked_post(shop: Shop, post_id: int) -> Post:
    post = (
        Post.objects.select_for_update()
        .filter(shop=shop, pk=post_id)
        .exclude(status=PostStatus.DELETED)
        .first()
    )
    if post is None:
        raise NotFound()
    return post


def _announce(post_id: int) -> None:
    """After commit: the post is live, so the fan-out may push it into timelines."""
    transaction.on_commit(lambda: fanout.post_published(post_id=post_id), robust=True)


# --- create ------------------------------------------------------------------------------------


def _save_images(post: Post, processed: list[ProcessedImage], saved: list[str]) -> None:
    rows = []
    for position, image in enumerate(processed):
        row = PostImage(post=post, position=position)
        row.image.save(image.full.name, image.full, save=False)
        saved.append(row.image.name)
        row.thumbnail.save(image.thumbnail.name, image.thumbnail, save=False)
        saved.append(row.thumbnail.name)
        rows.append(row)
    PostImage.objects.bulk_create(rows)


def post_create(
    *,
    shop: Shop,
    actor: User,
    text: str,
    images: Sequence[UploadedFile],
    listing_ids: Sequence[int],
    publish_at: datetime | None = None,
    now: datetime | None = None,
) -> Post:
    """A new post: published now (then fanned out after commit) or scheduled.

    Refused (nothing written, no file stored): not her shop (404), her shop or its posting
    suspended (403), empty, text too long, a 10th image or a file that is not an image,
    a card that is not one of her listings on sale, a time in the past or over 30 days ahead
    (400), the day's cap reached (429, saying when she can post again).
    """
    _owned(shop, actor)
    now = now or timezone.now()
    _check_may_post(shop)
    clean = clean_post_text(text)
    if len(images) > MAX_IMAGES:
        raise ValidationFailed(
            _("A post has %(n)s images at most.") % {"n": MAX_IMAGES}, field="images"
        )
    listings = _own_listings(shop, listing_ids)
    when = _publish_time(publish_at, now)
    if not clean and not images and not listings:
        raise ValidationFailed(_("Write something, add a picture or show a product."), field="text")
    zone = zone_of(actor)
    # A quick answer before the slow part; checked again under the lock below.
    _check_daily_cap(shop, at=when, zone=zone, now=now)
    processed = [process_image(upload, field="images") for upload in images]
    saved: list[str] = []
    try:
        with transaction.atomic():
            _lock_shop(shop)
            _check_may_post(shop)
            _check_daily_cap(shop, at=when, zone=zone, now=now)
            publish_now = when <= now
            post = Post.objects.create(
                shop=shop,
                author=actor,
                text=clean,
                status=PostStatus.PUBLISHED if publish_now else PostStatus.SCHEDULED,
                publish_at=when,
                published_at=now if publish_now else None,
                created_at=now,
            )
            PostCard.objects.bulk_create(
                PostCard(post=post, listing=listing, position=i)
                for i, listing in enumerate(listings)
            )
            _save_images(post, processed, saved)
            if publish_now:
                _announce(post.pk)
    except BaseException:
        for name in saved:  # the rows are gone: leave no file behind either
            default_storage.delete(name)
        raise
    return post


# --- the publishing job ------------------------------------------------------------------------


def posts_publish_due(now: datetime | None = None) -> int:
    """Publish the scheduled posts whose time has come (the minute job); returns how many.

    Each is one conditional UPDATE (scheduled → published), so two workers publish a post once
    and only the one that did announces it. Posts of a shop whose posting (or the shop itself)
    is suspended wait.
    """
    now = now or timezone.now()
    published = 0
    while True:
        due = list(
            Post.objects.filter(
                status=PostStatus.SCHEDULED, publish_at__lte=now, shop__status=ShopStatus.ACTIVE
            )
            .exclude(shop__posting__suspended_at__isnull=False)
            .order_by("publish_at", "id")
            .values_list("pk", flat=True)[:PUBLISH_BATCH]
        )
        for post_id in due:
            with transaction.atomic():
                done = Post.objects.filter(pk=post_id, status=PostStatus.SCHEDULED).update(
                    status=PostStatus.PUBLISHED, published_at=now
                )
                if done:
                    published += 1
                    _announce(post_id)
        if len(due) < PUBLISH_BATCH:
            return published


# --- edit, delete, pin -------------------------------------------------------------------------


@transaction.atomic
def post_update(
    *,
    shop: Shop,
    actor: User,
    post_id: int,
    text: str | None = None,
    listing_ids: Sequence[int] | None = None,
    publish_at: datetime | None = None,
    now: datetime | None = None,
) -> Post:
    """Change the text and the cards (None: keep them). A published post only within
    ``VSHOP_CIRCLE_EDIT_MINUTES`` of going out (409 after); a scheduled one any time, and then
    ``publish_at`` may move too (the day's cap is checked for the new day; a time now or just
    past publishes it now). A post an operator hid is not edited (409)."""
    _owned(shop, actor)
    now = now or timezone.now()
    _lock_shop(shop)
    post = _locked_post(shop, post_id)
    if post.hidden_at is not None:
        raise Conflict(_("The platform hid this post: it cannot be edited."))
    if post.status == PostStatus.PUBLISHED:
        if publish_at is not None:
            raise Conflict(
                _("This post is already published: it cannot be scheduled."), field="publish_at"
            )
        if not selectors.post_can_edit(post, now=now):
            raise Conflict(
                _("A post can be edited for %(n)s minutes after it is published.")
                % {"n": settings.VSHOP_CIRCLE_EDIT_MINUTES}
            )
    new_text = clean_post_text(text) if text is not None else post.text
    listings = _own_listings(shop, listing_ids) if listing_ids is not None else None
    has_cards = bool(listings) if listings is not None else post.cards.exists()
    if not new_text and not has_cards and not post.images.exists():
        raise ValidationFailed(_("Write something, add a picture or show a product."), field="text")
    fields = ["text", "edited_at"]
    publish_now = False
    if publish_at is not None:  # only a scheduled post gets here with a time
        when = _publish_time(publish_at, now)
        _check_daily_cap(shop, at=when, zone=zone_of(actor), now=now, exclude_id=post.pk)
        post.publish_at = when
        fields.append("publish_at")
        if when <= now:
            publish_now = True
            post.status = PostStatus.PUBLISHED
            post.published_at = now
            fields += ["status", "published_at"]
    post.text = new_text
    post.edited_at = now
    post.save(update_fields=fields)
    if listings is not None:
        PostCard.objects.filter(post=post).delete()
        PostCard.objects.bulk_create(
            PostCard(post=post, listing=listing, position=i) for i, listing in enumerate(listings)
        )
    if post.pinned_at is not None:
        shop_pages_changed(shop_ids=[shop.pk])
    if publish_now:
        _announce(post.pk)
    return selectors.post_of_shop(shop=shop, post_id=post.pk)


@transaction.atomic
def post_delete(*, shop: Shop, actor: User, post_id: int, now: datetime | None = None) -> None:
    """Deleted: it leaves her list and, at read time, every feed; a pinned post is unpinned."""
    _owned(shop, actor)
    now = now or timezone.now()
    _lock_shop(shop)
    post = _locked_post(shop, post_id)
    was_pinned = post.pinned_at is not None
    post.status = PostStatus.DELETED
    post.deleted_at = now
    post.pinned_at = None
    post.save(update_fields=["status", "deleted_at", "pinned_at"])
    if was_pinned:
        shop_pages_changed(shop_ids=[shop.pk])


@transaction.atomic
def post_pin(*, shop: Shop, actor: User, post_id: int, now: datetime | None = None) -> Post:
    """Pin a live post on the shop page; the post pinned before is unpinned (one per shop).
    A scheduled post or one an operator hid cannot be pinned (409). Pinning again is harmless."""
    _owned(shop, actor)
    now = now or timezone.now()
    _lock_shop(shop)
    post = _locked_post(shop, post_id)
    if post.status != PostStatus.PUBLISHED:
        raise Conflict(_("Only a published post can be pinned."))
    if post.hidden_at is not None:
        raise Conflict(_("The platform hid this post: it cannot be pinned."))
    Post.objects.filter(shop=shop, pinned_at__isnull=False).exclude(pk=post.pk).update(
        pinned_at=None
    )
    if post.pinned_at is None:
        post.pinned_at = now
        post.save(update_fields=["pinned_at"])
    shop_pages_changed(shop_ids=[shop.pk])
    return post


@transaction.atomic
def post_unpin(*, shop: Shop, actor: User, post_id: int) -> Post:
    """Take the post off the shop page (harmless when it is not pinned)."""
    _owned(shop, actor)
    _lock_shop(shop)
    post = _locked_post(shop, post_id)
    if post.pinned_at is not None:
        post.pinned_at = None
        post.save(update_fields=["pinned_at"])
        shop_pages_changed(shop_ids=[shop.pk])
    return post
