"""Operator console for inbox messages: what was sent to whom and whether it was read or
emailed, to answer "I never got told". Shown, never edited: messages come only from ``notify``."""

from __future__ import annotations

from django.contrib import admin

from vshop.messaging.models import InboxMessage
from vshop.web.admin import ReadOnlyAdmin


@admin.register(InboxMessage)
class InboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "kind", "title", "read_at", "emailed_at"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["recipient__email", "recipient__mobile", "recipient__display_name", "title"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"
    fields = ("recipient", "kind", "title", "body", "link", "created_at", "read_at", "emailed_at")
    readonly_fields = fields
