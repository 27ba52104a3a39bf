"""API shapes for buying. Amounts are integer minor units next to ``currency``. Nothing a client
sends about prices, totals or shops is accepted: inputs name only listings, SKUs, quantities,
addresses and cart lines."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import Strict

from vshop.api import Id, InputSchema, Minor

Quantity = Annotated[int, Strict(), Field(ge=1, le=10_000)]
Points = Annotated[int, Strict(), Field(ge=0, le=10**9)]
PointsSpend = Annotated[
    dict[Id, Points] | None,
    Field(
        max_length=50,
        description="Points to pay with, per shop: {shop id: points}. At most each shop's "
        "maximum (see the preview's points), and never more than she holds.",
    ),
]


class AddressIn(InputSchema):
    name: str = Field(max_length=40)
    mobile: str = Field(max_length=20)
    province: str = Field(max_length=20)
    city: str = Field(max_length=20)
    district: str = Field(max_length=20)
    detail: str = Field(max_length=120)
    is_default: bool = False


class AddressOut(Schema):
    id: int
    name: str
    mobile: str
    province: str
    city: str
    district: str
    detail: str
    is_default: bool


class CartAddIn(InputSchema):
    listing_id: Id
    sku_id: Id
    quantity: Quantity = 1


class CartQuantityIn(InputSchema):
    quantity: Quantity


class SummaryLineOut(Schema):
    cart_line_id: int | None = None
    listing_id: int
    sku_id: int
    title: str
    sku_label: str
    image_url: str = ""
    unit_price: int
    quantity: int
    line_total: int
    stock: int
    limit: int
    problem: str = ""
    problem_message: str = ""
    points_discount: int = Field(0, description="this line's part of the points discount")


class SummaryGroupOut(Schema):
    shop_id: int
    shop_name: str
    supplier_id: int | None
    fulfiller_name: str
    goods_total: int = Field(0, description="the goods before points")
    points_spent: int = 0
    points_discount: int = 0
    items_total: int
    delivery_fee: int
    total: int
    lines: list[SummaryLineOut]


class ShopPointsOut(Schema):
    shop_id: int
    shop_name: str = ""
    balance: int = Field(..., description="her points in this shop")
    max_points: int = Field(..., description="the most points this checkout can take here")
    usable: int = Field(..., description="min(balance, max_points)")
    usable_discount: int = Field(..., description="what the usable points take off (fen)")
    points_per_yuan_off: int
    used: int = 0
    discount: int = 0


class SummaryOut(Schema):
    currency: str
    items_total: int
    delivery_total: int
    total: int
    points_discount: int = 0
    groups: list[SummaryGroupOut]
    points: list[ShopPointsOut] = Field(
        default_factory=list, description="her points in each shop that takes them"
    )


class CheckoutItemIn(InputSchema):
    listing_id: Id
    sku_id: Id
    quantity: Quantity = 1


class CheckoutIn(InputSchema):
    address_id: Id
    cart_line_ids: list[Id] | None = Field(
        None, max_length=100, description="Check out only these cart lines (default: the cart)"
    )
    items: list[CheckoutItemIn] | None = Field(
        None,
        min_length=1,
        max_length=50,
        description='"Buy now": these items, without the cart (the cart is left as it is)',
    )
    note: str = Field("", max_length=200)
    points: PointsSpend = None


class PreviewIn(InputSchema):
    address_id: Id | None = None
    cart_line_ids: list[Id] | None = Field(None, max_length=100)
    points: PointsSpend = None


class OrderLineOut(Schema):
    id: int
    listing_id: int | None
    sku_id: int
    title: str
    sku_label: str
    unit_price: int
    quantity: int
    points_discount: int = 0
    line_total: int
    refunded_amount: int
    returned_quantity: int


class OrderEventOut(Schema):
    from_status: str
    to_status: str
    role: str
    reason: str
    after_sales: str | None = None
    created_at: datetime


class AfterSalesOut(Schema):
    number: str
    kind: str
    reason: str
    description: str
    amount: int
    status: str
    decision_note: str
    return_carrier: str
    return_tracking_number: str
    created_at: datetime


class OrderOut(Schema):
    number: str
    checkout_number: str
    status: str
    status_label: str
    shop_id: int
    shop_name: str
    fulfiller: Literal["supplier", "shop"]
    currency: str
    items_total: int
    delivery_fee: int
    total: int
    refunded_total: int
    points_spent: int = 0
    points_discount: int = Field(0, description="what her points took off the goods")
    created_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    confirm_by: datetime | None
    after_sales_until: datetime | None
    carrier: str
    tracking_number: str
    lines: list[OrderLineOut]


class OrderDetailOut(OrderOut):
    ship_name: str
    ship_mobile: str
    address: str
    note: str
    history: list[OrderEventOut]
    after_sales: list[AfterSalesOut]


class CheckoutOut(Schema):
    number: str
    status: str
    currency: str
    items_total: int
    delivery_total: int
    total: int
    pay_by: datetime
    orders: list[OrderOut]


class PaymentIn(InputSchema):
    gateway: str = Field(max_length=16)


class PaymentOut(Schema):
    number: str
    gateway: str
    amount: int
    currency: str
    status: str
    redirect_url: str = ""
    code_url: str = ""
    client_secret: str = ""


class GatewayOut(Schema):
    name: str
    label: str


class ReasonIn(InputSchema):
    reason: str = Field("", max_length=200)


class ShipIn(InputSchema):
    carrier: str = Field(max_length=40)
    tracking_number: str = Field(max_length=40)


class LineRefundIn(InputSchema):
    line_id: Id
    amount: Minor
    quantity: Annotated[int, Strict(), Field(ge=0, le=10_000)] = 0


class AfterSalesIn(InputSchema):
    kind: str = Field(max_length=20)
    reason: str = Field(max_length=20)
    description: str = Field("", max_length=1000)
    lines: list[LineRefundIn] | None = Field(None, max_length=100)


class NoteIn(InputSchema):
    note: str = Field("", max_length=300)


class ReturnShippedIn(InputSchema):
    carrier: str = Field(max_length=40)
    tracking_number: str = Field(max_length=40)


class ArbitrateIn(InputSchema):
    refund: bool
    note: str = Field(max_length=300)


class OperatorRefundIn(InputSchema):
    amount: Minor
    reason: str = Field(max_length=200)


class DeliveryRuleIn(InputSchema):
    flat_fee: Minor
    free_over: Minor | None = None


class DeliveryRuleOut(Schema):
    flat_fee: int
    free_over: int | None
