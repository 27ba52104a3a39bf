"""What the buying rules refuse, with stable codes for clients."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from vshop.errors import Conflict, ValidationFailed


class CartEmpty(ValidationFailed):
    code = "cart_empty"
    default_message = _("Your cart is empty: add something first.")


class QuantityNotAllowed(ValidationFailed):
    code = "quantity_not_allowed"
    default_message = _("Choose a quantity between 1 and %(limit)s.")


class ListingUnavailable(ValidationFailed):
    code = "unavailable"
    default_message = _("This product cannot be bought right now.")


class CheckoutExpired(Conflict):
    code = "checkout_expired"
    default_message = _(
        "The time to pay for this order has run out and it was cancelled. Please order again."
    )


class CheckoutNotPayable(Conflict):
    code = "not_payable"
    default_message = _("This order is not waiting for payment.")


class RefundTooLarge(ValidationFailed):
    code = "refund_too_large"
    default_message = _("That is more than can still be refunded.")


class AfterSalesOpen(Conflict):
    code = "after_sales_open"
    default_message = _("There is already an open after-sales request for this order.")
