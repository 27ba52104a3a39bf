"""The fan CRM pages under /me/shop/fans/: the list (search, filters, sortable columns, pages,
bulk tags, export), a fan's profile with its heat map, notes and tags through htmx, the import;
and another owner gets 404 from every page for this shop's fans."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests.fans.test_crm import T0, make_fan
from vshop.fans.models import ActivityHour, FanNote, FanTag, ShopFan, Tag

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner(shop) -> Client:
    return browser(shop.owner)


@pytest.fixture
def rival(other_shop) -> Client:
    return browser(other_shop.owner)


def fan_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-fan="(\d+)"', html)]


# --- the list ----------------------------------------------------------------------------------


def test_the_list_shows_her_fans_newest_follower_first_with_a_count(shop, owner):
    old = make_fan(shop, name="Old friend", followed_at=T0)
    new = make_fan(shop, name="New friend", followed_at=T0 + timedelta(days=1))
    contact = make_fan(shop, name="Imported", followed_at=None)

    r = owner.get("/me/shop/fans/")

    assert r.status_code == 200
    html = r.content.decode()
    assert fan_ids(html) == [new.pk, old.pk, contact.pk]
    assert 'data-testid="fan-count">3 fans' in html
    assert f'href="/me/shop/fans/{new.pk}/"' in html


def test_search_filters_and_sorting_by_a_column(shop, owner):
    a = make_fan(shop, name="Xiao Mei", order_count=1, city="Hangzhou")
    b = make_fan(shop, name="Li Hua", order_count=5, city="Hangzhou")
    make_fan(shop, name="Zhao", order_count=9, city="Beijing")

    assert fan_ids(owner.get("/me/shop/fans/", {"q": "mei"}).content.decode()) == [a.pk]
    r = owner.get("/me/shop/fans/", {"city": "Hangzhou", "sort": "-order_count"})
    assert fan_ids(r.content.decode()) == [b.pk, a.pk]
    # The column link sorts the other way round and keeps the filters.
    assert 'href="?city=Hangzhou&amp;sort=order_count" data-sort="desc"' in r.content.decode()


def test_the_list_pages_forwards_and_back(shop, owner):
    fans = [make_fan(shop, order_count=i) for i in range(120)]
    r = owner.get("/me/shop/fans/", {"sort": "order_count"})
    html = r.content.decode()
    first = fan_ids(html)
    assert first == [f.pk for f in fans[:50]]
    next_url = re.search(r'href="\?([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
    html2 = owner.get(f"/me/shop/fans/?{next_url}").content.decode()
    assert fan_ids(html2) == [f.pk for f in fans[50:100]]
    prev_url = re.search(r'href="\?([^"]+)" rel="prev"', html2).group(1).replace("&amp;", "&")
    assert fan_ids(owner.get(f"/me/shop/fans/?{prev_url}").content.decode()) == first


def test_bad_filters_are_a_400_with_the_reason(shop, owner):
    r = owner.get("/me/shop/fans/", {"order_count_min": "-3", "sort": "password"})
    assert r.status_code == 400
    assert "alert-error" in r.content.decode()
    r = owner.get("/me/shop/fans/", {"cursor": "broken"})
    assert r.status_code == 400


def test_the_export_link_downloads_the_filtered_list(shop, owner):
    make_fan(shop, name="Hangzhou fan", city="Hangzhou")
    make_fan(shop, name="Beijing fan", city="Beijing")
    html = owner.get("/me/shop/fans/", {"city": "Hangzhou"}).content.decode()
    link = re.search(r'href="([^"]+)" data-testid="export-link"', html).group(1)

    r = owner.get(link.replace("&amp;", "&"))

    assert r.status_code == 200
    text = b"".join(r.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert [row[0] for row in rows[1:]] == ["Hangzhou fan"]


def test_bulk_tagging_from_the_list(shop, owner):
    vip = Tag.objects.create(shop=shop, name="VIP")
    fans = [make_fan(shop) for _ in range(3)]

    r = owner.post(
        "/me/shop/fans/bulk-tag/",
        {"fan": [fans[0].pk, fans[1].pk], "tag": vip.pk, "action": "add", "next": "/me/shop/fans/"},
    )

    assert r.status_code == 302 and r["Location"] == "/me/shop/fans/"
    assert set(FanTag.objects.values_list("fan_id", flat=True)) == {fans[0].pk, fans[1].pk}
    owner.post("/me/shop/fans/bulk-tag/", {"fan": [fans[0].pk], "tag": vip.pk, "action": "remove"})
    assert set(FanTag.objects.values_list("fan_id", flat=True)) == {fans[1].pk}
    # An outside address in "next" is not followed.
    r = owner.post(
        "/me/shop/fans/bulk-tag/",
        {"fan": [fans[2].pk], "tag": vip.pk, "next": "https://evil.example/"},
    )
    assert r["Location"] == "/me/shop/fans/"


def test_bulk_tagging_with_an_automatic_tag_is_refused(shop, owner):
    auto = Tag.objects.create(shop=shop, name="Auto", rule={"op": "and", "conditions": []})
    fan = make_fan(shop)
    r = owner.post("/me/shop/fans/bulk-tag/", {"fan": [fan.pk], "tag": auto.pk})
    assert r.status_code == 400
    assert FanTag.objects.count() == 0


# --- the profile -------------------------------------------------------------------------------


def test_the_profile_page_shows_her_figures_and_a_heat_map_of_her_hours(shop, owner, fan):
    record = make_fan(shop, user=fan, name="Xiao Mei", order_count=3, total_spend=12300)
    ActivityHour.objects.create(
        shop_id=shop.pk,
        user_id=fan.pk,
        hour=timezone.now() - timedelta(days=2),
        local_hour=24 + 20,  # Tuesday 20:00 her time
        visits=5,
    )

    r = owner.get(f"/me/shop/fans/{record.pk}/")

    assert r.status_code == 200
    html = r.content.decode()
    assert 'data-testid="fan-name">Xiao Mei<' in html
    assert 'data-testid="order-count">3<' in html
    assert "¥123<" in html
    svg = re.search(r'<svg[^>]*data-testid="heat-map".*?</svg>', html, re.S).group(0)
    assert svg.count("<rect") == 7 * 24
    busy = re.findall(r'data-count="(\d+)"><title>([^<]+)</title>', svg)
    hot = [(n, label) for n, label in busy if n != "0"]
    assert len(hot) == 1 and hot[0][1].startswith("Tue 20:00")


def test_notes_are_added_and_deleted_through_htmx(shop, owner):
    record = make_fan(shop)

    r = owner.post(f"/me/shop/fans/{record.pk}/notes/", {"text": "Birthday in May"}, **HTMX)
    assert r.status_code == 200
    assert "Birthday in May" in r.content.decode()
    assert 'id="fan-notes"' in r.content.decode()
    note = FanNote.objects.get()

    r = owner.post(f"/me/shop/fans/{record.pk}/notes/", {"text": "  "}, **HTMX)
    assert r.status_code == 400
    assert FanNote.objects.count() == 1

    r = owner.post(f"/me/shop/fans/{record.pk}/notes/{note.pk}/delete/", **HTMX)
    assert r.status_code == 200
    assert FanNote.objects.count() == 0


def test_without_htmx_a_note_redirects_back_to_the_profile(shop, owner):
    record = make_fan(shop)
    r = owner.post(f"/me/shop/fans/{record.pk}/notes/", {"text": "Plain form"})
    assert r.status_code == 302 and r["Location"] == f"/me/shop/fans/{record.pk}/"
    assert FanNote.objects.get().text == "Plain form"


def test_tags_are_put_on_and_taken_off_through_htmx_but_not_automatic_ones(shop, owner):
    vip = Tag.objects.create(shop=shop, name="VIP")
    auto = Tag.objects.create(shop=shop, name="Auto", rule={"op": "and", "conditions": []})
    record = make_fan(shop)

    html = owner.get(f"/me/shop/fans/{record.pk}/").content.decode()
    assert f'<option value="{vip.pk}">VIP</option>' in html
    assert f'<option value="{auto.pk}">' not in html  # only manual tags are offered

    r = owner.post(f"/me/shop/fans/{record.pk}/tags/", {"tag": vip.pk}, **HTMX)
    assert r.status_code == 200 and "VIP" in r.content.decode()
    assert FanTag.objects.filter(fan=record, tag=vip).exists()

    r = owner.post(f"/me/shop/fans/{record.pk}/tags/", {"tag": auto.pk}, **HTMX)
    assert r.status_code == 400
    assert "automatic" in r.content.decode()

    r = owner.post(f"/me/shop/fans/{record.pk}/tags/{vip.pk}/remove/", **HTMX)
    assert r.status_code == 200
    assert not FanTag.objects.exists()


# --- the import --------------------------------------------------------------------------------


def test_the_import_page_imports_a_gbk_file_and_reports_rejected_rows(shop, owner):
    assert owner.get("/me/shop/fans/import/").status_code == 200
    data = "姓名,手机,同意\n王芳,13912345678,是\n坏,123,是\n".encode("gbk")

    r = owner.post("/me/shop/fans/import/", {"file": SimpleUploadedFile("f.csv", data, "text/csv")})

    assert r.status_code == 200
    html = r.content.decode()
    assert 'data-testid="imported">1<' in html
    assert 'data-testid="rejected">1<' in html
    assert "<td>3</td><td>123</td>" in html
    assert ShopFan.objects.get(shop=shop).name == "王芳"


def test_the_import_page_refuses_a_wrong_header_and_writes_nothing(shop, owner):
    r = owner.post(
        "/me/shop/fans/import/",
        {"file": SimpleUploadedFile("f.csv", b"who,what\na,b\n", "text/csv")},
    )
    assert r.status_code == 400
    assert "Nothing was imported" in r.content.decode()
    assert ShopFan.objects.count() == 0
    assert owner.post("/me/shop/fans/import/", {}).status_code == 400


def test_the_template_downloads(shop, owner):
    r = owner.get("/me/shop/fans/import/template.csv")
    assert r.status_code == 200
    assert r.content.decode("utf-8").startswith("\ufeffname,mobile,email,tags,consent")


# --- isolation ---------------------------------------------------------------------------------


def test_another_owner_gets_404_from_every_page_of_this_shops_fans(shop, other_shop, rival):
    record = make_fan(shop, name="Lily's fan")
    note = FanNote.objects.create(fan=record, author=shop.owner, text="secret")
    tag = Tag.objects.create(shop=shop, name="VIP")
    FanTag.objects.create(fan=record, tag=tag)
    rival_tag = Tag.objects.create(shop=other_shop, name="Theirs")
    mine = make_fan(other_shop, name="Rival's fan")
    before = (ShopFan.objects.count(), FanNote.objects.count(), FanTag.objects.count())

    calls = [
        rival.get(f"/me/shop/fans/?shop={shop.pk}"),
        rival.get(f"/me/shop/fans/export.csv?shop={shop.pk}"),
        rival.get(f"/me/shop/fans/import/?shop={shop.pk}"),
        rival.get(f"/me/shop/fans/{record.pk}/"),
        rival.post(f"/me/shop/fans/{record.pk}/notes/", {"text": "x"}),
        rival.post(f"/me/shop/fans/{record.pk}/notes/{note.pk}/delete/"),
        rival.post(f"/me/shop/fans/{mine.pk}/notes/{note.pk}/delete/"),
        rival.post(f"/me/shop/fans/{record.pk}/tags/", {"tag": rival_tag.pk}),
        rival.post(f"/me/shop/fans/{mine.pk}/tags/", {"tag": tag.pk}),
        rival.post(f"/me/shop/fans/{record.pk}/tags/{tag.pk}/remove/"),
        rival.post("/me/shop/fans/bulk-tag/", {"fan": [record.pk], "tag": rival_tag.pk}),
        rival.post("/me/shop/fans/bulk-tag/", {"fan": [mine.pk], "tag": tag.pk}),
    ]

    assert [c.status_code for c in calls] == [404] * len(calls)
    assert (ShopFan.objects.count(), FanNote.objects.count(), FanTag.objects.count()) == before
    html = rival.get("/me/shop/fans/").content.decode()
    assert fan_ids(html) == [mine.pk]
    assert "Lily&#x27;s fan" not in html
    text = b"".join(rival.get("/me/shop/fans/export.csv").streaming_content).decode()
    assert "Lily's fan" not in text and "Rival's fan" in text


def test_a_visitor_is_sent_to_log_in(shop):
    r = Client().get("/me/shop/fans/")
    assert r.status_code == 302 and "/accounts/login" in r["Location"]
