"""The numbers behind "A won": a two-proportion z-test and the verdict the report shows.

Pure Python (``math.erfc`` gives the normal tail), so the report needs no scipy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.translation import gettext as _

#: Below this many fans in either group the report says "not enough data yet": a z-test on a
#: handful of fans is noise, whatever its p-value says.
MIN_GROUP = 30
ALPHA = 0.05  # significant at 95%


@dataclass(frozen=True)
class ZTest:
    z: float
    p_value: float  # two-sided


def two_proportion_z_test(successes_a: int, n_a: int, successes_b: int, n_b: int) -> ZTest:
    """Two-sided z-test of "the two rates are equal" with the pooled proportion. Degenerate
    groups (empty, or a pooled rate of 0 or 1: no variance) are z 0, p 1."""
    if n_a <= 0 or n_b <= 0:
        return ZTest(z=0.0, p_value=1.0)
    pooled = (successes_a + successes_b) / (n_a + n_b)
    variance = pooled * (1 - pooled) * (1 / n_a + 1 / n_b)
    if variance <= 0:
        return ZTest(z=0.0, p_value=1.0)
    z = (successes_a / n_a - successes_b / n_b) / math.sqrt(variance)
    # P(|Z| >= |z|) = erfc(|z| / sqrt 2)
    return ZTest(z=z, p_value=math.erfc(abs(z) / math.sqrt(2)))


def rate(successes: int, n: int) -> float:
    return successes / n if n else 0.0


@dataclass(frozen=True)
class Comparison:
    """Which of two groups did better on one rate, and whether it means anything yet."""

    label_a: str
    label_b: str
    rate_a: float
    rate_b: float
    winner: str | None  # the label with the higher rate; None when they are equal
    lift: float  # the winner's rate minus the other's (0 to 1)
    p_value: float
    enough_data: bool
    significant: bool  # enough data and p < ALPHA
    sentence: str


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def compare(
    *,
    what: str,
    label_a: str,
    successes_a: int,
    n_a: int,
    label_b: str,
    successes_b: int,
    n_b: int,
    min_group: int = MIN_GROUP,
) -> Comparison:
    """Compare group A and group B on ``what`` ("click rate") and say it in one sentence."""
    rate_a, rate_b = rate(successes_a, n_a), rate(successes_b, n_b)
    test = two_proportion_z_test(successes_a, n_a, successes_b, n_b)
    enough = n_a >= min_group and n_b >= min_group
    winner = label_a if rate_a > rate_b else label_b if rate_b > rate_a else None
    significant = enough and winner is not None and test.p_value < ALPHA
    high, low = (rate_a, rate_b) if rate_a >= rate_b else (rate_b, rate_a)
    values = {
        "what": what,
        "winner": winner,
        "high": _percent(high),
        "low": _percent(low),
        "p": f"{test.p_value:.3f}",
        "min": min_group,
        "a": label_a,
        "b": label_b,
        "n_a": n_a,
        "n_b": n_b,
    }
    if not enough:
        sentence = (
            _(
                "Not enough data yet: each group needs %(min)s fans before a difference in "
                "%(what)s means anything (%(a)s: %(n_a)s, %(b)s: %(n_b)s)."
            )
            % values
        )
    elif winner is None:
        sentence = _("No difference in %(what)s: both %(high)s.") % values
    elif significant:
        sentence = (
            _(
                "%(winner)s wins on %(what)s: %(high)s against %(low)s, significant at 95%% "
                "(p = %(p)s)."
            )
            % values
        )
    else:
        sentence = (
            _(
                "%(winner)s is ahead on %(what)s, %(high)s against %(low)s, but the difference "
                "is not significant yet (p = %(p)s)."
            )
            % values
        )
    return Comparison(
        label_a=label_a,
        label_b=label_b,
        rate_a=rate_a,
        rate_b=rate_b,
        winner=winner,
        lift=high - low if winner is not None else 0.0,
        p_value=test.p_value,
        enough_data=enough,
        significant=significant,
        sentence=sentence,
    )
