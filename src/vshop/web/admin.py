"""Operator-console helpers shared by every app's ``admin.py``: running a service per selected
row with a message for each refusal, and actions that first ask the operator for a reason.

The console writes only through services; these helpers are how an admin action calls one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from vshop.errors import DomainError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

M = TypeVar("M", bound=Model)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (the owner sees it)"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


# An intermediate page built from a string, so the console needs no template files of its own.
# It posts back to the changelist with the same action and rows, plus "apply" and the reason.
_REASON_PAGE = """{% extends "admin/base_site.html" %}
{% block content %}
<form method="post">{% csrf_token %}
  <p>{{ question }}</p>
  <ul>{% for obj in queryset %}<li>{{ obj }}</li>{% endfor %}</ul>
  {{ form.as_p }}
  {% for obj in queryset %}
    <input type="hidden" name="{{ checkbox_name }}" value="{{ obj.pk }}">
  {% endfor %}
  <input type="hidden" name="action" value="{{ action }}">
  <input type="submit" name="apply" value="{{ title }}">
  <a href="" class="button cancel-link">{{ cancel }}</a>
</form>
{% endblock %}"""


def ask_reason(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    action: str,
    title: StrOrPromise,
    question: StrOrPromise,
) -> str | HttpResponse:
    """The reason the operator typed, or the page that asks for it (again, with errors)."""
    form = ReasonForm(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        return form.cleaned_data["reason"]
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "question": question,
        "queryset": list(queryset),
        "form": form,
        "action": action,
        "checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "cancel": _("Cancel"),
        "opts": modeladmin.model._meta,
    }
    page = engines["django"].from_string(_REASON_PAGE)
    return HttpResponse(page.render(context, request))


def run_service(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    rows: Iterable[M],
    call: Callable[[M], object],
    *,
    done: StrOrPromise,
) -> int:
    """Call the service for each row. Each call is its own transaction, so one refused row
    (reported with the service's message) does not undo the others. Returns how many worked."""
    count = 0
    for row in rows:
        try:
            call(row)
        except DomainError as exc:
            modeladmin.message_user(request, f"{row}: {exc.message}", messages.ERROR)
        else:
            count += 1
            # The row's history in the console records who decided what, and when.
            modeladmin.log_change(request, row, str(done))
    if count:
        modeladmin.message_user(
            request,
            ngettext("%(done)s: %(n)d row.", "%(done)s: %(n)d rows.", count)
            % {"done": done, "n": count},
            messages.SUCCESS,
        )
    return count


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the console shows but never writes: they change only through their services."""

    def has_add_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False
