"""After-sales: money back once an order has shipped.

The buyer asks (refund only, or return and refund; the whole order or some lines, each for an
amount), with a reason and photos. The fulfiller approves or rejects; a rejected buyer may ask
the platform, whose operator decides. Money goes back through the gateway that took it; goods
that come back go back on the shelf. One request is open per order at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vshop.accounts.models import User
from vshop.accounts.permissions import require_operator
from vshop.errors import NotFound, ValidationFailed
from vshop.images import process_image
from vshop.inventory import services as inventory
from vshop.orders import notify, selectors
from vshop.orders.errors import AfterSalesOpen, RefundTooLarge
from vshop.orders.models import (
    AfterSalesKind,
    AfterSalesLine,
    AfterSalesPhoto,
    AfterSalesReason,
    AfterSalesRequest,
    Order,
    OrderEvent,
    OrderLine,
)
from vshop.orders.numbers import new_number
from vshop.orders.services import order_transition
from vshop.orders.states import (
    AFTER_SALES_OPEN,
    AFTER_SALES_TRANSITIONS,
    AfterSalesStatus,
    IllegalTransition,
    OrderStatus,
    Role,
    check_transition,
)
from vshop.validation import clean_text

MAX_PHOTOS = 6


@dataclass(frozen=True)
class LineRefund:
    line_id: int
    amount: int
    quantity: int = 0  # units sent back, for return and refund


def _transition(
    request: AfterSalesRequest,
    to: str,
    *,
    role: str,
    actor: User | None,
    reason: str = "",
    **fields: object,
) -> AfterSalesRequest:
    current = request.status
    check_transition(AFTER_SALES_TRANSITIONS, current, to, role)
    updated = AfterSalesRequest.objects.filter(pk=request.pk, status=current).update(
        status=to, **fields
    )
    if not updated:
        raise IllegalTransition(current=current, target=to)
    request.status = to
    for name, value in fields.items():
        setattr(request, name, value)
    OrderEvent.objects.create(
        order_id=request.order_id,
        after_sales=request,
        from_status=current,
        to_status=to,
        actor=actor,
        role=role,
        reason=str(reason)[:300],
    )
    notify.after_sales_changed(request=request)
    return request


def _check_amount(value: object, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValidationFailed(_("Enter an amount above 0."), field=field)
    return value


@transaction.atomic
def after_sales_request(
    *,
    buyer: User,
    order_number: str,
    kind: str,
    reason: str,
    description: str = "",
    lines: Sequence[LineRefund] | None = None,
    photos: Sequence[UploadedFile] = (),
) -> AfterSalesRequest:
    """Ask for money back on a shipped or received order. Without ``lines``: everything still
    refundable (delivery included); with them: those amounts of those lines."""
    order = selectors.order_of_buyer(buyer=buyer, number=order_number, for_update=True)
    if order.status not in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        if order.status == OrderStatus.PAID:
            raise IllegalTransition(
                _("This order has not shipped yet: cancel it for a full refund at once.")
            )
        raise IllegalTransition(_("After-sales is not open for this order."))
    if order.after_sales_until is not None and order.after_sales_until <= timezone.now():
        # The window closed; the worker completes the order on its next sweep.
        raise IllegalTransition(_("The time to ask for after-sales on this order has passed."))
    if kind not in AfterSalesKind.values:
        raise ValidationFailed(_("Choose refund only or return and refund."), field="kind")
    if reason not in AfterSalesReason.values:
        raise ValidationFailed(_("Choose a reason."), field="reason")
    description = clean_text(description, field="description", max_length=1000)
    if len(photos) > MAX_PHOTOS:
        raise ValidationFailed(_("Add at most %(n)s photos.") % {"n": MAX_PHOTOS}, field="photos")
    if order.after_sales.filter(status__in=AFTER_SALES_OPEN).exists():
        raise AfterSalesOpen()
    order_lines = {x.pk: x for x in order.lines.all()}
    rows: list[AfterSalesLine] = []
    returns = kind == AfterSalesKind.RETURN_AND_REFUND
    if lines:
        seen: set[int] = set()
        for n, given in enumerate(lines):
            line = order_lines.get(given.line_id)
            if line is None or given.line_id in seen:
                raise NotFound(_("This order has no such line."), field=f"lines.{n}.line_id")
            seen.add(given.line_id)
            amount = _check_amount(given.amount, f"lines.{n}.amount")
            if amount > line.line_total - line.refunded_amount:
                raise RefundTooLarge(field=f"lines.{n}.amount")
            quantity = given.quantity if returns else 0
            if (
                not isinstance(quantity, int)
                or not 0 <= quantity <= line.quantity - line.returned_quantity
            ):
                raise ValidationFailed(
                    _("Return between 0 and the units you received."), field=f"lines.{n}.quantity"
                )
            if returns and quantity == 0:
                raise ValidationFailed(
                    _("Say how many units you send back."), field=f"lines.{n}.quantity"
                )
            rows.append(AfterSalesLine(order_line=line, quantity=quantity, amount=amount))
        total = sum(r.amount for r in rows)
    else:
        total = order.refundable
        rows = [
            AfterSalesLine(
                order_line=line,
                quantity=(line.quantity - line.returned_quantity) if returns else 0,
                amount=line.line_total - line.refunded_amount,
            )
            for line in order_lines.values()
            if line.line_total > line.refunded_amount
        ]
    if total <= 0 or total > order.refundable:
        raise RefundTooLarge(field="lines")
    request = AfterSalesRequest.objects.create(
        number=new_number("A"),
        order=order,
        kind=kind,
        reason=reason,
        description=description,
        amount=total,
    )
    for row in rows:
        row.request = request
    AfterSalesLine.objects.bulk_create(rows)
    _save_photos(request, photos)
    OrderEvent.objects.create(
        order=order,
        after_sales=request,
        from_status="",
        to_status=AfterSalesStatus.REQUESTED,
        actor=buyer,
        role=Role.BUYER,
        reason=description[:300] or request.get_reason_display(),
    )
    notify.after_sales_changed(request=request)
    return request


def _save_photos(request: AfterSalesRequest, photos: Sequence[UploadedFile]) -> None:
    processed = [process_image(p, field="photos") for p in photos]  # all checked before any write
    for image in processed:
        photo = AfterSalesPhoto(request=request)
        photo.image.save(image.full.name or "photo.jpg", image.full, save=False)
        photo.thumbnail.save(image.thumbnail.name or "thumb.jpg", image.thumbnail, save=False)
        photo.save()


@transaction.atomic
def after_sales_add_photos(
    *, buyer: User, number: str, photos: Sequence[UploadedFile]
) -> AfterSalesRequest:
    request = _request_for_buyer(buyer, number)
    if request.status != AfterSalesStatus.REQUESTED:
        raise IllegalTransition(_("Photos can be added only while the seller has not answered."))
    if not photos:
        raise ValidationFailed(_("Choose at least one photo."), field="photos")
    if request.photos.count() + len(photos) > MAX_PHOTOS:
        raise ValidationFailed(_("Add at most %(n)s photos.") % {"n": MAX_PHOTOS}, field="photos")
    _save_photos(request, photos)
    return request


def _request_for_fulfiller(user: User, number: str) -> AfterSalesRequest:
    request = (
        AfterSalesRequest.objects.select_for_update()
        .filter(
            pk__in=AfterSalesRequest.objects.filter(
                number=number, order__in=Order.objects.filter(selectors.fulfiller_filter(user))
            ).values("pk")
        )
        .first()
    )
    if request is None:
        raise NotFound()
    return request


def _request_for_buyer(user: User, number: str) -> AfterSalesRequest:
    request = (
        AfterSalesRequest.objects.select_for_update()
        .filter(number=number, order__buyer=user)
        .first()
    )
    if request is None:
        raise NotFound()
    return request


@transaction.atomic
def after_sales_approve(*, actor: User, number: str, note: str = "") -> AfterSalesRequest:
    """The fulfiller agrees. Refund only: the money goes back now. Return and refund: the buyer
    sends the goods back first."""
    request = _request_for_fulfiller(actor, number)
    return _approve(request, role=Role.FULFILLER, actor=actor, note=note)


def _approve(
    request: AfterSalesRequest, *, role: str, actor: User | None, note: str
) -> AfterSalesRequest:
    note = clean_text(note, field="note", max_length=300)
    if request.returns_goods:
        return _transition(
            request,
            AfterSalesStatus.APPROVED,
            role=role,
            actor=actor,
            reason=note,
            decision_note=note,
        )
    return _refund(request, role=role, actor=actor, note=note)


@transaction.atomic
def after_sales_reject(*, actor: User, number: str, note: str) -> AfterSalesRequest:
    request = _request_for_fulfiller(actor, number)
    note = clean_text(note, field="note", max_length=300)
    if not note:
        raise ValidationFailed(_("Tell the buyer why."), field="note")
    return _transition(
        request,
        AfterSalesStatus.REJECTED,
        role=Role.FULFILLER,
        actor=actor,
        reason=note,
        decision_note=note,
    )


@transaction.atomic
def after_sales_withdraw(*, buyer: User, number: str) -> AfterSalesRequest:
    request = _request_for_buyer(buyer, number)
    return _transition(request, AfterSalesStatus.WITHDRAWN, role=Role.BUYER, actor=buyer)


@transaction.atomic
def after_sales_return_shipped(
    *, buyer: User, number: str, carrier: str, tracking_number: str
) -> AfterSalesRequest:
    request = _request_for_buyer(buyer, number)
    carrier = clean_text(carrier, field="carrier", max_length=40, required=True)
    tracking_number = clean_text(
        tracking_number, field="tracking_number", max_length=40, required=True
    )
    return _transition(
        request,
        AfterSalesStatus.RETURN_SHIPPED,
        role=Role.BUYER,
        actor=buyer,
        reason=f"{carrier} {tracking_number}",
        return_carrier=carrier,
        return_tracking_number=tracking_number,
    )


@transaction.atomic
def after_sales_receive_return(*, actor: User, number: str) -> AfterSalesRequest:
    """The goods are back with the fulfiller: refund, and put them back on the shelf."""
    request = _request_for_fulfiller(actor, number)
    return _refund(request, role=Role.FULFILLER, actor=actor, note="")


@transaction.atomic
def after_sales_dispute(*, buyer: User, number: str, reason: str) -> AfterSalesRequest:
    request = _request_for_buyer(buyer, number)
    reason = clean_text(reason, field="reason", max_length=300, required=True)
    return _transition(
        request, AfterSalesStatus.DISPUTED, role=Role.BUYER, actor=buyer, reason=reason
    )


@transaction.atomic
def after_sales_arbitrate(
    *, operator: User, number: str, refund: bool, note: str
) -> AfterSalesRequest:
    """The operator settles a dispute: for the buyer (as if approved) or for the fulfiller."""
    require_operator(operator)
    request = AfterSalesRequest.objects.select_for_update().filter(number=number).first()
    if request is None:
        raise NotFound()
    note = clean_text(note, field="note", max_length=300, required=True)
    if request.status != AfterSalesStatus.DISPUTED:
        raise IllegalTransition(current=request.status)
    if refund:
        return _approve(request, role=Role.OPERATOR, actor=operator, note=note)
    return _transition(
        request,
        AfterSalesStatus.CLOSED,
        role=Role.OPERATOR,
        actor=operator,
        reason=note,
        decision_note=note,
    )


def after_sales_close_undisputed(*, now: object | None = None) -> int:
    """A rejected request the buyer did not take to the platform within
    ``VSHOP_DISPUTE_DAYS`` closes, so that its order can complete."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.VSHOP_DISPUTE_DAYS)  # type: ignore[operator]
    done = 0
    for pk in AfterSalesRequest.objects.filter(
        status=AfterSalesStatus.REJECTED, updated_at__lte=cutoff
    ).values_list("pk", flat=True)[:1000]:
        with transaction.atomic():
            request = AfterSalesRequest.objects.select_for_update().get(pk=pk)
            if request.status != AfterSalesStatus.REJECTED:
                continue
            _transition(
                request,
                AfterSalesStatus.CLOSED,
                role=Role.SYSTEM,
                actor=None,
                reason="not taken to the platform in time",
            )
            done += 1
    return done


def _refund(
    request: AfterSalesRequest, *, role: str, actor: User | None, note: str
) -> AfterSalesRequest:
    """Pay the request out: line by line within what is left, the order within its total,
    through the gateway; returned units back on the shelf; a fully refunded order closes."""
    from vshop.payments import services as payments

    check_transition(AFTER_SALES_TRANSITIONS, request.status, AfterSalesStatus.REFUNDED, role)
    order = Order.objects.select_for_update().get(pk=request.order_id)
    units: dict[int, int] = {}
    for row in request.lines.select_related("order_line"):
        updated = OrderLine.objects.filter(
            pk=row.order_line_id,
            refunded_amount__lte=F("line_total") - row.amount,
            returned_quantity__lte=F("quantity") - row.quantity,
        ).update(
            refunded_amount=F("refunded_amount") + row.amount,
            returned_quantity=F("returned_quantity") + row.quantity,
        )
        if not updated:
            raise RefundTooLarge(field="lines")
        if row.quantity:
            units[row.order_line.sku_id] = units.get(row.order_line.sku_id, 0) + row.quantity
    if not Order.objects.filter(
        pk=order.pk, refunded_total__lte=F("total") - request.amount
    ).update(refunded_total=F("refunded_total") + request.amount):
        raise RefundTooLarge(field="amount")
    order.refresh_from_db(fields=["refunded_total"])
    from vshop.fans import records

    # Her record (spend, points) before the stock rows: the order every writer locks in.
    records.order_refunded(order=order, amount=request.amount)
    if units:
        inventory.stock_return(units=units)
    payments.refund_create(
        order=order, amount=request.amount, reason=f"after-sales {request.number}"
    )
    request = _transition(
        request,
        AfterSalesStatus.REFUNDED,
        role=role,
        actor=actor,
        reason=note,
        decision_note=note or request.decision_note,
    )
    if order.refunded_total == order.total:
        order_transition(
            order=order,
            to=OrderStatus.REFUNDED,
            role=role,
            actor=actor,
            reason=f"after-sales {request.number}",
        )
    return request


@transaction.atomic
def order_refund_by_operator(
    *, operator: User, order_number: str, amount: int, reason: str
) -> Order:
    """The platform gives money back on a received or completed order outside an after-sales
    request (a late claim it upholds, a chargeback). The shares of the sale, commission
    included, give it back in proportion, also when they were already settled."""
    from vshop.payments import services as payments

    require_operator(operator)
    reason = clean_text(reason, field="reason", max_length=200)
    if not reason:
        raise ValidationFailed(_("Say why the money goes back."), field="reason")
    amount = _check_amount(amount, "amount")
    order = Order.objects.select_for_update().filter(number=order_number).first()
    if order is None:
        raise NotFound()
    if order.status not in (OrderStatus.DELIVERED, OrderStatus.COMPLETED):
        raise IllegalTransition(current=order.status, target=OrderStatus.REFUNDED)
    if not Order.objects.filter(pk=order.pk, refunded_total__lte=F("total") - amount).update(
        refunded_total=F("refunded_total") + amount
    ):
        raise RefundTooLarge(field="amount")
    order.refresh_from_db(fields=["refunded_total"])
    payments.refund_create(order=order, amount=amount, reason=f"platform: {reason}")
    from vshop.fans import records

    records.order_refunded(order=order, amount=amount)
    if order.refunded_total == order.total:
        return order_transition(
            order=order, to=OrderStatus.REFUNDED, role=Role.OPERATOR, actor=operator, reason=reason
        )
    OrderEvent.objects.create(
        order=order,
        from_status=order.status,
        to_status=order.status,
        actor=operator,
        role=Role.OPERATOR,
        reason=f"refunded {amount}: {reason}"[:300],
    )
    return order
