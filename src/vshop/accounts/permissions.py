"""Who may do what, checked in one place."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from vshop.accounts.models import Role, User
from vshop.errors import PermissionDenied


def require_operator(user: User) -> None:
    """Platform staff only (``is_staff`` counts as the operator role); others ``PermissionDenied``."""
    if not user.has_role(Role.OPERATOR):
        raise PermissionDenied(_("Only platform operators may do that."))
