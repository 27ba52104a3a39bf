"""Nightly housekeeping of accounts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from vshop.accounts.tasks import sessions_prune

pytestmark = pytest.mark.django_db


def test_expired_sessions_are_pruned_and_live_ones_kept():
    now = timezone.now()
    Session.objects.create(session_key="old", session_data="", expire_date=now - timedelta(days=1))
    Session.objects.create(session_key="live", session_data="", expire_date=now + timedelta(days=1))

    deleted = sessions_prune.call_local()

    assert deleted == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]
