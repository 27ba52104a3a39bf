"""Forms of the promoter pages. Owners type rates as a percent of the margin (two decimals at
most); the services keep basis points. Forms check the shape only; the rules (levels, rates
within the margin) are the services' and come back as their messages."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from vshop.distribution.models import AttributionModel, JoinPolicy, Programme
from vshop.distribution.selectors import percent

PERCENT_HELP = _("Percent of your margin (what you earn on a sale), e.g. 10 or 12.5.")


def percent_of(rate: int) -> Decimal:
    """Basis points as the percent she typed: ``1250`` → ``12.5``."""
    return percent(rate)


class PercentField(forms.DecimalField):
    """A percent with at most two decimals, cleaned to basis points (``12.5`` → ``1250``).
    No upper bound here: above 100% is the service's "rate above the margin"."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("min_value", Decimal(0))
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("max_digits", 8)
        kwargs.setdefault("help_text", PERCENT_HELP)
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.widget.attrs.update({"inputmode": "decimal", "step": "0.01"})

    def clean(self, value: object) -> int:  # type: ignore[override]
        percent = super().clean(value)
        return int(percent * 100) if percent is not None else 0


class ProgrammeForm(forms.Form):
    is_enabled = forms.BooleanField(label=_("Fans can become promoters"), required=False)
    join_policy = forms.ChoiceField(
        label=_("Who can become a promoter"),
        choices=JoinPolicy.choices,
        widget=forms.RadioSelect,
    )
    # A number, not a choice: a third level is refused by the service with its reason.
    levels = forms.IntegerField(
        label=_("Levels"),
        widget=forms.RadioSelect(
            choices=[
                (1, _("One: the promoter who brought the buyer")),
                (2, _("Two: also the promoter who recruited her")),
            ]
        ),
    )
    level1_rate = PercentField(label=_("Promoter who brought the buyer (%)"))
    level2_rate = PercentField(
        label=_("Promoter who recruited her (%)"),
        required=False,
        # xgettext:no-python-format
        help_text=_("Only with two levels. Both levels together: at most 100% of your margin."),
    )
    attribution_model = forms.ChoiceField(
        label=_("Which share link wins"), choices=AttributionModel.choices
    )
    attribution_days = forms.IntegerField(
        label=_("Days a share link counts"),
        help_text=_("From 1 to 90 days after the fan's visit."),
    )

    @classmethod
    def initial_of(cls, programme: Programme) -> dict[str, object]:
        return {
            "is_enabled": programme.is_enabled,
            "join_policy": programme.join_policy,
            "levels": programme.levels,
            "level1_rate": percent_of(programme.level1_rate),
            "level2_rate": percent_of(programme.level2_rate),
            "attribution_model": programme.attribution_model,
            "attribution_days": programme.attribution_days,
        }


class ListingRatesForm(forms.Form):
    level1_rate = PercentField(label=_("Promoter who brought the buyer (%)"))
    level2_rate = PercentField(label=_("Promoter who recruited her (%)"), required=False)


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=_("Note to the promoter"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("optional")}),
    )


class JoinForm(forms.Form):
    message = forms.CharField(
        label=_("Why you want to promote this shop"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    ref = forms.CharField(max_length=40, required=False, widget=forms.HiddenInput)
