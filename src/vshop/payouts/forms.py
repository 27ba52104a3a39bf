"""The money page's forms: a withdrawal, and the statement's dates. They check the shape of the
input (an amount in yuan with at most two decimals, a date); ``payouts.services`` checks the
rules (minimum, fee, balance) and its errors are shown on these forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from vshop.errors import ValidationFailed
from vshop.money import parse_money
from vshop.payouts.models import PAYEE_MAX, PAYEE_NAME_MAX, WithdrawalRole


class WithdrawForm(forms.Form):
    role = forms.ChoiceField(label=_("Withdraw from"), choices=WithdrawalRole.choices)
    amount = forms.CharField(
        label=_("Amount (yuan)"),
        max_length=16,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "100.00"}),
    )
    payee = forms.CharField(
        label=_("Payout account"),
        max_length=PAYEE_MAX,
        help_text=_("Your WeChat or Alipay account (in the sandbox, any name)."),
    )
    payee_name = forms.CharField(
        label=_("Real name on that account"),
        max_length=PAYEE_NAME_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def __init__(self, *args: object, roles: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["role"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(r, WithdrawalRole(r).label) for r in roles]
        if len(roles) == 1:
            field.initial = roles[0]
            field.widget = forms.HiddenInput()

    def clean_amount(self) -> int:
        try:
            return parse_money(self.cleaned_data["amount"], field="amount")
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.message) from None


class PeriodForm(forms.Form):
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
