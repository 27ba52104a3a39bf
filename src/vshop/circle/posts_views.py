"""The owner's circle pages under ``/me/shop/posts/``: her posts (status, counts, pin, delete,
edit while allowed), composing one (text, up to 9 images, listing cards, an optional time) and
editing one. Thin: the form's values are read here, checked and saved by ``circle.posts``."""

from __future__ import annotations

from datetime import datetime, tzinfo

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vshop.circle import posts, selectors
from vshop.circle.models import MAX_CARDS, MAX_IMAGES, TEXT_MAX, Post, PostStatus
from vshop.errors import Conflict, DomainError, ValidationFailed
from vshop.shops.models import Listing, ListingStatus, Shop
from vshop.shops.views import shop_owner_required
from vshop.validation import local_datetime
from vshop.web.auth import acting_user

PAGE_SIZE = 20


# --- the form ----------------------------------------------------------------------------------


def _listing_ids(data: QueryDict) -> list[int]:
    ids = []
    for value in data.getlist("listings"):
        value = value.strip()
        if not value.isdigit() or len(value) > 18:
            raise ValidationFailed(_("Choose products on sale in your shop."), field="listing_ids")
        ids.append(int(value))
    return ids


def _local(at: datetime | None, zone: tzinfo) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if at else ""


def _form_context(
    shop: Shop, zone: tzinfo, values: dict[str, object], **extra: object
) -> dict[str, object]:
    now = timezone.now()
    return {
        "shop": shop,
        "form": values,
        "listings": Listing.objects.filter(shop=shop, status=ListingStatus.ACTIVE)
        .select_related("product")
        .order_by("-is_pinned", "position", "-created_at"),
        "max_images": MAX_IMAGES,
        "max_cards": MAX_CARDS,
        "text_max": TEXT_MAX,
        "owner_tz": zone,
        "min_at": _local(now, zone),
        "max_at": _local(now + posts.SCHEDULE_MAX_AHEAD, zone),
        "posts_per_day": selectors.posts_per_day(),
        "suspension": selectors.posting_suspension(shop=shop),
        **extra,
    }


def _values(data: QueryDict) -> dict[str, object]:
    return {
        "text": data.get("text", ""),
        "publish_at": data.get("publish_at", ""),
        "listings": data.getlist("listings"),
    }


# --- pages -------------------------------------------------------------------------------------


@shop_owner_required
@require_GET
def post_list(request: HttpRequest, shop: Shop) -> HttpResponse:
    """Her posts, scheduled and newest first: status, counts, and what she may still do."""
    page = Paginator(selectors.posts_of_shop(shop=shop), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    now = timezone.now()
    rows = [
        (post, selectors.post_can_edit(post, now=now), selectors.edit_deadline(post))
        for post in page.object_list
    ]
    return render(
        request,
        "circle/posts/list.html",
        {
            "shop": shop,
            "page": page,
            "rows": rows,
            "owner_tz": posts.zone_of(acting_user(request)),
            "posts_per_day": selectors.posts_per_day(),
            "suspension": selectors.posting_suspension(shop=shop),
        },
    )


@shop_owner_required
@require_http_methods(["GET", "POST"])
def post_new(request: HttpRequest, shop: Shop) -> HttpResponse:
    """Compose: text, images (several at once), cards of her listings, an optional time."""
    actor = acting_user(request)
    zone = posts.zone_of(actor)
    template = "circle/posts/new.html"
    if request.method == "GET":
        return render(request, template, _form_context(shop, zone, {"listings": []}))
    values = _values(request.POST)
    try:
        post = posts.post_create(
            shop=shop,
            actor=actor,
            text=request.POST.get("text", ""),
            images=request.FILES.getlist("images"),
            listing_ids=_listing_ids(request.POST),
            publish_at=local_datetime(
                request.POST.get("publish_at"), field="publish_at", what=_("Publish at"), zone=zone
            ),
        )
    except DomainError as exc:
        return render(
            request, template, _form_context(shop, zone, values, error=exc), status=exc.status
        )
    if post.status == PostStatus.SCHEDULED:
        messages.success(
            request,
            _("Post scheduled for %(when)s.")
            % {"when": post.publish_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")},
        )
    else:
        messages.success(request, _("Posted: your fans will see it in their circle."))
    return redirect("circle_posts:posts")


def _editable(shop: Shop, post_id: int) -> Post:
    post = selectors.post_of_shop(shop=shop, post_id=post_id)
    if not selectors.post_can_edit(post):
        raise Conflict(_("This post can no longer be edited."))
    return post


@shop_owner_required
@require_http_methods(["GET", "POST"])
def post_edit(request: HttpRequest, shop: Shop, post_id: int) -> HttpResponse:
    """Edit the text and cards (a scheduled post's time too) while it may still be edited."""
    actor = acting_user(request)
    zone = posts.zone_of(actor)
    template = "circle/posts/edit.html"
    post = _editable(shop, post_id)
    extra = {
        "post": post,
        "deadline": selectors.edit_deadline(post),
        "is_scheduled": post.status == PostStatus.SCHEDULED,
    }
    if request.method == "GET":
        values: dict[str, object] = {
            "text": post.text,
            "publish_at": _local(post.publish_at, zone)
            if post.status == PostStatus.SCHEDULED
            else "",
            "listings": [str(card.listing_id) for card in post.cards.all()],
        }
        return render(request, template, _form_context(shop, zone, values, **extra))
    values = _values(request.POST)
    try:
        publish_at = (
            local_datetime(
                request.POST.get("publish_at"), field="publish_at", what=_("Publish at"), zone=zone
            )
            if post.status == PostStatus.SCHEDULED
            else None
        )
        posts.post_update(
            shop=shop,
            actor=actor,
            post_id=post.pk,
            text=request.POST.get("text", ""),
            listing_ids=_listing_ids(request.POST),
            publish_at=publish_at,
        )
    except DomainError as exc:
        return render(
            request,
            template,
            _form_context(shop, zone, values, error=exc, **extra),
            status=exc.status,
        )
    messages.success(request, _("Post saved."))
    return redirect("circle_posts:posts")


@shop_owner_required
@require_POST
def post_delete(request: HttpRequest, shop: Shop, post_id: int) -> HttpResponse:
    posts.post_delete(shop=shop, actor=acting_user(request), post_id=post_id)
    messages.success(request, _("Post deleted."))
    return redirect("circle_posts:posts")


@shop_owner_required
@require_POST
def post_pin(request: HttpRequest, shop: Shop, post_id: int) -> HttpResponse:
    posts.post_pin(shop=shop, actor=acting_user(request), post_id=post_id)
    messages.success(request, _("Pinned on your shop page."))
    return redirect("circle_posts:posts")


@shop_owner_required
@require_POST
def post_unpin(request: HttpRequest, shop: Shop, post_id: int) -> HttpResponse:
    posts.post_unpin(shop=shop, actor=acting_user(request), post_id=post_id)
    messages.success(request, _("Unpinned from your shop page."))
    return redirect("circle_posts:posts")
