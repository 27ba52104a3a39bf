"""The withdrawal state machine: every allowed transition, and who may make it, in one place.

requested → approved (operator) → paid or failed (the worker, from the gateway's answer);
requested → rejected (operator, with a reason) or cancelled (the requester). A transition not
listed raises ``IllegalTransition`` (409); a listed one by a role that may not make it raises
``PermissionDenied`` (403). ``services.withdrawal_transition`` is the only writer of a status.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from vshop.errors import Conflict, PermissionDenied


class WithdrawalStatus(models.TextChoices):
    REQUESTED = "requested", _("Waiting for review")
    APPROVED = "approved", _("Approved, being paid out")
    PAID = "paid", _("Paid out")
    FAILED = "failed", _("Payout failed, money returned")
    REJECTED = "rejected", _("Rejected, money returned")
    CANCELLED = "cancelled", _("Cancelled, money returned")


class Role:
    """Who acts: the person who asked for the money, platform staff, or the worker that talks
    to the payout gateway."""

    REQUESTER = "requester"
    OPERATOR = "operator"
    SYSTEM = "system"


S = WithdrawalStatus
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (S.REQUESTED, S.APPROVED): frozenset({Role.OPERATOR}),
    (S.REQUESTED, S.REJECTED): frozenset({Role.OPERATOR}),
    (S.REQUESTED, S.CANCELLED): frozenset({Role.REQUESTER}),
    # Once approved the money may already be on its way: only the gateway's answer ends it.
    (S.APPROVED, S.PAID): frozenset({Role.SYSTEM}),
    (S.APPROVED, S.FAILED): frozenset({Role.SYSTEM}),
}
FINAL = frozenset({S.PAID, S.FAILED, S.REJECTED, S.CANCELLED})
#: Endings that give the held money back to the requester's available balance.
RETURNED = frozenset({S.FAILED, S.REJECTED, S.CANCELLED})


class IllegalTransition(Conflict):
    code = "illegal_transition"
    default_message = _("That cannot be done in this withdrawal's present state.")


def check_transition(current: str, target: str, role: str) -> None:
    roles = TRANSITIONS.get((current, target))
    if roles is None:
        raise IllegalTransition(current=current, target=target)
    if role not in roles:
        raise PermissionDenied(current=current, target=target, role=role)
