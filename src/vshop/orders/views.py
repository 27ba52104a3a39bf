"""The buyer's pages: the cart (guests too), checkout, paying, her orders, after-sales and her
address book.

Thin: forms check the shape of the input, ``orders.services`` and ``orders.after_sales`` the
rules. A ``DomainError`` re-renders the page with its message and its status (400, 404, 409);
nothing was written. Every change is a POST, answered with a redirect (or, for htmx, with the
part of the page that changed), so the pages work without JavaScript too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from vshop.accounts.models import User
from vshop.errors import DomainError, NotFound, ValidationFailed
from vshop.money import parse_money
from vshop.orders import after_sales, selectors, services
from vshop.orders.carts import SESSION_KEY, cart_for_request
from vshop.orders.errors import CheckoutExpired
from vshop.orders.forms import (
    NEW_ADDRESS,
    AddressForm,
    AfterSalesForm,
    CartAddForm,
    CheckoutForm,
    PayForm,
    QuantityForm,
    ReasonForm,
    ReturnShippedForm,
)
from vshop.orders.models import (
    AfterSalesKind,
    AfterSalesRequest,
    Cart,
    CartLine,
    Checkout,
    CheckoutStatus,
    Order,
    OrderEvent,
    OrderLine,
)
from vshop.orders.pricing import CheckoutSummary, SummaryGroup, SummaryLine, summarise
from vshop.orders.states import AFTER_SALES_OPEN, AfterSalesStatus, OrderStatus, Role
from vshop.payments import services as payments
from vshop.payments.gateways import available_gateways
from vshop.payments.models import Payment, PaymentStatus
from vshop.web.auth import acting_user
from vshop.web.errors import domain_errors_as_pages, render_with_error

PER_PAGE = 20
MAX_PAGE = 500
# Paying by card (Stripe) needs Stripe.js from Stripe's servers, which these pages never load.
PAGE_GATEWAYS_EXCLUDED = frozenset({"stripe"})
GATEWAY_LABELS = {
    "sandbox": gettext_lazy("Sandbox (test money)"),
    "wechatpay": gettext_lazy("WeChat Pay"),
    "alipay": gettext_lazy("Alipay"),
}


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _buyer(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


def _first_error(form: Any) -> ValidationFailed:
    """The form's first complaint as a domain error, for pages that show one message."""
    for field, errors in form.errors.items():
        return ValidationFailed(errors[0], field=None if field == "__all__" else field)
    return ValidationFailed()


def _page_number(request: HttpRequest) -> int:
    try:
        return min(max(int(request.GET.get("page", "1")), 1), MAX_PAGE)
    except ValueError:
        return 1


# --- the cart --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CartRow:
    """One line of the cart as the page shows it: the priced line and the cart line it is."""

    line: SummaryLine
    cart_line: CartLine

    @property
    def image_url(self) -> str:
        return settings.MEDIA_URL + self.line.image if self.line.image else ""


@dataclass(frozen=True)
class CartGroup:
    group: SummaryGroup
    rows: list[CartRow]


def _cart_context(request: HttpRequest, cart: Cart | None) -> dict[str, object]:
    """The cart priced now by the same code that checkout uses (``pricing.summarise``)."""
    lines = list(selectors.cart_lines(cart=cart)) if cart is not None else []
    summary = summarise(
        buyer=_buyer(request), lines=[(x.listing_id, x.sku_id, x.quantity) for x in lines]
    )
    by_key = {(x.listing_id, x.sku_id): x for x in lines}
    groups = [
        CartGroup(g, [CartRow(x, by_key[(x.listing_id, x.sku_id)]) for x in g.lines])
        for g in summary.groups
    ]
    return {
        "summary": summary,
        "groups": groups,
        "units": sum(x.quantity for x in lines),
        "has_problems": bool(summary.problems),
    }


def _cart_page(
    request: HttpRequest,
    cart: Cart | None,
    *,
    error: DomainError | None = None,
    error_line: int | None = None,
) -> HttpResponse:
    context = {**_cart_context(request, cart), "error": error, "error_line": error_line}
    template = "orders/_cart.html" if _is_htmx(request) else "orders/cart.html"
    return render(request, template, context, status=error.status if error else 200)


def cart(request: HttpRequest) -> HttpResponse:
    """The cart, grouped by shop and fulfiller, with each line's problem and the delivery fees."""
    return _cart_page(request, cart_for_request(request, create=False))


def _add_to_cart(request: HttpRequest, *, listing_id: int, sku_id: int, quantity: int) -> CartLine:
    """Add, creating a guest's cart on her first add; a refused add leaves no cart behind."""
    had_cart = SESSION_KEY in request.session
    session_modified = request.session.modified
    try:
        with transaction.atomic():
            cart = cart_for_request(request, create=True)
            assert cart is not None
            return services.cart_add(
                cart=cart,
                listing_id=listing_id,
                sku_id=sku_id,
                quantity=quantity,
                buyer=_buyer(request),
            )
    except DomainError:
        if not had_cart:
            request.session.pop(SESSION_KEY, None)
            request.session.modified = session_modified
        raise


def _back_url(request: HttpRequest) -> str:
    target = request.META.get("HTTP_REFERER", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("orders:cart")


@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    """The buy box: "Add to cart" (htmx answers in place) or "Buy now" (on to checkout)."""
    form = CartAddForm(request.POST)
    error: DomainError | None = None
    line: CartLine | None = None
    if not form.is_valid():
        error = _first_error(form)
    else:
        data = form.cleaned_data
        try:
            line = _add_to_cart(
                request,
                listing_id=data["listing_id"],
                sku_id=data["sku_id"],
                quantity=data["quantity"],
            )
        except DomainError as exc:
            error = exc
    if error is not None or line is None:
        error = error or ValidationFailed()
        template = "orders/_added.html" if _is_htmx(request) else "orders/add_problem.html"
        return render(
            request, template, {"error": error, "back_url": _back_url(request)}, status=error.status
        )
    if form.cleaned_data["buy_now"]:
        url = f"{reverse('orders:checkout')}?lines={line.pk}"
        return HttpResponseClientRedirect(url) if _is_htmx(request) else redirect(url)
    if _is_htmx(request):
        return render(request, "orders/_added.html", {"line": line})
    messages.success(request, _("Added to your cart."))
    return redirect("orders:cart")


@require_POST
def cart_line(request: HttpRequest, line_id: int) -> HttpResponse:
    """Change a line's quantity, or take it out (the ``remove`` button)."""
    cart = cart_for_request(request, create=False)
    try:
        if cart is None:
            raise NotFound(field="line_id")
        if "remove" in request.POST:
            services.cart_remove(cart=cart, line_id=line_id)
        else:
            form = QuantityForm(request.POST)
            if not form.is_valid():
                raise _first_error(form)
            services.cart_set_quantity(
                cart=cart, line_id=line_id, quantity=form.cleaned_data["quantity"]
            )
    except DomainError as exc:
        return _cart_page(request, cart, error=exc, error_line=line_id)
    if _is_htmx(request):
        return _cart_page(request, cart)
    return redirect("orders:cart")


# --- checkout --------------------------------------------------------------------------------


def _line_ids(request: HttpRequest) -> list[int] | None:
    """The cart lines to check out (``?lines=1,2`` from "Buy now"), else the whole cart."""
    raw = request.POST.get("lines") or request.GET.get("lines") or ""
    ids = [int(x) for x in raw.split(",") if x.strip().isdigit()][:100]
    return ids or None


def _points_posted(request: HttpRequest) -> dict[int, int]:
    """``points_<shop id>`` fields of the checkout form: the points she uses per shop (a
    number that is not one is refused by the service as an amount it cannot take)."""
    spend: dict[int, int] = {}
    for name in request.POST:
        value = str(request.POST.get(name, "")).strip()
        if name.startswith("points_") and name[7:].isdigit() and value:
            if not value.isdigit() or len(value) > 10:
                raise ValidationFailed(_("Enter a whole number of points."), field="points")
            spend[int(name[7:])] = int(value)
    return spend


def _checkout_context(
    request: HttpRequest,
    buyer: User,
    summary: CheckoutSummary,
    form: CheckoutForm,
    address_form: AddressForm,
    line_ids: Sequence[int] | None,
) -> dict[str, object]:
    return {
        "summary": summary,
        "addresses": list(selectors.addresses_of(user=buyer)),
        "form": form,
        "address_form": address_form,
        "lines_param": ",".join(str(x) for x in line_ids) if line_ids else "",
        "chosen": str(form["address"].value() or ""),
        "NEW_ADDRESS": NEW_ADDRESS,
        "points_posted": {k[7:]: v for k, v in request.POST.items() if k.startswith("points_")},
    }


@login_required
@domain_errors_as_pages
def checkout(request: HttpRequest) -> HttpResponse:
    """Where to deliver, a note, what it costs (the server's figures); "Place order" reserves
    the stock and goes on to paying."""
    template = "orders/checkout.html"
    buyer = acting_user(request)
    line_ids = _line_ids(request)
    try:
        summary = services.checkout_preview(buyer=buyer, cart_line_ids=line_ids)
    except NotFound:
        messages.info(request, _("Your cart has changed: please check it and check out again."))
        return redirect("orders:cart")
    addresses = list(selectors.addresses_of(user=buyer))
    default = next((a for a in addresses if a.is_default), addresses[0] if addresses else None)
    posted = request.POST if request.method == "POST" else None
    form = CheckoutForm(posted, initial={"address": default.pk if default else NEW_ADDRESS})
    new_address = posted is not None and posted.get("address") == NEW_ADDRESS
    address_form = AddressForm(posted if new_address else None)
    context = _checkout_context(request, buyer, summary, form, address_form, line_ids)
    if posted is None:
        return render(request, template, context)
    if not form.is_valid() or (new_address and not address_form.is_valid()):
        return render(request, template, context, status=400)
    try:
        with transaction.atomic():  # a refused order keeps no half-made address either
            if new_address:
                address_id = services.address_create(user=buyer, data=address_form.as_input()).pk
            else:
                address_id = int(form.cleaned_data["address"])
            placed = services.checkout_place(
                buyer=buyer,
                address_id=address_id,
                cart_line_ids=line_ids,
                note=form.cleaned_data["note"],
                points=_points_posted(request),
            )
    except DomainError as exc:
        on = address_form if new_address and exc.field in address_form.fields else form
        return render_with_error(request, template, context, exc, on)
    return redirect("orders:checkout_pay", placed.number)


def _gateway_choices() -> list[tuple[str, str]]:
    return [
        (name, str(GATEWAY_LABELS.get(name, gateway.label)))
        for name, gateway in available_gateways().items()
        if name not in PAGE_GATEWAYS_EXCLUDED
    ]


def _qr_data_uri(text: str) -> str:
    """The WeChat Pay code as an inline SVG image, drawn here: no CDN, no request to anyone."""
    import base64

    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    svg = image.to_string()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


@login_required
@domain_errors_as_pages
def checkout_pay(request: HttpRequest, number: str) -> HttpResponse:
    """The total, the time left, how to pay. An expired checkout answers 409 with a message."""
    template = "orders/checkout_pay.html"
    buyer = acting_user(request)
    checkout = selectors.checkout_of(buyer=buyer, number=number)
    if checkout.status == CheckoutStatus.PAID:
        return redirect("orders:checkout_done", checkout.number)
    try:
        checkout = services.checkout_for_payment(buyer=buyer, number=number)
    except DomainError as exc:
        checkout.refresh_from_db()
        return render(
            request,
            "orders/checkout_closed.html",
            {"checkout": checkout, "error": exc, "expired": isinstance(exc, CheckoutExpired)},
            status=exc.status,
        )
    form = PayForm(request.POST or None, gateways=_gateway_choices())
    seconds_left = max(int((checkout.pay_by - timezone.now()).total_seconds()), 0)
    context: dict[str, object] = {
        "checkout": checkout,
        "orders": list(selectors.orders_of_buyer(buyer=buyer).filter(checkout=checkout)),
        "form": form,
        "seconds_left": seconds_left,
        "minutes_left": (seconds_left + 59) // 60,
    }
    if request.method != "POST":
        return render(request, template, context)
    if not form.is_valid():
        return render(request, template, context, status=400)
    try:
        _payment, start = payments.payment_start(
            buyer=buyer,
            checkout_number=checkout.number,
            gateway=form.cleaned_data["gateway"],
            buyer_ip=request.META.get("REMOTE_ADDR", ""),
        )
    except DomainError as exc:
        return render_with_error(request, template, context, exc, form)
    if start.redirect_url:
        return redirect(start.redirect_url)
    if start.code_url:
        return render(
            request, template, {**context, "qr": _qr_data_uri(start.code_url), "paying": True}
        )
    return render_with_error(
        request,
        template,
        context,
        ValidationFailed(_("This way of paying cannot be used on this page."), field="gateway"),
        form,
    )


def _latest_payment(checkout: Checkout) -> Payment | None:
    from vshop.payments.selectors import latest_payment

    return latest_payment(checkout=checkout)


@login_required
@domain_errors_as_pages
def checkout_done(request: HttpRequest, number: str) -> HttpResponse:
    """Back from paying: wait for the confirmation (htmx asks every 2 s, and asks the provider
    itself, so it works without the worker), then her orders."""
    buyer = acting_user(request)
    checkout = selectors.checkout_of(buyer=buyer, number=number)
    payment = (
        _latest_payment(checkout) if checkout.status == CheckoutStatus.PENDING_PAYMENT else None
    )
    if payment is not None and payment.status == PaymentStatus.CREATED:
        # The provider could not be reached: ask again on the next poll.
        with contextlib.suppress(DomainError):
            payments.payment_sync(payment=payment)
        checkout = selectors.checkout_of(buyer=buyer, number=number)
        payment.refresh_from_db()
    context = {
        "checkout": checkout,
        "payment": payment,
        "failed": payment is not None and payment.status == PaymentStatus.FAILED,
        "orders": list(selectors.orders_of_buyer(buyer=buyer).filter(checkout=checkout)),
        "waiting": checkout.status == CheckoutStatus.PENDING_PAYMENT
        and checkout.pay_by > timezone.now(),
    }
    template = "orders/_checkout_status.html" if _is_htmx(request) else "orders/checkout_done.html"
    return render(request, template, context)


# --- the address book ------------------------------------------------------------------------


@login_required
@domain_errors_as_pages
def addresses(request: HttpRequest) -> HttpResponse:
    """Her addresses, the default first, and a form to add one."""
    template = "orders/addresses.html"
    buyer = acting_user(request)
    form = AddressForm(request.POST or None)
    context = {"addresses": list(selectors.addresses_of(user=buyer)), "form": form}
    if request.method != "POST":
        return render(request, template, context)
    if not form.is_valid():
        return render(request, template, context, status=400)
    try:
        services.address_create(user=buyer, data=form.as_input())
    except DomainError as exc:
        return render_with_error(request, template, context, exc, form)
    messages.success(request, _("Address saved."))
    return redirect("orders:addresses")


@login_required
@domain_errors_as_pages
def address_edit(request: HttpRequest, address_id: int) -> HttpResponse:
    """Change, delete (``action=delete``) or make default (``action=default``) one address."""
    template = "orders/address_edit.html"
    buyer = acting_user(request)
    address = selectors.address_of(user=buyer, address_id=address_id)
    action = request.POST.get("action", "save") if request.method == "POST" else ""
    if action == "delete":
        services.address_delete(user=buyer, address_id=address.pk)
        messages.success(request, _("Address deleted."))
        return redirect("orders:addresses")
    if action == "default":
        services.address_update(
            user=buyer,
            address_id=address.pk,
            data=services.AddressInput(
                name=address.name,
                mobile=address.mobile,
                province=address.province,
                city=address.city,
                district=address.district,
                detail=address.detail,
                is_default=True,
            ),
        )
        messages.success(request, _("This is now your default address."))
        return redirect("orders:addresses")
    initial = {
        f: getattr(address, f)
        for f in ("name", "mobile", "province", "city", "district", "detail", "is_default")
    }
    form = AddressForm(request.POST if action == "save" else None, initial=initial)
    context = {"address": address, "form": form}
    if not action:
        return render(request, template, context)
    if not form.is_valid():
        return render(request, template, context, status=400)
    try:
        services.address_update(user=buyer, address_id=address.pk, data=form.as_input())
    except DomainError as exc:
        return render_with_error(request, template, context, exc, form)
    messages.success(request, _("Address saved."))
    return redirect("orders:addresses")


# --- her orders ------------------------------------------------------------------------------

S = OrderStatus
TABS: list[tuple[str, Any]] = [
    ("all", gettext_lazy("All")),
    ("to_pay", gettext_lazy("To pay")),
    ("to_ship", gettext_lazy("To ship")),
    ("shipped", gettext_lazy("Shipped")),
    ("to_review", gettext_lazy("To review")),
    ("after_sales", gettext_lazy("After-sales")),
]
_TAB_STATUSES = {
    "to_pay": [S.PENDING_PAYMENT],
    "to_ship": [S.PAID],
    "shipped": [S.SHIPPED],
    "to_review": [S.DELIVERED, S.COMPLETED],
}


def _orders_in_tab(buyer: User, tab: str) -> QuerySet[Order]:
    qs = selectors.orders_of_buyer(buyer=buyer).select_related("checkout")
    if tab in _TAB_STATUSES:
        return qs.filter(status__in=_TAB_STATUSES[tab])
    if tab == "after_sales":
        ids = AfterSalesRequest.objects.filter(order__buyer=buyer).values("order_id")
        return qs.filter(Q(pk__in=ids) | Q(refunded_total__gt=0) | Q(status=S.REFUNDED))
    return qs


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    """Her orders, newest first, by tab."""
    tab = request.GET.get("tab", "all")
    if tab not in dict(TABS):
        tab = "all"
    page = _page_number(request)
    start = (page - 1) * PER_PAGE
    rows = list(_orders_in_tab(acting_user(request), tab)[start : start + PER_PAGE + 1])
    return render(
        request,
        "orders/order_list.html",
        {
            "tabs": TABS,
            "tab": tab,
            "orders": rows[:PER_PAGE],
            "has_more": len(rows) > PER_PAGE,
            "page": page,
            "next_page": page + 1,
            "previous_page": page - 1,
        },
    )


def _after_sales_open(order: Order) -> bool:
    """May she ask for money back now: shipped or received, inside the window, none open."""
    if order.status not in (S.SHIPPED, S.DELIVERED):
        return False
    if order.after_sales_until is not None and order.after_sales_until <= timezone.now():
        return False
    return not any(r.status in AFTER_SALES_OPEN for r in order.after_sales.all())


ROLE_LABELS = {
    Role.BUYER: gettext_lazy("You"),
    Role.FULFILLER: gettext_lazy("The seller"),
    Role.OPERATOR: gettext_lazy("VShop"),
    Role.SYSTEM: gettext_lazy("Automatically"),
    Role.GATEWAY: gettext_lazy("The payment provider"),
}


@dataclass(frozen=True)
class EventRow:
    """One line of the order's history as she reads it: what it became, who did it, why."""

    event: OrderEvent
    status: str
    who: str
    after_sales: str


def _event_rows(order: Order) -> list[EventRow]:
    numbers = {r.pk: r.number for r in order.after_sales.all()}
    rows = []
    for e in order.events.all():
        choices = AfterSalesStatus if e.after_sales_id else OrderStatus
        status = str(choices(e.to_status).label) if e.to_status in choices.values else e.to_status
        rows.append(
            EventRow(
                event=e,
                status=status,
                who=str(ROLE_LABELS.get(e.role, e.role)),
                after_sales=numbers.get(e.after_sales_id, "") if e.after_sales_id else "",
            )
        )
    return rows


def _detail_context(request: HttpRequest, order: Order) -> dict[str, object]:
    buyer = acting_user(request)
    return {
        "order": order,
        "lines": list(order.lines.all()),
        "events": _event_rows(order),
        "requests": list(order.after_sales.all()),
        "can_request": _after_sales_open(order),
        "viewer_tz": buyer.time_zone or settings.TIME_ZONE,
        "return_form": ReturnShippedForm(),
        "dispute_form": ReasonForm(),
        "AS": AfterSalesStatus,
    }


def _order_action(request: HttpRequest, buyer: User, order: Order) -> str:
    """Do what the detail page's button asked; the message to show after."""
    action = request.POST.get("action", "")
    request_number = request.POST.get("request", "")
    number = order.number
    if action == "cancel":
        services.order_cancel(
            order_number=number, actor=buyer, reason=request.POST.get("reason", "")
        )
        return _("The order is cancelled.")
    if action == "confirm":
        services.order_confirm_receipt(order_number=number, actor=buyer)
        return _("Thank you! The order is marked received.")
    if action not in ("withdraw", "return_shipped", "dispute"):
        raise ValidationFailed(_("Choose what to do."), field="action")
    if not any(r.number == request_number for r in order.after_sales.all()):
        raise NotFound(field="request")  # not a request of this order
    if action == "withdraw":
        after_sales.after_sales_withdraw(buyer=buyer, number=request_number)
        return _("Your request is withdrawn.")
    if action == "return_shipped":
        shipped = ReturnShippedForm(request.POST)
        if not shipped.is_valid():
            raise _first_error(shipped)
        after_sales.after_sales_return_shipped(
            buyer=buyer,
            number=request_number,
            carrier=shipped.cleaned_data["carrier"],
            tracking_number=shipped.cleaned_data["tracking_number"],
        )
        return _("Thank you: the seller refunds you once the goods are back.")
    form = ReasonForm(request.POST)  # the dispute
    if not form.is_valid():
        raise _first_error(form)
    after_sales.after_sales_dispute(
        buyer=buyer, number=request_number, reason=form.cleaned_data["reason"]
    )
    return _("The platform will look at your request and decide.")


@login_required
@domain_errors_as_pages
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    """One of her orders: lines, address, money, tracking, history and after-sales, with the
    buttons its state allows. Another buyer's order is not found (404)."""
    template = "orders/order_detail.html"
    buyer = acting_user(request)
    order = selectors.order_of_buyer(buyer=buyer, number=number)
    if request.method != "POST":
        return render(request, template, _detail_context(request, order))
    try:
        done = _order_action(request, buyer, order)
    except DomainError as exc:
        order = selectors.order_of_buyer(buyer=buyer, number=number)
        return render_with_error(request, template, _detail_context(request, order), exc)
    messages.success(request, done)
    return redirect("orders:detail", number)


@dataclass(frozen=True)
class RefundRow:
    """One order line on the after-sales form: what is left to refund and to send back."""

    line: OrderLine
    refundable: int
    returnable: int
    included: bool
    amount: str
    quantity: str

    @property
    def prefix(self) -> str:
        return f"line-{self.line.pk}"


def _refund_rows(order: Order, data: Any | None) -> list[RefundRow]:
    rows = []
    for line in order.lines.all():
        refundable = line.line_total - line.refunded_amount
        if refundable <= 0:
            continue
        returnable = line.quantity - line.returned_quantity
        prefix = f"line-{line.pk}"
        full = f"{refundable // 100}.{refundable % 100:02d}"
        rows.append(
            RefundRow(
                line=line,
                refundable=refundable,
                returnable=returnable,
                included=data is None or f"{prefix}-include" in data,
                amount=data.get(f"{prefix}-amount", full) if data is not None else full,
                quantity=data.get(f"{prefix}-quantity", str(returnable))
                if data is not None
                else str(returnable),
            )
        )
    return rows


def _refund_lines(rows: list[RefundRow], kind: str) -> list[after_sales.LineRefund] | None:
    """The lines she chose; ``None`` when she left everything in (delivery fee included)."""
    chosen: list[after_sales.LineRefund] = []
    everything = True
    returns = kind == AfterSalesKind.RETURN_AND_REFUND
    for row in rows:
        if not row.included:
            everything = False
            continue
        amount = parse_money(row.amount.strip(), field=f"{row.prefix}-amount")
        try:
            quantity = int(row.quantity) if returns else 0
        except ValueError:
            raise ValidationFailed(
                _("Enter a whole number."), field=f"{row.prefix}-quantity"
            ) from None
        if amount != row.refundable or (returns and quantity != row.returnable):
            everything = False
        chosen.append(after_sales.LineRefund(line_id=row.line.pk, amount=amount, quantity=quantity))
    if not chosen:
        raise ValidationFailed(_("Choose at least one item."), field="lines")
    return None if everything else chosen


@login_required
@domain_errors_as_pages
def after_sales_new(request: HttpRequest, number: str) -> HttpResponse:
    """Ask for money back: refund only or return and refund, why, how much per line, photos."""
    template = "orders/after_sales_new.html"
    buyer = acting_user(request)
    order = selectors.order_of_buyer(buyer=buyer, number=number)
    posted = request.POST if request.method == "POST" else None
    form = AfterSalesForm(posted)
    rows = _refund_rows(order, posted)
    context = {
        "order": order,
        "form": form,
        "rows": rows,
        "can_request": _after_sales_open(order),
        "max_photos": after_sales.MAX_PHOTOS,
    }
    if posted is None:
        return render(request, template, context)
    if not form.is_valid():
        return render(request, template, context, status=400)
    data = form.cleaned_data
    try:
        created = after_sales.after_sales_request(
            buyer=buyer,
            order_number=order.number,
            kind=data["kind"],
            reason=data["reason"],
            description=data["description"],
            lines=_refund_lines(rows, data["kind"]),
            photos=request.FILES.getlist("photos"),
        )
    except DomainError as exc:
        return render_with_error(request, template, context, exc, form)
    messages.success(
        request,
        _("Request %(number)s sent: the seller answers it.") % {"number": created.number},
    )
    return redirect("orders:detail", order.number)
