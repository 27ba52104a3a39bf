"""The owner's pages: the segment builder (live count, add/remove rows and groups with and
without htmx, save, edit, delete), the tags page with its rule editor, the RFM dashboard; bad
input answers 400 with nothing written, and another owner gets 404."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_user
from vshop.fans import scoring, segments, tags
from vshop.fans.models import FanTag, Segment, ShopFan, Tag

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def fan(shop, name: str, **fields) -> ShopFan:
    return ShopFan.objects.create(
        shop=shop, user=make_user(name=name), name=name, source="follow", **fields
    )


@pytest.fixture
def fans(shop, other_shop):
    fan(shop, "Ann", city="Hangzhou", total_spend=60000)
    fan(shop, "Bea", city="Hangzhou", total_spend=100)
    fan(shop, "Cat", city="Beijing")
    fan(other_shop, "Rival", city="Hangzhou", total_spend=99999)


def form(**extra) -> dict:
    """Top level AND of: total spend at least ¥500, and a group (OR) of city Hangzhou."""
    data = {
        "nodes": ["r", "r.0", "r.1", "r.1.0"],
        "r-match": "and",
        "r.0-field": "total_spend",
        "r.0-op": "gte",
        "r.0-value": "500",
        "r.1-match": "or",
        "r.1.0-field": "city",
        "r.1.0-op": "in",
        "r.1.0-value": "Hangzhou, Shanghai",
    }
    data.update(extra)
    return data


def test_the_segments_page_shows_the_builder(shop):
    page = logged_in(shop.owner).get(reverse("fans_segments:segments"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="rule-builder"' in html and "Add condition" in html
    assert 'name="r.0-field"' in html


def test_live_count_as_the_owner_edits(fans, shop):
    client = logged_in(shop.owner)
    answer = client.post(reverse("fans_segments:count"), form(), **HTMX)
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "<strong>1</strong> fan matches" in html
    assert "Spent at least ¥500 in all and city is one of Hangzhou, Shanghai" in html

    wider = client.post(reverse("fans_segments:count"), form(**{"r-match": "or"}), **HTMX)
    assert "<strong>2</strong> fans match" in wider.content.decode()


def test_live_count_of_a_bad_value_says_what_is_wrong(fans, shop):
    answer = logged_in(shop.owner).post(
        reverse("fans_segments:count"), form(**{"r.0-value": "lots"}), **HTMX
    )
    assert answer.status_code == 400
    assert "condition 1: enter an amount in yuan" in answer.content.decode()


def test_builder_adds_conditions_and_groups_and_removes_them(fans, shop):
    client = logged_in(shop.owner)
    url = reverse("fans_segments:builder")
    added = client.post(url, form(action="add:r.1"), **HTMX).content.decode()
    assert 'name="r.1.1-field"' in added
    grouped = client.post(url, form(action="group:r"), **HTMX).content.decode()
    assert 'name="r.2-match"' in grouped and 'name="r.2.0-field"' in grouped
    removed = client.post(url, form(action="remove:r.0"), **HTMX).content.decode()
    # The group moves up to r.0, its condition kept.
    assert 'name="r.0-match"' in removed and 'value="Hangzhou, Shanghai"' in removed
    assert "<strong>2</strong> fans match" in removed


def test_changing_the_field_offers_its_operators(shop):
    html = (
        logged_in(shop.owner)
        .post(
            reverse("fans_segments:builder"),
            {"nodes": ["r", "r.0"], "r-match": "and", "r.0-field": "last_visit_at"},
            **HTMX,
        )
        .content.decode()
    )
    assert 'value="not_within_days"' in html and 'name="r.0-value"' in html


def test_without_script_the_buttons_reload_the_page_with_the_change(fans, shop):
    page = logged_in(shop.owner).post(
        reverse("fans_segments:segments"), form(action="add:r", name="Keep")
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="r.2-field"' in html and 'value="Keep"' in html
    assert not Segment.objects.exists()


def test_save_a_segment_then_edit_and_delete_it(fans, shop):
    client = logged_in(shop.owner)
    saved = client.post(reverse("fans_segments:segments"), form(name="Rich Hangzhou"))
    assert saved.status_code == 302
    segment = Segment.objects.get(shop=shop)
    assert (segment.name, segment.fan_count) == ("Rich Hangzhou", 1)
    assert segment.rule["conditions"][0] == {"field": "total_spend", "op": "gte", "value": 50000}

    listing = client.get(reverse("fans_segments:segments")).content.decode()
    assert "Rich Hangzhou" in listing

    edit_url = reverse("fans_segments:segment", args=[segment.pk])
    edit = client.get(edit_url).content.decode()
    assert 'value="500"' in edit and 'value="Hangzhou, Shanghai"' in edit

    changed = client.post(edit_url, form(**{"name": "Hangzhou", "r.0-value": "0"}))
    assert changed.status_code == 302
    segment.refresh_from_db()
    assert (segment.name, segment.fan_count) == ("Hangzhou", 2)

    assert (
        client.post(reverse("fans_segments:segment_delete", args=[segment.pk])).status_code == 302
    )
    assert not Segment.objects.exists()


@pytest.mark.parametrize(
    "extra",
    [
        {"name": ""},
        {"name": "Bad", "r.0-value": "-5"},
        {"name": "Bad", "r.0-op": "between", "r.0-value2": "1"},
        {"name": "Bad", "r.1.0-value": ""},
        {"name": "Bad", "r.0-field": "last_visit_at", "r.0-op": "within_days", "r.0-value": "x"},
    ],
)
def test_bad_input_is_400_and_nothing_is_saved(fans, shop, extra):
    page = logged_in(shop.owner).post(reverse("fans_segments:segments"), form(**extra))
    assert page.status_code == 400
    assert 'class="alert alert-error"' in page.content.decode()
    assert not Segment.objects.exists()


def test_tags_page_creates_manual_and_automatic_tags(
    fans, shop, django_capture_on_commit_callbacks
):
    client = logged_in(shop.owner)
    url = reverse("fans_segments:tags")
    assert client.get(url).status_code == 200
    assert client.post(url, {"name": "Friends", "kind": "manual"}).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        made = client.post(url, form(name="Rich", kind="automatic"))
    assert made.status_code == 302
    rich = Tag.objects.get(shop=shop, name="Rich")
    assert rich.is_automatic
    assert set(FanTag.objects.filter(tag=rich).values_list("fan__name", flat=True)) == {"Ann"}
    assert Tag.objects.get(shop=shop, name="Friends").rule is None
    listing = client.get(url).content.decode()
    assert "automatic" in listing and "Spent at least ¥500" in listing

    edit = reverse("fans_segments:tag", args=[rich.pk])
    assert 'value="500"' in client.get(edit).content.decode()
    assert client.post(edit, {"name": "Was rich", "kind": "manual"}).status_code == 302
    rich.refresh_from_db()
    assert rich.rule is None and rich.name == "Was rich"
    assert client.post(reverse("fans_segments:tag_delete", args=[rich.pk])).status_code == 302
    assert not Tag.objects.filter(pk=rich.pk).exists()


def test_a_bad_tag_is_400_and_nothing_is_saved(shop):
    client = logged_in(shop.owner)
    url = reverse("fans_segments:tags")
    assert client.post(url, {"name": "x" * 31, "kind": "manual"}).status_code == 400
    empty_rule = {"name": "Auto", "kind": "automatic", "nodes": ["r", "r.0"], "r-match": "and"}
    answer = client.post(url, empty_rule)
    assert answer.status_code == 400
    assert "at least one condition" in answer.content.decode()
    assert not Tag.objects.exists()


def test_insights_shows_every_group_with_its_count(fans, shop):
    ShopFan.objects.filter(shop=shop, name="Ann").update(
        order_count=2, last_order_at=timezone.now()
    )
    scoring.rfm_recompute(shop_id=shop.pk)
    page = logged_in(shop.owner).get(reverse("fans_segments:insights"))
    assert page.status_code == 200
    html = page.content.decode()
    for label in ("Champions", "Loyal", "Promising", "New", "At risk", "Hibernating", "Lost"):
        assert label in html
    assert "1 fan scored" in html
    assert 'data-group="loyal"' in html


def test_insights_before_any_scoring(shop):
    html = logged_in(shop.owner).get(reverse("fans_segments:insights")).content.decode()
    assert "Not scored yet" in html


def test_another_owner_gets_404_and_never_sees_these_fans(fans, shop, other_shop):
    segment = segments.segment_create(
        shop=shop, actor=shop.owner, name="Mine", rule={"op": "and", "conditions": []}
    )
    tag = tags.tag_create(shop=shop, name="Mine")
    rival = logged_in(other_shop.owner)
    assert rival.get(reverse("fans_segments:segment", args=[segment.pk])).status_code == 404
    assert (
        rival.post(reverse("fans_segments:segment", args=[segment.pk]), form(name="x")).status_code
        == 404
    )
    assert rival.post(reverse("fans_segments:segment_delete", args=[segment.pk])).status_code == 404
    assert rival.get(reverse("fans_segments:tag", args=[tag.pk])).status_code == 404
    assert rival.post(reverse("fans_segments:tag", args=[tag.pk]), {"name": "x"}).status_code == 404
    assert rival.post(reverse("fans_segments:tag_delete", args=[tag.pk])).status_code == 404
    # Her own pages list her rows only, and her counts only her fans.
    assert "Mine" not in rival.get(reverse("fans_segments:segments")).content.decode()
    assert "Mine" not in rival.get(reverse("fans_segments:tags")).content.decode()
    everybody = {"nodes": ["r"], "r-match": "and"}
    assert (
        "<strong>1</strong> fan matches"
        in rival.post(reverse("fans_segments:count"), everybody, **HTMX).content.decode()
    )
    # A tag of mine in her rule is refused, not counted as zero.
    foreign = {
        "nodes": ["r", "r.0"],
        "r-match": "and",
        "r.0-field": "tag",
        "r.0-op": "any",
        "r.0-value": str(tag.pk),
    }
    refused = rival.post(reverse("fans_segments:count"), foreign, **HTMX)
    assert refused.status_code == 400 and "not one of your tags" in refused.content.decode()
    # Her builder offers her tags only; her fan groups count her fans only.
    builder = rival.post(
        reverse("fans_segments:builder"),
        {"nodes": ["r", "r.0"], "r-match": "and", "r.0-field": "tag"},
        **HTMX,
    ).content.decode()
    assert "No tags yet" in builder and "Mine" not in builder
    ShopFan.objects.filter(shop=shop).update(order_count=1, last_order_at=timezone.now())
    scoring.rfm_recompute(shop_id=shop.pk)
    assert "Not scored yet" in rival.get(reverse("fans_segments:insights")).content.decode()
    assert Segment.objects.get(pk=segment.pk).name == "Mine"
    assert Tag.objects.get(pk=tag.pk).name == "Mine"


def test_pages_need_a_login(shop):
    for name in ("segments", "tags", "insights"):
        answer = Client().get(reverse(f"fans_segments:{name}"))
        assert answer.status_code == 302 and "login" in answer["Location"]


def test_without_script_a_chosen_field_gets_its_operators_on_update(shop):
    page = logged_in(shop.owner).post(
        reverse("fans_segments:segments"),
        {"nodes": ["r", "r.0"], "r-match": "and", "r.0-field": "points", "action": "refresh"},
    )
    assert page.status_code == 200
    assert 'name="r.0-op"' in page.content.decode() and 'value="between"' in page.content.decode()


def test_a_new_field_starts_without_the_old_fields_values(shop):
    html = (
        logged_in(shop.owner)
        .post(
            reverse("fans_segments:builder"),
            {
                "nodes": ["r", "r.0"],
                "r-match": "and",
                "r.0-was": "city",
                "r.0-field": "points",
                "r.0-op": "in",
                "r.0-value": "Hangzhou",
            },
            **HTMX,
        )
        .content.decode()
    )
    assert 'value="gte" selected' in html and "Hangzhou" not in html
