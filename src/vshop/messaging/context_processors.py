"""The unread count for the inbox badge in the site header."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest

from vshop.accounts.models import User
from vshop.messaging.selectors import inbox_unread_count


def inbox(request: HttpRequest) -> dict[str, Callable[[], int] | int]:
    """``inbox_unread_count``: counted (one COUNT query) only when a template shows it, at most
    once per page, and only for a logged-in account; a visitor's pages never query it.
    ``inbox_poll_seconds``: how often the header's badge asks again (htmx)."""
    counted: list[int] = []

    def unread() -> int:
        if not counted:
            user = getattr(request, "user", None)
            counted.append(
                inbox_unread_count(user=user)
                if isinstance(user, User) and user.is_authenticated
                else 0
            )
        return counted[0]

    return {
        "inbox_unread_count": unread,
        "inbox_poll_seconds": settings.VSHOP_INBOX_POLL_SECONDS,
    }
