"""The owner's pages for segments (``/me/shop/segments/``), tags (``/me/shop/tags/``) and the
RFM dashboard (``/me/shop/fans/insights/``).

The segment builder is a plain form: each node of the rule (a group or a condition) has a path
(``r`` the top group, ``r.0`` its first child, ``r.1.0`` …) listed in ``nodes``, with
``<path>-match`` for a group and ``<path>-field``/``-op``/``-value``/``-value2``/``-days`` for
a condition. "Add condition", "Add group" and "Remove" are submit buttons named ``action``:
without script they reload the page with the change; with htmx they swap in the builder only,
and every edit posts the form to the count view, which swaps in "≈ N fans match". Thin: the
rule is checked by ``fans.conditions`` and saved by ``fans.segments`` and ``fans.tags``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vshop.errors import DomainError, ValidationFailed
from vshop.fans import conditions, scoring, segments, tags
from vshop.fans.models import FanSource, MemberLevel, RfmGroup, Tag
from vshop.shops.models import Shop
from vshop.shops.views import shop_owner_required
from vshop.web.auth import acting_user

ROOT = "r"
EMPTY_RULE: dict[str, Any] = {"op": "and", "conditions": []}


# --- the builder's form <-> the rule ---------------------------------------------------------


@dataclass
class Node:
    """One row of the builder as the owner left it (values as text, possibly unfinished)."""

    path: str
    is_group: bool
    match: str = "and"
    field: str = ""
    op: str = ""
    value: list[str] = dataclasses.field(default_factory=list)
    value2: str = ""
    days: str = ""
    children: list[Node] = dataclasses.field(default_factory=list)

    @property
    def depth(self) -> int:
        return self.path.count(".") + 1

    @property
    def first_value(self) -> str:
        return self.value[0] if self.value else ""

    @property
    def ops(self) -> list[tuple[str, str]]:
        return [(op, str(conditions.OP_LABELS[op])) for op in conditions.OPS.get(self.field, ())]

    @property
    def can_nest(self) -> bool:
        return self.depth < conditions.MAX_DEPTH


def _renumber(node: Node, path: str) -> Node:
    node.path = path
    for i, child in enumerate(node.children):
        _renumber(child, f"{path}.{i}")
    return node


def nodes_from_form(data: QueryDict) -> Node:
    """The builder's tree from the posted form (an absent or broken tree: one empty group)."""
    root = Node(path=ROOT, is_group=True, match=data.get(f"{ROOT}-match", "and"))
    by_path = {ROOT: root}
    for path in data.getlist("nodes"):
        parent_path, _sep, _last = path.rpartition(".")
        parent = by_path.get(parent_path)
        if path == ROOT or parent is None or path in by_path or len(by_path) > 100:
            continue
        if f"{path}-match" in data:
            node = Node(path=path, is_group=True, match=data.get(f"{path}-match", "and"))
        else:
            node = Node(
                path=path,
                is_group=False,
                field=data.get(f"{path}-field", ""),
                op=data.get(f"{path}-op", ""),
                value=[v for v in data.getlist(f"{path}-value") if v.strip()],
                value2=data.get(f"{path}-value2", ""),
                days=data.get(f"{path}-days", ""),
            )
            was = data.get(f"{path}-was")
            if node.field in conditions.OPS and (
                node.op not in conditions.OPS[node.field] or (was is not None and was != node.field)
            ):
                # A new field: start from its first operator, without the old field's values.
                node.op, node.value, node.value2 = conditions.OPS[node.field][0], [], ""
        by_path[path] = node
        parent.children.append(node)
    return _renumber(root, ROOT)


def _find(node: Node, path: str) -> tuple[Node | None, Node | None]:
    """(the node at ``path``, its parent)."""
    for child in node.children:
        if child.path == path:
            return child, node
        found, parent = _find(child, path)
        if found:
            return found, parent
    return None, None


def apply_action(root: Node, action: str) -> Node:
    """``add:<group>``, ``group:<group>`` or ``remove:<node>``; anything else changes nothing."""
    verb, _sep, path = action.partition(":")
    target = root if path == ROOT else _find(root, path)[0]
    if verb == "add" and target is not None and target.is_group:
        target.children.append(Node(path="", is_group=False))
    elif verb == "group" and target is not None and target.is_group and target.can_nest:
        group = Node(path="", is_group=True, match="or")
        group.children.append(Node(path="", is_group=False))
        target.children.append(group)
    elif verb == "remove":
        node, parent = _find(root, path)
        if node is not None and parent is not None:
            parent.children.remove(node)
    return _renumber(root, ROOT)


def _whole(text: str) -> object:
    text = text.strip()
    return int(text) if text.isdigit() and len(text) < 16 else text


def _fen(text: str, where: str) -> int:
    try:
        amount = Decimal(text.strip().lstrip("¥"))
    except InvalidOperation:
        raise ValidationFailed(
            _("%(where)s: enter an amount in yuan, like 500 or 99.50") % {"where": where},
            field="rule",
        ) from None
    if not amount.is_finite() or amount < 0 or amount > 10**10:
        raise ValidationFailed(
            _("%(where)s: enter an amount in yuan, like 500 or 99.50") % {"where": where},
            field="rule",
        )
    return int((amount * 100).to_integral_value())


def _condition_json(node: Node, where: str) -> dict[str, Any]:
    cond: dict[str, Any] = {"field": node.field, "op": node.op}
    f, op = node.field, node.op
    if f in conditions.DATE_FIELDS:
        cond["value"] = None if op == "never" else _whole(node.first_value)
    elif op in conditions.NUMBER_OPS:

        def number(text: str) -> object:
            return _fen(text, where) if f in conditions.MONEY_FIELDS else _whole(text)

        if op == "between":
            cond["value"] = [number(node.first_value), number(node.value2)]
        else:
            cond["value"] = number(node.first_value)
        if f == "spend_in_days":
            cond["days"] = _whole(node.days)
    elif f in conditions.BOOL_FIELDS:
        cond["value"] = node.first_value == "true"
    elif f in conditions.ID_FIELDS:
        cond["value"] = [_whole(v) for v in node.value]
    elif f == "city":
        text = " ".join(node.value).replace("，", ",")
        cond["value"] = [c.strip() for c in text.split(",") if c.strip()]
    else:
        cond["value"] = list(node.value)
    return cond


def rule_from_nodes(node: Node, *, counter: list[int] | None = None) -> dict[str, Any] | None:
    """The rule JSON of the builder's tree; unfinished rows (no field chosen) and groups left
    empty are skipped. Returns None for an empty nested group."""
    counter = counter if counter is not None else [0]
    parts: list[dict[str, Any]] = []
    for child in node.children:
        if child.is_group:
            sub = rule_from_nodes(child, counter=counter)
            if sub is not None:
                parts.append(sub)
        elif child.field:
            counter[0] += 1
            parts.append(_condition_json(child, _("condition %(n)s") % {"n": counter[0]}))
    if not parts and node.path != ROOT:
        return None
    return {"op": node.match if node.match in ("and", "or") else "and", "conditions": parts}


def nodes_from_rule(rule: dict[str, Any] | None) -> Node:
    """The builder's tree for a saved rule (to edit it)."""

    def build(group: dict[str, Any]) -> Node:
        node = Node(path="", is_group=True, match=group.get("op", "and"))
        for c in group.get("conditions", []):
            if "conditions" in c:
                node.children.append(build(c))
                continue
            f, value = c.get("field", ""), c.get("value")
            child = Node(path="", is_group=False, field=f, op=c.get("op", ""))
            if f in conditions.MONEY_FIELDS:
                money = [
                    str(Decimal(v) / 100) for v in (value if isinstance(value, list) else [value])
                ]
                child.value, child.value2 = money[:1], (money[1] if len(money) > 1 else "")
            elif c.get("op") == "between":
                child.value, child.value2 = [str(value[0])], str(value[1])
            elif isinstance(value, bool):
                child.value = ["true" if value else "false"]
            elif f == "city":
                child.value = [", ".join(value or [])]
            elif isinstance(value, list):
                child.value = [str(v) for v in value]
            elif value is not None:
                child.value = [str(value)]
            if "days" in c:
                child.days = str(c["days"])
            node.children.append(child)
        return node

    root = build(rule or EMPTY_RULE)
    if not root.children:
        root.children.append(Node(path="", is_group=False))
    return _renumber(root, ROOT)


def _choices(shop: Shop) -> dict[str, object]:
    from vshop.catalog.models import Category
    from vshop.distribution.models import Channel

    return {
        "fields": [(f, str(conditions.FIELD_LABELS[f])) for f in conditions.FIELDS],
        "tags": list(Tag.objects.filter(shop=shop).order_by("name").values_list("pk", "name")),
        "levels": list(
            MemberLevel.objects.filter(shop=shop).order_by("threshold").values_list("pk", "name")
        ),
        "categories": [(c.pk, c.name) for c in Category.objects.all()],
        "rfm_groups": [(g.value, str(g.label)) for g in RfmGroup],
        "sources": [(s.value, str(s.label)) for s in FanSource],
        "channels": [
            ("direct", _("Direct")),
            *[(c.value, str(c.label)) for c in Channel],
            ("import", _("Imported")),
        ],
        "money_fields": conditions.MONEY_FIELDS,
        "date_fields": conditions.DATE_FIELDS,
        "bool_fields": conditions.BOOL_FIELDS,
        "number_ops": conditions.NUMBER_OPS,
    }


@dataclass
class Count:
    count: int | None = None
    description: str = ""
    error: str = ""


def _count(shop: Shop, root: Node) -> Count:
    try:
        rule = rule_from_nodes(root)
        normal = conditions.validate_rule(shop=shop, rule=rule)
        return Count(
            count=segments.segment_count(shop=shop, rule=normal),
            description=conditions.describe_rule(normal),
        )
    except ValidationFailed as exc:
        return Count(error=exc.message)


def _builder_context(shop: Shop, root: Node) -> dict[str, object]:
    return {"root": root, "choices": _choices(shop), "live": _count(shop, root)}


# --- segments --------------------------------------------------------------------------------


def _segments_page(
    request: HttpRequest, shop: Shop, root: Node, *, error: DomainError | None = None
) -> HttpResponse:
    return render(
        request,
        "fans/segments/segments.html",
        {
            "shop": shop,
            "segments": [
                (s, conditions.describe_rule(s.rule)) for s in segments.segments_of_shop(shop=shop)
            ],
            "name": request.POST.get("name", ""),
            "error": error,
            **_builder_context(shop, root),
        },
        status=error.status if error else 200,
    )


@shop_owner_required
@require_http_methods(["GET", "POST"])
def segment_list(request: HttpRequest, shop: Shop) -> HttpResponse:
    """Her segments, and the builder for a new one (a POST saves it)."""
    if request.method == "GET":
        return _segments_page(request, shop, nodes_from_rule(None))
    root = nodes_from_form(request.POST)
    if request.POST.get("action"):
        return _segments_page(request, shop, apply_action(root, request.POST["action"]))
    try:
        segment = segments.segment_create(
            shop=shop,
            actor=acting_user(request),
            name=request.POST.get("name", ""),
            rule=rule_from_nodes(root),
        )
    except ValidationFailed as exc:
        return _segments_page(request, shop, root, error=exc)
    messages.success(
        request,
        _("Segment “%(name)s” saved: %(n)s fans.") % {"name": segment.name, "n": segment.fan_count},
    )
    return redirect("fans_segments:segments")


@shop_owner_required
@require_http_methods(["GET", "POST"])
def segment_edit(request: HttpRequest, shop: Shop, segment_id: int) -> HttpResponse:
    segment = segments.segment_of_shop(shop=shop, segment_id=segment_id)
    template = "fans/segments/segment_edit.html"
    if request.method == "GET":
        root = nodes_from_rule(segment.rule)
        context = {"shop": shop, "segment": segment, "name": segment.name}
        return render(request, template, {**context, **_builder_context(shop, root)})
    root = nodes_from_form(request.POST)
    context = {"shop": shop, "segment": segment, "name": request.POST.get("name", "")}
    if request.POST.get("action"):
        root = apply_action(root, request.POST["action"])
        return render(request, template, {**context, **_builder_context(shop, root)})
    try:
        segments.segment_update(
            shop=shop,
            segment_id=segment.pk,
            name=request.POST.get("name", ""),
            rule=rule_from_nodes(root),
        )
    except ValidationFailed as exc:
        return render(
            request,
            template,
            {**context, **_builder_context(shop, root), "error": exc},
            status=exc.status,
        )
    messages.success(request, _("Segment saved."))
    return redirect("fans_segments:segments")


@shop_owner_required
@require_POST
def segment_delete(request: HttpRequest, shop: Shop, segment_id: int) -> HttpResponse:
    segments.segment_delete(shop=shop, segment_id=segment_id)
    messages.success(request, _("Segment deleted."))
    return redirect("fans_segments:segments")


@shop_owner_required
@require_POST
def builder(request: HttpRequest, shop: Shop) -> HttpResponse:
    """htmx: the builder after "add condition", "add group", "remove" or a new field."""
    root = apply_action(nodes_from_form(request.POST), request.POST.get("action", ""))
    return render(request, "fans/segments/_builder.html", _builder_context(shop, root))


@shop_owner_required
@require_POST
def count(request: HttpRequest, shop: Shop) -> HttpResponse:
    """htmx: "≈ N fans match" for the form as it is now (or what is wrong with it: 400)."""
    live = _count(shop, nodes_from_form(request.POST))
    return render(
        request, "fans/segments/_count.html", {"live": live}, status=400 if live.error else 200
    )


# --- tags ------------------------------------------------------------------------------------


def _tag_rule(request: HttpRequest, root: Node) -> dict[str, Any] | None:
    return rule_from_nodes(root) if request.POST.get("kind") == "automatic" else None


@shop_owner_required
@require_http_methods(["GET", "POST"])
def tag_list(request: HttpRequest, shop: Shop) -> HttpResponse:
    """Her tags with how many fans carry each, and the form for a new one."""
    template = "fans/segments/tags.html"
    root = nodes_from_form(request.POST) if request.method == "POST" else nodes_from_rule(None)

    def page(root: Node, error: DomainError | None = None) -> HttpResponse:
        rows = [
            (t, conditions.describe_rule(t.rule) if t.rule is not None else "")
            for t in tags.tags_of_shop(shop=shop)
        ]
        context = {
            "shop": shop,
            "tags": rows,
            "name": request.POST.get("name", ""),
            "kind": request.POST.get("kind", "manual"),
            "error": error,
            **_builder_context(shop, root),
        }
        return render(request, template, context, status=error.status if error else 200)

    if request.method == "GET":
        return page(root)
    if request.POST.get("action"):
        return page(apply_action(root, request.POST["action"]))
    try:
        tag = tags.tag_create(
            shop=shop, name=request.POST.get("name", ""), rule=_tag_rule(request, root)
        )
    except ValidationFailed as exc:
        return page(root, exc)
    messages.success(request, _("Tag “%(name)s” created.") % {"name": tag.name})
    return redirect("fans_segments:tags")


@shop_owner_required
@require_http_methods(["GET", "POST"])
def tag_edit(request: HttpRequest, shop: Shop, tag_id: int) -> HttpResponse:
    tag = tags.tag_of_shop(shop=shop, tag_id=tag_id)
    template = "fans/segments/tag_edit.html"
    if request.method == "GET":
        context = {
            "shop": shop,
            "tag": tag,
            "name": tag.name,
            "kind": "automatic" if tag.is_automatic else "manual",
        }
        return render(
            request, template, {**context, **_builder_context(shop, nodes_from_rule(tag.rule))}
        )
    root = nodes_from_form(request.POST)
    context = {
        "shop": shop,
        "tag": tag,
        "name": request.POST.get("name", ""),
        "kind": request.POST.get("kind", "manual"),
    }
    if request.POST.get("action"):
        root = apply_action(root, request.POST["action"])
        return render(request, template, {**context, **_builder_context(shop, root)})
    rule = _tag_rule(request, root)
    try:
        tags.tag_update(
            shop=shop,
            tag_id=tag.pk,
            name=request.POST.get("name", ""),
            rule=tags.MANUAL if rule is None else rule,
        )
    except ValidationFailed as exc:
        return render(
            request,
            template,
            {**context, **_builder_context(shop, root), "error": exc},
            status=exc.status,
        )
    messages.success(request, _("Tag saved."))
    return redirect("fans_segments:tags")


@shop_owner_required
@require_POST
def tag_delete(request: HttpRequest, shop: Shop, tag_id: int) -> HttpResponse:
    tags.tag_delete(shop=shop, tag_id=tag_id)
    messages.success(request, _("Tag deleted."))
    return redirect("fans_segments:tags")


# --- RFM -------------------------------------------------------------------------------------


@shop_owner_required
@require_GET
def insights(request: HttpRequest, shop: Shop) -> HttpResponse:
    """The RFM groups: a count and bar each, what the group means and what to do."""
    rows = scoring.rfm_dashboard(shop=shop)
    top = max((r.fans for r in rows), default=0) or 1
    groups = [
        {
            "row": r,
            "percent": round(r.share * 100),
            "bar": round(r.fans / top * 100, 1),
            "meaning": scoring.GROUP_ADVICE[r.group][0],
            "advice": scoring.GROUP_ADVICE[r.group][1],
        }
        for r in rows
    ]
    return render(
        request,
        "fans/segments/insights.html",
        {
            "shop": shop,
            "groups": groups,
            "scored": sum(r.fans for r in rows),
            "scored_at": scoring.rfm_scored_at(shop=shop),
        },
    )
