"""Log in with an email or a mobile number."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q
from django.http import HttpRequest

from vshop.accounts.models import User


class EmailOrMobileBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: object,
    ) -> User | None:
        identifier = username or kwargs.get("email") or kwargs.get("mobile")
        if not identifier or not password:
            return None
        user = User.objects.filter(Q(email__iexact=identifier) | Q(mobile=identifier)).first()
        if user is None:
            User().set_password(password)  # same work as a real check, so timing tells nothing
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
