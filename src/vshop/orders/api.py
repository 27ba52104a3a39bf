"""Buying API: cart, address book, checkout, the buyer's orders and after-sales, the shop owner's
orders, the fulfiller's work (shipping, packing list, after-sales decisions) and the operator's
arbitration. Every handler is a thin call to a service or a selector scoped to the caller."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Schema, UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status

from vshop.api import OPTIONAL_AUTH, ErrorOut, Page, acting_user, buyer_of, require_operator
from vshop.errors import NotFound, ValidationFailed
from vshop.orders import after_sales, exports, selectors, services
from vshop.orders.carts import cart_for_request
from vshop.orders.models import (
    Cart,
    Checkout,
    DeliveryRule,
    Order,
)
from vshop.orders.pricing import CheckoutSummary, summarise
from vshop.orders.schemas import (
    AddressIn,
    AddressOut,
    AfterSalesIn,
    AfterSalesOut,
    ArbitrateIn,
    CartAddIn,
    CartQuantityIn,
    CheckoutIn,
    CheckoutOut,
    DeliveryRuleIn,
    DeliveryRuleOut,
    NoteIn,
    OperatorRefundIn,
    OrderDetailOut,
    OrderOut,
    PreviewIn,
    ReasonIn,
    ReturnShippedIn,
    ShipIn,
    SummaryOut,
)

cart_router = Router(tags=["cart"], auth=OPTIONAL_AUTH)
addresses_router = Router(tags=["addresses"])
checkout_router = Router(tags=["checkout"])
orders_router = Router(tags=["orders"])
shop_orders_router = Router(tags=["shop orders"])
fulfilment_router = Router(tags=["fulfilment"])
operator_router = Router(tags=["operator"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class StatusFilter(Schema):
    status: str | None = None


# --- shapes ----------------------------------------------------------------------------------


def summary_out(
    summary: CheckoutSummary, line_ids: dict[tuple[int, int], int] | None = None
) -> dict[str, Any]:
    from django.conf import settings

    def line(x: Any) -> dict[str, Any]:
        return {
            **x.__dict__,
            "cart_line_id": (line_ids or {}).get((x.listing_id, x.sku_id)),
            "image_url": settings.MEDIA_URL + x.image if x.image else "",
        }

    return {
        "currency": summary.currency,
        "items_total": summary.items_total,
        "delivery_total": summary.delivery_total,
        "total": summary.total,
        "groups": [
            {
                "shop_id": g.shop_id,
                "shop_name": g.shop_name,
                "supplier_id": g.supplier_id,
                "fulfiller_name": g.fulfiller_name,
                "goods_total": g.goods_total,
                "points_spent": g.points_spent,
                "points_discount": g.points_discount,
                "items_total": g.items_total,
                "delivery_fee": g.delivery_fee,
                "total": g.total,
                "lines": [line(x) for x in g.lines],
            }
            for g in summary.groups
        ],
        "points_discount": summary.points_discount,
        "points": [
            {**p.__dict__, "usable": p.usable, "usable_discount": p.usable_discount}
            for p in summary.points.values()
        ],
    }


def order_out(order: Order) -> dict[str, Any]:
    return {
        **{
            f: getattr(order, f)
            for f in (
                "number",
                "status",
                "shop_id",
                "currency",
                "items_total",
                "delivery_fee",
                "total",
                "refunded_total",
                "points_spent",
                "points_discount",
                "created_at",
                "paid_at",
                "shipped_at",
                "delivered_at",
                "completed_at",
                "cancelled_at",
                "confirm_by",
                "after_sales_until",
                "carrier",
                "tracking_number",
            )
        },
        "checkout_number": order.checkout.number,
        "status_label": order.get_status_display(),
        "shop_name": order.shop.name,
        "fulfiller": "shop" if order.supplier_id is None else "supplier",
        "lines": list(order.lines.all()),
    }


def order_detail_out(order: Order) -> dict[str, Any]:
    numbers = {r.pk: r.number for r in order.after_sales.all()}
    return {
        **order_out(order),
        "ship_name": order.ship_name,
        "ship_mobile": order.ship_mobile,
        "address": order.address_line,
        "note": order.note,
        "history": [
            {
                "from_status": e.from_status,
                "to_status": e.to_status,
                "role": e.role,
                "reason": e.reason,
                "after_sales": numbers.get(e.after_sales_id) if e.after_sales_id else None,
                "created_at": e.created_at,
            }
            for e in order.events.all()
        ],
        "after_sales": list(order.after_sales.all()),
    }


def checkout_out(checkout: Checkout) -> dict[str, Any]:
    orders = list(checkout.orders.select_related("shop", "checkout").prefetch_related("lines"))
    return {
        "number": checkout.number,
        "status": checkout.status,
        "currency": checkout.currency,
        "items_total": checkout.items_total,
        "delivery_total": checkout.delivery_total,
        "total": checkout.total,
        "pay_by": checkout.pay_by,
        "orders": [order_out(o) for o in orders],
    }


# --- cart (guests too) -----------------------------------------------------------------------


def _cart_out(request: HttpRequest, cart: Cart | None) -> dict[str, Any]:
    if cart is None:
        return summary_out(CheckoutSummary(currency="CNY", groups=[]))
    lines = list(selectors.cart_lines(cart=cart))
    summary = summarise(
        buyer=buyer_of(request), lines=[(x.listing_id, x.sku_id, x.quantity) for x in lines]
    )
    return summary_out(summary, {(x.listing_id, x.sku_id): x.pk for x in lines})


@cart_router.get(
    "", response={200: SummaryOut}, summary="The cart, priced now, grouped by shop and fulfiller"
)
def cart_get(request: HttpRequest) -> dict[str, Any]:
    return _cart_out(request, cart_for_request(request, create=False))


@cart_router.post(
    "/lines", response={200: SummaryOut, **ERRORS}, summary="Put units of a SKU in the cart"
)
def cart_add(request: HttpRequest, payload: CartAddIn) -> dict[str, Any]:
    cart = cart_for_request(request, create=True)
    assert cart is not None
    services.cart_add(
        cart=cart,
        listing_id=payload.listing_id,
        sku_id=payload.sku_id,
        quantity=payload.quantity,
        buyer=buyer_of(request),
    )
    return _cart_out(request, cart)


@cart_router.patch(
    "/lines/{line_id}", response={200: SummaryOut, **ERRORS}, summary="Change a line's quantity"
)
def cart_set(request: HttpRequest, line_id: int, payload: CartQuantityIn) -> dict[str, Any]:
    cart = cart_for_request(request, create=False)
    if cart is None:
        raise NotFound(field="line_id")
    services.cart_set_quantity(cart=cart, line_id=line_id, quantity=payload.quantity)
    return _cart_out(request, cart)


@cart_router.delete(
    "/lines/{line_id}", response={200: SummaryOut, **ERRORS}, summary="Take a line out of the cart"
)
def cart_remove(request: HttpRequest, line_id: int) -> dict[str, Any]:
    cart = cart_for_request(request, create=False)
    if cart is None:
        raise NotFound(field="line_id")
    services.cart_remove(cart=cart, line_id=line_id)
    return _cart_out(request, cart)


# --- address book ----------------------------------------------------------------------------


def _address_input(payload: AddressIn) -> services.AddressInput:
    return services.AddressInput(**payload.model_dump())


@addresses_router.get("", response=list[AddressOut], summary="My addresses, the default first")
def addresses_list(request: HttpRequest) -> Any:
    return selectors.addresses_of(user=acting_user(request))


@addresses_router.post("", response={201: AddressOut, **ERRORS}, summary="Add an address")
def address_create(request: HttpRequest, payload: AddressIn) -> Status:
    return Status(
        201, services.address_create(user=acting_user(request), data=_address_input(payload))
    )


@addresses_router.put(
    "/{address_id}", response={200: AddressOut, **ERRORS}, summary="Change an address"
)
def address_update(request: HttpRequest, address_id: int, payload: AddressIn) -> Any:
    return services.address_update(
        user=acting_user(request), address_id=address_id, data=_address_input(payload)
    )


@addresses_router.delete(
    "/{address_id}", response={204: None, **ERRORS}, summary="Delete an address"
)
def address_delete(request: HttpRequest, address_id: int) -> Status:
    services.address_delete(user=acting_user(request), address_id=address_id)
    return Status(204, None)


# --- checkout --------------------------------------------------------------------------------


@checkout_router.post(
    "/preview",
    response={200: SummaryOut, **ERRORS},
    summary="What checking out would cost (nothing is written)",
)
def checkout_preview(request: HttpRequest, payload: PreviewIn) -> dict[str, Any]:
    summary = services.checkout_preview(
        buyer=acting_user(request),
        cart_line_ids=payload.cart_line_ids,
        address_id=payload.address_id,
        points=payload.points,
    )
    return summary_out(summary)


@checkout_router.post(
    "",
    response={201: CheckoutOut, **ERRORS},
    summary="Place orders from the cart (send an Idempotency-Key)",
    description="One checkout, one payment; one order per shop and fulfiller. Stock is reserved "
    "until the checkout is paid or its pay-by time runs out. Prices and totals are the server's.",
)
def checkout_place(request: HttpRequest, payload: CheckoutIn) -> Status:
    if payload.items is not None and payload.cart_line_ids is not None:
        raise ValidationFailed(_("Send either cart_line_ids or items, not both."), field="items")
    checkout = services.checkout_place(
        buyer=acting_user(request),
        address_id=payload.address_id,
        cart_line_ids=payload.cart_line_ids,
        items=[(x.listing_id, x.sku_id, x.quantity) for x in payload.items]
        if payload.items is not None
        else None,
        note=payload.note,
        points=payload.points,
    )
    return Status(201, checkout_out(checkout))


@checkout_router.get(
    "/{number}", response={200: CheckoutOut, **ERRORS}, summary="A checkout and its orders"
)
def checkout_get(request: HttpRequest, number: str) -> dict[str, Any]:
    return checkout_out(selectors.checkout_of(buyer=acting_user(request), number=number))


@checkout_router.post(
    "/{number}/cancel", response={200: CheckoutOut, **ERRORS}, summary="Cancel an unpaid checkout"
)
def checkout_cancel(request: HttpRequest, number: str, payload: ReasonIn) -> dict[str, Any]:
    from vshop.orders.errors import CheckoutNotPayable
    from vshop.orders.states import Role

    user = acting_user(request)
    checkout = selectors.checkout_of(buyer=user, number=number)
    if not services.checkout_cancel(
        checkout=checkout, role=Role.BUYER, actor=user, reason=payload.reason
    ):
        raise CheckoutNotPayable()
    checkout.refresh_from_db()
    return checkout_out(checkout)


# --- the buyer's orders ----------------------------------------------------------------------


@orders_router.get("", response=list[OrderOut], summary="My orders, newest first")
@paginate(Page)
def orders_list(request: HttpRequest, filters: Query[StatusFilter]) -> Any:
    orders = selectors.orders_of_buyer(buyer=acting_user(request), status=filters.status)
    return [order_out(o) for o in orders.select_related("checkout")]


@orders_router.get(
    "/{number}",
    response={200: OrderDetailOut, **ERRORS},
    summary="One of my orders, with its history",
)
def order_get(request: HttpRequest, number: str) -> dict[str, Any]:
    return order_detail_out(selectors.order_of_buyer(buyer=acting_user(request), number=number))


def _buyer_order(request: HttpRequest, number: str) -> dict[str, Any]:
    return order_get(request, number)


@orders_router.post(
    "/{number}/cancel",
    response={200: OrderDetailOut, **ERRORS},
    summary="Cancel (before shipping: refunded in full at once)",
)
def order_cancel(request: HttpRequest, number: str, payload: ReasonIn) -> dict[str, Any]:
    services.order_cancel(order_number=number, actor=acting_user(request), reason=payload.reason)
    return _buyer_order(request, number)


@orders_router.post(
    "/{number}/confirm-receipt",
    response={200: OrderDetailOut, **ERRORS},
    summary="I received the goods",
)
def order_confirm(request: HttpRequest, number: str) -> dict[str, Any]:
    services.order_confirm_receipt(order_number=number, actor=acting_user(request))
    return _buyer_order(request, number)


@orders_router.post(
    "/{number}/after-sales",
    response={201: AfterSalesOut, **ERRORS},
    summary="Ask for a refund after shipping (send an Idempotency-Key)",
    description="Without `lines`: everything still refundable, delivery included. With them: "
    "those amounts of those lines (and, to return goods, how many units).",
)
def after_sales_create(request: HttpRequest, number: str, payload: AfterSalesIn) -> Status:
    lines = (
        [
            after_sales.LineRefund(line_id=x.line_id, amount=x.amount, quantity=x.quantity)
            for x in payload.lines
        ]
        if payload.lines
        else None
    )
    created = after_sales.after_sales_request(
        buyer=acting_user(request),
        order_number=number,
        kind=payload.kind,
        reason=payload.reason,
        description=payload.description,
        lines=lines,
    )
    return Status(201, created)


@orders_router.post(
    "/after-sales/{number}/photos",
    response={200: AfterSalesOut, **ERRORS},
    summary="Add photos to my after-sales request (while it waits for the seller)",
)
def after_sales_photos(request: HttpRequest, number: str, photos: File[list[UploadedFile]]) -> Any:
    return after_sales.after_sales_add_photos(
        buyer=acting_user(request), number=number, photos=photos
    )


@orders_router.post(
    "/after-sales/{number}/withdraw",
    response={200: AfterSalesOut, **ERRORS},
    summary="Withdraw my request",
)
def after_sales_withdraw(request: HttpRequest, number: str) -> Any:
    return after_sales.after_sales_withdraw(buyer=acting_user(request), number=number)


@orders_router.post(
    "/after-sales/{number}/return-shipped",
    response={200: AfterSalesOut, **ERRORS},
    summary="I sent the goods back",
)
def after_sales_return_shipped(request: HttpRequest, number: str, payload: ReturnShippedIn) -> Any:
    return after_sales.after_sales_return_shipped(
        buyer=acting_user(request),
        number=number,
        carrier=payload.carrier,
        tracking_number=payload.tracking_number,
    )


@orders_router.post(
    "/after-sales/{number}/dispute",
    response={200: AfterSalesOut, **ERRORS},
    summary="Ask the platform to decide",
)
def after_sales_dispute(request: HttpRequest, number: str, payload: ReasonIn) -> Any:
    return after_sales.after_sales_dispute(
        buyer=acting_user(request), number=number, reason=payload.reason
    )


# --- the shop owner's orders -----------------------------------------------------------------


class ShopOrderFilter(Schema):
    shop_id: int | None = None
    status: str | None = None


@shop_orders_router.get("", response=list[OrderOut], summary="Orders of my shops")
@paginate(Page)
def shop_orders(request: HttpRequest, filters: Query[ShopOrderFilter]) -> Any:
    orders = selectors.orders_of_shop_owner(
        owner=acting_user(request), shop_id=filters.shop_id, status=filters.status
    )
    return [order_out(o) for o in orders.select_related("checkout")]


@shop_orders_router.get(
    "/{number}", response={200: OrderDetailOut, **ERRORS}, summary="One order of my shops"
)
def shop_order(request: HttpRequest, number: str) -> dict[str, Any]:
    return order_detail_out(
        selectors.order_of_shop_owner(owner=acting_user(request), number=number)
    )


# --- fulfilment: suppliers, and shop owners for their own goods ------------------------------


@fulfilment_router.get("/orders", response=list[OrderOut], summary="Orders I ship")
@paginate(Page)
def fulfil_orders(request: HttpRequest, filters: Query[StatusFilter]) -> Any:
    orders = selectors.orders_to_fulfil(user=acting_user(request), status=filters.status)
    return [order_out(o) for o in orders.select_related("checkout")]


@fulfilment_router.get(
    "/orders/packing-list.csv",
    response={200: None, **ERRORS},
    summary="What to pack: every paid order not yet shipped, one row per line (CSV)",
)
def packing_list(request: HttpRequest) -> HttpResponse:
    orders = selectors.orders_to_fulfil(user=acting_user(request), status="paid").order_by(
        "paid_at", "pk"
    )
    response = HttpResponse(
        exports.packing_list_csv(orders), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="packing-list.csv"'
    return response


@fulfilment_router.get(
    "/orders/{number}", response={200: OrderDetailOut, **ERRORS}, summary="An order I ship"
)
def fulfil_order(request: HttpRequest, number: str) -> dict[str, Any]:
    return order_detail_out(selectors.order_to_fulfil(user=acting_user(request), number=number))


@fulfilment_router.post(
    "/orders/{number}/ship",
    response={200: OrderDetailOut, **ERRORS},
    summary="Mark shipped, with carrier and tracking number",
)
def fulfil_ship(request: HttpRequest, number: str, payload: ShipIn) -> dict[str, Any]:
    user = acting_user(request)
    services.order_ship(
        order_number=number,
        actor=user,
        carrier=payload.carrier,
        tracking_number=payload.tracking_number,
    )
    return order_detail_out(selectors.order_to_fulfil(user=user, number=number))


@fulfilment_router.post(
    "/orders/{number}/cancel",
    response={200: OrderDetailOut, **ERRORS},
    summary="Cannot ship: cancel and refund the buyer in full",
)
def fulfil_cancel(request: HttpRequest, number: str, payload: ReasonIn) -> dict[str, Any]:
    user = acting_user(request)
    services.order_cancel_by_fulfiller(order_number=number, actor=user, reason=payload.reason)
    return order_detail_out(selectors.order_to_fulfil(user=user, number=number))


@fulfilment_router.get(
    "/after-sales", response=list[AfterSalesOut], summary="After-sales requests on orders I ship"
)
@paginate(Page)
def fulfil_after_sales(request: HttpRequest, filters: Query[StatusFilter]) -> Any:
    return selectors.after_sales_to_decide(user=acting_user(request), status=filters.status)


@fulfilment_router.post(
    "/after-sales/{number}/approve",
    response={200: AfterSalesOut, **ERRORS},
    summary="Approve (refund only: refunds now)",
)
def fulfil_approve(request: HttpRequest, number: str, payload: NoteIn) -> Any:
    return after_sales.after_sales_approve(
        actor=acting_user(request), number=number, note=payload.note
    )


@fulfilment_router.post(
    "/after-sales/{number}/reject",
    response={200: AfterSalesOut, **ERRORS},
    summary="Reject, saying why",
)
def fulfil_reject(request: HttpRequest, number: str, payload: NoteIn) -> Any:
    return after_sales.after_sales_reject(
        actor=acting_user(request), number=number, note=payload.note
    )


@fulfilment_router.post(
    "/after-sales/{number}/receive-return",
    response={200: AfterSalesOut, **ERRORS},
    summary="The goods are back: refund",
)
def fulfil_receive(request: HttpRequest, number: str) -> Any:
    return after_sales.after_sales_receive_return(actor=acting_user(request), number=number)


def _rule_out(rule: DeliveryRule | None) -> dict[str, Any]:
    return {"flat_fee": rule.flat_fee if rule else 0, "free_over": rule.free_over if rule else None}


@fulfilment_router.put(
    "/delivery-rule", response={200: DeliveryRuleOut, **ERRORS}, summary="My supplier delivery fee"
)
def supplier_rule(request: HttpRequest, payload: DeliveryRuleIn) -> dict[str, Any]:
    rule = services.delivery_rule_set(
        actor=acting_user(request), flat_fee=payload.flat_fee, free_over=payload.free_over
    )
    return _rule_out(rule)


@fulfilment_router.put(
    "/shops/{shop_id}/delivery-rule",
    response={200: DeliveryRuleOut, **ERRORS},
    summary="Delivery fee for my shop's own goods",
)
def shop_rule(request: HttpRequest, shop_id: int, payload: DeliveryRuleIn) -> dict[str, Any]:
    from vshop.shops.selectors import shop_of_owner

    user = acting_user(request)
    shop = shop_of_owner(owner=user, shop_id=shop_id)
    rule = services.delivery_rule_set(
        actor=user, shop=shop, flat_fee=payload.flat_fee, free_over=payload.free_over
    )
    return _rule_out(rule)


# --- operator --------------------------------------------------------------------------------


@operator_router.get(
    "/disputes", response=list[AfterSalesOut], summary="After-sales disputes waiting for a decision"
)
@paginate(Page)
def disputes(request: HttpRequest) -> Any:
    return selectors.disputes_for_operator(operator=require_operator(request))


@operator_router.post(
    "/after-sales/{number}/arbitrate",
    response={200: AfterSalesOut, **ERRORS},
    summary="Decide a dispute",
)
def arbitrate(request: HttpRequest, number: str, payload: ArbitrateIn) -> Any:
    return after_sales.after_sales_arbitrate(
        operator=require_operator(request), number=number, refund=payload.refund, note=payload.note
    )


@operator_router.post(
    "/orders/{number}/refund",
    response={200: OrderDetailOut, **ERRORS},
    summary="Give money back on a received or completed order",
)
def operator_refund(request: HttpRequest, number: str, payload: OperatorRefundIn) -> Any:
    order = after_sales.order_refund_by_operator(
        operator=require_operator(request),
        order_number=number,
        amount=payload.amount,
        reason=payload.reason,
    )
    return order_detail_out(selectors.order_for_operator(number=order.number))


@operator_router.get(
    "/orders/{number}",
    response={200: OrderDetailOut, **ERRORS},
    summary="Any order, with its history",
)
def operator_order(request: HttpRequest, number: str) -> dict[str, Any]:
    require_operator(request)
    return order_detail_out(selectors.order_for_operator(number=number))
