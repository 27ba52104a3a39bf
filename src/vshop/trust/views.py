"""Review pages: the buyer's review form for the lines of one order (linked from the order page).
The listing page's reviews section is rendered by the storefront with ``trust/_listing_reviews``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from vshop.errors import DomainError, ValidationFailed
from vshop.trust import selectors, services
from vshop.web.auth import acting_user
from vshop.web.errors import domain_errors_as_pages

TEMPLATE = "trust/order_review.html"


def _int(raw: str | None, *, field: str, message: str) -> int:
    try:
        return int((raw or "").strip())
    except ValueError as exc:
        raise ValidationFailed(message, field=field) from exc


@login_required
@domain_errors_as_pages
def order_review(request: HttpRequest, number: str) -> HttpResponse:
    """Each line of her order: its review, or a form when she may review it now. Another
    buyer's order is not found (404)."""
    buyer = acting_user(request)
    order, rows = selectors.order_for_review(buyer=buyer, number=number)
    if request.method != "POST":
        return render(request, TEMPLATE, {"order": order, "rows": rows})
    try:
        line_id = _int(request.POST.get("line"), field="line", message=_("Choose an item."))
        rating = _int(
            request.POST.get("rating"), field="rating", message=_("Give a rating of 1 to 5 stars.")
        )
        review = services.review_create(
            buyer=buyer,
            order_number=number,
            line_id=line_id,
            rating=rating,
            text=request.POST.get("text", ""),
        )
    except DomainError as exc:
        context = {
            "order": order,
            "rows": rows,
            "error": exc,
            "failed_line": request.POST.get("line"),
            "posted_text": request.POST.get("text", "")[:600],
        }
        return render(request, TEMPLATE, context, status=exc.status)
    points = getattr(review, "points_awarded", 0)
    if points:
        messages.success(
            request,
            _("Thank you for your review! You earned %(n)d points.") % {"n": points},
        )
    else:
        messages.success(request, _("Thank you for your review!"))
    return redirect("trust:order_review", number)
