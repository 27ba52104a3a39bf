"""Review writes: a buyer reviews a line of her own order once the goods arrived (one review per
line, a database UNIQUE too), and the operator hides or shows a review."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from vshop.accounts.models import User
from vshop.errors import Conflict, NotFound, ValidationFailed
from vshop.orders.models import Order, OrderLine
from vshop.orders.states import OrderStatus
from vshop.shops.services import shop_pages_changed
from vshop.trust.models import Review

TEXT_MAX = 500
#: Reviewable once the goods arrived: received (in the after-sales window) or completed.
REVIEWABLE = frozenset({OrderStatus.DELIVERED, OrderStatus.COMPLETED})


class AlreadyReviewed(Conflict):
    code = "already_reviewed"
    default_message = _("You already reviewed this item.")


class NotYetReviewable(Conflict):
    code = "not_reviewable"
    default_message = _("You can review an item once you have received it.")


def _clean_rating(rating: object) -> int:
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationFailed(_("Give a rating of 1 to 5 stars."), field="rating")
    return rating


def _clean_text(text: object) -> str:
    """Plain text: trimmed, no control characters but line breaks, 500 characters at most.
    Pages escape it when they show it; no markup is ever interpreted."""
    if text is None:
        return ""
    if not isinstance(text, str):
        raise ValidationFailed(_("The review must be text."), field="text")
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        raise ValidationFailed(
            _("The review contains characters that are not allowed."), field="text"
        )
    if len(text) > TEXT_MAX:
        raise ValidationFailed(
            _("The review is too long (%(max)d characters at most).") % {"max": TEXT_MAX},
            field="text",
        )
    return text


def line_is_reviewable(*, order: Order, line: OrderLine) -> bool:
    """The goods arrived and she kept at least one unit."""
    return order.status in REVIEWABLE and line.returned_quantity < line.quantity


@transaction.atomic
def review_create(
    *, buyer: User, order_number: str, line_id: int, rating: object, text: object = ""
) -> Review:
    """Review one line of her own order. Another buyer's order or line is not found (404); a
    line not yet received (or sent back) or already reviewed is 409; a bad rating or text 400.
    Nothing is written unless it all succeeds; the shop's review points are awarded in the same
    transaction, once (the review exists once)."""
    rating = _clean_rating(rating)
    text = _clean_text(text)
    order = Order.objects.filter(buyer=buyer, number=order_number).select_related("shop").first()
    if order is None:
        raise NotFound()
    line = OrderLine.objects.filter(order=order, pk=line_id).select_related("sku").first()
    if line is None:
        raise NotFound()
    if Review.objects.filter(order_line=line).exists():
        raise AlreadyReviewed()
    if not line_is_reviewable(order=order, line=line):
        raise NotYetReviewable()
    try:
        with transaction.atomic():
            review = Review.objects.create(
                order_line=line,
                shop=order.shop,
                listing_id=line.listing_id,
                product_id=line.sku.product_id,
                buyer=buyer,
                rating=rating,
                text=text,
            )
    except IntegrityError as exc:  # a concurrent review of the same line won
        raise AlreadyReviewed() from exc
    from vshop.fans.points import points_award_review

    entry = points_award_review(review=review)
    # For the answer: what this review earned her (0 when the shop's points are off).
    review.points_awarded = entry.delta if entry is not None else 0  # type: ignore[attr-defined]
    shop_pages_changed(shop_ids=[order.shop_id])  # the listing page shows it at once
    return review


@transaction.atomic
def reviews_set_hidden(*, review_ids: Sequence[int], hidden: bool) -> int:
    """Operator moderation: hide (or show again) reviews. Returns how many changed."""
    rows = Review.objects.filter(pk__in=list(review_ids)).exclude(is_hidden=hidden)
    shop_ids = list(rows.values_list("shop_id", flat=True).distinct())
    changed = rows.update(is_hidden=hidden)
    if changed:
        shop_pages_changed(shop_ids=shop_ids)
    return changed
