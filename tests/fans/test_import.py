"""Importing fans from CSV: UTF-8 (with or without BOM) and GBK, English or Chinese headers in any
order; a file that cannot be read writes nothing; bad rows are reported while good ones are
imported; only consenting rows become contactable; existing contacts are updated and accounts
linked, with their privacy kept."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.conftest import owner_client, rival_client  # noqa: F401 (fixtures)
from tests.factories import make_user
from tests.fans.test_crm import make_fan
from vshop.fans import imports
from vshop.fans.models import FanSource, FanTag, PrivacySettings, ShopFan, Tag

pytestmark = pytest.mark.django_db


def upload(client, shop, data: bytes, name: str = "fans.csv"):
    return client.post(
        f"/api/shops/{shop.slug}/fans/import",
        {"file": SimpleUploadedFile(name, data, content_type="text/csv")},
    )


def counts() -> tuple[int, int, int]:
    return ShopFan.objects.count(), Tag.objects.count(), FanTag.objects.count()


def test_a_utf8_file_is_imported_with_tags_and_consent(shop, owner_client):
    data = (
        b"name,mobile,email,tags,consent\n"
        b"Li Hua,13800138000,,VIP;Shanghai,yes\n"
        b"Wang Fang,,wang.fang@Example.COM,VIP|Mum,no\n"
        b"Zhao Lei,+86 139-1234-5678,,,\n"
    )

    r = upload(owner_client, shop, data)

    assert r.status_code == 200, r.content
    assert r.json() == {"imported": 3, "updated": 0, "rejected": [], "rejected_count": 0}
    li = ShopFan.objects.get(shop=shop, mobile="+8613800138000")
    assert (li.name, li.source, li.source_channel, li.contactable) == (
        "Li Hua",
        FanSource.IMPORT,
        "import",
        True,
    )
    wang = ShopFan.objects.get(shop=shop, email="wang.fang@example.com")
    assert wang.contactable is False
    zhao = ShopFan.objects.get(shop=shop, mobile="+8613912345678")
    assert zhao.contactable is False  # no explicit yes: not contactable
    assert sorted(t.name for t in Tag.objects.filter(shop=shop)) == ["Mum", "Shanghai", "VIP"]
    assert all(t.rule is None for t in Tag.objects.all())
    assert sorted(li.tag_links.values_list("tag__name", flat=True)) == ["Shanghai", "VIP"]
    assert sorted(wang.tag_links.values_list("tag__name", flat=True)) == ["Mum", "VIP"]


def test_a_utf8_file_with_a_bom_and_columns_in_another_order(shop, owner_client):
    data = "\ufeffconsent,Tags,MOBILE,name\n是,老客户；宝妈,13800138000,李华\n".encode()

    r = upload(owner_client, shop, data)

    assert r.json()["imported"] == 1
    fan = ShopFan.objects.get(shop=shop)
    assert (fan.name, fan.mobile, fan.contactable) == ("李华", "+8613800138000", True)
    assert sorted(fan.tag_links.values_list("tag__name", flat=True)) == ["宝妈", "老客户"]


def test_a_gbk_file_with_chinese_headers(shop, owner_client):
    data = "姓名,手机,邮箱,标签,同意\n王芳,13912345678,,会员|杭州,否\n李华,,li@example.com,,是\n".encode(
        "gbk"
    )

    r = upload(owner_client, shop, data)

    assert r.status_code == 200
    assert r.json()["imported"] == 2
    wang = ShopFan.objects.get(shop=shop, mobile="+8613912345678")
    assert wang.name == "王芳" and wang.contactable is False
    assert sorted(wang.tag_links.values_list("tag__name", flat=True)) == ["会员", "杭州"]
    assert ShopFan.objects.get(shop=shop, email="li@example.com").contactable is True


@pytest.mark.parametrize(
    "data",
    [
        b"nom,telephone\nA,13800138000\n",  # nothing understood
        b"name,mobile,phone\nA,13800138000,1\n",  # one unknown column
        b"name,mobile,mobile\nA,13800138000,13800138001\n",  # a column twice
        b"name,tags\nA,VIP\n",  # neither mobile nor email
        b"",  # empty
        b"name,mobile\n",  # a header and nothing else
    ],
)
def test_a_wrong_header_is_a_400_and_nothing_is_written(shop, owner_client, data):
    make_fan(shop)
    before = counts()

    r = upload(owner_client, shop, data)

    assert r.status_code == 400
    assert r.json()["code"] == "import_refused"
    assert counts() == before


@pytest.mark.parametrize(
    "data",
    [
        "name,mobile\nA,13800138000\n".encode("utf-16"),  # neither UTF-8 nor GBK
        b"name,mobile\n\xff\xfe\xfa,13800138000\n",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    ],
)
def test_an_undecodable_file_is_a_400_and_nothing_is_written(shop, owner_client, data):
    before = counts()
    r = upload(owner_client, shop, data)
    assert r.status_code == 400
    assert "UTF-8" in r.json()["message"]
    assert counts() == before


def test_a_file_too_big_or_with_too_many_rows_is_a_400(shop, owner_client, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    rows = "".join(f"F{i},1380013800{i}\n" for i in range(4))
    r = upload(owner_client, shop, f"name,mobile\n{rows}".encode())
    assert r.status_code == 400
    assert "rows" in r.json()["message"]

    monkeypatch.setattr(imports, "MAX_BYTES", 100)
    r = upload(owner_client, shop, b"name,mobile\n" + b"A,13800138000\n" * 10)
    assert r.status_code == 400
    assert "MB" in r.json()["message"]
    assert ShopFan.objects.count() == 0


def test_bad_rows_are_reported_and_the_good_ones_imported(shop, owner_client):
    Tag.objects.create(shop=shop, name="Auto", rule={"op": "and", "conditions": []})
    data = (
        "name,mobile,email,tags,consent\n"
        "Good,13800138000,,,yes\n"  # 2
        "No contact,,,,yes\n"  # 3
        "Bad mobile,12345,,,yes\n"  # 4
        "Bad email,,not-an-email,,yes\n"  # 5
        f"{'x' * 61},13800138001,,,yes\n"  # 6
        "Twice,138 0013 8000,,,yes\n"  # 7: the same mobile as row 2
        "Odd consent,13800138002,,,maybe\n"  # 8
        "Automatic,13800138003,,Auto,yes\n"  # 9
        "\n"  # 10: blank lines are skipped
        "Also good,,good@example.com,,n\n"  # 11
    ).encode()

    r = upload(owner_client, shop, data)

    body = r.json()
    assert r.status_code == 200
    assert (body["imported"], body["updated"], body["rejected_count"]) == (2, 0, 7)
    report = {x["row"]: (x["value"], x["reason"]) for x in body["rejected"]}
    assert sorted(report) == [3, 4, 5, 6, 7, 8, 9]
    assert "Neither" in report[3][1]
    assert report[4][0] == "12345"
    assert report[5][0] == "not-an-email"
    assert "60" in report[6][1]
    assert "row 2" in report[7][1]
    assert report[8][0] == "maybe"
    assert report[9][0] == "Auto"
    assert set(ShopFan.objects.values_list("name", flat=True)) == {"Good", "Also good"}
    assert FanTag.objects.count() == 0


def test_an_existing_contact_is_updated_not_duplicated(shop, owner_client):
    vip = Tag.objects.create(shop=shop, name="VIP")
    contact = make_fan(
        shop, name="", mobile="+8613800138000", source=FanSource.IMPORT, contactable=False
    )
    FanTag.objects.create(fan=contact, tag=vip)
    data = "name,mobile,email,tags,consent\nLi Hua,13800138000,li@example.com,New,yes\n"

    r = upload(owner_client, shop, data.encode())

    assert r.json() == {"imported": 0, "updated": 1, "rejected": [], "rejected_count": 0}
    contact.refresh_from_db()
    assert ShopFan.objects.filter(shop=shop).count() == 1
    assert (contact.name, contact.email, contact.contactable) == ("Li Hua", "li@example.com", True)
    assert sorted(contact.tag_links.values_list("tag__name", flat=True)) == ["New", "VIP"]

    # Said no this time: she may no longer be contacted; no consent column: unchanged.
    upload(owner_client, shop, b"mobile,consent\n13800138000,no\n")
    contact.refresh_from_db()
    assert contact.contactable is False
    upload(owner_client, shop, b"email\nli@example.com\n")
    contact.refresh_from_db()
    assert contact.contactable is False
    assert ShopFan.objects.count() == 1


def test_a_row_of_an_existing_account_is_linked_to_it_and_keeps_her_privacy(shop, owner_client):
    her = make_user("+8613800138000", name="Xiao Mei")
    PrivacySettings.objects.create(user=her, share_mobile=False)
    data = "name,mobile,tags,consent\nSomeone else,13800138000,VIP,yes\n"

    r = upload(owner_client, shop, data.encode())

    assert r.json()["imported"] == 1
    fan = ShopFan.objects.get(shop=shop)
    assert fan.user_id == her.pk
    assert fan.name == "Xiao Mei"  # her own name, not the file's
    assert fan.mobile == ""  # she hides her mobile from shops
    assert fan.source == FanSource.IMPORT and fan.source_channel == "import"
    assert fan.contactable is True
    assert list(fan.tag_links.values_list("tag__name", flat=True)) == ["VIP"]

    # Imported again: the same record, updated.
    r = upload(owner_client, shop, data.encode())
    assert (r.json()["imported"], r.json()["updated"]) == (0, 1)
    assert ShopFan.objects.count() == 1


def test_a_row_of_an_account_already_a_fan_updates_her_record(shop, owner_client, fan):
    record = make_fan(shop, user=fan, name="Xiao Mei", mobile="", email="", source="follow")
    r = upload(owner_client, shop, b"email,tags,consent\nfan@example.com,VIP,no\n")
    assert (r.json()["imported"], r.json()["updated"]) == (0, 1)
    record.refresh_from_db()
    assert record.source == "follow"
    assert record.contactable is False
    assert list(record.tag_links.values_list("tag__name", flat=True)) == ["VIP"]


def test_an_exported_file_imports_back_without_duplicates(shop, owner_client):
    make_fan(shop, name="Li Hua", mobile="+8613800138000")
    template = owner_client.get(f"/api/shops/{shop.slug}/fans/import-template.csv")
    assert template.status_code == 200
    text = template.content.decode("utf-8")
    assert text.startswith("\ufeffname,mobile,email,tags,consent")

    r = upload(owner_client, shop, b"mobile,name\n'+8613800138000,Li Hua\n")
    assert (r.json()["imported"], r.json()["updated"]) == (0, 1)


def test_the_import_of_another_shop_owner_is_not_found(shop, rival_client):
    r = upload(rival_client, shop, b"name,mobile\nA,13800138000\n")
    assert r.status_code == 404
    assert ShopFan.objects.count() == 0


def test_the_services_report_matches_the_api(shop):
    report = imports.fans_import(shop=shop, data=io.BytesIO(b"mobile\n13800138000\n").read())
    assert (report.imported, report.updated, report.rejected) == (1, 0, [])
