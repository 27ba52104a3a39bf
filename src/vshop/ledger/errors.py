"""What the ledger refuses, with stable codes for clients."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from vshop.errors import Conflict


class InsufficientBalance(Conflict):
    code = "insufficient_balance"
    default_message = _("There is not enough money in the account for this.")


class KeyReused(Conflict):
    code = "ledger_key_reused"
    default_message = _(
        "This ledger transaction was already recorded with different amounts or accounts."
    )
