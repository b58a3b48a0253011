"""PSR, MinTRL and DSR reproduce the worked numbers of cognition.md 2.7; the verdict, the
significance report and the paired A/B test."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from tronlab.analytics import AnalyticsInputError
from tronlab.analytics.significance import (
    deannualise_sharpe,
    deflated_sharpe_ratio,
    dsr_from_stats,
    expected_max_sharpe,
    min_track_record_length,
    min_trl_from_stats,
    paired_difference_test,
    probabilistic_sharpe_ratio,
    psr_from_stats,
    sharpe_stats,
    significance_report,
    verdict,
)

DAYS = 252  # the year length behind the worked numbers (MinTRL 684 days = 2.7 years)


def _sr(sr_ann: float) -> float:
    return deannualise_sharpe(sr_ann, DAYS)


# ---------------------------------------------------------------- cognition.md 2.7, exactly
@pytest.mark.parametrize(
    ("sr_ann", "years", "skew", "kurt", "printed"),
    [
        (1.0, 1, 0.0, 3.0, 0.841),  # SR_ann 1.0, 1 year, normal
        (1.0, 3, 0.0, 3.0, 0.958),  # SR_ann 1.0, 3 years
        (1.0, 1, -1.0, 6.0, 0.833),  # SR_ann 1.0, 1 year, skew -1, kurt 6
    ],
)
def test_psr_worked_numbers(
    sr_ann: float, years: int, skew: float, kurt: float, printed: float
) -> None:
    assert round(psr_from_stats(_sr(sr_ann), DAYS * years, skew, kurt), 3) == printed


@pytest.mark.parametrize(("sr_ann", "days", "years"), [(1.0, 684, 2.7), (2.0, 173, 0.7)])
def test_min_trl_worked_numbers(sr_ann: float, days: int, years: float) -> None:
    trl = min_trl_from_stats(_sr(sr_ann), alpha=0.05)
    assert round(trl) == days
    assert round(trl / DAYS, 1) == years


@pytest.mark.parametrize(
    ("n_trials", "e_max_ann", "dsr"), [(10, 0.79, 0.956), (100, 1.27, 0.849), (1000, 1.63, 0.700)]
)
def test_dsr_worked_numbers(n_trials: int, e_max_ann: float, dsr: float) -> None:
    """Observed SR_ann 2.0 over 2 years; the trials' SRs have an annualised sd of 0.5."""
    variance = _sr(0.5) ** 2
    assert round(expected_max_sharpe(n_trials, variance) * math.sqrt(DAYS), 2) == e_max_ann
    assert round(dsr_from_stats(_sr(2.0), 2 * DAYS, n_trials, variance), 3) == dsr


def test_psr_of_three_months_needs_a_huge_sharpe() -> None:
    """cognition.md 2.7: ~60 daily returns cannot show skill unless SR_ann > ~3.4."""
    assert psr_from_stats(_sr(3.3), 60) < 0.95 < psr_from_stats(_sr(3.5), 60)


# ------------------------------------------------------------------------- formula properties
def test_psr_from_returns_uses_biased_sample_moments() -> None:
    rng = np.random.default_rng(3)
    r = rng.standard_t(4, 500) * 0.01 + 0.001
    c = r - r.mean()
    m2, m3, m4 = (c**2).mean(), (c**3).mean(), (c**4).mean()
    skew, kurt = m3 / m2**1.5, m4 / m2**2
    sr = r.mean() / r.std(ddof=1)
    stats = sharpe_stats(r)
    assert (stats.sr, stats.skew, stats.kurtosis) == pytest.approx((sr, skew, kurt), rel=1e-12)
    z = sr * math.sqrt(499) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2)
    assert probabilistic_sharpe_ratio(r) == pytest.approx(st.norm.cdf(z), rel=1e-12)
    assert probabilistic_sharpe_ratio(r, sr_benchmark=sr) == pytest.approx(0.5)


@pytest.mark.parametrize(("sr", "skew", "kurt"), [(0.08, 0.0, 3.0), (0.05, -1.2, 7.0)])
def test_psr_at_min_trl_is_exactly_the_confidence(sr: float, skew: float, kurt: float) -> None:
    for alpha in (0.05, 0.01):
        trl = min_trl_from_stats(sr, skew, kurt, sr_benchmark=0.01, alpha=alpha)
        # PSR uses sqrt(T - 1) and MinTRL = 1 + ..., so PSR(T = MinTRL) = 1 - alpha
        psr = psr_from_stats(sr, trl, skew, kurt, sr_benchmark=0.01)  # type: ignore[arg-type]
        assert psr == pytest.approx(1 - alpha, abs=1e-12)


def test_min_trl_when_the_sharpe_is_not_above_the_benchmark() -> None:
    assert min_trl_from_stats(0.01, sr_benchmark=0.02) == math.inf
    r = np.random.default_rng(0).normal(0.002, 0.01, 300)
    assert min_track_record_length(r) == pytest.approx(
        min_trl_from_stats(*[getattr(sharpe_stats(r), k) for k in ("sr", "skew", "kurtosis")])
    )


def test_expected_max_sharpe_against_monte_carlo() -> None:
    """The closed form approximates E[max of N normal SRs]; check it by simulation."""
    rng = np.random.default_rng(7)
    sd = 0.03
    for n in (10, 100):
        simulated = rng.normal(0.0, sd, (20_000, n)).max(axis=1).mean()
        assert expected_max_sharpe(n, sd**2) == pytest.approx(simulated, rel=0.03)
    assert expected_max_sharpe(1, sd**2) == 0.0


def test_dsr_paths_agree() -> None:
    rng = np.random.default_rng(11)
    r = rng.normal(0.0015, 0.01, 504)
    trials = rng.normal(0.0, 0.03, 40)
    v = float(np.var(trials, ddof=1))
    by_var = deflated_sharpe_ratio(r, 40, sr_variance=v)
    assert deflated_sharpe_ratio(r, 40, trial_sharpes=trials) == pytest.approx(by_var)
    assert deflated_sharpe_ratio(r, 1) == pytest.approx(probabilistic_sharpe_ratio(r))
    assert deflated_sharpe_ratio(r, 400, sr_variance=v) < by_var < probabilistic_sharpe_ratio(r)
    with pytest.raises(AnalyticsInputError, match="sr_variance or trial_sharpes"):
        deflated_sharpe_ratio(r, 40)
    with pytest.raises(AnalyticsInputError, match="n_trials"):
        expected_max_sharpe(0, v)


def test_undefined_psr_is_nan_not_a_crash() -> None:
    assert math.isnan(probabilistic_sharpe_ratio([0.01] * 30))  # zero volatility
    assert math.isnan(probabilistic_sharpe_ratio([0.01]))
    assert math.isnan(probabilistic_sharpe_ratio([]))
    assert math.isnan(psr_from_stats(1.0, 100, skew=5.0))  # variance term <= 0
    with pytest.raises(AnalyticsInputError, match="NaN"):
        probabilistic_sharpe_ratio([0.01, float("nan"), 0.0])


# ---------------------------------------------------------------------------------- verdict
def test_verdict_labels() -> None:
    luck = verdict(psr=0.841, n_obs=252, min_trl=684.1)
    assert luck["label"] == "likely_luck"
    assert luck["likely_luck"]
    assert luck["sentence"].startswith("Likely luck: PSR 0.841 < 0.95")
    assert "433 more periods" in luck["sentence"]
    losing = verdict(psr=0.02, n_obs=60, min_trl=math.inf)
    assert losing["label"] == "likely_luck"
    assert losing["sentence"].startswith(
        "Likely luck (no evidence of skill: the Sharpe ratio is below the benchmark): PSR 0.020"
    )
    assert verdict(psr=0.99, dsr=0.70, n_trials=1000)["label"] == "likely_luck"
    assert verdict(psr=0.99, dsr=0.97, pbo=0.6)["label"] == "likely_luck"
    warn = verdict(psr=0.99, dsr=0.97, pbo=0.3)
    assert warn["label"] == "inconclusive"
    assert "overfitting risk" in warn["sentence"]
    ok = verdict(psr=0.99, dsr=0.97, pbo=0.1, n_trials=10)
    assert ok["label"] == "passes"
    assert not ok["likely_luck"]
    assert "evidence, not proof" in ok["sentence"]
    assert verdict(psr=float("nan"))["label"] == "inconclusive"


def test_significance_report_noise_vs_skill() -> None:
    rng = np.random.default_rng(5)
    noise = rng.normal(0.0, 0.01, 250)
    rep = significance_report(noise, 20, sr_variance=_sr(0.5) ** 2, periods_per_year=DAYS)
    json.dumps(rep, allow_nan=False)
    assert rep["label"] == "likely_luck"
    assert rep["verdict"].startswith("Likely luck")
    assert rep["sr_ann"] == pytest.approx(rep["sr"] * math.sqrt(DAYS))
    assert rep["psr"] == pytest.approx(probabilistic_sharpe_ratio(noise))
    assert rep["dsr"] < rep["psr"]
    skill = rng.normal(0.002, 0.01, 4 * DAYS)  # SR_ann ~ 3 over 4 years, one trial
    rep = significance_report(skill, periods_per_year=DAYS, seed=1)
    assert rep["label"] == "passes", rep["verdict"]
    assert rep["periods_needed"] == 0.0
    low, high = rep["sharpe_ci"]
    assert low < rep["sr"] < high


def test_significance_report_constant_returns_explains() -> None:
    rep = significance_report([0.001] * 40, 5)
    json.dumps(rep, allow_nan=False)
    assert rep["sr"] is None
    assert rep["psr"] is None
    assert rep["label"] == "inconclusive"
    notes = " ".join(rep["notes"])
    assert "Sharpe ratio is undefined" in notes
    assert "DSR needs" in notes


# --------------------------------------------------------------------------- paired A/B test
def test_paired_test_detects_a_shift() -> None:
    rng = np.random.default_rng(9)
    a = rng.normal(0.0, 0.01, 500)
    b = a + 0.0005  # B = A plus a constant edge: every resample agrees
    out = paired_difference_test(a, b, n_boot=500, seed=1, periods_per_year=DAYS)
    json.dumps(out, allow_nan=False)
    assert out["winner"] == "B"
    assert out["label"] == "b_better"
    assert out["mean_diff"] == pytest.approx(0.0005)
    assert out["mean_diff_ci"] == pytest.approx([0.0005, 0.0005])
    assert out["mean_diff_p"] == pytest.approx(1 / 501)
    assert out["sharpe_diff"] > 0
    assert out["sharpe_diff_ci"][0] > 0
    assert out["verdict"].startswith("B is better on Sharpe ratio and mean return")
    swapped = paired_difference_test(b, a, n_boot=500, seed=1)
    assert swapped["winner"] == "A"
    assert swapped["sharpe_diff"] == pytest.approx(-out["sharpe_diff"])


def test_paired_test_false_positive_rate_is_near_alpha() -> None:
    """Under the null (A and B are independent draws of one process) p < 0.05 about 5 % of
    the time, for the mean and for the Sharpe difference."""
    p_mean, p_sr = [], []
    for seed in range(80):
        rng = np.random.default_rng(seed)
        a, b = rng.normal(0.0003, 0.01, 300), rng.normal(0.0003, 0.01, 300)
        out = paired_difference_test(a, b, n_boot=300, seed=seed)
        p_mean.append(out["mean_diff_p"])
        p_sr.append(out["sharpe_diff_p"])
    for p in (np.array(p_mean), np.array(p_sr)):
        assert 0.0 < (p < 0.05).mean() <= 0.125
        assert 0.3 < np.median(p) < 0.75  # roughly uniform (sd of a median of 80: ~0.06)


def test_paired_test_no_difference() -> None:
    rng = np.random.default_rng(11)
    a, b = rng.normal(0.0003, 0.01, 400), rng.normal(0.0003, 0.01, 400)
    out = paired_difference_test(a, b, n_boot=1000, seed=3)
    assert out["label"] == "no_significant_difference"
    assert out["winner"] is None
    assert out["verdict"].startswith("No significant difference at 5%")
    assert out["mean_diff_ci"][0] < 0 < out["mean_diff_ci"][1]
    same = paired_difference_test(a, a, n_boot=200, seed=3)
    assert same["mean_diff_p"] == 1.0
    assert same["sharpe_diff_p"] == 1.0
    # deterministic for a seed, and the seed matters
    assert paired_difference_test(a, b, n_boot=300, seed=4) == paired_difference_test(
        a, b, n_boot=300, seed=4
    )
    assert paired_difference_test(a, b, n_boot=300, seed=5) != paired_difference_test(
        a, b, n_boot=300, seed=4
    )


def test_paired_test_aligns_series_and_checks_lengths() -> None:
    idx = pd.bdate_range("2024-01-01", periods=60)
    rng = np.random.default_rng(2)
    a = pd.Series(rng.normal(0, 0.01, 60), index=idx)
    b = pd.Series(rng.normal(0, 0.01, 50), index=idx[10:])
    out = paired_difference_test(a, b, n_boot=100, seed=0, block=5)
    assert out["n_obs"] == 50
    assert out["n_dropped"] == 10
    with pytest.raises(AnalyticsInputError, match="same periods"):
        paired_difference_test(a.to_numpy(), b.to_numpy(), n_boot=100)
    with pytest.raises(AnalyticsInputError, match="at least 3"):
        paired_difference_test([0.1, 0.2], [0.1, 0.3])
    const = paired_difference_test([0.01] * 10, [0.02] * 10, n_boot=50)
    assert const["sharpe_diff"] is None  # undefined, not a crash
    assert "undefined" in const["verdict"]
