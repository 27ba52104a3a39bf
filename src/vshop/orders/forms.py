"""The buyer's forms: add to cart, change a quantity, an address, checkout, paying, after-sales.

They check the shape of the input only (a whole number, a field present); the buying services
check the rules (limits, stock, states) and their errors are shown on these forms.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from vshop.orders.models import AfterSalesKind, AfterSalesReason
from vshop.orders.services import AddressInput

_WHOLE_NUMBER = {"invalid": _("Enter a whole number."), "required": _("Enter a whole number.")}


class CartAddForm(forms.Form):
    """The buy box on a listing page. The quantity's range is the service's to check, so the
    page and the API say the same thing about limits."""

    listing_id = forms.IntegerField(widget=forms.HiddenInput)
    sku_id = forms.IntegerField(error_messages={"required": _("Choose a variant.")})
    quantity = forms.IntegerField(label=_("Quantity"), initial=1, error_messages=_WHOLE_NUMBER)
    buy_now = forms.BooleanField(required=False)


class QuantityForm(forms.Form):
    quantity = forms.IntegerField(label=_("Quantity"), error_messages=_WHOLE_NUMBER)


class AddressForm(forms.Form):
    name = forms.CharField(label=_("Recipient"), max_length=40)
    mobile = forms.CharField(
        label=_("Mobile"),
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    province = forms.CharField(label=_("Province"), max_length=20)
    city = forms.CharField(label=_("City"), max_length=20)
    district = forms.CharField(label=_("District"), max_length=20)
    detail = forms.CharField(
        label=_("Street and number"),
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    is_default = forms.BooleanField(label=_("Use as my default address"), required=False)

    def as_input(self) -> AddressInput:
        data = self.cleaned_data
        return AddressInput(
            name=data["name"],
            mobile=data["mobile"],
            province=data["province"],
            city=data["city"],
            district=data["district"],
            detail=data["detail"],
            is_default=data["is_default"],
        )


NEW_ADDRESS = "new"


class CheckoutForm(forms.Form):
    """Which address (one of hers, or ``new`` with the address fields filled in) and a note."""

    address = forms.CharField(error_messages={"required": _("Choose where to deliver.")})
    note = forms.CharField(
        label=_("Note to the seller"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Optional")}),
    )

    def clean_address(self) -> str:
        value: str = self.cleaned_data["address"]
        if value != NEW_ADDRESS and not value.isdigit():
            raise forms.ValidationError(_("Choose where to deliver."))
        return value


class PayForm(forms.Form):
    gateway = forms.ChoiceField(
        label=_("Pay with"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how to pay.")},
    )

    def __init__(self, *args: object, gateways: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["gateway"].choices = gateways  # type: ignore[attr-defined]
        if gateways:
            self.fields["gateway"].initial = gateways[0][0]


class AfterSalesForm(forms.Form):
    """Kind, reason and words; the lines (amount and units per order line) and the photos are
    read beside it by the view, one row per order line."""

    kind = forms.ChoiceField(
        label=_("What you want"),
        choices=AfterSalesKind.choices,
        widget=forms.RadioSelect,
        initial=AfterSalesKind.REFUND_ONLY,
    )
    reason = forms.ChoiceField(
        label=_("Reason"), choices=[("", _("Choose a reason")), *AfterSalesReason.choices]
    )
    description = forms.CharField(
        label=_("What happened"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReturnShippedForm(forms.Form):
    carrier = forms.CharField(label=_("Carrier"), max_length=40)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=40)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Why"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
