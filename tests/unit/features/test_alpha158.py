"""Alpha158 (qlib's definitions): hand-computed operator values, a pandas reference of qlib's
operators evaluated on qlib's expression strings for all 158 features, and the registry
contract (names, warm-up, no look-ahead, windowed evaluation, streaming)."""

from __future__ import annotations

import math
import re
from collections import deque
from fractions import Fraction
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tronlab.features import alpha158_ops as ops
from tronlab.features.alpha158 import (
    ALPHA158_NAMES,
    QLIB_EXPRESSIONS,
    WINDOWS,
    compute_alpha158,
)
from tronlab.features.registry import Bars, StreamingFeatures, select

NAN = math.nan


# --------------------------------------------------------------------------- helpers


def make_bars(
    close: Any,
    *,
    open_: Any = None,
    high: Any = None,
    low: Any = None,
    volume: Any = None,
    extra: dict[str, np.ndarray] | None = None,
) -> Bars:
    c = np.asarray(close, dtype=np.float64)
    n = len(c)
    o = c if open_ is None else np.asarray(open_, dtype=np.float64)
    h = np.maximum(o, c) if high is None else np.asarray(high, dtype=np.float64)
    lo = np.minimum(o, c) if low is None else np.asarray(low, dtype=np.float64)
    v = np.full(n, 1000.0) if volume is None else np.asarray(volume, dtype=np.float64)
    t = np.arange(n, dtype=np.int64) * 60_000_000_000
    return Bars(o, h, lo, c, v, t, t + 60_000_000_000, np.zeros(n, np.int64), extra or {})


def random_bars(n: int, seed: int, *, gaps: bool = False) -> Bars:
    """A tick-rounded random walk (ties in closes, highs and lows), lognormal volumes with
    3% zero-volume bars; ``gaps`` adds missing values (NaN close/high/low/volume)."""
    rng = np.random.default_rng(seed)
    c = np.round(100 * np.exp(np.cumsum(rng.normal(0, 0.01, n))), 2)
    o = np.round(c * np.exp(rng.normal(0, 0.003, n)), 2)
    h = np.round(np.maximum(o, c) * np.exp(np.abs(rng.normal(0, 0.004, n))), 2)
    lo = np.round(np.minimum(o, c) * np.exp(-np.abs(rng.normal(0, 0.004, n))), 2)
    v = rng.lognormal(8, 1, n).round()
    v[rng.random(n) < 0.03] = 0.0
    if gaps:
        c[n * 3 // 4] = NAN
        v[n * 3 // 5] = NAN
        h[n * 2 // 3] = NAN
        lo[n * 5 // 6 : n * 5 // 6 + 3] = NAN
    return make_bars(c, open_=o, high=h, low=lo, volume=v)


def mk_ops(x: Any, w: int, kernel: Any, n_out: int, *args: Any) -> tuple[np.ndarray, ...]:
    arr = np.asarray(x, dtype=np.float64)
    outs = tuple(np.empty(len(arr)) for _ in range(n_out))
    kernel(arr, w, *args, *outs)
    return outs


def approx(x: float) -> Any:
    return pytest.approx(x, rel=1e-12, abs=1e-15)


# ------------------------------------------------ hand-computed examples per operator


def test_mean_std_hand() -> None:
    mean, std = mk_ops([1, 3, 2, 5, 4], 3, ops.rolling_mean_std, 2)
    assert np.isnan(mean[:2]).all()
    assert np.isnan(std[:2]).all()
    # t=2: (1+3+2)/3 = 2; deviations -1, 1, 0 -> 2/(3-1) = 1 -> std 1 (ddof=1, as pandas)
    assert mean[2] == approx(2.0)
    assert std[2] == approx(1.0)
    # t=3: (3+2+5)/3 = 10/3; dev -1/3, -4/3, 5/3 -> 42/9 / 2 = 7/3
    assert mean[3] == approx(10 / 3)
    assert std[3] == approx(math.sqrt(7 / 3))
    # t=4: (2+5+4)/3 = 11/3; dev -5/3, 4/3, 1/3 -> 42/9 / 2 = 7/3
    assert mean[4] == approx(11 / 3)
    assert std[4] == approx(math.sqrt(7 / 3))
    # a constant window: mean exactly the value, std exactly 0 (pandas' equal-values rule)
    mean, std = mk_ops([0.1, 0.7, 0.7, 0.7], 3, ops.rolling_mean_std, 2)
    assert mean[3] == 0.7
    assert std[3] == 0.0
    # missing values are skipped (pandas min_periods=1): window [1, nan, 3] -> 2, sqrt(2)
    mean, std = mk_ops([1, NAN, 3], 3, ops.rolling_mean_std, 2)
    assert mean[2] == approx(2.0)
    assert std[2] == approx(math.sqrt(2.0))
    # a single valid value: std NaN (ddof=1)
    mean, std = mk_ops([NAN, NAN, 3], 3, ops.rolling_mean_std, 2)
    assert mean[2] == 3.0
    assert np.isnan(std[2])


def test_slope_rsquare_resi_hand() -> None:
    mean, std, slope, rsq, resi = mk_ops([1, 3, 2, 5, 4], 5, ops.rolling_stats_regression, 5)
    assert np.isnan(slope[:4]).all()
    # positions 1..5, y = 1 3 2 5 4: x̄ = 3, ȳ = 3; Sxy = (-2)(-2)+(-1)(0)+0(-1)+1(2)+2(1) = 8;
    # Sxx = 10 -> slope 0.8; intercept 3 - 0.8*3 = 0.6; fit at 5 = 4.6 -> residual 4-4.6;
    # Syy = 4+0+1+4+1 = 10 -> R² = 8²/(10*10) = 0.64
    assert slope[4] == approx(0.8)
    assert resi[4] == approx(-0.6)
    assert rsq[4] == approx(0.64)
    assert mean[4] == approx(3.0)
    assert std[4] == approx(math.sqrt(10 / 4))
    # a NaN keeps its position: y = 1 nan 2 5 4 on x = 1 3 4 5 -> x̄ = 13/4, ȳ = 3;
    # Sxy = (-9/4)(-2) + (-1/4)(-1) + (3/4)(2) + (7/4)(1) = 8; Sxx = 81/16+1/16+9/16+49/16
    # = 35/4 -> slope 32/35
    _, _, slope, _, _ = mk_ops([1, NAN, 2, 5, 4], 5, ops.rolling_stats_regression, 5)
    assert slope[4] == approx(32 / 35)
    # a flat window: slope 0, residual 0, R² NaN (std within 2e-5 of 0, as qlib's Rsquare)
    _, std, slope, rsq, resi = mk_ops([7.0] * 5, 5, ops.rolling_stats_regression, 5)
    assert (std[4], slope[4], resi[4]) == (0.0, 0.0, 0.0)
    assert np.isnan(rsq[4])
    # std 5.5e-6 <= 2e-5: R² NaN even though the points lie exactly on a line
    _, std, _, rsq, _ = mk_ops([1.0, 1.00001, 1.00002], 3, ops.rolling_stats_regression, 5)
    assert std[2] == pytest.approx(1e-5, rel=1e-6)
    assert np.isnan(rsq[2])


def test_max_min_idx_hand() -> None:
    mx, imx = mk_ops([1, 3, 2, 5, 4], 3, ops.rolling_max_idx, 2)
    mn, imn = mk_ops([1, 3, 2, 5, 4], 3, ops.rolling_min_idx, 2)
    # t=4, window [2, 5, 4]: max 5 at position 2 (1-based from the oldest), min 2 at 1
    assert (mx[4], imx[4], mn[4], imn[4]) == (5.0, 2.0, 2.0, 1.0)
    # t=2, window [1, 3, 2]: max 3 at 2, min 1 at 1
    assert (mx[2], imx[2], mn[2], imn[2]) == (3.0, 2.0, 1.0, 1.0)
    # ties: [3, 1, 3, 1] -> the first maximum (position 1), the first minimum (position 2)
    mx, imx = mk_ops([3, 1, 3, 1], 4, ops.rolling_max_idx, 2)
    mn, imn = mk_ops([3, 1, 3, 1], 4, ops.rolling_min_idx, 2)
    assert (imx[3], imn[3]) == (1.0, 2.0)
    # a NaN in the window: max/min skip it, np.argmax on the raw window returns the NaN's
    mx, imx = mk_ops([1, NAN, 3, 2], 4, ops.rolling_max_idx, 2)
    assert (mx[3], imx[3]) == (3.0, 2.0)


def test_quantile_rank_hand() -> None:
    q80, q20, rank = mk_ops([1, 3, 2, 5, 4], 5, ops.rolling_quantiles_rank, 3, 0.8, 0.2)
    assert np.isnan(q80[:4]).all()
    # sorted 1 2 3 4 5: 0.8*(5-1) = 3.2 -> 4 + (5-4)*0.2 = 4.2; 0.2*4 = 0.8 -> 1 + 0.8 = 1.8
    assert q80[4] == approx(4.2)
    assert q20[4] == approx(1.8)
    # rank of the last value 4 among 1 3 2 5 4 -> 4th of 5 -> 0.8
    assert rank[4] == approx(0.8)
    q80, q20, rank = mk_ops([1, 3, 2, 5, 4], 4, ops.rolling_quantiles_rank, 3, 0.8, 0.2)
    # t=4, window 3 2 5 4 -> sorted 2 3 4 5: 0.8*3 = 2.4 -> 4.4; 0.2*3 = 0.6 -> 2.6;
    # 4 is 3rd of 4 -> 0.75. t=3, window 1 3 2 5: 5 is 4th of 4 -> 1
    assert q80[4] == approx(4.4)
    assert q20[4] == approx(2.6)
    assert rank[4] == approx(0.75)
    assert rank[3] == 1.0
    # ties: 2 among 2 1 2 3 2 holds ranks 2, 3, 4 -> average 3 -> 3/5 = 0.6
    _, _, rank = mk_ops([2, 1, 2, 3, 2], 5, ops.rolling_quantiles_rank, 3, 0.8, 0.2)
    assert rank[4] == approx(0.6)
    # NaN skipped: window [5, nan, 1, 3] -> sorted 1 3 5; q 0.8 -> idx 1.6 -> 3 + 2*0.6 = 4.2;
    # rank of 3 -> 2nd of 3
    q80, _, rank = mk_ops([5, NAN, 1, 3], 4, ops.rolling_quantiles_rank, 3, 0.8, 0.2)
    assert q80[3] == approx(4.2)
    assert rank[3] == approx(2 / 3)
    # the newest value missing -> rank NaN (pandas)
    _, _, rank = mk_ops([5, 1, 3, NAN], 4, ops.rolling_quantiles_rank, 3, 0.8, 0.2)
    assert np.isnan(rank[3])


def test_corr_hand() -> None:
    def corr(x: Any, y: Any, w: int) -> np.ndarray:
        out = np.empty(len(x))
        ops.rolling_corr(np.asarray(x, float), np.asarray(y, float), w, out)
        return out

    # x 1 2 3 4, y 1 3 2 4: dx = dy-ish: Sxy = 2.25 - .25 - .25 + 2.25 = 4, Sxx = Syy = 5
    assert corr([1, 2, 3, 4], [1, 3, 2, 4], 4)[3] == approx(0.8)
    # a missing pair is dropped on both sides (NaN in x, inf in y): the same four pairs
    assert corr([1, 2, NAN, 3, 4], [1, 3, 7, 2, 4], 5)[4] == approx(0.8)
    assert corr([1, 2, 9, 3, 4], [1, 3, math.inf, 2, 4], 5)[4] == approx(0.8)
    # a constant side -> NaN; a side with std <= 2e-5 -> NaN (qlib's np.isclose rule)
    assert np.isnan(corr([1, 2, 3, 4], [5, 5, 5, 5], 4)[3])
    tiny = corr([1, 1.00001, 1, 1.00001], [1, 2, 1, 2], 4)
    assert np.isnan(tiny[3])
    assert corr([1, 1.0001, 1, 1.0001], [1, 2, 1, 2], 4)[3] == approx(1.0)


def test_kbar_and_price_hand() -> None:
    # bar 0: o 10 h 13 l 9 c 12 (up); bar 1: o 12 h 13 l 9 c 10 (down); bar 2: all 10
    b = make_bars([12, 10, 10], open_=[10, 12, 10], high=[13, 13, 10], low=[9, 9, 10])
    r = compute_alpha158(b)
    up = {k: r[k][0] for k in r}
    # KMID (12-10)/10; KLEN (13-9)/10; KMID2 2/(4+1e-12); KUP (13-max(10,12))/10;
    # KUP2 1/4; KLOW (min(10,12)-9)/10; KLOW2 1/4; KSFT (24-13-9)/10; KSFT2 2/4
    expected = {"KMID": 0.2, "KLEN": 0.4, "KMID2": 0.5, "KUP": 0.1, "KUP2": 0.25}
    expected |= {"KLOW": 0.1, "KLOW2": 0.25, "KSFT": 0.2, "KSFT2": 0.5}
    # OPEN0 10/12, HIGH0 13/12, LOW0 9/12, VWAP0 = typical price (13+9+12)/3 / 12
    expected |= {"OPEN0": 10 / 12, "HIGH0": 13 / 12, "LOW0": 9 / 12, "VWAP0": 34 / 36}
    for k, val in expected.items():
        assert up[k] == pytest.approx(val, rel=1e-9), k
    down = {k: r[k][1] for k in r}
    # KMID -2/12; KLEN 4/12; KMID2 -2/4; KUP (13-12)/12; KLOW (10-9)/12; KSFT (20-22)/12
    expected = {"KMID": -1 / 6, "KLEN": 1 / 3, "KMID2": -0.5, "KUP": 1 / 12, "KUP2": 0.25}
    expected |= {"KLOW": 1 / 12, "KLOW2": 0.25, "KSFT": -1 / 6, "KSFT2": -0.5}
    for k, val in expected.items():
        assert down[k] == pytest.approx(val, rel=1e-9), k
    # a bar with high == low: the +1e-12 keeps KMID2 at 0/(0+1e-12) = 0
    assert r["KMID2"][2] == 0.0
    assert r["KLEN"][2] == 0.0
    # VWAP0 from an extra "vwap" series when the bars carry one
    bv = make_bars([12.0], open_=[10.0], high=[13.0], low=[9.0], extra={"vwap": np.array([11.4])})
    assert compute_alpha158(bv)["VWAP0"][0] == pytest.approx(11.4 / 12, rel=1e-12)


def test_count_and_sum_features_hand() -> None:
    c = [10, 11, 12, 11.5, 11.5, 13, 12]
    r = compute_alpha158(make_bars(c))
    # diffs from bar 1: +1, +1, -0.5, 0, +1.5, -1
    # t=5 (diffs 1..5: +1 +1 -.5 0 +1.5): 3 up, 1 down of 5; gains 3.5, losses 0.5, |d| 4
    assert np.isnan(r["CNTP5"][4])
    assert np.isnan(r["SUMP5"][4])
    assert r["CNTP5"][5] == 0.6
    assert r["CNTN5"][5] == 0.2
    assert r["CNTD5"][5] == approx(0.4)
    assert r["SUMP5"][5] == pytest.approx(3.5 / 4, rel=1e-9)
    assert r["SUMN5"][5] == pytest.approx(0.5 / 4, rel=1e-9)
    assert r["SUMD5"][5] == pytest.approx(3 / 4, rel=1e-9)
    # t=6 (diffs +1 -.5 0 +1.5 -1): 2 up, 2 down; gains 2.5, losses 1.5, |d| 4
    assert r["CNTP5"][6] == 0.4
    assert r["CNTN5"][6] == 0.4
    assert r["CNTD5"][6] == 0.0
    assert r["SUMP5"][6] == pytest.approx(2.5 / 4, rel=1e-9)
    assert r["SUMN5"][6] == pytest.approx(1.5 / 4, rel=1e-9)
    assert r["SUMD5"][6] == pytest.approx(1 / 4, rel=1e-9)
    # ROC5 = Ref($close, 5)/$close: c[0]/c[5] at t=5 (warm-up 6), c[1]/c[6] at t=6
    assert np.isnan(r["ROC5"][4])
    assert r["ROC5"][5] == 10 / 13
    assert r["ROC5"][6] == 11 / 12
    # MA5 at t=4 = (10+11+12+11.5+11.5)/5 / 11.5 = 11.2/11.5
    assert r["MA5"][4] == pytest.approx(11.2 / 11.5, rel=1e-12)


def test_volume_features_hand() -> None:
    # closes +10%, -10%, ... so |$close/Ref($close,1)-1| = 0.1 on every bar
    c = [100, 110, 99, 108.9, 98.01, 107.811, 97.0299]
    v = [50, 100, 200, 100, 300, 300, 0]
    r = compute_alpha158(make_bars(c, volume=v))
    # VMA5 at t=4: (50+100+200+100+300)/5 = 150 over 300 -> 0.5
    assert r["VMA5"][4] == pytest.approx(0.5, rel=1e-12)
    # VSTD5 at t=4: deviations -100 -50 50 -50 150 -> squares 10000 2500 2500 2500 22500
    # = 40000, / (5-1) = 10000 -> std 100, / 300
    assert r["VSTD5"][4] == pytest.approx(100 / 300, rel=1e-12)
    # WVMA5 at t=5: 0.1*v over bars 1..5 = 10 20 10 30 30: mean 20, std (ddof=1)
    # sqrt((100+0+100+100+100)/4) = 10 -> 10/(20+1e-12) = 0.5
    assert r["WVMA5"][5] == pytest.approx(0.5, rel=1e-9)
    # VSUMP5 at t=5: volume diffs +50 +100 -100 +200 0 -> up 350, down 100, |d| 450
    assert r["VSUMP5"][5] == pytest.approx(350 / 450, rel=1e-9)
    assert r["VSUMN5"][5] == pytest.approx(100 / 450, rel=1e-9)
    assert r["VSUMD5"][5] == pytest.approx(250 / 450, rel=1e-9)
    # a zero-volume bar: qlib divides by $volume+1e-12 -> (200+100+300+300+0)/5 / 1e-12
    assert r["VMA5"][6] == pytest.approx(180 / 1e-12, rel=1e-9)


def test_position_features_hand() -> None:
    high = [5, 7, 7, 6, 4]
    low = [3, 4, 1, 2, 1]
    c = [4, 5, 2, 5, 3]
    r = compute_alpha158(make_bars(c, open_=c, high=high, low=low))
    # IdxMax(high) over 5 7 7 6 4 = 2 (first max), IdxMin(low) over 3 4 1 2 1 = 3 (first min)
    assert r["IMAX5"][4] == 2 / 5
    assert r["IMIN5"][4] == 3 / 5
    assert r["IMXD5"][4] == approx((2 - 3) / 5)
    # RSV5 = (3 - 1) / (7 - 1 + 1e-12); MAX5 = 7/3; MIN5 = 1/3
    assert r["RSV5"][4] == pytest.approx(2 / 6, rel=1e-9)
    assert r["MAX5"][4] == 7 / 3
    assert r["MIN5"][4] == 1 / 3
    # RANK5 of 3 among 4 5 2 5 3 -> 2nd -> 0.4; QTLU5: sorted 2 3 4 5 5, idx 3.2 -> 5, / 3
    assert r["RANK5"][4] == approx(0.4)
    assert r["QTLU5"][4] == approx(5 / 3)
    # QTLD5: idx 0.8 -> 2 + (3-2)*0.8 = 2.8, / 3
    assert r["QTLD5"][4] == approx(2.8 / 3)


def test_flat_and_zero_volume_stretch() -> None:
    """The documented edge behaviour on a constant price with zero volume."""
    rng = np.random.default_rng(3)
    c = np.round(100 + np.cumsum(rng.normal(0, 1, 200)), 2)
    c[100:170] = c[99]
    v = rng.lognormal(8, 1, 200).round()
    v[100:170] = 0.0
    r = compute_alpha158(make_bars(c, volume=v))
    t = 165  # every window (<= 60 bars, + 1 for Ref) lies inside the flat, zero-volume part
    for d in WINDOWS:
        assert r[f"STD{d}"][t] == 0.0
        assert r[f"BETA{d}"][t] == 0.0
        assert r[f"RESI{d}"][t] == 0.0
        assert np.isnan(r[f"RSQR{d}"][t])  # std 0 <= 2e-5
        assert np.isnan(r[f"CORR{d}"][t])
        assert np.isnan(r[f"CORD{d}"][t])
        assert r[f"MA{d}"][t] == 1.0
        assert r[f"QTLU{d}"][t] == 1.0
        assert r[f"QTLD{d}"][t] == 1.0
        assert r[f"RANK{d}"][t] == approx((d + 1) / 2 / d)  # all tied: average rank
        assert r[f"IMAX{d}"][t] == 1 / d
        assert r[f"IMIN{d}"][t] == 1 / d
        assert r[f"CNTP{d}"][t] == 0.0
        assert r[f"CNTN{d}"][t] == 0.0
        assert r[f"SUMP{d}"][t] == 0.0
        assert r[f"SUMN{d}"][t] == 0.0
        assert r[f"VMA{d}"][t] == 0.0
        assert r[f"VSTD{d}"][t] == 0.0
        assert r[f"WVMA{d}"][t] == 0.0
        assert r[f"VSUMP{d}"][t] == 0.0
        assert r[f"RSV{d}"][t] == 0.0


# ------------------------------------------------------------ pandas / qlib reference


def _roll(s: pd.Series, n: int) -> Any:
    return s.rolling(n, min_periods=1)


def _cython_regression(kind: str, a: np.ndarray, window: int) -> np.ndarray:
    """Port of ``qlib/data/_libs/rolling.pyx`` (Slope/Rsquare/Resi): running sums over the
    positions 1..window with NaN skipped, kept exact (rational) here: qlib's float running
    sums drift by ~1e-9 over a long series, which would hide the comparison."""
    barv: deque[float] = deque([NAN] * window)
    na_count = window
    i_sum = x_sum = x2_sum = y_sum = y2_sum = xy_sum = Fraction(0)
    out = np.empty(len(a))
    for t, val in enumerate(a):
        barv.append(val)
        xy_sum -= y_sum
        x2_sum += i_sum - 2 * x_sum
        x_sum -= i_sum
        front = barv.popleft()
        if not math.isnan(front):
            fr = Fraction(float(front))
            i_sum -= 1
            y_sum -= fr
            y2_sum -= fr * fr
        else:
            na_count -= 1
        if math.isnan(val):
            na_count += 1
        else:
            fv = Fraction(float(val))
            i_sum += 1
            x_sum += window
            x2_sum += window * window
            y_sum += fv
            y2_sum += fv * fv
            xy_sum += window * fv
        n = window - na_count
        num = n * xy_sum - x_sum * y_sum
        den = n * x2_sum - x_sum * x_sum
        if den == 0:
            out[t] = NAN
            continue
        slope = num / den
        if kind == "slope":
            out[t] = float(slope)
        elif kind == "resi":
            interp = y_sum / n - slope * x_sum / n
            out[t] = NAN if math.isnan(val) else float(Fraction(val) - (slope * window + interp))
        else:
            dy = n * y2_sum - y_sum * y_sum
            out[t] = float(num * num / (den * dy)) if dy != 0 else NAN
    return out


def _series(kind: str, s: pd.Series, n: int) -> pd.Series:
    return pd.Series(_cython_regression(kind, s.to_numpy(np.float64), n), index=s.index)


def _rsquare(s: pd.Series, n: int) -> pd.Series:
    out = _series("rsq", s, n)
    out.loc[np.isclose(_roll(s, n).std(), 0, atol=2e-05)] = NAN
    return out


def _corr(a: pd.Series, b: pd.Series, n: int) -> pd.Series:
    res = _roll(a, n).corr(b)
    std_a = _roll(a, n).std()
    std_b = _roll(b, n).std()
    res.loc[np.isclose(std_a, 0, atol=2e-05) | np.isclose(std_b, 0, atol=2e-05)] = NAN
    return res


# qlib/data/ops.py, as it runs them: pandas rolling with min_periods=1 and numpy ufuncs
QLIB_OPS: dict[str, Any] = {
    "Ref": lambda s, n: s.shift(n),
    "Mean": lambda s, n: _roll(s, n).mean(),
    "Sum": lambda s, n: _roll(s, n).sum(),
    "Std": lambda s, n: _roll(s, n).std(),
    "Max": lambda s, n: _roll(s, n).max(),
    "Min": lambda s, n: _roll(s, n).min(),
    "Quantile": lambda s, n, q: _roll(s, n).quantile(q),
    "Rank": lambda s, n: _roll(s, n).rank(pct=True),
    "IdxMax": lambda s, n: _roll(s, n).apply(lambda x: x.argmax() + 1, raw=True),
    "IdxMin": lambda s, n: _roll(s, n).apply(lambda x: x.argmin() + 1, raw=True),
    "Slope": lambda s, n: _series("slope", s, n),
    "Resi": lambda s, n: _series("resi", s, n),
    "Rsquare": _rsquare,
    "Corr": _corr,
    "Greater": np.maximum,
    "Less": np.minimum,
    "Abs": np.abs,
    "Log": np.log,
}


def qlib_eval(expr: str, bars: Bars) -> np.ndarray:
    """Evaluate a qlib expression string over ``bars`` with :data:`QLIB_OPS`."""
    frame = {
        "F_open": bars.open,
        "F_high": bars.high,
        "F_low": bars.low,
        "F_close": bars.close,
        "F_volume": bars.volume,
        "F_vwap": (bars.high + bars.low + bars.close) / 3,
    }
    ns = {**QLIB_OPS, **{k: pd.Series(v) for k, v in frame.items()}}
    code = re.sub(r"\$(\w+)", r"F_\1", expr)
    with np.errstate(all="ignore"):
        return np.asarray(eval(code, {"__builtins__": {}}, ns), dtype=np.float64)  # noqa: S307


def _fr(x: np.ndarray) -> list[Fraction]:
    return [Fraction(float(a)) for a in x[np.isfinite(x)]]


def _exact_mean_std(x: np.ndarray) -> tuple[float, float]:
    """Mean and std (ddof=1) of the finite values, in rational arithmetic."""
    xs = _fr(x)
    m = sum(xs, Fraction(0)) / len(xs)
    return float(m), math.sqrt(float(sum(((a - m) ** 2 for a in xs), Fraction(0)) / (len(xs) - 1)))


def _exact_corr(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation of the finite pairs, in rational arithmetic."""
    keep = np.isfinite(x) & np.isfinite(y)
    xs, ys = _fr(x[keep]), _fr(y[keep])
    mx = sum(xs, Fraction(0)) / len(xs)
    my = sum(ys, Fraction(0)) / len(ys)
    sxy = sum(((a - mx) * (b - my) for a, b in zip(xs, ys, strict=True)), Fraction(0))
    sxx = sum(((a - mx) ** 2 for a in xs), Fraction(0))
    syy = sum(((b - my) ** 2 for b in ys), Fraction(0))
    return float(sxy) / math.sqrt(float(sxx) * float(syy))


def _exact_moment_feature(name: str, bars: Bars, i: int) -> float:
    """STD/VSTD/WVMA/CORR/CORD at bar ``i`` with their rolling moments computed exactly."""
    family = name.rstrip("0123456789")
    d = int(name[len(family) :])
    c, v = bars.close, bars.volume
    win = slice(i - d + 1, i + 1)
    with np.errstate(all="ignore"):
        c1 = np.r_[NAN, c[:-1]]
        v1 = np.r_[NAN, v[:-1]]
        if family == "STD":  # Std($close, d)/$close
            return _exact_mean_std(c[win])[1] / c[i]
        if family == "VSTD":  # Std($volume, d)/($volume+1e-12)
            return _exact_mean_std(v[win])[1] / (v[i] + 1e-12)
        if family == "WVMA":  # Std(Abs($close/Ref($close, 1)-1)*$volume, d)/(Mean(..)+1e-12)
            m, sd = _exact_mean_std((np.abs(c / c1 - 1) * v)[win])
            return sd / (m + 1e-12)
        if family == "CORR":  # Corr($close, Log($volume+1), d)
            return _exact_corr(c[win], np.log(v + 1)[win])
        assert family == "CORD"  # Corr($close/Ref($close,1), Log($volume/Ref($volume, 1)+1), d)
        return _exact_corr((c / c1)[win], np.log(v / v1 + 1)[win])


@pytest.fixture(scope="module")
def reference_case() -> tuple[Bars, dict[str, np.ndarray], dict[str, np.ndarray]]:
    bars = random_bars(2000, seed=7, gaps=True)
    ref = {name: qlib_eval(QLIB_EXPRESSIONS[name], bars) for name in ALPHA158_NAMES}
    return bars, compute_alpha158(bars), ref


def test_reference_all_158(
    reference_case: tuple[Bars, dict[str, np.ndarray], dict[str, np.ndarray]],
) -> None:
    """Every feature equals qlib's expression evaluated with pandas, from its warm-up on, to
    1e-9 relative (to the value, or to the feature's median magnitude for values near 0).

    pandas keeps running moments for ``Std`` (Welford) and ``Corr``; their rounding reaches
    ~1e-8 relative on windows whose std is small next to their mean. Where STD, VSTD, WVMA,
    CORR or CORD differ from pandas by more than 1e-9, the value here must be the one with
    exactly computed (rational) moments to 1e-12, and pandas' within 1e-7 of it."""
    bars, got, ref = reference_case
    reg = select("alpha158")
    warm = {f.name: f.warmup for f in reg}
    checked = exact_checked = 0
    for name in ALPHA158_NAMES:
        g, e = got[name], ref[name]
        w = warm[name]
        assert np.isnan(g[: w - 1]).all(), name
        g, e = g[w - 1 :], e[w - 1 :]
        np.testing.assert_array_equal(np.isnan(g), np.isnan(e), err_msg=name)
        inf = np.isinf(e)
        np.testing.assert_array_equal(g[inf], e[inf], err_msg=name)
        m = np.isfinite(e)
        scale = float(np.median(np.abs(e[m])))
        bad = np.abs(g[m] - e[m]) > 1e-9 * np.maximum(np.abs(e[m]), scale)
        if name.rstrip("0123456789") in ("STD", "VSTD", "WVMA", "CORR", "CORD"):
            for i in np.flatnonzero(m)[bad] + w - 1:
                exact = _exact_moment_feature(name, bars, i)
                assert got[name][i] == pytest.approx(exact, rel=1e-12, abs=1e-15), (name, i)
                assert ref[name][i] == pytest.approx(exact, rel=1e-7), (name, i)
                exact_checked += 1
            bad[:] = False
        assert not bad.any(), (name, np.flatnonzero(m)[bad][:5] + w - 1)
        checked += int(m.sum())
    assert checked > 158 * 1500
    assert exact_checked < 100  # an exception, not the rule


def test_reference_exercises_the_edges(
    reference_case: tuple[Bars, dict[str, np.ndarray], dict[str, np.ndarray]],
) -> None:
    """The reference data reaches the special cases (so the comparison covers them)."""
    bars, got, _ = reference_case
    assert np.isinf(got["VMA5"]).sum() == 0
    assert (got["VMA5"] > 1e12).any()
    # Log($volume/Ref($volume, 1)+1) is +inf after a zero-volume bar: CORD skips that pair
    v = bars.volume
    with np.errstate(all="ignore"):
        y = np.log(v / np.r_[NAN, v[:-1]] + 1)
    inf_at = np.flatnonzero(np.isinf(y))
    assert len(inf_at) > 20
    assert np.isfinite(got["CORD5"][inf_at]).sum() > 20
    assert np.isnan(got["MA5"][1500])
    assert np.isfinite(got["MA5"][1501:1505]).all()
    assert np.isin(np.round(got["RANK5"] * 10), [3, 5, 7, 9]).any()  # tied closes
    assert np.isnan(got["RSQR5"]).sum() < 50  # the std rule fires only on flat windows


# ------------------------------------------------------------------ registry contract


def test_registry_158() -> None:
    feats = select("alpha158")
    names = [f.name for f in feats]
    assert len(names) == 158 == len(set(names)) == len(ALPHA158_NAMES)
    assert set(names) == set(ALPHA158_NAMES)
    assert {f.group for f in feats} == {"alpha158"}
    for f in feats:
        assert f.reference == f"qlib:{QLIB_EXPRESSIONS[f.name]}"
        assert QLIB_EXPRESSIONS[f.name] in f.description
        assert f.memory == f.warmup >= 1
        assert f.window in (0, *WINDOWS)
    by = {f.name: f for f in feats}
    assert by["KMID"].warmup == 1
    assert by["VWAP0"].warmup == 1
    assert by["MA5"].warmup == 5
    assert by["ROC60"].warmup == 61
    assert by["CORD20"].warmup == 21
    # qlib's spelling of a few
    assert {"MAX60", "MIN60", "QTLU5", "QTLD5", "IMXD30", "VSUMD10", "WVMA60"} <= set(names)
    assert "VOLUME0" not in names


def test_warmup_nan_then_values() -> None:
    bars = random_bars(200, seed=11)
    got = compute_alpha158(bars)
    for f in select("alpha158"):
        x = got[f.name]
        assert len(x) == 200
        assert np.isnan(x[: f.warmup - 1]).all(), f.name
        assert not np.isnan(x[f.warmup - 1]), f.name


def test_short_series() -> None:
    for n in (0, 1, 4, 30):
        got = compute_alpha158(random_bars(n, seed=1) if n else make_bars([]))
        assert all(len(v) == n for v in got.values())
        assert np.isnan(got["MA60"]).all()


@pytest.mark.parametrize("poison", [1e6, NAN, math.inf])
def test_no_lookahead(poison: float) -> None:
    bars = random_bars(400, seed=5, gaps=True)
    base = compute_alpha158(bars)
    for t in (70, 211, 330):
        cut = t + 1
        cols = []
        for a in (bars.open, bars.high, bars.low, bars.close, bars.volume):
            b = a.copy()
            b[cut:] = poison * np.linspace(1, 2, len(b) - cut)
            cols.append(b)
        pert = Bars(*cols, bars.start_ns, bars.end_ns, bars.session)
        got = compute_alpha158(pert)
        for name in ALPHA158_NAMES:
            np.testing.assert_array_equal(got[name][:cut], base[name][:cut], err_msg=name)


def test_windowed_evaluation_equals_batch() -> None:
    """``compute(bars.tail(memory))``'s last value is the batch value, bit for bit, also
    where the batch went through the gap (general) path."""
    bars = random_bars(700, seed=9, gaps=True)
    full = compute_alpha158(bars)
    feats = select("alpha158")
    for end in (61, 200, 466, 501, 584, 700):
        sub = Bars(
            bars.open[:end], bars.high[:end], bars.low[:end], bars.close[:end],
            bars.volume[:end], bars.start_ns[:end], bars.end_ns[:end], bars.session[:end],
        )  # fmt: skip
        for f in feats:
            last = compute_alpha158(sub.tail(f.memory))[f.name][-1]
            np.testing.assert_array_equal(last, full[f.name][end - 1], err_msg=f"{f.name}@{end}")


def test_streaming_equals_batch() -> None:
    bars = random_bars(130, seed=4)
    full = compute_alpha158(bars)
    stream = StreamingFeatures("alpha158")
    assert stream.memory == 61
    keys = ("open", "high", "low", "close", "volume", "start_ns", "end_ns", "session")
    for i in range(len(bars)):
        vals = stream.update(SimpleNamespace(**{k: getattr(bars, k)[i] for k in keys}))
        if i in (4, 5, 59, 60, 61, 129):
            for name in ALPHA158_NAMES:
                np.testing.assert_array_equal(vals[name], full[name][i], err_msg=f"{name}@{i}")
