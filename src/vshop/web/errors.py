"""Domain errors on pages: the same codes and messages as the API, shown to a person.

Views catch ``DomainError`` around a service call and use ``form_error`` to put the message on the
form field it concerns, answering with the error's 4xx status; nothing was written.
"""

from __future__ import annotations

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
    context: dict[str, object],
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
