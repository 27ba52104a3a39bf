"""The money pages: /money/ (her earnings as shop owner and commission as promoter) and
/money/supplier/ (the books of the supplier she owns): balances, statement with its CSV,
withdrawing, and her withdrawals.

Thin: forms check the shape, ``payouts.services`` the rules. A ``DomainError`` re-renders the
page with its message and status (400, 404, 409); nothing was written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from vshop.accounts.models import User
from vshop.catalog.models import Supplier
from vshop.errors import DomainError, ValidationFailed
from vshop.ledger.models import Account, TransactionKind
from vshop.ledger.selectors import StatementLine
from vshop.money import format_money
from vshop.payouts import selectors, services
from vshop.payouts.forms import PeriodForm, WithdrawForm
from vshop.payouts.models import Withdrawal, WithdrawalRole
from vshop.web.auth import acting_user
from vshop.web.errors import domain_errors_as_pages

PER_PAGE = 30
MAX_PAGE = 1000
WITHDRAWALS_SHOWN = 50


@dataclass(frozen=True)
class Row:
    """One statement line as the page shows it."""

    line: StatementLine
    label: str

    @property
    def created_at(self) -> datetime:
        return self.line.created_at

    @property
    def what(self) -> str:
        """What moved the money, in the reader's language (memos are written in English)."""
        kind = TransactionKind(self.line.transaction_kind).label
        return f"{kind} · {self.line.reference}" if self.line.reference else str(kind)


def _page_number(request: HttpRequest) -> int:
    try:
        return min(max(int(request.GET.get("page", "1")), 1), MAX_PAGE)
    except ValueError:
        return 1


def _period(request: HttpRequest) -> tuple[PeriodForm, selectors.Period]:
    form = PeriodForm(request.GET if ("since" in request.GET or "until" in request.GET) else None)
    if form.is_bound and form.is_valid():
        try:
            return form, selectors.period(
                since=form.cleaned_data["since"], until=form.cleaned_data["until"]
            )
        except ValidationFailed as exc:
            form.add_error("since", exc.message)
    return form, selectors.Period(since=None, until=None)


def _context(
    request: HttpRequest,
    *,
    balances: list[selectors.RoleBalance],
    accounts: list[Account],
    withdrawals: list[Withdrawal],
    form: WithdrawForm | None,
    supplier: Supplier | None,
) -> dict[str, object]:
    period_form, within = _period(request)
    lines = selectors.money_statement(accounts=accounts, within=within)
    page = _page_number(request)
    start = (page - 1) * PER_PAGE
    rows = [
        Row(x, selectors.account_label(x.account_code)) for x in lines[start : start + PER_PAGE]
    ]
    csv_url = reverse("payouts:supplier_statement_csv" if supplier else "payouts:statement_csv")
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "balances": balances,
        "supplier": supplier,
        "rows": rows,
        "page": page,
        "has_more": start + PER_PAGE < len(lines),
        "previous_page": page - 1,
        "next_page": page + 1,
        "period_form": period_form,
        "csv_url": csv_url + (f"?{query.urlencode()}" if query else ""),
        "withdrawals": withdrawals,
        "form": form,
        "rules": selectors.withdrawal_rules(),
    }


def _requested(request: HttpRequest, withdrawal: Withdrawal) -> None:
    text = _("Withdrawal %(number)s of %(amount)s requested: an operator reviews it soon.") % {
        "number": withdrawal.number,
        "amount": format_money(withdrawal.amount, withdrawal.currency),
    }
    if withdrawal.repaid:
        text += " " + _(
            "%(repaid)s of your balance first repaid what you owed after an earlier refund."
        ) % {"repaid": format_money(withdrawal.repaid, withdrawal.currency)}
    messages.success(request, text)


def _withdraw(
    request: HttpRequest, *, user: User, roles: list[str]
) -> tuple[WithdrawForm, DomainError | None, Withdrawal | None]:
    form = WithdrawForm(request.POST, roles=roles)
    if not form.is_valid():
        return form, ValidationFailed(_("Check the withdrawal form.")), None
    data = form.cleaned_data
    try:
        withdrawal = services.withdrawal_request(
            user=user,
            role=data["role"],
            amount=data["amount"],
            payee=data["payee"],
            payee_name=data["payee_name"],
        )
    except DomainError as exc:
        field = exc.field if exc.field in form.fields and exc.field != "role" else None
        form.add_error(field, exc.message)
        return form, exc, None
    return form, None, withdrawal


@login_required
@domain_errors_as_pages
@require_http_methods(["GET", "POST"])
def money(request: HttpRequest) -> HttpResponse:
    """Her balances as shop owner and promoter, her statement, withdrawing, her withdrawals."""
    user = acting_user(request)
    balances = selectors.balances_of_user(user=user)
    roles = [b.role for b in balances]
    form = WithdrawForm(roles=roles) if roles else None
    error: DomainError | None = None
    if request.method == "POST":
        form, error, withdrawal = _withdraw(request, user=user, roles=roles)
        if withdrawal is not None:
            _requested(request, withdrawal)
            return redirect("payouts:money")
    context = _context(
        request,
        balances=balances,  # unchanged: a refused withdrawal wrote nothing
        accounts=selectors.statement_accounts(user=user),
        withdrawals=list(
            selectors.withdrawals_of_user(
                user=user, roles=[WithdrawalRole.OWNER, WithdrawalRole.PROMOTER]
            )[:WITHDRAWALS_SHOWN]
        ),
        form=form,
        supplier=None,
    )
    context["error"] = error
    context["owns_supplier"] = selectors.supplier_of(user=user) is not None
    return render(request, "payouts/money.html", context, status=error.status if error else 200)


@login_required
@domain_errors_as_pages
@require_http_methods(["GET", "POST"])
def supplier_money(request: HttpRequest) -> HttpResponse:
    """The same for the supplier she owns (404 for anyone who owns none)."""
    user = acting_user(request)
    supplier = selectors.supplier_of_owner(user=user)
    roles = [WithdrawalRole.SUPPLIER.value]
    form = WithdrawForm(roles=roles)
    error: DomainError | None = None
    if request.method == "POST":
        form, error, withdrawal = _withdraw(request, user=user, roles=roles)
        if withdrawal is not None:
            _requested(request, withdrawal)
            return redirect("payouts:supplier_money")
    context = _context(
        request,
        balances=[selectors.balance_of_supplier(supplier=supplier)],
        accounts=selectors.statement_accounts(user=user, role=WithdrawalRole.SUPPLIER),
        withdrawals=list(selectors.withdrawals_of_supplier(supplier=supplier)[:WITHDRAWALS_SHOWN]),
        form=form,
        supplier=supplier,
    )
    context["error"] = error
    return render(request, "payouts/money.html", context, status=error.status if error else 200)


def _csv(request: HttpRequest, accounts: list[Account]) -> HttpResponse:
    form, within = _period(request)
    if form.is_bound and not form.is_valid():
        raise ValidationFailed(_("Enter the dates as YYYY-MM-DD, the first before the last."))
    text = selectors.money_statement_csv(accounts=accounts, within=within)
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    name = f"vshop-statement-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@domain_errors_as_pages
def statement_csv(request: HttpRequest) -> HttpResponse:
    return _csv(request, selectors.statement_accounts(user=acting_user(request)))


@login_required
@domain_errors_as_pages
def supplier_statement_csv(request: HttpRequest) -> HttpResponse:
    accounts = selectors.statement_accounts(user=acting_user(request), role=WithdrawalRole.SUPPLIER)
    return _csv(request, accounts)


@login_required
@domain_errors_as_pages
@require_POST
def withdrawal_cancel(request: HttpRequest, number: str) -> HttpResponse:
    withdrawal = services.withdrawal_cancel(user=acting_user(request), number=number)
    messages.success(
        request,
        _("Withdrawal %(number)s cancelled: %(amount)s is back in your available balance.")
        % {
            "number": withdrawal.number,
            "amount": format_money(withdrawal.amount, withdrawal.currency),
        },
    )
    return redirect(services.money_page_url(withdrawal))
