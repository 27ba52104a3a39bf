"""Operator console for the ledger: accounts and their balances, transactions with their
entries, and the entries themselves, to answer "where did this money go".

Shown, never edited: the book changes only through ``ledger.services.post``, and a mistake is
corrected by a new transaction, never by editing one.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from vshop.ledger.models import Account, Entry, Transaction
from vshop.money import format_money
from vshop.web.admin import ReadOnlyAdmin, ReadOnlyInline


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["code", "kind", "bucket", "balance_shown", "normal_side", "created_at"]
    list_filter = ["kind", "bucket", "currency"]
    search_fields = ["code"]
    fields = (
        "code",
        "kind",
        "bucket",
        "user",
        "supplier",
        "currency",
        "normal_side",
        "balance_shown",
        "may_go_negative",
        "created_at",
    )
    readonly_fields = fields

    @admin.display(description=_("balance"), ordering="balance")
    def balance_shown(self, obj: Account) -> str:
        return format_money(obj.balance, obj.currency)


class EntryInline(ReadOnlyInline):
    model = Entry
    fields = ("account", "amount", "created_at")
    readonly_fields = fields
    ordering = ("id",)


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ["key", "kind", "reference", "memo", "currency", "created_at"]
    list_filter = ["kind"]
    search_fields = ["key", "reference"]
    date_hierarchy = "created_at"
    inlines = [EntryInline]
    fields = ("key", "kind", "reference", "memo", "currency", "created_at")
    readonly_fields = fields


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "account", "amount", "transaction"]
    list_filter = ["transaction__kind", "account__kind"]
    search_fields = ["account__code", "transaction__key", "transaction__reference"]
    list_select_related = ["account", "transaction"]
    date_hierarchy = "created_at"
    fields = ("transaction", "account", "amount", "created_at")
    readonly_fields = fields
