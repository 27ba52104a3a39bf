"""Domain errors on pages: the same codes and messages as the API, shown to a person.

Views catch ``DomainError`` around a service call and use ``form_error`` to put the message on the
form field it concerns, answering with the error's 4xx status; nothing was written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from vshop.errors import DomainError


def form_error(form: forms.BaseForm, exc: DomainError) -> None:
    """Attach a domain error to the form field it names (or to the whole form)."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def render_with_error(
    request: HttpRequest,
    template: str,
    context: Mapping[str, object],
    exc: DomainError,
    form: forms.BaseForm | None = None,
) -> HttpResponse:
    """Render the page again with the error on it, answering with the error's status."""
    if form is not None:
        form_error(form, exc)
    context = {**context, "error": exc}
    return render(request, template, context, status=exc.status)


def error_page(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "web/error.html", {"error": exc}, status=exc.status)


View = Callable[..., HttpResponse]


def domain_errors_as_pages(view: View) -> View:
    """Answer a ``DomainError`` that escapes a view (a foreign row is ``NotFound``) with its
    status and message: a full page, or a fragment for htmx to swap in."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            if getattr(request, "htmx", False):
                return render(
                    request, "web/_error_fragment.html", {"error": exc}, status=exc.status
                )
            return error_page(request, exc)

    return wrapper
