"""Shop-owner forms: open a shop, its settings, the catalogue filters, her prices per SKU and
her own goods. They check the shape of the input; ``shops.services`` checks the rules."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypedDict

from django import forms
from django.utils.translation import gettext_lazy as _

from vshop.catalog.forms import MoneyField, category_field
from vshop.catalog.models import Sku
from vshop.catalog.selectors import CATALOGUE_SORTS
from vshop.errors import ValidationFailed
from vshop.money import parse_money
from vshop.shops.services import OwnSkuInput

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

_PRICE_KEY = re.compile(r"^price_(\d{1,12})$")
_OPTION = re.compile(r"^\s*([^:：]+?)\s*[:：]\s*(.+?)\s*$")
IMAGE_ACCEPT = "image/jpeg,image/png,image/webp,image/gif"


def _image_field(label: StrOrPromise) -> forms.FileField:
    # A plain FileField: the image checks (type, size, pixels) live in ``vshop.images``, so the
    # page and the API give the same message.
    return forms.FileField(
        label=label, required=False, widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT})
    )


class ShopSettingsForm(forms.Form):
    name = forms.CharField(
        label=_("Shop name"),
        max_length=60,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    bio = forms.CharField(
        label=_("Who I am and why my fans trust me"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    category = category_field(required=False)
    avatar = _image_field(_("Avatar"))
    cover = _image_field(_("Cover picture"))


class ShopOpenForm(ShopSettingsForm):
    slug = forms.CharField(
        label=_("Short address"),
        max_length=40,
        help_text=_("Your shop's link: /s/<short address>/. It cannot change later."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    field_order = ["name", "slug", "bio", "category", "avatar", "cover"]

    def clean_slug(self) -> str:
        return self.cleaned_data["slug"].strip().lower()


class CatalogueBrowse(TypedDict):
    """The arguments of ``catalog.selectors.catalogue_browse``, as the filter form gives them."""

    q: str
    category_id: int | None
    min_margin: int | None
    sort: str


class CatalogueFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    category = category_field(required=False, empty_label=_("All categories"))
    min_margin = MoneyField(
        label=_("I earn at least (¥)"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.00"}),
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("popular", _("Popular")),
            ("margin", _("My margin")),
            ("new", _("Newest")),
        ],
    )

    def browse_kwargs(self) -> CatalogueBrowse:
        data = self.cleaned_data
        category = data.get("category")
        sort = data.get("sort") or "popular"
        return {
            "q": data.get("q") or "",
            "category_id": category.pk if category else None,
            "min_margin": data.get("min_margin"),
            "sort": sort if sort in CATALOGUE_SORTS else "popular",
        }


def posted_prices(data: object) -> dict[int, int | None]:
    """Every ``price_<sku id>`` in the posted data, in fen (``None`` for a non-amount). Unknown SKU
    ids are kept on purpose: the service refuses them, saying which."""
    prices: dict[int, int | None] = {}
    for key in data:  # type: ignore[attr-defined]
        match = _PRICE_KEY.match(key)
        if not match:
            continue
        try:
            prices[int(match.group(1))] = parse_money(data.get(key, ""))  # type: ignore[attr-defined]
        except ValidationFailed:
            prices[int(match.group(1))] = None
    return prices


class ListingPricesForm(forms.Form):
    """Her retail price per SKU (``price_<sku id>``), her endorsement and the pin."""

    endorsement = forms.CharField(
        label=_("Why I recommend it"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Your fans buy because they trust you: say why you like it."),
    )
    is_pinned = forms.BooleanField(label=_("Pin to the top of my shop"), required=False)

    def __init__(self, *args: object, skus: Sequence[Sku], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.skus = list(skus)
        for sku in self.skus:
            self.fields[f"price_{sku.pk}"] = MoneyField(label=sku.label)

    def price_fields(self) -> list[tuple[Sku, forms.BoundField]]:
        return [(sku, self[f"price_{sku.pk}"]) for sku in self.skus]

    def prices(self) -> dict[int, int]:
        """The posted prices, unknown SKUs included (the service names them in its refusal)."""
        known = {sku.pk: self.cleaned_data[f"price_{sku.pk}"] for sku in self.skus}
        extra = {k: v for k, v in posted_prices(self.data).items() if k not in known}
        if any(v is None for v in extra.values()):
            raise ValidationFailed(_("Enter an amount like 19.90."), field="prices")
        return {**known, **extra}  # type: ignore[dict-item]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": IMAGE_ACCEPT, "multiple": True})
        )
        super().__init__(**kwargs)  # type: ignore[arg-type]

    def clean(self, data: object, initial: object = None) -> list[object]:  # type: ignore[override]
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class OwnGoodsForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    category = category_field(required=True)
    price = MoneyField(label=_("Price (¥)"))
    stock = forms.IntegerField(label=_("Stock"), min_value=0, max_value=10**9, initial=1)
    options = forms.CharField(
        label=_("Options"),
        required=False,
        max_length=200,
        help_text=_("For example: colour: red, size: M"),
    )
    description_html = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    endorsement = forms.CharField(
        label=_("Why I recommend it"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photos = MultipleFileField(label=_("Photos"), required=False)

    def clean_options(self) -> dict[str, str]:
        text = self.cleaned_data.get("options") or ""
        options: dict[str, str] = {}
        for part in re.split(r"[,，;；]", text):
            if not part.strip():
                continue
            match = _OPTION.match(part)
            if not match:
                raise forms.ValidationError(_("Write options as name: value, e.g. size: M."))
            options[match.group(1)[:20]] = match.group(2)[:40]
        if len(options) > 5:
            raise forms.ValidationError(_("Five options at most."))
        return options

    def sku_inputs(self) -> list[OwnSkuInput]:
        data = self.cleaned_data
        return [
            OwnSkuInput(
                code="OWN-1", price=data["price"], stock=data["stock"], options=data["options"]
            )
        ]
