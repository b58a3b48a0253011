"""Bootstrap intervals (i.i.d. and stationary) and PBO by CSCV: determinism, agreement with
analytic standard errors, a brute-force CSCV reference and the measured numbers of
cognition.md 2.4."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from tronlab.analytics import AnalyticsInputError
from tronlab.analytics.bootstrap import bootstrap_indices
from tronlab.analytics.significance import bootstrap_ci, pbo_cscv, pbo_label

# ---------------------------------------------------------------------------------- bootstrap


def test_bootstrap_is_deterministic_for_a_seed() -> None:
    r = np.random.default_rng(0).normal(0.001, 0.01, 300)
    a = bootstrap_ci(r, "sharpe", n=500, seed=42)
    assert a == bootstrap_ci(r, "sharpe", n=500, seed=42)
    assert a != bootstrap_ci(r, "sharpe", n=500, seed=43)
    assert bootstrap_ci(r, "mean", n=500, seed=1, block=7) == bootstrap_ci(
        r, "mean", n=500, seed=1, block=7
    )


def test_iid_bootstrap_matches_analytic_standard_errors() -> None:
    rng = np.random.default_rng(1)
    r = rng.normal(0.001, 0.01, 2000)
    mean = bootstrap_ci(r, "mean", n=2000, seed=0)
    assert mean.estimate == pytest.approx(r.mean())
    assert mean.std_error == pytest.approx(r.std(ddof=1) / math.sqrt(len(r)), rel=0.1)
    assert mean.low < mean.estimate < mean.high
    sharpe = bootstrap_ci(r, "sharpe", n=2000, seed=0)
    sr = r.mean() / r.std(ddof=1)
    assert sharpe.estimate == pytest.approx(sr)
    assert sharpe.std_error == pytest.approx(math.sqrt((1 + sr**2 / 2) / len(r)), rel=0.1)
    ann = bootstrap_ci(r, "sharpe", n=2000, seed=0, periods_per_year=252)
    assert (ann.low, ann.high) == pytest.approx(
        (sharpe.low * math.sqrt(252), sharpe.high * math.sqrt(252))
    )
    assert ann.as_dict()["stat"] == "sharpe"


def test_stationary_bootstrap_blocks_have_the_mean_length() -> None:
    n = 5000
    idx = next(bootstrap_indices(n, 20, seed=3, block=10))
    continues = np.diff(idx, axis=1) == 1  # next position follows on (ignoring wrap-around)
    runs = idx.size / (idx.shape[0] + (~continues).sum())
    assert runs == pytest.approx(10.0, rel=0.05)
    iid = next(bootstrap_indices(n, 20, seed=3))
    assert (np.diff(iid, axis=1) == 1).mean() < 0.01
    assert idx.min() >= 0
    assert idx.max() < n


def test_stationary_bootstrap_widens_the_interval_for_autocorrelated_returns() -> None:
    rng = np.random.default_rng(4)
    e = rng.normal(0, 0.01, 1500)
    r = np.empty_like(e)
    r[0] = e[0]
    for t in range(1, len(e)):  # AR(1) with phi = 0.6
        r[t] = 0.6 * r[t - 1] + e[t]
    iid = bootstrap_ci(r, "mean", n=1000, seed=0)
    block = bootstrap_ci(r, "mean", n=1000, seed=0, block=20)
    # long-run sd of an AR(1) over its sd: sqrt((1 + phi) / (1 - phi)) = 2, so the mean's
    # honest standard error is twice the i.i.d. one
    assert block.std_error / iid.std_error == pytest.approx(2.0, rel=0.25)


def test_bootstrap_edge_cases() -> None:
    const = bootstrap_ci([0.01] * 50, "sharpe", n=100)
    assert math.isnan(const.estimate)
    assert math.isnan(const.low)
    assert "constant" in const.note
    short = bootstrap_ci([0.01], "mean", n=100)
    assert math.isnan(short.low)
    assert "fewer than 2" in short.note
    with pytest.raises(AnalyticsInputError, match="alpha"):
        bootstrap_ci([0.01, 0.02], alpha=1.5)
    with pytest.raises(AnalyticsInputError, match="stat"):
        bootstrap_ci([0.01, 0.02], "median")  # type: ignore[arg-type]
    with pytest.raises(AnalyticsInputError, match="block"):
        bootstrap_ci([0.01, 0.02], block=0.5)
    with pytest.raises(AnalyticsInputError, match="NaN"):
        bootstrap_ci([0.01, float("nan")])


# ----------------------------------------------------------------------------------------- PBO
def _naive_logits(m: np.ndarray, s: int) -> np.ndarray:
    """CSCV written out directly from cognition.md 2.4 (no block sums), for a small matrix."""
    blocks = np.array_split(np.arange(len(m)), s)
    n = m.shape[1]
    out = []
    for combo in combinations(range(s), s // 2):
        ins = np.concatenate([blocks[i] for i in combo])
        outs = np.concatenate([blocks[i] for i in range(s) if i not in combo])
        sr_in = m[ins].mean(axis=0) / m[ins].std(axis=0, ddof=1)
        sr_out = m[outs].mean(axis=0) / m[outs].std(axis=0, ddof=1)
        best = int(np.argmax(sr_in))
        rank = 1 + (sr_out < sr_out[best]).sum()  # no ties with continuous data
        w = rank / (n + 1)
        out.append(math.log(w / (1 - w)))
    return np.array(out)


def test_pbo_matches_a_brute_force_cscv() -> None:
    m = np.random.default_rng(8).normal(0.0002, 0.01, (50, 7))  # 50 rows: uneven blocks
    res = pbo_cscv(m, n_splits=6)
    expected = _naive_logits(m, 6)
    assert res.n_combinations == 20
    assert res.logits == pytest.approx(expected, abs=1e-12)
    assert res.pbo == pytest.approx(np.mean(expected <= 0))


def test_pbo_reproduces_the_measured_noise_numbers() -> None:
    """cognition.md 2.4 [measured]: N = 50 noise columns, T = 1,000, S = 8: mean PBO 0.488
    over 20 seeds, range 0.06-0.74."""
    pbos = [
        pbo_cscv(np.random.default_rng(s).normal(0, 0.01, (1000, 50)), 8).pbo for s in range(20)
    ]
    assert round(float(np.mean(pbos)), 3) == 0.488
    assert (round(min(pbos), 2), round(max(pbos), 2)) == (0.06, 0.74)


def test_pbo_one_column_with_an_edge() -> None:
    pbos = []
    for seed in range(20):
        m = np.random.default_rng(seed).normal(0, 0.01, (1000, 50))
        m[:, 7] += 0.0015  # daily SR ~ 0.15
        pbos.append(pbo_cscv(m, 8).pbo)
    assert np.mean(pbos) < 0.15
    m = np.random.default_rng(0).normal(0, 0.01, (1000, 50))
    m[:, 7] += 0.005
    res = pbo_cscv(pd.DataFrame(m))
    assert res.n_combinations == 12_870  # C(16, 8)
    assert res.pbo == 0.0
    assert (res.selected == 7).all()
    assert res.label == "pass"
    assert res.prob_oos_loss == 0.0
    assert res.as_dict()["pbo"] == 0.0
    assert "logits" in res.as_dict(with_arrays=True)


def test_pbo_identical_columns_count_as_overfit() -> None:
    col = np.random.default_rng(1).normal(0, 0.01, (200, 1))
    res = pbo_cscv(np.tile(col, (1, 5)), n_splits=4)
    assert (res.logits == 0.0).all()
    assert res.pbo == 1.0


def test_pbo_noise_shows_degradation() -> None:
    res = pbo_cscv(np.random.default_rng(3).normal(0, 0.01, (800, 30)), n_splits=8)
    assert res.degradation_slope < 0.5  # IS excellence does not carry over
    assert 0.0 < res.prob_oos_loss < 1.0


def test_pbo_labels_and_input_errors() -> None:
    assert [pbo_label(x) for x in (0.1, 0.2, 0.35, 0.5, 0.51, float("nan"))] == [
        "pass",
        "pass",
        "warn",
        "warn",
        "reject",
        "undefined",
    ]
    m = np.random.default_rng(0).normal(0, 0.01, (100, 4))
    with pytest.raises(AnalyticsInputError, match="even"):
        pbo_cscv(m, 5)
    with pytest.raises(AnalyticsInputError, match="too few"):
        pbo_cscv(m[:20], 16)
    with pytest.raises(AnalyticsInputError, match="2 strategies"):
        pbo_cscv(m[:, :1], 4)
    bad = m.copy()
    bad[3, 2] = np.nan
    with pytest.raises(AnalyticsInputError, match="NaN"):
        pbo_cscv(bad, 4)
    with pytest.raises(AnalyticsInputError, match="2-D"):
        pbo_cscv(m[:, 0], 4)
