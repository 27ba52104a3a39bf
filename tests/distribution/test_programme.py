"""The shop owner's promoter programme and per-listing rates: the rules (at most two levels,
commission never above the margin, level 2 only with two levels, 1..90 days), the settings and
rates pages (percent of the margin in, basis points stored) and the API, each refusal writing
nothing, and another owner getting 404 everywhere."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.api.conftest import client_for
from tests.factories import make_listing
from vshop.distribution import services
from vshop.distribution.models import JoinPolicy, ListingCommission, Programme
from vshop.errors import NotFound, ValidationFailed

pytestmark = pytest.mark.django_db

THIRD_LEVEL = "VShop pays at most two levels"


def programme_rows() -> list[tuple]:
    return list(
        Programme.objects.order_by("pk").values_list(
            "shop_id",
            "is_enabled",
            "join_policy",
            "levels",
            "level1_rate",
            "level2_rate",
            "attribution_model",
            "attribution_days",
        )
    )


def commission_rows() -> list[tuple]:
    return list(
        ListingCommission.objects.order_by("pk").values_list(
            "listing_id", "level1_rate", "level2_rate"
        )
    )


# --- the service ----------------------------------------------------------------------------


def test_owner_sets_two_levels_and_rates_in_basis_points(shop):
    programme = services.programme_update(
        owner=shop.owner,
        shop=shop,
        data={"levels": 2, "level1_rate": 1500, "level2_rate": 500, "join_policy": "application"},
    )
    programme.refresh_from_db()
    assert (programme.levels, programme.level1_rate, programme.level2_rate) == (2, 1500, 500)
    assert programme.join_policy == JoinPolicy.APPLICATION
    # fields left out keep their value
    assert programme.attribution_days == 7 and programme.is_enabled is True


@pytest.mark.parametrize("levels", [3, 4, 100])
def test_a_third_level_is_refused_with_its_reason_and_nothing_is_written(shop, levels):
    with pytest.raises(ValidationFailed) as err:
        services.programme_update(
            owner=shop.owner, shop=shop, data={"levels": levels, "level2_rate": 100}
        )
    assert THIRD_LEVEL in err.value.message
    assert err.value.status == 400 and err.value.field == "levels"
    assert programme_rows() == []


def test_zero_levels_is_refused(shop):
    with pytest.raises(ValidationFailed):
        services.programme_update(owner=shop.owner, shop=shop, data={"levels": 0})
    assert programme_rows() == []


@pytest.mark.parametrize(
    "data",
    [
        {"level1_rate": 10_001},
        {"levels": 2, "level1_rate": 6000, "level2_rate": 4001},
        {"levels": 2, "level1_rate": 0, "level2_rate": 10_001},
    ],
)
def test_a_rate_above_the_margin_is_refused_and_nothing_changes(shop, data):
    services.programme_update(owner=shop.owner, shop=shop, data={"level1_rate": 800})
    before = programme_rows()
    with pytest.raises(ValidationFailed) as err:
        services.programme_update(owner=shop.owner, shop=shop, data=data)
    assert err.value.code == "rate_above_margin"
    assert "rate above the margin" in err.value.message.lower()
    assert programme_rows() == before


def test_the_whole_margin_is_allowed(shop):
    programme = services.programme_update(
        owner=shop.owner, shop=shop, data={"levels": 2, "level1_rate": 7000, "level2_rate": 3000}
    )
    assert programme.level1_rate + programme.level2_rate == 10_000


@pytest.mark.parametrize(
    "data",
    [
        {"level1_rate": -1},
        {"level1_rate": "1000"},
        {"level1_rate": 10.5},
        {"level1_rate": True},
        {"levels": 1, "level2_rate": 100},
        {"attribution_days": 0},
        {"attribution_days": 91},
        {"join_policy": "everybody"},
        {"attribution_model": "random"},
        {"is_enabled": "yes"},
        {"level3_rate": 100},
    ],
)
def test_bad_settings_are_refused_and_write_nothing(shop, data):
    with pytest.raises(ValidationFailed):
        services.programme_update(owner=shop.owner, shop=shop, data=data)
    assert programme_rows() == []


def test_level2_left_over_when_going_back_to_one_level_is_refused(shop):
    services.programme_update(owner=shop.owner, shop=shop, data={"levels": 2, "level2_rate": 300})
    with pytest.raises(ValidationFailed) as err:
        services.programme_update(owner=shop.owner, shop=shop, data={"levels": 1})
    assert err.value.field == "level2_rate"
    programme = services.programme_update(
        owner=shop.owner, shop=shop, data={"levels": 1, "level2_rate": 0}
    )
    assert programme.levels == 1


def test_another_owner_cannot_change_the_programme(shop, other_shop):
    with pytest.raises(NotFound):
        services.programme_update(owner=other_shop.owner, shop=shop, data={"level1_rate": 5000})
    assert programme_rows() == []


def test_listing_rates_replace_the_programme_and_can_be_cleared(listing):
    owner = listing.shop.owner
    services.listing_commission_set(owner=owner, listing_id=listing.pk, level1_rate=2500)
    assert commission_rows() == [(listing.pk, 2500, 0)]
    services.listing_commission_set(owner=owner, listing_id=listing.pk, level1_rate=2000)
    assert commission_rows() == [(listing.pk, 2000, 0)]
    services.listing_commission_clear(owner=owner, listing_id=listing.pk)
    services.listing_commission_clear(owner=owner, listing_id=listing.pk)  # twice is fine
    assert commission_rows() == []


@pytest.mark.parametrize(
    ("rate1", "rate2", "code"),
    [(10_001, 0, "rate_above_margin"), (6000, 4001, "rate_above_margin"), (100, 100, "invalid")],
)
def test_listing_rates_are_checked_like_the_programme(listing, rate1, rate2, code):
    # the programme pays one level: a level 2 rate is refused
    with pytest.raises(ValidationFailed) as err:
        services.listing_commission_set(
            owner=listing.shop.owner, listing_id=listing.pk, level1_rate=rate1, level2_rate=rate2
        )
    assert err.value.code == code
    assert commission_rows() == []


def test_listing_level2_rate_needs_two_levels(listing):
    owner, shop = listing.shop.owner, listing.shop
    services.programme_update(owner=owner, shop=shop, data={"levels": 2, "level2_rate": 500})
    services.listing_commission_set(
        owner=owner, listing_id=listing.pk, level1_rate=1200, level2_rate=300
    )
    assert commission_rows() == [(listing.pk, 1200, 300)]


def test_another_owners_listing_is_not_found(listing, other_shop):
    with pytest.raises(NotFound):
        services.listing_commission_set(
            owner=other_shop.owner, listing_id=listing.pk, level1_rate=100
        )
    services.listing_commission_set(owner=listing.shop.owner, listing_id=listing.pk, level1_rate=9)
    with pytest.raises(NotFound):
        services.listing_commission_clear(owner=other_shop.owner, listing_id=listing.pk)
    assert commission_rows() == [(listing.pk, 9, 0)]


# --- the settings page ----------------------------------------------------------------------


def _settings_post(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "is_enabled": "on",
        "join_policy": "open",
        "levels": "2",
        "level1_rate": "12.5",
        "level2_rate": "2.25",
        "attribution_model": "last_touch",
        "attribution_days": "14",
    }
    data.update(overrides)
    return data


def test_settings_page_shows_percent_and_the_example_line(client, shop):
    client.force_login(shop.owner)
    response = client.get(reverse("distribution:owner_settings"))
    assert response.status_code == 200
    # the default 10% of a ¥40 margin
    assert "On a sale with ¥40 margin, the promoter earns ¥4.00" in " ".join(
        response.content.decode().split()
    )
    assert "you keep ¥36.00 (before the platform fee)" in " ".join(
        response.content.decode().split()
    )
    assert response.context["form"]["level1_rate"].value() == 10


def test_settings_page_saves_percent_as_basis_points(client, shop):
    client.force_login(shop.owner)
    response = client.post(reverse("distribution:owner_settings"), _settings_post())
    assert response.status_code == 302
    programme = Programme.objects.get(shop=shop)
    assert (programme.levels, programme.level1_rate, programme.level2_rate) == (2, 1250, 225)
    assert programme.attribution_days == 14
    page = " ".join(client.get(reverse("distribution:owner_settings")).content.decode().split())
    assert "the promoter earns ¥5.00" in page
    assert "the promoter who recruited her earns ¥0.90" in page


def test_settings_page_refuses_a_third_level_with_its_reason(client, shop):
    client.force_login(shop.owner)
    response = client.post(reverse("distribution:owner_settings"), _settings_post(levels="3"))
    assert response.status_code == 400
    assert THIRD_LEVEL in response.content.decode()
    assert programme_rows() == []


def test_settings_page_refuses_rates_above_the_margin(client, shop):
    client.force_login(shop.owner)
    response = client.post(
        reverse("distribution:owner_settings"),
        _settings_post(level1_rate="80", level2_rate="20.01"),
    )
    assert response.status_code == 400
    assert "Rate above the margin" in response.content.decode()
    assert programme_rows() == []


def test_settings_page_refuses_three_decimals(client, shop):
    client.force_login(shop.owner)
    response = client.post(
        reverse("distribution:owner_settings"), _settings_post(level1_rate="1.234")
    )
    assert response.status_code == 400
    assert programme_rows() == []


def test_settings_example_fragment_follows_what_she_types(client, shop):
    client.force_login(shop.owner)
    url = reverse("distribution:owner_settings_example")
    response = client.get(url, {"level1_rate": "20", "level2_rate": "5", "levels": "2"})
    text = " ".join(response.content.decode().split())
    assert "the promoter earns ¥8.00" in text and "recruited her earns ¥2.00" in text
    assert "¥" not in client.get(url, {"level1_rate": "abc"}).content.decode()


def test_settings_page_of_another_owners_shop_is_not_found(client, shop, other_shop):
    client.force_login(other_shop.owner)
    url = reverse("distribution:owner_settings")
    assert client.get(url, {"shop": shop.pk}).status_code == 404
    response = client.post(f"{url}?shop={shop.pk}", _settings_post())
    assert response.status_code == 404
    assert programme_rows() == []


# --- the rates page --------------------------------------------------------------------------


def test_rates_page_lists_listings_with_effective_rates_and_margins(client, listing):
    shop = listing.shop
    client.force_login(shop.owner)
    response = client.get(reverse("distribution:owner_rates"))
    assert response.status_code == 200
    (row,) = response.context["rows"]
    # the programme's 10% of margins ¥9.90–¥11.90 (suggested prices minus supply)
    assert (row.rates.level1_rate, row.rates.is_custom) == (1000, False)
    assert (row.rates.margin_from, row.rates.margin_to) == (990, 1190)
    assert (row.rates.commission1_from, row.rates.commission1_to) == (99, 119)


def test_rates_page_sets_and_clears_a_listings_own_rate(client, listing):
    client.force_login(listing.shop.owner)
    url = reverse("distribution:owner_rate_set", args=[listing.pk])
    response = client.post(url, {f"l{listing.pk}-level1_rate": "30"})
    assert response.status_code == 302
    assert commission_rows() == [(listing.pk, 3000, 0)]
    page = client.get(reverse("distribution:owner_rates"))
    assert page.context["rows"][0].rates.is_custom
    client.post(url, {"action": "clear"})
    assert commission_rows() == []


def test_rates_page_refuses_a_rate_above_the_margin(client, listing):
    client.force_login(listing.shop.owner)
    url = reverse("distribution:owner_rate_set", args=[listing.pk])
    response = client.post(url, {f"l{listing.pk}-level1_rate": "100.01"})
    assert response.status_code == 400
    assert "Rate above the margin" in response.content.decode()
    assert commission_rows() == []


def test_rates_of_another_owners_listing_are_not_found(client, listing, other_shop):
    services.listing_commission_set(owner=listing.shop.owner, listing_id=listing.pk, level1_rate=5)
    client.force_login(other_shop.owner)
    url = reverse("distribution:owner_rate_set", args=[listing.pk])
    assert client.post(url, {f"l{listing.pk}-level1_rate": "50"}).status_code == 404
    assert client.post(url, {"action": "clear"}).status_code == 404
    assert commission_rows() == [(listing.pk, 5, 0)]
    # her own rates page does not list the other shop's listings
    page = client.get(reverse("distribution:owner_rates"))
    assert page.context["rows"] == []


# --- the API ---------------------------------------------------------------------------------


def test_api_reads_and_changes_the_programme(shop):
    api = client_for(shop.owner)
    url = f"/api/shops/{shop.slug}/programme"
    assert api.get(url).json()["level1_rate"] == 1000
    response = api.put(
        url,
        {"levels": 2, "level1_rate": 1200, "level2_rate": 300, "join_policy": "after_purchase"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["levels"], body["level1_rate"], body["level2_rate"]) == (2, 1200, 300)
    assert body["join_policy"] == "after_purchase"
    assert programme_rows()[0][3:6] == (2, 1200, 300)


@pytest.mark.parametrize(
    ("payload", "status", "needle"),
    [
        ({"levels": 3}, 400, THIRD_LEVEL),
        ({"levels": 2, "level1_rate": 9000, "level2_rate": 1001}, 400, "rate above the margin"),
        ({"level2_rate": 100}, 400, "two levels"),
        ({"attribution_days": 91}, 400, "90"),
        ({"level3_rate": 100}, 422, "level3_rate"),
        ({"level1_rate": "1000"}, 422, "level1_rate"),
        ({"level1_rate": 10.5}, 422, "level1_rate"),
    ],
)
def test_api_refuses_bad_settings_and_writes_nothing(shop, payload, status, needle):
    api = client_for(shop.owner)
    response = api.put(
        f"/api/shops/{shop.slug}/programme", payload, content_type="application/json"
    )
    assert response.status_code == status, response.content
    assert needle.lower() in response.content.decode().lower()
    assert programme_rows() == []


def test_api_programme_of_another_owner_is_not_found(shop, other_shop):
    rival = client_for(other_shop.owner)
    url = f"/api/shops/{shop.slug}/programme"
    assert rival.get(url).status_code == 404
    response = rival.put(url, {"level1_rate": 9000}, content_type="application/json")
    assert response.status_code == 404
    assert programme_rows() == []
    assert client_for(None).get(url).status_code == 401


def test_api_listing_commission_put_get_delete(listing):
    api = client_for(listing.shop.owner)
    url = f"/api/listings/{listing.pk}/commission"
    assert api.get(url).json()["is_custom"] is False
    response = api.put(url, {"level1_rate": 2000}, content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["is_custom"] is True and body["level1_rate"] == 2000
    assert body["commission1_from"] == 990 * 2000 // 10_000
    assert api.delete(url).status_code == 204
    assert commission_rows() == []


def test_api_listing_commission_refusals_write_nothing(listing):
    api = client_for(listing.shop.owner)
    url = f"/api/listings/{listing.pk}/commission"
    response = api.put(url, {"level1_rate": 10_001}, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "rate_above_margin"
    response = api.put(url, {"level1_rate": 1, "extra": 1}, content_type="application/json")
    assert response.status_code == 422
    assert commission_rows() == []


def test_api_listing_commission_of_another_owner_is_not_found(listing, other_shop):
    make_listing(other_shop, listing.product)
    services.listing_commission_set(owner=listing.shop.owner, listing_id=listing.pk, level1_rate=7)
    rival = client_for(other_shop.owner)
    url = f"/api/listings/{listing.pk}/commission"
    assert rival.get(url).status_code == 404
    assert rival.put(url, {"level1_rate": 1}, content_type="application/json").status_code == 404
    assert rival.delete(url).status_code == 404
    assert commission_rows() == [(listing.pk, 7, 0)]
