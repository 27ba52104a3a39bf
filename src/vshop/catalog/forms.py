"""Supplier forms: application, product with repeated SKU rows, restock; and ``MoneyField``, the
yuan input every page uses (typed as 19.90, handed to services as 1990 minor units)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.utils.translation import gettext_lazy as _

from vshop.catalog.models import Category
from vshop.catalog.services import SkuInput
from vshop.errors import ValidationFailed
from vshop.money import parse_money

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class MoneyField(forms.CharField):
    """An amount typed in yuan; its cleaned value is an integer of fen."""

    widget = forms.TextInput(
        attrs={"inputmode": "decimal", "autocomplete": "off", "maxlength": "13"}
    )

    def to_python(self, value: object) -> int | None:  # type: ignore[override]
        text = super().to_python(value)
        if text is None or text in self.empty_values:
            return None
        try:
            return parse_money(text)
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.message, code="money") from exc

    def prepare_value(self, value: object) -> object:
        # Initial values are fen (from the database); typed-in values stay as she typed them.
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value // 100}.{value % 100:02d}"
        return value


def category_field(
    *, required: bool, empty_label: StrOrPromise | None = None
) -> forms.ModelChoiceField:
    if empty_label is None:
        empty_label = _("Choose a category") if required else _("None")
    return forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.all(),
        required=required,
        empty_label=empty_label,
    )


class SupplierApplyForm(forms.Form):
    company_name = forms.CharField(label=_("Company name"), max_length=100)
    contact_name = forms.CharField(label=_("Contact person"), max_length=60)
    contact_phone = forms.CharField(
        label=_("Contact phone"),
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        help_text=_("A mobile number we can call about your application."),
    )
    licence_number = forms.CharField(
        label=_("Business licence number"),
        max_length=40,
        help_text=_("The 18-character unified social credit code on your licence."),
    )


class ProductForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    category = category_field(required=True)
    description_html = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Simple HTML is allowed: paragraphs, bold, lists, links and images."),
    )


class SkuRowForm(forms.Form):
    """One SKU row. Blank extra rows are skipped; a half-filled row is an error."""

    code = forms.CharField(label=_("SKU code"), max_length=40)
    colour = forms.CharField(label=_("Colour"), max_length=40, required=False)
    size = forms.CharField(label=_("Size"), max_length=40, required=False)
    supply_price = MoneyField(label=_("Supply price (¥)"))
    min_price = MoneyField(label=_("Minimum retail price (¥)"))
    suggested_price = MoneyField(label=_("Suggested retail price (¥)"))
    max_price = MoneyField(label=_("Maximum retail price (¥)"))
    # Stock of an SKU already saved moves only through Restock (product_update leaves it alone).
    stock = forms.IntegerField(
        label=_("Opening stock"),
        min_value=0,
        max_value=10**9,
        initial=0,
        help_text=_("For a new SKU. Change an existing SKU's stock with Restock."),
    )
    weight_grams = forms.IntegerField(
        label=_("Weight (g)"), min_value=0, max_value=10**9, required=False
    )
    purchase_limit = forms.IntegerField(
        label=_("Most per order"),
        min_value=0,
        max_value=999,
        required=False,
        help_text=_("Empty or 0: up to the platform's limit."),
    )

    def sku_input(self) -> SkuInput:
        data = self.cleaned_data
        options = {
            key: data[key].strip() for key in ("colour", "size") if (data.get(key) or "").strip()
        }
        return SkuInput(
            code=data["code"].strip(),
            supply_price=data["supply_price"],
            min_price=data["min_price"],
            max_price=data["max_price"],
            suggested_price=data["suggested_price"],
            stock=data["stock"],
            weight_grams=data.get("weight_grams") or 0,
            purchase_limit=data.get("purchase_limit") or 0,
            options=options,
        )


SkuFormSet: type[forms.BaseFormSet[SkuRowForm]] = forms.formset_factory(
    SkuRowForm, extra=0, max_num=100, validate_max=True, can_delete=True
)


class RestockForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("Units to add"),
        min_value=-(10**9),
        max_value=10**9,
        help_text=_("A negative number writes units off."),
    )
