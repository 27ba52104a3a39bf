"""Reviews API: a buyer reviews a line of her order; anybody reads a listing's reviews."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, NinjaAPI, Query, Router, Schema
from ninja.responses import Status

from vshop.api import OPTIONAL_AUTH, ErrorOut, InputSchema, acting_user
from vshop.trust import selectors, services
from vshop.trust.models import Review

orders_router = Router(tags=["reviews"])
storefront_router = Router(tags=["storefront"])

_ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ReviewIn(InputSchema):
    # Not bounded here: an out-of-range rating or a too-long text is a 400 from the service,
    # with a message a person understands.
    rating: int
    text: str = ""


class ReviewOut(Schema):
    id: int
    rating: int
    text: str
    reviewer: str
    sku_label: str
    created_at: datetime


class MyReviewOut(ReviewOut):
    points_awarded: int = Field(0, description="the shop's points this review earned me")


class ReviewsQuery(Schema):
    limit: int = Field(20, ge=1, le=100, description="reviews per answer, 100 at most")
    offset: int = Field(0, ge=0, le=100_000, description="how many newer reviews to skip")


class ListingReviewsOut(Schema):
    count: int
    average: float | None
    items: list[ReviewOut]


def _review_out(review: Review) -> dict[str, Any]:
    return {
        "id": review.pk,
        "rating": review.rating,
        "text": review.text,
        "reviewer": selectors.reviewer_name(review),
        "sku_label": review.order_line.sku_label if review.order_line_id else "",
        "created_at": review.created_at,
    }


@orders_router.post(
    "/{number}/lines/{line_id}/review",
    response={201: MyReviewOut, **_ERRORS},
    summary="Review a line of my order once received (1-5 stars, text up to 500 characters)",
)
def review_create(request: HttpRequest, number: str, line_id: int, payload: ReviewIn) -> Status:
    review = services.review_create(
        buyer=acting_user(request),
        order_number=number,
        line_id=line_id,
        rating=payload.rating,
        text=payload.text,
    )
    points = getattr(review, "points_awarded", 0)
    return Status(201, {**_review_out(review), "points_awarded": points})


@storefront_router.get(
    "/listings/{listing_id}/reviews",
    auth=OPTIONAL_AUTH,
    response={200: ListingReviewsOut, 404: ErrorOut, 422: ErrorOut},
    summary="A listing's verified-purchase reviews, newest first, with the average rating",
)
def listing_reviews(
    request: HttpRequest, listing_id: int, query: Query[ReviewsQuery]
) -> dict[str, Any]:
    result = selectors.public_listing_reviews(
        listing_id=listing_id, limit=query.limit, offset=query.offset
    )
    return {
        "count": result.count,
        "average": result.average,
        "items": [_review_out(r) for r in result.reviews],
    }


def mount(api: NinjaAPI) -> None:
    """Add this module's routers to the API."""
    api.add_router("/orders", orders_router)
    api.add_router("/storefront", storefront_router)
