"""The send-time model: profiles rebuilt from hourly activity (decay, her zone's hour, across
shops, stale ones dropped), the byte encoding, the shop prior and its shrinkage, the pick
(quiet hours, nothing allowed, ties), exploration (its share, Thompson sampling toward a
responsive hour), the bandit's arms from campaign recipients, and a small simulated population
on which the model must beat the best fixed hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from tests.campaigns.kit import make_campaign
from tests.factories import make_shop, make_user
from vshop.campaigns import send_time
from vshop.campaigns.models import (
    CampaignRecipient,
    FanSendProfile,
    RecipientState,
    SendHourStats,
    ShopSendProfile,
)
from vshop.campaigns.send_time import HOURS, choose_hours
from vshop.fans.models import ActivityHour

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # a Monday
NO_ARMS = np.zeros(HOURS)


def activity(user, shop_id: int, at: datetime, local_hour: int, **counts: int) -> ActivityHour:
    return ActivityHour.objects.create(
        shop_id=shop_id, user_id=user.pk, hour=at, local_hour=local_hour, **counts
    )


def pick(
    profiles: np.ndarray,
    local_hours: np.ndarray,
    allowed: np.ndarray | None = None,
    *,
    prior: np.ndarray | None = None,
    explore: float = 0.0,
    sends: np.ndarray = NO_ARMS,
    responses: np.ndarray = NO_ARMS,
    seed: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    profiles = np.atleast_2d(profiles).astype(np.float32)
    local_hours = np.atleast_2d(local_hours)
    if local_hours.shape[0] != profiles.shape[0]:
        local_hours = np.repeat(local_hours, profiles.shape[0], axis=0)
    return choose_hours(
        profiles=profiles,
        weights=profiles.sum(axis=1),
        prior=np.full(HOURS, 1 / HOURS) if prior is None else prior,
        local_hours=local_hours,
        allowed=np.ones(local_hours.shape, bool) if allowed is None else np.atleast_2d(allowed),
        explore=explore,
        sends=sends,
        responses=responses,
        rng=np.random.default_rng(seed),
    )


def day_window(day: int = 0, start: int = 9) -> np.ndarray:
    return (day * 24 + start + np.arange(24)) % HOURS


def quiet_mask(hours: np.ndarray, quiet: tuple[int, int] = (22, 8)) -> np.ndarray:
    of_day = hours % 24
    return ~((of_day >= quiet[0]) | (of_day < quiet[1]))


# --- profiles from the hourly rollups ---------------------------------------------------------


@pytest.mark.django_db
def test_recompute_halves_weight_at_half_life_and_files_it_under_her_local_hour(settings):
    settings.VSHOP_SEND_HALF_LIFE_DAYS = 21
    fan, shop = make_user(), make_shop()
    now = NOW.replace(hour=3)
    # 03:00 UTC on Monday is hour 3 of the week in UTC; she lives where it is hour 11 (UTC+8).
    activity(fan, shop.pk, now, 11, visits=1, views=1)  # weight 2, fresh
    activity(fan, shop.pk, now - timedelta(days=21), 40, orders=1, clicks=1)  # 6, halved: 3

    assert send_time.profiles_recompute(now=now) == 1

    row = FanSendProfile.objects.get(user=fan)
    hours = np.frombuffer(bytes(row.hours), dtype=np.uint8)
    assert row.peak == pytest.approx(3.0, rel=1e-3)  # the order and click, halved
    assert row.weight == pytest.approx(5.0, rel=1e-3)
    assert hours[40] == 255
    assert hours[11] == round(255 * 2 / 3)
    assert hours[3] == 0  # the UTC hour is not her hour
    assert np.count_nonzero(hours) == 2


@pytest.mark.django_db
def test_recompute_sums_her_shops_builds_shop_and_platform_profiles_and_drops_stale_ones():
    fan, other, gone = make_user(), make_user(), make_user()
    shop_a, shop_b = make_shop(), make_shop()
    activity(fan, shop_a.pk, NOW, 20, visits=1)
    activity(fan, shop_b.pk, NOW - timedelta(hours=1), 20, visits=2)  # same hour of her week
    activity(other, shop_b.pk, NOW, 100, visits=1, views=1, carts=1, shares=1, opens=1)
    FanSendProfile.objects.create(user=gone, hours=bytes(HOURS), peak=1, weight=1)
    ShopSendProfile.objects.create(shop_id=999_999, shares=[1 / HOURS] * HOURS, weight=5)

    assert send_time.profiles_recompute(now=NOW) == 2

    assert set(FanSendProfile.objects.values_list("user_id", flat=True)) == {fan.pk, other.pk}
    profiles, weights = send_time.load_profiles([fan.pk, other.pk])
    assert profiles[0, 20] == pytest.approx(3.0, rel=1e-3)
    assert weights[1] == pytest.approx(6.0, rel=1e-3)  # 1+1+1+1+2
    shops = {row.shop_id: row for row in ShopSendProfile.objects.all()}
    assert set(shops) == {0, shop_a.pk, shop_b.pk}
    assert shops[shop_a.pk].shares[20] == pytest.approx(1.0)
    assert shops[shop_b.pk].weight == pytest.approx(8.0, rel=1e-3)
    assert shops[shop_b.pk].shares[100] == pytest.approx(6 / 8, rel=1e-3)
    assert shops[0].weight == pytest.approx(9.0, rel=1e-3)
    assert sum(shops[0].shares) == pytest.approx(1.0)

    # Her activity ages out of the rollups: the next run forgets her.
    ActivityHour.objects.filter(user_id=other.pk).delete()
    assert send_time.profiles_recompute(now=NOW) == 1
    assert list(FanSendProfile.objects.values_list("user_id", flat=True)) == [fan.pk]


@pytest.mark.django_db
def test_recompute_skips_rollups_of_a_deleted_account():
    fan, gone = make_user(), make_user()
    activity(fan, 1, NOW, 5, visits=1)
    activity(gone, 1, NOW, 6, visits=4)
    gone_id = gone.pk
    gone.delete()  # her rollups stay until they age out; they have no foreign key

    assert send_time.profiles_recompute(now=NOW) == 1

    assert list(FanSendProfile.objects.values_list("user_id", flat=True)) == [fan.pk]
    assert not FanSendProfile.objects.filter(user_id=gone_id).exists()
    assert ShopSendProfile.objects.get(shop_id=1).weight == pytest.approx(5.0, rel=1e-3)


@pytest.mark.django_db
def test_recompute_over_many_fans_matches_the_numpy_core(monkeypatch):
    monkeypatch.setattr(send_time, "FETCH_ROWS", 7)  # fans split across fetches
    rng = np.random.default_rng(3)
    users = [make_user() for _ in range(6)]
    rows = []
    for i, user in enumerate(users):
        for k in range(int(rng.integers(1, 9))):
            local_hour = int(rng.integers(0, HOURS))
            at = NOW - timedelta(hours=int(rng.integers(0, 2000)) + k * 3000)
            views = int(rng.integers(0, 4))
            activity(user, 1 + k % 2, at, local_hour, visits=1, views=views)
            rows.append((i, local_hour, (NOW - at).total_seconds() / 86400, 1 + views))
    idx, lh, age, w = (np.array(col) for col in zip(*rows, strict=True))
    expected = send_time.profile_from_hourly(
        owners=idx, local_hours=lh, age_days=age, weights=w, n=6, half_life_days=21
    )

    assert send_time.profiles_recompute(now=NOW) == 6

    stored, weights = send_time.load_profiles([u.pk for u in users])
    assert np.allclose(weights, expected.sum(axis=1), rtol=1e-5)
    peak = expected.max(axis=1, keepdims=True)
    assert np.abs(stored - expected).max() <= (peak / 510 + 1e-6).max()


def test_engagement_weights_count_deliberate_acts_more():
    counts = np.array([[1, 0, 0, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0, 0], [1, 2, 1, 1, 1, 1, 1]])
    assert send_time.engagement_weights(counts).tolist() == [1, 3, 1 + 2 + 1 + 3 + 1 + 2 + 3]


def test_encode_decode_round_trip_within_half_a_step():
    rng = np.random.default_rng(7)
    vectors = rng.gamma(0.3, 5.0, size=(50, HOURS))
    vectors[3] = 0  # nobody home

    hours, peak, weight = send_time.encode_profiles(vectors)
    decoded = np.stack(
        [send_time.decode_profile(hours[i].tobytes(), float(peak[i])) for i in range(50)]
    )

    assert hours.dtype == np.uint8 and hours.shape == (50, HOURS)
    assert np.allclose(weight, vectors.sum(axis=1))
    assert (hours.max(axis=1)[np.arange(50) != 3] == 255).all()
    assert np.all(np.abs(decoded - vectors) <= peak[:, None] / 510 + 1e-5)
    assert not decoded[3].any()


@pytest.mark.django_db
def test_load_profiles_keeps_the_callers_order_and_zeros_strangers():
    a, b, stranger = make_user(), make_user(), make_user()
    ramp = np.arange(HOURS, dtype=float)
    hours, peak, weight = send_time.encode_profiles(np.stack([ramp, ramp[::-1] * 2]))
    for user, i in ((a, 0), (b, 1)):
        FanSendProfile.objects.create(
            user=user, hours=hours[i].tobytes(), peak=peak[i], weight=weight[i]
        )

    profiles, weights = send_time.load_profiles([b.pk, stranger.pk, a.pk, b.pk])

    assert profiles.dtype == np.float32 and profiles.shape == (4, HOURS)
    assert profiles[0].argmax() == 0 and profiles[2].argmax() == HOURS - 1
    assert profiles[0, 0] == pytest.approx(2 * 167, rel=1e-3)
    assert not profiles[1].any() and weights[1] == 0
    assert weights[3] == pytest.approx(weight[1])
    assert send_time.load_profiles([])[0].shape == (0, HOURS)


# --- the prior ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_shop_prior_is_uniform_when_nothing_is_known():
    prior = send_time.shop_prior(make_shop().pk)

    assert prior.shape == (HOURS,)
    assert np.allclose(prior, 1 / HOURS)


@pytest.mark.django_db
def test_shop_prior_shrinks_a_small_shop_toward_the_platform(settings):
    settings.VSHOP_SEND_PRIOR_WEIGHT = 10
    platform = np.zeros(HOURS)
    platform[20] = 1.0
    ShopSendProfile.objects.create(shop_id=0, shares=platform.tolist(), weight=1e6)
    big, small, new = make_shop(), make_shop(), make_shop()
    own = np.zeros(HOURS)
    own[9] = 1.0
    ShopSendProfile.objects.create(shop_id=big.pk, shares=own.tolist(), weight=1000)
    ShopSendProfile.objects.create(shop_id=small.pk, shares=own.tolist(), weight=2)

    assert send_time.shop_prior(big.pk).argmax() == 9
    assert send_time.shop_prior(big.pk)[9] == pytest.approx(1000 / 1010, rel=1e-4)
    assert send_time.shop_prior(small.pk).argmax() == 20
    assert send_time.shop_prior(small.pk)[9] == pytest.approx(2 / 12, rel=1e-3)
    assert send_time.shop_prior(new.pk).argmax() == 20
    assert send_time.shop_prior(new.pk).sum() == pytest.approx(1.0)


# --- the pick ----------------------------------------------------------------------------------


def test_no_history_gets_the_shops_best_hour_and_much_history_her_own():
    window = day_window(0)  # Monday 09:00 → Tuesday 08:00
    prior = np.full(HOURS, 0.5 / (HOURS - 1))
    prior[12] = 0.5  # the shop's fans look at Monday noon
    own = np.zeros((3, HOURS))
    own[1, 19] = 0.3  # one old visit at 19:00: not enough to outweigh the shop
    own[2, 19 + 24 * np.arange(5)] = 40  # evenings, every weekday, for weeks

    chosen, explored = pick(own, window, prior=prior)

    assert window[chosen].tolist() == [12, 12, 19]
    assert not explored.any()


def test_quiet_hours_are_never_chosen_even_when_exploring():
    rng = np.random.default_rng(11)
    profiles = rng.gamma(0.5, 3.0, size=(2000, HOURS))
    profiles[:, 23 + 24 * np.arange(7)] = 100  # she is most active at 23:00, in quiet hours
    window = np.stack([day_window(int(d)) for d in rng.integers(0, 7, 2000)])
    allowed = quiet_mask(window)

    for explore in (0.0, 1.0):
        chosen, _ = pick(profiles, window, allowed, explore=explore)
        assert (chosen >= 0).all()
        assert allowed[np.arange(2000), chosen].all()


def test_minus_one_when_no_candidate_is_allowed():
    window = np.stack([day_window(0), day_window(1)])
    allowed = np.ones_like(window, dtype=bool)
    allowed[1] = False

    chosen, explored = pick(np.ones((2, HOURS)), window, allowed, explore=1.0)

    assert chosen[1] == -1 and not explored[1]
    assert chosen[0] >= 0 and explored[0]
    empty, _ = pick(np.ones((0, HOURS)), np.zeros((0, 24), dtype=int))
    assert empty.shape == (0,)


def test_equal_hours_go_to_the_earliest_candidate():
    window = day_window(2)
    allowed = quiet_mask(window)

    chosen, _ = pick(np.zeros(HOURS), window, allowed)

    assert chosen.tolist() == [int(np.flatnonzero(allowed)[0])]


def test_candidates_must_match_the_profiles():
    with pytest.raises(ValueError):
        pick(np.zeros((2, 24)), np.zeros((2, 24), dtype=int))


# --- exploration -------------------------------------------------------------------------------


def test_explored_share_is_the_explore_setting():
    n = 20_000
    window = day_window(3)
    for explore in (0.1, 0.3):
        _, explored = pick(np.ones((n, HOURS)), window, explore=explore, seed=5)
        bound = 4 * np.sqrt(explore * (1 - explore) / n)
        assert abs(explored.mean() - explore) < bound


def test_thompson_sampling_favours_the_hour_that_gets_answers():
    window = day_window(0)
    answered, ignored = int(window[3]), int(window[8])
    sends = np.full(HOURS, 1000.0)
    responses = np.full(HOURS, 50.0)
    responses[answered] = 300  # 30 % answer at this hour, 5 % elsewhere
    responses[ignored] = 0

    chosen, explored = pick(
        np.zeros((1000, HOURS)), window, explore=1.0, sends=sends, responses=responses
    )

    assert explored.all()
    assert (chosen == 3).mean() > 0.95
    assert not (chosen == 8).any()


def test_without_campaign_data_exploring_spreads_yet_leans_to_her_hours():
    window = day_window(0)
    profiles = np.zeros((4000, HOURS))
    profiles[:, window[5]] = 10

    chosen, _ = pick(profiles, window, explore=1.0)

    counts = np.bincount(chosen, minlength=24)
    assert counts.argmax() == 5
    assert counts[5] < 0.9 * 4000  # still explores
    assert (counts > 0).sum() >= 10


# --- the bandit's arms -------------------------------------------------------------------------


@pytest.mark.django_db
def test_arm_stats_count_delivered_sends_and_answers_within_a_day():
    shop = make_shop()
    campaign = make_campaign(shop)
    users = [make_user() for _ in range(7)]
    day = timedelta(days=1)
    cases = [  # (local hour, delivered, opened, clicked)
        (30, NOW - 2 * day, NOW - 2 * day + timedelta(hours=3), None),  # answered
        (30, NOW - 2 * day, None, NOW - day - timedelta(minutes=5)),  # clicked in 23 h 55
        (30, NOW - 2 * day, NOW - 2 * day + timedelta(hours=25), None),  # too late
        (30, NOW - 3 * day, None, None),  # ignored
        (31, NOW - 29 * day, NOW - 29 * day, None),  # too long ago
        (31, None, None, None),  # not delivered yet
        (45, NOW - day, None, NOW - day + timedelta(hours=1)),
    ]
    for n, (hour, delivered, opened, clicked) in enumerate(cases):
        CampaignRecipient.objects.create(
            campaign=campaign,
            fan_id=n + 1,
            user=users[n],
            slot_at=delivered or NOW,
            local_hour=hour,
            state=RecipientState.DELIVERED if delivered else RecipientState.PLANNED,
            delivered_at=delivered,
            opened_at=opened,
            clicked_at=clicked,
        )

    assert send_time.arm_stats_recompute(now=NOW) == 5

    sends, responses = send_time.arm_stats()
    assert sends[30] == 4 and responses[30] == 2
    assert sends[31] == 0 and responses[31] == 0
    assert sends[45] == 1 and responses[45] == 1
    assert sends.sum() == 5 and SendHourStats.objects.count() == HOURS

    CampaignRecipient.objects.filter(local_hour=45).delete()
    send_time.arm_stats_recompute(now=NOW)
    assert send_time.arm_stats()[0][45] == 0


@pytest.mark.django_db
def test_arm_stats_are_empty_before_any_campaign():
    sends, responses = send_time.arm_stats()
    assert sends.shape == responses.shape == (HOURS,)
    assert not sends.any() and not responses.any()


# --- the model against the best fixed hour ------------------------------------------------------


def test_on_a_simulated_population_the_model_beats_the_best_fixed_hour():
    """Three kinds of fans (mornings, lunch, evenings) with jitter; 8 weeks to learn from and a
    9th to test. The model must find each fan's hour; one hour for all cannot."""
    rng = np.random.default_rng(42)
    n = 3000
    kind = rng.integers(0, 3, n)
    peak = np.array([8, 13, 20])[kind] + rng.integers(-1, 2, n)
    hour_of_day = np.arange(24)
    rates_day = 0.45 * np.exp(-0.5 * ((hour_of_day[None, :] - peak[:, None]) / 0.8) ** 2)
    rates = np.tile(rates_day, (1, 7)) * rng.uniform(0.3, 1.5, (n, 1)) + 0.01
    active = rng.random((n, 9, HOURS)) < rates[:, None, :]
    fan, week, hour = np.nonzero(active[:, :8])
    vectors = send_time.profile_from_hourly(
        owners=fan,
        local_hours=hour,
        age_days=(8 * HOURS - week * HOURS - hour) / 24,
        weights=send_time.engagement_weights(np.eye(7, dtype=int)[rng.integers(0, 7, len(fan))]),
        n=n,
        half_life_days=21,
    )
    codes, peaks, weights = send_time.encode_profiles(vectors)
    profiles = codes * (peaks[:, None] / 255)
    shares = vectors.sum(axis=0) / vectors.sum()
    prior = send_time.prior_of(
        shop_shares=shares,
        shop_weight=vectors.sum(),
        platform_shares=shares,
        platform_weight=vectors.sum(),
        strength=10,
    )

    model_hits = fixed_hits = 0
    train_by_hour = active[:, :8].reshape(n, 8, 7, 24).sum(axis=(0, 1, 2))
    fixed = int(np.arange(8, 22)[train_by_hour[8:22].argmax()])  # outside quiet hours
    rng_pick = np.random.default_rng(1)
    for day in range(7):
        window = day_window(day)
        local_hours = np.repeat(window[None, :], n, axis=0)
        chosen, _ = choose_hours(
            profiles=profiles,
            weights=weights,
            prior=prior,
            local_hours=local_hours,
            allowed=quiet_mask(local_hours),
            explore=0.1,
            sends=NO_ARMS,
            responses=NO_ARMS,
            rng=rng_pick,
        )
        model_hits += active[np.arange(n), 8, window[chosen]].sum()
        fixed_hits += active[:, 8, day * 24 + fixed].sum()

    assert model_hits > 1.5 * fixed_hits
