"""API shapes for balances, statements and withdrawals. Amounts are integer minor units (fen)
next to ``currency``; a balance is positive when it holds money."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema

from vshop.api import InputSchema, Minor
from vshop.payouts.models import Withdrawal, WithdrawalEvent


class RoleBalanceOut(Schema):
    role: str = Field(description="owner, promoter or supplier")
    label: str
    currency: str
    pending: int = Field(description="paid, not yet received by the buyer")
    frozen: int = Field(description="received, in the after-sales window")
    available: int = Field(description="completed: can be withdrawn")
    debt: int = Field(description="owed back after a late refund; a withdrawal repays it first")
    withdrawable: int = Field(description="available less the debt")


class BalancesOut(Schema):
    roles: list[RoleBalanceOut] = Field(description="as shop owner and as promoter, where any")
    supplier: RoleBalanceOut | None = Field(description="the supplier she owns, if any")
    withdrawal_minimum: int
    withdrawal_fee: int


class StatementQuery(Schema):
    since: date | None = Field(None, description="first day, in your time zone")
    until: date | None = Field(None, description="last day, included")
    role: Literal["owner", "promoter", "supplier"] | None = Field(
        None, description="one role's accounts; all of yours (not the supplier's) by default"
    )
    format: Literal["json", "csv"] = "json"
    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(50, ge=1, le=100)


class StatementLineOut(Schema):
    created_at: datetime
    account: str
    account_label: str
    currency: str
    kind: str
    transaction: str
    reference: str
    memo: str
    amount: int = Field(description="the entry: debit positive, credit negative")
    change: int = Field(description="how the account's balance changed")
    balance: int = Field(description="the account's balance after it")


class StatementPageOut(Schema):
    items: list[StatementLineOut]
    count: int
    page: int
    pages: int


class WithdrawalIn(InputSchema):
    role: Literal["owner", "promoter", "supplier"]
    amount: Minor = Field(description="fen, taken out of the available balance")
    payee: str = Field(max_length=200, description="the account to pay into")
    payee_name: str = Field(max_length=200, description="the real name on that account")


class RejectIn(InputSchema):
    reason: str = Field(max_length=500)


class WithdrawalFilter(Schema):
    status: str | None = None


class WithdrawalEventOut(Schema):
    from_status: str
    to_status: str
    role: str
    reason: str
    created_at: datetime


class WithdrawalOut(Schema):
    number: str
    role: str
    status: str
    status_label: str
    currency: str
    amount: int
    fee: int
    sent_amount: int = Field(description="what reaches the payee: amount less fee")
    repaid: int = Field(description="debt repaid out of the same balance when it was asked for")
    payee: str
    payee_name: str
    reason: str
    created_at: datetime
    approved_at: datetime | None
    finished_at: datetime | None

    @staticmethod
    def resolve_status_label(obj: Withdrawal) -> str:
        return str(obj.get_status_display())


class WithdrawalDetailOut(WithdrawalOut):
    history: list[WithdrawalEventOut]

    @staticmethod
    def resolve_history(obj: Withdrawal) -> list[WithdrawalEvent]:
        return list(obj.events.all())


class OperatorWithdrawalOut(WithdrawalOut):
    requester_id: int
    requester_name: str
    supplier_id: int | None
    gateway: str
    provider_ref: str
    attempts: int
    last_error: str

    @staticmethod
    def resolve_requester_name(obj: Withdrawal) -> str:
        return obj.requester.display_name
