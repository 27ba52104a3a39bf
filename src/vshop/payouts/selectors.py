"""What each person may see of her money: balances per role, her statement, her withdrawals;
and the operator's review queue. Scoped by the acting account: another person's withdrawal, or a
supplier's books seen by anyone but its owner, are not found."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from vshop.accounts.models import User
from vshop.catalog.models import Supplier
from vshop.errors import NotFound, ValidationFailed
from vshop.ledger.models import Account, AccountKind, Bucket
from vshop.ledger.selectors import StatementLine, statement, statement_csv
from vshop.payouts.models import Withdrawal, WithdrawalRole
from vshop.payouts.states import WithdrawalStatus

_ROLE_KINDS: dict[str, str] = {
    WithdrawalRole.OWNER: AccountKind.OWNER_EARNINGS,
    WithdrawalRole.PROMOTER: AccountKind.PROMOTER_COMMISSION,
    WithdrawalRole.SUPPLIER: AccountKind.SUPPLIER_PAYABLE,
}
_KIND_ROLES: dict[str, str] = {kind: role for role, kind in _ROLE_KINDS.items()}


@dataclass(frozen=True)
class RoleBalance:
    """One role's money: pending (paid, not received), frozen (received, in the after-sales
    window), available (completed: can be withdrawn), and the holder's debt from a late refund,
    which a withdrawal repays first."""

    role: str
    currency: str
    pending: int
    frozen: int
    available: int
    debt: int

    @property
    def label(self) -> str:
        return str(WithdrawalRole(self.role).label)

    @property
    def withdrawable(self) -> int:
        return max(self.available - self.debt, 0)


def _balances(accounts: QuerySet[Account], roles: list[str], *, always: bool) -> list[RoleBalance]:
    """One query. A role shows when the holder has an account of it, or always (a supplier's
    page shows its one role even before its first sale)."""
    by_role: dict[str, dict[str, int]] = {}
    debt = 0
    for kind, bucket, balance in accounts.filter(currency="CNY").values_list(
        "kind", "bucket", "balance"
    ):
        if kind == AccountKind.RECEIVABLE:
            debt += balance
            continue
        role = _KIND_ROLES.get(kind)
        if role is not None and bucket:
            by_role.setdefault(role, {})[bucket] = balance
    return [
        RoleBalance(
            role=role,
            currency="CNY",
            pending=by_role.get(role, {}).get(Bucket.PENDING, 0),
            frozen=by_role.get(role, {}).get(Bucket.FROZEN, 0),
            available=by_role.get(role, {}).get(Bucket.AVAILABLE, 0),
            debt=debt,
        )
        for role in roles
        if always or role in by_role
    ]


def balances_of_user(*, user: User) -> list[RoleBalance]:
    """Her earnings as a shop owner and her commission as a promoter, each where she has any."""
    return _balances(
        Account.objects.filter(user=user),
        [WithdrawalRole.OWNER, WithdrawalRole.PROMOTER],
        always=False,
    )


def balance_of_supplier(*, supplier: Supplier) -> RoleBalance:
    return _balances(
        Account.objects.filter(supplier=supplier), [WithdrawalRole.SUPPLIER], always=True
    )[0]


def supplier_of(*, user: User) -> Supplier | None:
    """The supplier whose owner is ``user``, if any: its books are hers alone."""
    return Supplier.objects.filter(owner=user).first()


def supplier_of_owner(*, user: User) -> Supplier:
    """The supplier whose owner is ``user``; NotFound (404) for anyone else."""
    supplier = supplier_of(user=user)
    if supplier is None:
        raise NotFound(_("You have no supplier account."))
    return supplier


# --- statements ----------------------------------------------------------------------------


def statement_accounts(*, user: User, role: str | None = None) -> list[Account]:
    """The accounts her statement covers: her earnings, commission and debt, or one role's (the
    supplier's books for ``role="supplier"``: NotFound unless she owns a supplier). What she is
    owed back as a buyer is shown with her orders, not here."""
    if role == WithdrawalRole.SUPPLIER:
        supplier = supplier_of_owner(user=user)
        return list(Account.objects.filter(supplier=supplier).order_by("pk"))
    if role in (WithdrawalRole.OWNER, WithdrawalRole.PROMOTER):
        kinds = [_ROLE_KINDS[role]]
    elif role in (None, ""):
        kinds = [
            AccountKind.OWNER_EARNINGS,
            AccountKind.PROMOTER_COMMISSION,
            AccountKind.RECEIVABLE,
        ]
    else:
        raise ValidationFailed(_("Choose owner, promoter or supplier."), field="role")
    return list(Account.objects.filter(user=user, kind__in=kinds).order_by("pk"))


@dataclass(frozen=True)
class Period:
    """``since`` ≤ time < ``until``, from dates in the viewer's time zone (both days included)."""

    since: datetime | None
    until: datetime | None


def period(*, since: date | None, until: date | None) -> Period:
    if since and until and since > until:
        raise ValidationFailed(_("The start date is after the end date."), field="since")
    tz = timezone.get_current_timezone()
    return Period(
        since=datetime.combine(since, time.min, tzinfo=tz) if since else None,
        until=datetime.combine(until + timedelta(days=1), time.min, tzinfo=tz) if until else None,
    )


def money_statement(*, accounts: list[Account], within: Period) -> list[StatementLine]:
    """Newest first, each line with its account's balance after it."""
    return statement(accounts=accounts, since=within.since, until=within.until)


def money_statement_csv(*, accounts: list[Account], within: Period) -> str:
    return statement_csv(accounts=accounts, since=within.since, until=within.until)


def account_label(code: str) -> str:
    """What a person calls one of her accounts: ``owner:5:earnings:available`` → "Shop owner
    earnings · Available"."""
    parts = code.split(":")
    bucket = parts[-1] if parts[-1] in Bucket.values else ""
    if code.endswith(":owes"):
        return _("Owed back after a refund")
    role = {"owner": WithdrawalRole.OWNER, "promoter": WithdrawalRole.PROMOTER}.get(parts[0])
    if parts[0] == "supplier":
        role = WithdrawalRole.SUPPLIER
    label = str(role.label) if role else code
    return f"{label} · {Bucket(bucket).label}" if bucket else label


# --- withdrawals ---------------------------------------------------------------------------


def _checked_status(status: str | None) -> str | None:
    if status in (None, ""):
        return None
    if status not in WithdrawalStatus.values:
        raise ValidationFailed(
            _("Unknown status; use one of: %(statuses)s.")
            % {"statuses": ", ".join(WithdrawalStatus.values)},
            field="status",
        )
    return status


def withdrawals_of_user(
    *, user: User, roles: list[str] | None = None, status: str | None = None
) -> QuerySet[Withdrawal]:
    rows = Withdrawal.objects.filter(requester=user)
    if roles is not None:
        rows = rows.filter(role__in=roles)
    status = _checked_status(status)
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-created_at", "-id")


def withdrawals_of_supplier(*, supplier: Supplier) -> QuerySet[Withdrawal]:
    return Withdrawal.objects.filter(supplier=supplier).order_by("-created_at", "-id")


def withdrawal_of_user(*, user: User, number: str) -> Withdrawal:
    withdrawal = Withdrawal.objects.filter(requester=user, number=str(number)[:32]).first()
    if withdrawal is None:
        raise NotFound(_("No such withdrawal."), field="number")
    return withdrawal


def withdrawals_for_operator(*, status: str | None = None) -> QuerySet[Withdrawal]:
    """The review queue: oldest first, so that nobody waits longest."""
    rows = Withdrawal.objects.select_related("requester", "supplier")
    status = _checked_status(status)
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("created_at", "id")


def withdrawal_rules() -> dict[str, int]:
    return {
        "minimum": int(settings.VSHOP_WITHDRAWAL_MINIMUM),
        "fee": int(settings.VSHOP_WITHDRAWAL_FEE),
    }
