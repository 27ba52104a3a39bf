"""Money API: my balances and statement, my withdrawals, and the operator's review of them.
Thin: every handler is a call to ``payouts.services`` or ``payouts.selectors``, scoped to the
caller (another person's withdrawal is 404)."""

import math
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI, Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from vshop.api import ErrorOut, Page, acting_user, require_operator
from vshop.payouts import selectors, services
from vshop.payouts.models import Withdrawal
from vshop.payouts.schemas import (
    BalancesOut,
    OperatorWithdrawalOut,
    RejectIn,
    StatementPageOut,
    StatementQuery,
    WithdrawalDetailOut,
    WithdrawalFilter,
    WithdrawalIn,
    WithdrawalOut,
)

me_router = Router(tags=["money"])
withdrawals_router = Router(tags=["money"])
operator_router = Router(tags=["operator"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def mount(api: NinjaAPI) -> None:
    """Add this module's routers to the API."""
    api.add_router("/me", me_router)
    api.add_router("/withdrawals", withdrawals_router)
    api.add_router("/operator", operator_router)


# --- shapes ----------------------------------------------------------------------------------


def balance_out(balance: selectors.RoleBalance) -> dict[str, Any]:
    return {
        "role": balance.role,
        "label": balance.label,
        "currency": balance.currency,
        "pending": balance.pending,
        "frozen": balance.frozen,
        "available": balance.available,
        "debt": balance.debt,
        "withdrawable": balance.withdrawable,
    }


def _csv(text: str, name: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- my money --------------------------------------------------------------------------------


@me_router.get("/balances", response=BalancesOut, summary="My balances, per role")
def my_balances(request: HttpRequest) -> dict[str, Any]:
    user = acting_user(request)
    supplier = selectors.supplier_of(user=user)
    rules = selectors.withdrawal_rules()
    return {
        "roles": [balance_out(b) for b in selectors.balances_of_user(user=user)],
        "supplier": balance_out(selectors.balance_of_supplier(supplier=supplier))
        if supplier
        else None,
        "withdrawal_minimum": rules["minimum"],
        "withdrawal_fee": rules["fee"],
    }


def _statement(request: HttpRequest, query: StatementQuery, *, csv: bool) -> Any:
    user = acting_user(request)
    accounts = selectors.statement_accounts(user=user, role=query.role)
    within = selectors.period(since=query.since, until=query.until)
    if csv or query.format == "csv":
        stamp = timezone.localdate().isoformat()
        return _csv(
            selectors.money_statement_csv(accounts=accounts, within=within),
            f"vshop-statement-{stamp}.csv",
        )
    lines = selectors.money_statement(accounts=accounts, within=within)
    size = query.page_size
    start = (query.page - 1) * size
    return {
        "items": [
            {
                "created_at": x.created_at,
                "account": x.account_code,
                "account_label": selectors.account_label(x.account_code),
                "currency": x.currency,
                "kind": x.transaction_kind,
                "transaction": x.transaction_key,
                "reference": x.reference,
                "memo": x.memo,
                "amount": x.amount,
                "change": x.change,
                "balance": x.balance,
            }
            for x in lines[start : start + size]
        ],
        "count": len(lines),
        "page": query.page,
        "pages": max(1, math.ceil(len(lines) / size)),
    }


@me_router.get(
    "/statement",
    response={200: StatementPageOut, **ERRORS},
    summary="My statement, newest first (?format=csv for a spreadsheet)",
)
def my_statement(request: HttpRequest, query: Query[StatementQuery]) -> Any:
    return _statement(request, query, csv=False)


@me_router.get(
    "/statement.csv",
    response={200: str, **ERRORS},
    summary="My statement as CSV (opens in Excel and WPS)",
)
def my_statement_csv(request: HttpRequest, query: Query[StatementQuery]) -> Any:
    return _statement(request, query, csv=True)


# --- my withdrawals --------------------------------------------------------------------------


@withdrawals_router.get("", response=list[WithdrawalOut], summary="My withdrawals, newest first")
@paginate(Page)
def withdrawals_list(request: HttpRequest, filters: Query[WithdrawalFilter]) -> Any:
    return selectors.withdrawals_of_user(user=acting_user(request), status=filters.status)


@withdrawals_router.post(
    "",
    response={201: WithdrawalOut, **ERRORS},
    summary="Withdraw available money (send an Idempotency-Key)",
    description="Takes the amount out of the role's available balance at once; a debt from an "
    "earlier refund is repaid out of it first (`repaid`). More than is there: 409 "
    "`insufficient_balance`, nothing written.",
)
def withdrawal_create(request: HttpRequest, payload: WithdrawalIn) -> Status:
    return Status(
        201,
        services.withdrawal_request(
            user=acting_user(request),
            role=payload.role,
            amount=payload.amount,
            payee=payload.payee,
            payee_name=payload.payee_name,
        ),
    )


@withdrawals_router.get(
    "/{number}", response={200: WithdrawalDetailOut, **ERRORS}, summary="One of my withdrawals"
)
def withdrawal_detail(request: HttpRequest, number: str) -> Withdrawal:
    return selectors.withdrawal_of_user(user=acting_user(request), number=number)


@withdrawals_router.post(
    "/{number}/cancel",
    response={200: WithdrawalOut, **ERRORS},
    summary="Cancel my withdrawal while it waits for review",
)
def withdrawal_cancel(request: HttpRequest, number: str) -> Withdrawal:
    return services.withdrawal_cancel(user=acting_user(request), number=number)


# --- the operator's review -------------------------------------------------------------------


@operator_router.get(
    "/withdrawals",
    response={200: list[OperatorWithdrawalOut], **ERRORS},
    summary="Withdrawals to review, oldest first (?status=requested)",
)
@paginate(Page)
def operator_withdrawals(request: HttpRequest, filters: Query[WithdrawalFilter]) -> Any:
    require_operator(request)
    return selectors.withdrawals_for_operator(status=filters.status)


@operator_router.post(
    "/withdrawals/{number}/approve",
    response={200: OperatorWithdrawalOut, **ERRORS},
    summary="Approve: the worker pays it out through the payout gateway",
)
def operator_approve(request: HttpRequest, number: str) -> Withdrawal:
    return services.withdrawal_approve(operator=require_operator(request), number=number)


@operator_router.post(
    "/withdrawals/{number}/reject",
    response={200: OperatorWithdrawalOut, **ERRORS},
    summary="Reject with a reason: the money returns to the requester's balance",
)
def operator_reject(request: HttpRequest, number: str, payload: RejectIn) -> Withdrawal:
    return services.withdrawal_reject(
        operator=require_operator(request), number=number, reason=payload.reason
    )
