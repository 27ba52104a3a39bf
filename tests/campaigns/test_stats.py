"""The report's statistics against values worked out elsewhere: R's
``prop.test(c(200, 250), c(1000, 1000), correct = FALSE)`` gives X-squared = 7.1685 and
p-value = 0.00742 (X-squared is z squared for two groups)."""

from __future__ import annotations

import math

import pytest

from vshop.campaigns import stats


def test_z_test_matches_a_known_example():
    test = stats.two_proportion_z_test(200, 1000, 250, 1000)
    assert test.z == pytest.approx(-2.6774, abs=1e-4)
    assert test.z**2 == pytest.approx(7.1685, abs=1e-4)
    assert test.p_value == pytest.approx(0.00742, abs=1e-5)
    # Symmetric: swapping the groups flips z, keeps p.
    swapped = stats.two_proportion_z_test(250, 1000, 200, 1000)
    assert (swapped.z, swapped.p_value) == pytest.approx((-test.z, test.p_value))


def test_p_value_is_the_two_sided_normal_tail():
    # z = 1.96 is the 95% two-sided critical value: p = 0.05.
    assert math.erfc(1.959964 / math.sqrt(2)) == pytest.approx(0.05, abs=1e-6)
    test = stats.two_proportion_z_test(60, 100, 40, 100)  # z = 0.2 / sqrt(.5*.5*.02) = 2.828
    assert test.z == pytest.approx(2.8284, abs=1e-4)
    assert test.p_value == pytest.approx(0.004678, abs=1e-6)


@pytest.mark.parametrize(
    "args", [(0, 0, 5, 10), (5, 10, 0, 0), (0, 100, 0, 100), (100, 100, 50, 50), (5, 10, 5, 10)]
)
def test_degenerate_groups_are_not_significant(args):
    test = stats.two_proportion_z_test(*args)
    assert test.p_value == 1.0 and test.z == 0.0


def test_significant_winner_sentence():
    c = stats.compare(
        what="click rate",
        label_a="A",
        successes_a=200,
        n_a=1000,
        label_b="B",
        successes_b=250,
        n_b=1000,
    )
    assert c.winner == "B" and c.significant and c.enough_data
    assert c.lift == pytest.approx(0.05)
    assert c.sentence == (
        "B wins on click rate: 25.0% against 20.0%, significant at 95% (p = 0.007)."
    )


def test_ahead_but_not_significant():
    c = stats.compare(
        what="click rate",
        label_a="A",
        successes_a=12,
        n_a=100,
        label_b="B",
        successes_b=10,
        n_b=100,
    )
    assert c.winner == "A" and not c.significant and c.enough_data
    assert "not significant yet" in c.sentence and "12.0% against 10.0%" in c.sentence


def test_not_enough_data_below_the_minimum_group():
    c = stats.compare(
        what="click rate",
        label_a="A",
        successes_a=9,
        n_a=10,
        label_b="B",
        successes_b=0,
        n_b=40,
    )
    # p is tiny, but ten fans is not a test.
    assert stats.two_proportion_z_test(9, 10, 0, 40).p_value < 0.001
    assert not c.enough_data and not c.significant
    assert c.sentence.startswith("Not enough data yet")
    assert "A: 10" in c.sentence and "B: 40" in c.sentence


def test_equal_rates_have_no_winner():
    c = stats.compare(
        what="order rate",
        label_a="A",
        successes_a=5,
        n_a=50,
        label_b="Holdout",
        successes_b=5,
        n_b=50,
    )
    assert c.winner is None and not c.significant and c.lift == 0
    assert c.sentence == "No difference in order rate: both 10.0%."
