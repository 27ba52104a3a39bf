"""The post page (``/s/<slug>/posts/<id>/``): a live post for anybody, with likes, comments and
the owner's replies; a logged-in fan likes, comments, shares, hides and reports; the owner
replies to, hides and deletes comments. Every form works without script (post, then back to the
page); with htmx the like box, the comments and the share box are swapped in place.

Thin: ``circle.social`` reads and writes; a post that is not live is 404 except to its owner.
"""

from __future__ import annotations

import nh3
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from vshop.accounts.models import User
from vshop.circle import social
from vshop.circle.models import COMMENT_MAX, REASON_MAX, Post, PostCard
from vshop.distribution import sharing
from vshop.distribution.models import Channel
from vshop.errors import DomainError, NotFound, ValidationFailed
from vshop.shops import selectors as shop_selectors
from vshop.shops.models import Listing, Shop
from vshop.shops.storefront_views import ListingCard
from vshop.shops.strategy import strategy_for
from vshop.web.auth import acting_user
from vshop.web.errors import domain_errors_as_pages

COMMENTS_PER_PAGE = 30
# What a post's text may hold; the posts service sanitises on the way in, this is the second
# line of defence on the way out.
_TAGS = {"p", "br", "strong", "em", "b", "i", "u", "ul", "ol", "li", "a", "blockquote"}


def _viewer(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


def _post_url(post: Post) -> str:
    return reverse("circle_social:post", kwargs={"slug": post.shop.slug, "post_id": post.pk})


def _cards(post: Post, viewer: User | None) -> list[ListingCard]:
    ids = list(
        PostCard.objects.filter(post=post)
        .order_by("position", "pk")
        .values_list("listing_id", flat=True)
    )
    listings = {
        listing.pk: listing
        for listing in shop_selectors.listing_offer_queryset(
            Listing.objects.filter(pk__in=ids, shop_id=post.shop_id)
        )
    }
    strategy = strategy_for(buyer=viewer)
    return [
        ListingCard(listing=listings[i], offer=strategy.offer_for(listings[i]))
        for i in ids
        if i in listings
    ]


def _comments_context(request: HttpRequest, post: Post, viewer: User | None) -> dict[str, object]:
    paginator = Paginator(social.comments_of(post=post, viewer=viewer), COMMENTS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return {
        "post": post,
        "threads": social.threads_of(post=post, viewer=viewer, comments=list(page.object_list)),
        "comments_page": page,
        "is_owner": viewer is not None and post.shop.owner_id == viewer.pk,
        "viewer": viewer,
        "comment_max": COMMENT_MAX,
    }


def _page_context(
    request: HttpRequest, post: Post, viewer: User | None, **extra: object
) -> dict[str, object]:
    return {
        **_comments_context(request, post, viewer),
        "shop": post.shop,
        "text": mark_safe(nh3.clean(post.text, tags=_TAGS)),  # cleaned just here
        "images": list(post.images.all()),
        "cards": _cards(post, viewer),
        "liked": social.liked_by(user=viewer, post_id=post.pk),
        "hidden_by_me": social.hidden_by(user=viewer, post_id=post.pk),
        "reported": social.reported_by(user=viewer, post_id=post.pk),
        "channels": Channel.choices,
        "reason_max": REASON_MAX,
        **extra,
    }


def _render_page(
    request: HttpRequest, post: Post, *, status: int = 200, extra: dict[str, object] | None = None
) -> HttpResponse:
    context = _page_context(request, post, _viewer(request), **(extra or {}))
    return render(request, "circle/social/post.html", context, status=status)


@require_safe
@domain_errors_as_pages
def post_page(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    post = social.post_for_viewer(post_id=post_id, viewer=_viewer(request), slug=slug)
    return _render_page(request, post)


def _post(request: HttpRequest, slug: str, post_id: int) -> Post:
    """The post an action is about: live, at this shop's address."""
    post = social.post_live_get(post_id=post_id)
    if post.shop.slug != slug:
        raise NotFound(_("This post is not available."))
    return post


# --- likes -----------------------------------------------------------------------------------------


@require_POST
@login_required
@domain_errors_as_pages
def like(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    user = acting_user(request)
    _post(request, slug, post_id)
    if request.POST.get("action") == "unlike":
        post = social.post_unlike(user=user, post_id=post_id)
    else:
        post = social.post_like(user=user, post_id=post_id)
    if request.htmx:  # type: ignore[attr-defined]
        liked = social.liked_by(user=user, post_id=post.pk)
        return render(request, "circle/social/_like.html", {"post": post, "liked": liked})
    return redirect(_post_url(post))


# --- comments --------------------------------------------------------------------------------------


def _after_comment_write(
    request: HttpRequest, post: Post, error: DomainError | None = None
) -> HttpResponse:
    status = error.status if error else 200
    if request.htmx:  # type: ignore[attr-defined]
        post.refresh_from_db()
        context = {**_comments_context(request, post, _viewer(request)), "error": error}
        return render(request, "circle/social/_comments.html", context, status=status)
    if error is not None:
        post.refresh_from_db()
        return _render_page(request, post, status=status, extra={"error": error})
    return redirect(_post_url(post) + "#comments")


@require_POST
@login_required
@domain_errors_as_pages
def comment_add(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    post = _post(request, slug, post_id)
    try:
        social.comment_add(
            user=acting_user(request), post_id=post.pk, text=request.POST.get("text", "")
        )
    except ValidationFailed as exc:
        return _after_comment_write(request, post, exc)
    return _after_comment_write(request, post)


def _owner_post(request: HttpRequest, slug: str, post_id: int) -> tuple[Post, Shop]:
    """The owner's post (hidden ones too) and her shop; another's is ``NotFound``."""
    shop = shop_selectors.shop_of_owner(owner=acting_user(request), slug=slug)
    post = social.post_for_viewer(post_id=post_id, viewer=acting_user(request), slug=shop.slug)
    return post, shop


@require_POST
@login_required
@domain_errors_as_pages
def comment_reply(request: HttpRequest, slug: str, post_id: int, comment_id: int) -> HttpResponse:
    post, shop = _owner_post(request, slug, post_id)
    social.comment_of_post(post=post, comment_id=comment_id)
    try:
        social.comment_reply(
            owner=acting_user(request),
            shop=shop,
            comment_id=comment_id,
            text=request.POST.get("text", ""),
        )
    except ValidationFailed as exc:
        return _after_comment_write(request, post, exc)
    return _after_comment_write(request, post)


@require_POST
@login_required
@domain_errors_as_pages
def comment_hide(request: HttpRequest, slug: str, post_id: int, comment_id: int) -> HttpResponse:
    post, shop = _owner_post(request, slug, post_id)
    social.comment_of_post(post=post, comment_id=comment_id)
    if request.POST.get("action") == "unhide":
        social.comment_unhide(owner=acting_user(request), shop=shop, comment_id=comment_id)
    else:
        social.comment_hide(owner=acting_user(request), shop=shop, comment_id=comment_id)
    return _after_comment_write(request, post)


@require_POST
@login_required
@domain_errors_as_pages
def comment_delete(request: HttpRequest, slug: str, post_id: int, comment_id: int) -> HttpResponse:
    """The owner deletes any comment on her post; a fan her own."""
    user = acting_user(request)
    post = social.post_for_viewer(post_id=post_id, viewer=user, slug=slug)
    if post.shop.owner_id == user.pk:
        social.comment_of_post(post=post, comment_id=comment_id)
        social.comment_delete(owner=user, shop=post.shop, comment_id=comment_id)
    else:
        social.comment_delete_own(user=user, comment_id=comment_id, post_id=post.pk)
    return _after_comment_write(request, post)


# --- share, hide, report -------------------------------------------------------------------------------


@require_POST
@login_required
@domain_errors_as_pages
def share(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    post = _post(request, slug, post_id)
    link = social.post_share(
        user=acting_user(request), post_id=post.pk, channel=request.POST.get("channel", "")
    )
    post.refresh_from_db()
    shared: dict[str, object] = {
        "share_url": sharing.share_link_url(link),
        "share_channel": link.get_channel_display(),
    }
    if request.htmx:  # type: ignore[attr-defined]
        context = {"post": post, "channels": Channel.choices, **shared}
        return render(request, "circle/social/_share.html", context)
    return _render_page(request, post, extra=shared)


@require_POST
@login_required
@domain_errors_as_pages
def hide(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    user = acting_user(request)
    post = _post(request, slug, post_id)
    if request.POST.get("action") == "unhide":
        social.post_unhide(user=user, post_id=post.pk)
        messages.success(request, _("The post shows in your circle again."))
    else:
        social.post_hide(user=user, post_id=post.pk)
        messages.success(request, _("You won't see this post in your circle again."))
    return redirect(_post_url(post))


@require_POST
@login_required
@domain_errors_as_pages
def report(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    post = _post(request, slug, post_id)
    try:
        social.post_report(
            user=acting_user(request), post_id=post.pk, reason=request.POST.get("reason", "")
        )
    except ValidationFailed as exc:
        return _render_page(request, post, status=exc.status, extra={"report_error": exc})
    messages.success(request, _("Thank you: the platform will look at this post."))
    return redirect(_post_url(post))
