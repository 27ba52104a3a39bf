"""Views of the signed links. (Owner: channels helper.)"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def click(request: HttpRequest, token: str) -> HttpResponse:
    raise NotImplementedError


def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    raise NotImplementedError


def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    raise NotImplementedError
