"""The shop owner's fan CRM pages under ``/me/shop/fans/``: the list (search, filters, sortable
columns, keyset pages, bulk tags, export), a fan's profile (with an SVG heat map of her active
hours drawn by the template), notes and tags through htmx, and the CSV import. Thin over
``fans.crm`` and ``fans.imports``."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vshop.errors import DomainError, ValidationFailed
from vshop.fans import crm, imports
from vshop.fans.api_crm import csv_response, export_rows
from vshop.fans.models import FanSource, RfmGroup
from vshop.shops.models import Shop
from vshop.shops.views import shop_owner_required
from vshop.web.auth import acting_user

PAGE_SIZE = 50
DAYS = (
    gettext_lazy("Mon"),
    gettext_lazy("Tue"),
    gettext_lazy("Wed"),
    gettext_lazy("Thu"),
    gettext_lazy("Fri"),
    gettext_lazy("Sat"),
    gettext_lazy("Sun"),
)
CELL, LEFT, TOP = 20, 36, 18  # heat map geometry, in SVG units


# --- the list ----------------------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


CHOICE_FIELDS = ("level", "rfm_group", "segment", "source", "follower", "city", "source_channel")
DATE_FIELDS = (
    "followed_from",
    "followed_to",
    "last_visit_from",
    "last_visit_to",
    "last_order_from",
    "last_order_to",
)
NUMBER_FIELDS = ("order_count_min", "order_count_max", "spend_min", "spend_max")


class FanFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Name or mobile"), required=False, max_length=60)
    sort = forms.ChoiceField(required=False, choices=[(s, s) for s in crm.SORTS])
    level = forms.TypedChoiceField(
        label=gettext_lazy("Member level"), required=False, coerce=int, empty_value=None
    )
    tag = forms.TypedMultipleChoiceField(label=gettext_lazy("Tags"), required=False, coerce=int)
    rfm_group = forms.ChoiceField(
        label=gettext_lazy("RFM group"),
        required=False,
        choices=[("", gettext_lazy("Any")), *RfmGroup.choices],
    )
    segment = forms.TypedChoiceField(
        label=gettext_lazy("Segment"), required=False, coerce=int, empty_value=None
    )
    city = forms.CharField(label=gettext_lazy("City"), required=False, max_length=20)
    source_channel = forms.CharField(
        label=gettext_lazy("Source channel"), required=False, max_length=10
    )
    source = forms.ChoiceField(
        label=gettext_lazy("How she came"),
        required=False,
        choices=[("", gettext_lazy("Any")), *FanSource.choices],
    )
    follower = forms.ChoiceField(
        label=gettext_lazy("Follows the shop"),
        required=False,
        choices=[
            ("", gettext_lazy("Any")),
            ("yes", gettext_lazy("Yes")),
            ("no", gettext_lazy("No")),
        ],
    )
    followed_from = forms.DateField(
        label=gettext_lazy("Followed from"), required=False, widget=DateInput()
    )
    followed_to = forms.DateField(
        label=gettext_lazy("Followed until"), required=False, widget=DateInput()
    )
    last_visit_from = forms.DateField(
        label=gettext_lazy("Last visit from"), required=False, widget=DateInput()
    )
    last_visit_to = forms.DateField(
        label=gettext_lazy("Last visit until"), required=False, widget=DateInput()
    )
    last_order_from = forms.DateField(
        label=gettext_lazy("Last order from"), required=False, widget=DateInput()
    )
    last_order_to = forms.DateField(
        label=gettext_lazy("Last order until"), required=False, widget=DateInput()
    )
    order_count_min = forms.IntegerField(
        label=gettext_lazy("Orders at least"), required=False, min_value=0, max_value=10**9
    )
    order_count_max = forms.IntegerField(
        label=gettext_lazy("Orders at most"), required=False, min_value=0, max_value=10**9
    )
    spend_min = forms.DecimalField(
        label=gettext_lazy("Spend at least (¥)"),
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(10**7),
        decimal_places=2,
    )
    spend_max = forms.DecimalField(
        label=gettext_lazy("Spend at most (¥)"),
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(10**7),
        decimal_places=2,
    )
    cursor = forms.CharField(required=False, max_length=400)

    def __init__(self, data: QueryDict, *, shop: Shop) -> None:
        super().__init__(data)
        any_: list[tuple[object, str]] = [("", _("Any"))]
        self.tags = crm.shop_tags(shop=shop)
        choices: dict[str, list[tuple[object, str]]] = {
            "level": any_ + [(lv.pk, lv.name) for lv in crm.shop_levels(shop=shop)],
            "tag": [(t.pk, t.name) for t in self.tags],
            "segment": any_ + [(s.pk, s.name) for s in crm.shop_segments(shop=shop)],
        }
        for name, options in choices.items():
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = options

    def filters(self) -> crm.FanFilters:
        d: dict[str, Any] = self.cleaned_data
        follower = {"yes": True, "no": False}.get(d.get("follower") or "")
        return crm.FanFilters(
            q=d.get("q") or "",
            level_id=d.get("level"),
            tag_ids=list(d.get("tag") or []),
            rfm_group=d.get("rfm_group") or "",
            city=d.get("city") or "",
            source_channel=d.get("source_channel") or "",
            source=d.get("source") or "",
            is_follower=follower,
            followed_from=d.get("followed_from"),
            followed_to=d.get("followed_to"),
            last_visit_from=d.get("last_visit_from"),
            last_visit_to=d.get("last_visit_to"),
            last_order_from=d.get("last_order_from"),
            last_order_to=d.get("last_order_to"),
            order_count_min=d.get("order_count_min"),
            order_count_max=d.get("order_count_max"),
            spend_min=_fen(d.get("spend_min")),
            spend_max=_fen(d.get("spend_max")),
            segment_id=d.get("segment"),
        )

    @property
    def sort_order(self) -> str:
        return (self.cleaned_data.get("sort") if self.is_valid() else "") or crm.DEFAULT_SORT


def _fen(yuan: Decimal | None) -> int | None:
    return None if yuan is None else int(yuan * 100)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    url: str
    current: str  # "", "asc" or "desc"


def _query(request: HttpRequest, **changes: str | None) -> str:
    """The current query string with some parameters changed (None: removed)."""
    params = request.GET.copy()
    for name, value in changes.items():
        params.pop(name, None)
        if value is not None:
            params[name] = value
    return params.urlencode()


def _columns(request: HttpRequest, sort: str) -> list[Column]:
    out = []
    for key, label in crm.SORT_LABELS.items():
        current = "desc" if sort == f"-{key}" else "asc" if sort == key else ""
        wanted = key if current == "desc" else f"-{key}"
        out.append(
            Column(key, str(label), "?" + _query(request, sort=wanted, cursor=None), current)
        )
    return out


@shop_owner_required
@require_GET
def fan_list(request: HttpRequest, shop: Shop) -> HttpResponse:
    form = FanFilterForm(request.GET, shop=shop)
    context: dict[str, Any] = {"shop": shop, "form": form, "page": None, "count": None}
    status = 200
    if form.is_valid():
        filters = form.filters()
        try:
            page = crm.fan_list(
                shop=shop,
                filters=filters,
                sort=form.sort_order,
                cursor=form.cleaned_data.get("cursor") or None,
                limit=PAGE_SIZE,
            )
            # Counting 300,000 fans costs more than a page: only the first page says how many.
            count = None if page.prev_cursor else crm.fan_count(shop=shop, filters=filters)
        except DomainError as exc:
            form.add_error(None, exc.message)
            status = exc.status
        else:
            tags = crm.tags_of_fans([f.pk for f in page.fans])
            context.update(
                page=page,
                count=count,
                rows=[(f, tags[f.pk]) for f in page.fans],
                next_url="?" + _query(request, cursor=page.next_cursor) if page.next_cursor else "",
                prev_url="?" + _query(request, cursor=page.prev_cursor) if page.prev_cursor else "",
            )
    else:
        status = 400
    context.update(
        columns=_columns(request, form.sort_order),
        export_query=_query(request, cursor=None),
        manual_tags=[t for t in form.tags if not t.is_automatic],
        choice_fields=[form[name] for name in CHOICE_FIELDS],
        date_fields=[form[name] for name in DATE_FIELDS],
        number_fields=[form[name] for name in NUMBER_FIELDS],
        filtered=any(
            v for k, v in request.GET.items() if k not in {"sort", "cursor", "shop"} and v
        ),
        here=request.get_full_path(),
    )
    return render(request, "fans/crm/list.html", context, status=status)


@shop_owner_required
@require_GET
def fan_export(request: HttpRequest, shop: Shop) -> HttpResponse:
    form = FanFilterForm(request.GET, shop=shop)
    if not form.is_valid():
        raise ValidationFailed(
            _("Check the filters: %(errors)s") % {"errors": form.errors.as_text()}
        )
    rows = export_rows(shop=shop, filters=form.filters(), sort=form.sort_order)
    # Streamed: 300,000 fans never sit in memory (shop_owner_required types HttpResponse).
    return csv_response(rows, f"fans-{shop.slug}.csv")  # type: ignore[return-value]


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = fallback
    return redirect(target or fallback)


@shop_owner_required
@require_POST
def fans_bulk_tag(request: HttpRequest, shop: Shop) -> HttpResponse:
    ids = [int(x) for x in request.POST.getlist("fan") if x.isdigit() and len(x) < 19]
    raw_tag = request.POST.get("tag", "")
    if not raw_tag.isdigit() or len(raw_tag) > 18:
        raise ValidationFailed(_("Choose a tag."), field="tag")
    add = request.POST.get("action", "add") != "remove"
    changed = crm.fans_tag(shop=shop, fan_ids=ids, tag_id=int(raw_tag), add=add)
    if add:
        messages.success(request, _("Tag put on %(n)s fans.") % {"n": changed})
    else:
        messages.success(request, _("Tag taken off %(n)s fans.") % {"n": changed})
    return _back(request, reverse("fans_crm:list"))


# --- a fan's profile ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    x: int
    y: int
    count: int
    opacity: float
    label: str


def heat_map(hours: list[list[int]]) -> list[Cell]:
    """The hours of the week as SVG cells: one row a day, one column an hour."""
    top = max((n for day in hours for n in day), default=0) or 1
    cells = []
    for d, day in enumerate(hours[:7]):
        for h, n in enumerate(day[:24]):
            cells.append(
                Cell(
                    x=LEFT + h * CELL,
                    y=TOP + d * CELL,
                    count=n,
                    opacity=round(0.08 + 0.92 * n / top, 2) if n else 0,
                    label=_("%(day)s %(hour)02d:00: %(n)s") % {"day": DAYS[d], "hour": h, "n": n},
                )
            )
    return cells


def _profile_context(shop: Shop, fan_id: int) -> dict[str, Any]:
    profile = crm.fan_profile(shop=shop, fan_id=fan_id)
    on = {t.pk for t in profile.tags}
    return {
        "shop": shop,
        "profile": profile,
        "fan": profile.fan,
        "cells": heat_map(profile.hours),
        "day_labels": [(TOP + d * CELL + CELL * 0.7, str(name)) for d, name in enumerate(DAYS)],
        "hour_labels": [(LEFT + h * CELL + 2, h) for h in range(0, 24, 3)],
        "chart_width": LEFT + 24 * CELL,
        "chart_height": TOP + 7 * CELL,
        "cell": CELL - 2,
        "busiest": max((n for day in profile.hours for n in day), default=0),
        "free_tags": [t for t in crm.shop_tags(shop=shop) if not t.is_automatic and t.pk not in on],
    }


@shop_owner_required
@require_GET
def fan_detail(request: HttpRequest, shop: Shop, fan_id: int) -> HttpResponse:
    return render(request, "fans/crm/detail.html", _profile_context(shop, fan_id))


def _fragment(
    request: HttpRequest, shop: Shop, fan_id: int, template: str, error: DomainError | None
) -> HttpResponse:
    if not getattr(request, "htmx", False):
        if error is not None:
            messages.error(request, error.message)
        return redirect("fans_crm:detail", fan_id=fan_id)
    context = {**_profile_context(shop, fan_id), "error": error}
    return render(request, template, context, status=error.status if error else 200)


@shop_owner_required
@require_POST
def note_add(request: HttpRequest, shop: Shop, fan_id: int) -> HttpResponse:
    crm.fan_of_shop(shop=shop, fan_id=fan_id)  # another shop's fan: 404, not a form error
    error = None
    try:
        crm.fan_note_add(
            shop=shop, fan_id=fan_id, author=acting_user(request), text=request.POST.get("text", "")
        )
    except ValidationFailed as exc:
        error = exc
    return _fragment(request, shop, fan_id, "fans/crm/_notes.html", error)


@shop_owner_required
@require_POST
def note_delete(request: HttpRequest, shop: Shop, fan_id: int, note_id: int) -> HttpResponse:
    crm.fan_note_delete(shop=shop, fan_id=fan_id, note_id=note_id)
    return _fragment(request, shop, fan_id, "fans/crm/_notes.html", None)


@shop_owner_required
@require_POST
def tag_add(request: HttpRequest, shop: Shop, fan_id: int) -> HttpResponse:
    crm.fan_of_shop(shop=shop, fan_id=fan_id)
    raw = request.POST.get("tag", "")
    error = None
    try:
        if not raw.isdigit() or len(raw) > 18:
            raise ValidationFailed(_("Choose a tag."), field="tag")
        crm.fan_tag_add(shop=shop, fan_id=fan_id, tag_id=int(raw))
    except ValidationFailed as exc:
        error = exc
    return _fragment(request, shop, fan_id, "fans/crm/_tags.html", error)


@shop_owner_required
@require_POST
def tag_remove(request: HttpRequest, shop: Shop, fan_id: int, tag_id: int) -> HttpResponse:
    crm.fan_of_shop(shop=shop, fan_id=fan_id)
    error = None
    try:
        crm.fan_tag_remove(shop=shop, fan_id=fan_id, tag_id=tag_id)
    except ValidationFailed as exc:
        error = exc
    return _fragment(request, shop, fan_id, "fans/crm/_tags.html", error)


# --- the import --------------------------------------------------------------------------------


@shop_owner_required
@require_http_methods(["GET", "POST"])
def fan_import(request: HttpRequest, shop: Shop) -> HttpResponse:
    context: dict[str, Any] = {
        "shop": shop,
        "max_mb": imports.MAX_BYTES // 1024 // 1024,
        "max_rows": imports.MAX_ROWS,
    }
    if request.method != "POST":
        return render(request, "fans/crm/import.html", context)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise imports.ImportRefused(_("Choose a CSV file to import."), field="file")
        if upload.size is not None and upload.size > imports.MAX_BYTES:
            raise imports.ImportRefused(
                _("The file is larger than %(mb)s MB: split it.") % {"mb": context["max_mb"]},
                field="file",
            )
        report = imports.fans_import(shop=shop, data=upload.read(imports.MAX_BYTES + 1))
    except DomainError as exc:
        return render(request, "fans/crm/import.html", {**context, "error": exc}, status=exc.status)
    return render(request, "fans/crm/import.html", {**context, "report": report})


@shop_owner_required
@require_GET
def import_template(request: HttpRequest, shop: Shop) -> HttpResponse:
    response = HttpResponse(imports.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="fans-template.csv"'
    return response
