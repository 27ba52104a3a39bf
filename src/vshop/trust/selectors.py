"""Review reads: a listing's visible reviews with their average and count (one query), and the
lines of a buyer's order she may review."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Avg, Count, Window

from vshop.accounts.models import User
from vshop.errors import NotFound
from vshop.orders.models import Order, OrderLine
from vshop.shops.models import Listing, ListingStatus
from vshop.trust.models import Review
from vshop.trust.services import line_is_reviewable


def reviewer_name(review: Review) -> str:
    """How a reviewer is shown: the first character of her name and stars, never her login."""
    name = (review.buyer.display_name if review.buyer is not None else "").strip()
    return f"{name[0]}***" if name else "***"


@dataclass(frozen=True)
class ListingReviews:
    count: int
    average: float | None
    reviews: list[Review] = field(default_factory=list)

    @property
    def average_rounded(self) -> str:
        return f"{self.average:.1f}" if self.average is not None else ""


def listing_reviews(*, listing_id: int, limit: int = 5, offset: int = 0) -> ListingReviews:
    """The newest visible reviews of a listing, with the count and average of all of them, in
    one query (window functions: the aggregate is computed before the LIMIT)."""
    rows: list[Review] = list(
        Review.objects.filter(listing_id=listing_id, is_hidden=False)
        .select_related("buyer", "order_line")
        .annotate(
            total=Window(Count("pk")),
            mean=Window(Avg("rating")),
        )
        .order_by("-created_at", "-pk")[offset : offset + limit]
    )
    if not rows:
        if offset:
            return listing_reviews_summary(listing_id=listing_id)
        return ListingReviews(count=0, average=None)
    first = rows[0]
    return ListingReviews(
        count=int(first.total),  # type: ignore[attr-defined]
        average=round(float(first.mean), 2),  # type: ignore[attr-defined]
        reviews=rows,
    )


def listing_reviews_summary(*, listing_id: int) -> ListingReviews:
    agg = Review.objects.filter(listing_id=listing_id, is_hidden=False).aggregate(
        count=Count("pk"), average=Avg("rating")
    )
    average = agg["average"]
    return ListingReviews(
        count=agg["count"], average=round(float(average), 2) if average is not None else None
    )


def public_listing_reviews(*, listing_id: int, limit: int, offset: int = 0) -> ListingReviews:
    """A listing's reviews for anybody: only for a listing on show (else not found)."""
    if not Listing.objects.filter(pk=listing_id, status=ListingStatus.ACTIVE).exists():
        raise NotFound()
    return listing_reviews(listing_id=listing_id, limit=limit, offset=offset)


@dataclass(frozen=True)
class ReviewableLine:
    line: OrderLine
    review: Review | None
    can_review: bool


def order_for_review(*, buyer: User, number: str) -> tuple[Order, list[ReviewableLine]]:
    """Her order and each line with its review (if any) and whether she may review it now.
    Another buyer's order is not found."""
    order = Order.objects.filter(buyer=buyer, number=number).select_related("shop").first()
    if order is None:
        raise NotFound()
    lines = list(OrderLine.objects.filter(order=order).order_by("pk"))
    reviews = {r.order_line_id: r for r in Review.objects.filter(order_line__order=order)}
    return order, [
        ReviewableLine(
            line=line,
            review=reviews.get(line.pk),
            can_review=line.pk not in reviews and line_is_reviewable(order=order, line=line),
        )
        for line in lines
    ]
