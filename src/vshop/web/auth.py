"""Who is acting: the one helper pages, the admin and the API use to name the logged-in account.

``request.user`` is typed ``User | AnonymousUser``; behind ``@login_required`` (or an API router
that requires authentication) it is always a ``User``, and this helper says so with a check.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _

from vshop.accounts.models import User


def acting_user(request: HttpRequest) -> User:
    """The logged-in account of this request: the API's authenticated account (token or
    session), else the session's user.

    Only for views that require login; reaching it anonymously is a missing decorator, so it
    fails closed with 403 rather than letting an ``AnonymousUser`` into a service.
    """
    user = getattr(request, "auth", None)  # set by django-ninja on authenticated API requests
    if isinstance(user, User):
        return user
    user = request.user
    if isinstance(user, User) and user.is_authenticated:
        return user
    raise PermissionDenied(_("This page needs a logged-in account."))
