"""``acting_user``: the one way pages, the console and the API name the logged-in account."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from tests.factories import make_user
from vshop.web.auth import acting_user


@pytest.mark.django_db
def test_acting_user_is_the_logged_in_account():
    user = make_user()
    request = RequestFactory().get("/")
    request.user = user

    assert acting_user(request) == user


@pytest.mark.django_db
def test_acting_user_prefers_the_account_the_api_authenticated():
    token_user = make_user()
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    request.auth = token_user

    assert acting_user(request) == token_user


def test_acting_user_refuses_an_anonymous_visitor_rather_than_pass_her_on():
    request = RequestFactory().get("/")
    request.user = AnonymousUser()

    with pytest.raises(PermissionDenied):
        acting_user(request)
