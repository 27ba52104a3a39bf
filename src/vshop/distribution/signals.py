"""On login, a guest's share visits join her account and her browser is remembered."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from vshop.accounts.models import User
from vshop.distribution.models import Device, Touch
from vshop.distribution.visitors import COOKIE, _valid


@receiver(user_logged_in)
def link_visitor_on_login(
    sender: Any, request: HttpRequest | None, user: User, **kwargs: Any
) -> None:
    if request is None:
        return
    visitor = getattr(request, "visitor_id", None) or request.COOKIES.get(COOKIE)
    if not _valid(visitor):
        return
    Touch.objects.filter(visitor_id=visitor, user__isnull=True).update(user=user)
    Device.objects.update_or_create(
        user=user, visitor_id=visitor, defaults={"last_seen_at": timezone.now()}
    )
