"""Forms of the seller's pages: they check the shape of what was typed; the services check the
rules. Amounts are typed in yuan and handed on in fen."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from vshop.errors import DomainError
from vshop.money import parse_money
from vshop.orders.states import OrderStatus


class ShopOrdersFilterForm(forms.Form):
    """The shop owner's order list: which of her shops, which status."""

    shop = forms.TypedChoiceField(label=_("Shop"), required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *OrderStatus.choices]
    )

    def __init__(self, *args: object, shops: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["shop"].choices = [("", _("All my shops")), *shops]  # type: ignore[attr-defined]


class ShipForm(forms.Form):
    carrier = forms.CharField(
        label=_("Carrier"),
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. SF Express"), "autocomplete": "off"}),
    )
    tracking_number = forms.CharField(
        label=_("Tracking number"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "latin"}),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why can you not ship it? (the buyer sees this)"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ApproveForm(forms.Form):
    note = forms.CharField(
        label=_("Note to the buyer"),
        max_length=300,
        required=False,
        widget=forms.TextInput(),
    )


class RejectForm(forms.Form):
    note = forms.CharField(
        label=_("Why do you reject it? (the buyer sees this)"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _yuan(value: str, field: str) -> int:
    try:
        return parse_money(value, field=field)
    except DomainError as exc:
        raise forms.ValidationError(exc.message) from exc


class DeliveryRuleForm(forms.Form):
    """A flat fee, free over an amount (empty: never free), both in yuan."""

    flat_fee = forms.CharField(
        label=_("Delivery fee (yuan)"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "8.00"}),
    )
    free_over = forms.CharField(
        label=_("Free delivery from (yuan)"),
        max_length=12,
        required=False,
        help_text=_("Leave empty if delivery is never free."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "99.00"}),
    )

    def clean_flat_fee(self) -> int:
        return _yuan(self.cleaned_data["flat_fee"], "flat_fee")

    def clean_free_over(self) -> int | None:
        value = self.cleaned_data["free_over"].strip()
        return _yuan(value, "free_over") if value else None
