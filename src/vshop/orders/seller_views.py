"""The seller's order pages: a shop owner's orders across her shops (with her margin), the
orders an account ships (a supplier's catalogue orders, a shop owner's own goods) with the
packing list, shipping, cancelling and after-sales decisions, and delivery fees.

Thin: ``orders.selectors`` scope every read to the acting account (another account's order is
``NotFound``, a 404 page); ``orders.services`` and ``orders.after_sales`` make every change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from vshop.accounts.models import User
from vshop.catalog import selectors as catalog_selectors
from vshop.errors import DomainError, NotFound, ValidationFailed
from vshop.orders import after_sales, exports, selectors, services
from vshop.orders.models import (
    AfterSalesLine,
    AfterSalesPhoto,
    AfterSalesRequest,
    DeliveryRule,
    Order,
    OrderLine,
)
from vshop.orders.seller_forms import (
    ApproveForm,
    CancelForm,
    DeliveryRuleForm,
    RejectForm,
    ShipForm,
    ShopOrdersFilterForm,
)
from vshop.orders.states import AFTER_SALES_OPEN, AfterSalesStatus, OrderStatus, Role
from vshop.shops import selectors as shop_selectors
from vshop.shops.models import Shop
from vshop.web.auth import acting_user
from vshop.web.errors import domain_errors_as_pages, render_with_error

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PAGE_SIZE = 20

ROLE_LABELS = {
    Role.BUYER: gettext_lazy("Buyer"),
    Role.FULFILLER: gettext_lazy("Seller"),
    Role.OPERATOR: gettext_lazy("VShop"),
    Role.SYSTEM: gettext_lazy("Automatic"),
    Role.GATEWAY: gettext_lazy("Payment"),
}


# --- shared pieces -------------------------------------------------------------------------


@dataclass(frozen=True)
class Tab:
    label: str
    url: str
    current: bool


@dataclass(frozen=True)
class HistoryRow:
    when: object
    who: str
    what: str
    status: str
    reason: str


def _history(order: Order) -> list[HistoryRow]:
    """The order's events in words: after-sales events name the request they moved."""
    order_labels = dict(OrderStatus.choices)
    as_labels = dict(AfterSalesStatus.choices)
    numbers = {a.pk: a.number for a in order.after_sales.all()}
    rows = []
    for event in order.events.all():
        if event.after_sales_id:
            what = _("After-sales %(number)s") % {"number": numbers.get(event.after_sales_id, "")}
            status = str(as_labels.get(event.to_status, event.to_status))
        else:
            what = _("Order")
            status = str(order_labels.get(event.to_status, event.to_status))
        rows.append(
            HistoryRow(
                when=event.created_at,
                who=str(ROLE_LABELS.get(event.role, event.role)),
                what=what,
                status=status,
                reason=event.reason,
            )
        )
    return rows


def _page_of(request: HttpRequest, orders: QuerySet[Order]) -> Page[Order]:
    return Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _mask_name(name: str) -> str:
    return f"{name[:1]}**" if name else ""


def _mask_mobile(mobile: str) -> str:
    """``+8613800138000`` → ``138****8000``: enough to tell two buyers apart, not to call one."""
    national = mobile.removeprefix("+86")
    if len(national) < 8:
        return "*" * len(national)
    return f"{national[:3]}****{national[-4:]}"


def _refused(
    request: HttpRequest,
    template: str,
    context: dict[str, object],
    exc: DomainError,
    form: forms.Form,
) -> HttpResponse:
    """The page again with the service's refusal: on the field it names, else at the top."""
    if exc.field in form.fields:
        return render_with_error(request, template, {**context, "error_on_form": True}, exc, form)
    return render_with_error(request, template, context, exc)


# --- the shop owner's orders ---------------------------------------------------------------


@login_required
@domain_errors_as_pages
@require_GET
def shop_orders(request: HttpRequest) -> HttpResponse:
    """Orders of all her shops, newest first: filter by shop, one tab per status."""
    user = acting_user(request)
    shops = list(shop_selectors.shops_of_owner(owner=user))
    form = ShopOrdersFilterForm(
        request.GET if {"shop", "status"} & set(request.GET) else None,
        shops=[(s.pk, s.name) for s in shops],
    )
    shop_id: int | None = None
    status_value = ""
    http_status = 200
    if form.is_bound:
        if form.is_valid():
            shop_id = form.cleaned_data["shop"]
            status_value = form.cleaned_data["status"]
        else:
            http_status = 400
    orders = selectors.orders_of_shop_owner(
        owner=user, shop_id=shop_id, status=status_value or None
    )
    base = reverse("orders:shop_orders")
    keep = {"shop": shop_id} if shop_id else {}
    tabs = [
        Tab(
            label=str(label),
            url=f"{base}?{urlencode({**keep, 'status': value} if value else keep)}",
            current=value == status_value,
        )
        for value, label in [("", _("All")), *OrderStatus.choices]
    ]
    context = {
        "form": form,
        "shops": shops,
        "tabs": tabs,
        "page": _page_of(request, orders),
        "query": _query_without_page(request),
    }
    return render(request, "orders/seller/shop_orders.html", context, status=http_status)


@dataclass(frozen=True)
class MarginLine:
    line: OrderLine
    unit_margin: int | None  # None for her own goods: all of the price is hers
    line_margin: int | None


@login_required
@domain_errors_as_pages
@require_GET
def shop_order(request: HttpRequest, number: str) -> HttpResponse:
    """One order of her shops: what she earns on it; the buyer's address only to the city."""
    order = selectors.order_of_shop_owner(owner=acting_user(request), number=number)
    catalogue = order.supplier_id is not None
    lines = [
        MarginLine(
            line=x,
            unit_margin=(x.unit_price - x.supply_price) if catalogue else None,
            line_margin=(x.unit_price - x.supply_price) * x.quantity if catalogue else None,
        )
        for x in order.lines.all()
    ]
    context = {
        "order": order,
        "lines": lines,
        "margin_total": sum(x.line_margin or 0 for x in lines) if catalogue else None,
        "recipient": _mask_name(order.ship_name),
        "mobile": _mask_mobile(order.ship_mobile),
        "history": _history(order),
        "after_sales": _after_sales_rows(order, actions=False),
    }
    return render(request, "orders/seller/shop_order.html", context)


# --- fulfilment ----------------------------------------------------------------------------

FULFIL_TABS: list[tuple[str, StrOrPromise]] = [
    ("to_ship", gettext_lazy("To ship")),
    ("shipped", gettext_lazy("Shipped")),
    ("after_sales", gettext_lazy("After-sales open")),
    ("all", gettext_lazy("All")),
]


def _fulfil_orders(user: User, tab: str) -> QuerySet[Order]:
    if tab == "to_ship":
        return selectors.orders_to_fulfil(user=user, status=OrderStatus.PAID)
    if tab == "shipped":
        return selectors.orders_to_fulfil(user=user, status=OrderStatus.SHIPPED)
    orders = selectors.orders_to_fulfil(user=user)
    if tab == "after_sales":
        # One request is open per order at a time, so this join adds no duplicates.
        orders = orders.filter(after_sales__status__in=AFTER_SALES_OPEN)
    return orders


@login_required
@domain_errors_as_pages
@require_GET
def fulfil_list(request: HttpRequest) -> HttpResponse:
    """The orders this account ships, by what needs doing."""
    tab = request.GET.get("tab", "to_ship")
    if tab not in dict(FULFIL_TABS):
        raise ValidationFailed(_("There is no such list of orders."), field="tab")
    user = acting_user(request)
    base = reverse("orders:fulfil_list")
    tabs = [
        Tab(label=str(label), url=f"{base}?tab={value}", current=value == tab)
        for value, label in FULFIL_TABS
    ]
    context = {
        "tab": tab,
        "tabs": tabs,
        "page": _page_of(request, _fulfil_orders(user, tab)),
        "query": _query_without_page(request),
        "is_supplier": catalog_selectors.supplier_of_user(user=user) is not None,
    }
    return render(request, "orders/seller/fulfil_list.html", context)


@login_required
@domain_errors_as_pages
@require_GET
def packing_list(request: HttpRequest) -> HttpResponse:
    """Every paid order this account still has to ship, one row per line, as CSV."""
    orders = selectors.orders_to_fulfil(user=acting_user(request), status=OrderStatus.PAID)
    response = HttpResponse(
        exports.packing_list_csv(orders.order_by("paid_at", "pk")),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="packing-list.csv"'
    return response


@dataclass
class AfterSalesRow:
    request: AfterSalesRequest
    lines: list[tuple[OrderLine, AfterSalesLine]]
    photos: list[AfterSalesPhoto]
    can_decide: bool = False
    can_receive: bool = False
    approve_form: forms.Form = field(default_factory=ApproveForm)
    reject_form: forms.Form = field(default_factory=RejectForm)


def _after_sales_rows(
    order: Order, *, actions: bool, bound: tuple[str, forms.Form] | None = None
) -> list[AfterSalesRow]:
    """The order's after-sales requests with their lines and photos; with ``actions``, what
    the fulfiller may do now, and the form she just posted (``bound``) with its errors."""
    order_lines = {x.pk: x for x in order.lines.all()}
    rows = []
    for asr in order.after_sales.all():
        row = AfterSalesRow(
            request=asr,
            lines=[(order_lines[x.order_line_id], x) for x in asr.lines.all()],
            photos=list(asr.photos.all()),
            can_decide=actions and asr.status == AfterSalesStatus.REQUESTED,
            can_receive=actions and asr.status == AfterSalesStatus.RETURN_SHIPPED,
        )
        if bound is not None and bound[0] == asr.number:
            if isinstance(bound[1], RejectForm):
                row.reject_form = bound[1]
            else:
                row.approve_form = bound[1]
        # Several requests' forms on one page: their fields need ids of their own.
        row.approve_form.auto_id = f"approve-{asr.number}-%s"
        row.reject_form.auto_id = f"reject-{asr.number}-%s"
        rows.append(row)
    return rows


FULFIL_TEMPLATE = "orders/seller/fulfil_detail.html"


def _fulfil_context(
    order: Order,
    *,
    ship_form: forms.Form | None = None,
    cancel_form: forms.Form | None = None,
    bound: tuple[str, forms.Form] | None = None,
) -> dict[str, object]:
    can_ship = order.status == OrderStatus.PAID
    return {
        "order": order,
        "can_ship": can_ship,
        "ship_form": ship_form or ShipForm(),
        "cancel_form": cancel_form or CancelForm(),
        "history": _history(order),
        "after_sales": _after_sales_rows(order, actions=True, bound=bound),
    }


def _back_to_order(order: Order) -> HttpResponse:
    return redirect("orders:fulfil_detail", number=order.number)


def _ship(request: HttpRequest, user: User, order: Order) -> HttpResponse:
    form = ShipForm(request.POST)
    context = _fulfil_context(order, ship_form=form)
    if not form.is_valid():
        return render(request, FULFIL_TEMPLATE, context, status=400)
    try:
        services.order_ship(
            order_number=order.number,
            actor=user,
            carrier=form.cleaned_data["carrier"],
            tracking_number=form.cleaned_data["tracking_number"],
        )
    except DomainError as exc:
        return _refused(request, FULFIL_TEMPLATE, context, exc, form)
    messages.success(request, _("Marked as shipped: the buyer has been told."))
    return _back_to_order(order)


def _cancel(request: HttpRequest, user: User, order: Order) -> HttpResponse:
    form = CancelForm(request.POST)
    context = _fulfil_context(order, cancel_form=form)
    if not form.is_valid():
        return render(request, FULFIL_TEMPLATE, context, status=400)
    try:
        services.order_cancel_by_fulfiller(
            order_number=order.number, actor=user, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        return _refused(request, FULFIL_TEMPLATE, context, exc, form)
    messages.success(request, _("The order is cancelled and the buyer is being refunded in full."))
    return _back_to_order(order)


def _after_sales_number(request: HttpRequest, order: Order) -> str:
    """The posted request number, if it is one of this order's requests."""
    number = request.POST.get("request_number", "")
    if number not in {a.number for a in order.after_sales.all()}:
        raise NotFound()
    return number


def _approve(request: HttpRequest, user: User, order: Order) -> HttpResponse:
    number = _after_sales_number(request, order)
    form = ApproveForm(request.POST)
    context = _fulfil_context(order, bound=(number, form))
    if not form.is_valid():
        return render(request, FULFIL_TEMPLATE, context, status=400)
    try:
        done = after_sales.after_sales_approve(
            actor=user, number=number, note=form.cleaned_data["note"]
        )
    except DomainError as exc:
        return _refused(request, FULFIL_TEMPLATE, context, exc, form)
    if done.status == AfterSalesStatus.REFUNDED:
        messages.success(request, _("Approved: the buyer is being refunded."))
    else:
        messages.success(request, _("Approved: the buyer will send the goods back."))
    return _back_to_order(order)


def _reject(request: HttpRequest, user: User, order: Order) -> HttpResponse:
    number = _after_sales_number(request, order)
    form = RejectForm(request.POST)
    context = _fulfil_context(order, bound=(number, form))
    if not form.is_valid():
        return render(request, FULFIL_TEMPLATE, context, status=400)
    try:
        after_sales.after_sales_reject(actor=user, number=number, note=form.cleaned_data["note"])
    except DomainError as exc:
        return _refused(request, FULFIL_TEMPLATE, context, exc, form)
    messages.success(request, _("Rejected. The buyer may ask VShop to decide."))
    return _back_to_order(order)


def _receive(request: HttpRequest, user: User, order: Order) -> HttpResponse:
    number = _after_sales_number(request, order)
    try:
        after_sales.after_sales_receive_return(actor=user, number=number)
    except DomainError as exc:
        return render_with_error(request, FULFIL_TEMPLATE, _fulfil_context(order), exc)
    messages.success(request, _("Goods received back: the buyer is being refunded."))
    return _back_to_order(order)


FULFIL_ACTIONS: dict[str, Callable[[HttpRequest, User, Order], HttpResponse]] = {
    "ship": _ship,
    "cancel": _cancel,
    "approve": _approve,
    "reject": _reject,
    "receive": _receive,
}


@login_required
@domain_errors_as_pages
@require_http_methods(["GET", "POST"])
def fulfil_detail(request: HttpRequest, number: str) -> HttpResponse:
    """An order this account ships: the full address, ship or cancel, after-sales decisions."""
    user = acting_user(request)
    order = selectors.order_to_fulfil(user=user, number=number)
    if request.method != "POST":
        return render(request, FULFIL_TEMPLATE, _fulfil_context(order))
    action = FULFIL_ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        raise ValidationFailed(_("Choose what to do with this order."), field="action")
    return action(request, user, order)


# --- delivery fees -------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleSection:
    key: str
    title: str
    rule: DeliveryRule | None
    form: DeliveryRuleForm
    shop: Shop | None = None


def _rule_initial(rule: DeliveryRule | None) -> dict[str, str]:
    if rule is None:
        return {}

    def yuan(fen: int) -> str:
        return f"{fen // 100}.{fen % 100:02d}"

    return {
        "flat_fee": yuan(rule.flat_fee),
        "free_over": "" if rule.free_over is None else yuan(rule.free_over),
    }


@login_required
@domain_errors_as_pages
@require_http_methods(["GET", "POST"])
def delivery_rules(request: HttpRequest) -> HttpResponse:
    """A supplier's delivery fee for the catalogue products it ships, and one per shop for the
    owner's own goods."""
    template = "orders/seller/delivery_rules.html"
    user = acting_user(request)
    target = request.POST.get("target", "") if request.method == "POST" else ""
    supplier = catalog_selectors.supplier_of_user(user=user)
    owners: list[tuple[str, str, object, Shop | None]] = []
    if supplier is not None:
        owners.append(("supplier", supplier.company_name, supplier, None))
    owners.extend((f"shop-{s.pk}", s.name, s, s) for s in shop_selectors.shops_of_owner(owner=user))
    if target and target not in {key for key, *_rest in owners}:
        raise NotFound()
    sections = []
    for key, title, owner, of_shop in owners:
        rule = getattr(owner, "delivery_rule", None)  # no rule yet: delivery is free
        form = DeliveryRuleForm(
            request.POST if key == target else None, prefix=key, initial=_rule_initial(rule)
        )
        sections.append(RuleSection(key=key, title=title, rule=rule, form=form, shop=of_shop))
    context: dict[str, object] = {"sections": sections}
    if not target:
        return render(request, template, context)
    section = next(s for s in sections if s.key == target)
    if not section.form.is_valid():
        return render(request, template, context, status=400)
    try:
        services.delivery_rule_set(
            actor=user,
            shop=section.shop,
            flat_fee=section.form.cleaned_data["flat_fee"],
            free_over=section.form.cleaned_data["free_over"],
        )
    except DomainError as exc:
        return _refused(request, template, context, exc, section.form)
    messages.success(request, _("Delivery fee saved for %(name)s.") % {"name": section.title})
    return redirect("orders:delivery_rules")
