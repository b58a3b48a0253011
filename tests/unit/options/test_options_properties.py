"""Properties of the pricing and IV functions (Hypothesis, derandomised): put-call parity,
price bounds, monotonicity in σ and T, Greeks against central finite differences, IV round
trip and the NaN reasons below intrinsic / above the bound."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tronlab.options import (
    IVStatus,
    black76,
    black76_price,
    bsm,
    bsm_price,
    implied_vol_black76,
)

forwards = st.floats(50.0, 60_000.0)
moneyness = st.floats(0.8, 1.25)  # K / F
times = st.floats(1 / (365 * 24), 1.0)  # 1 hour .. 1 year
vols = st.floats(0.05, 1.5)
rates = st.floats(0.0, 0.15)
yields = st.floats(0.0, 0.05)
rights = st.booleans()
SETTINGS = settings(max_examples=300, deadline=None, derandomize=True)


@SETTINGS
@given(forwards, moneyness, times, vols, rates)
def test_put_call_parity(f: float, m: float, t: float, s: float, r: float) -> None:
    k = f * m
    call, put = black76_price(f, k, t, s, r, [True, False])
    assert abs((call - put) - math.exp(-r * t) * (f - k)) <= 1e-12 * max(f, k)


@SETTINGS
@given(forwards, moneyness, times, vols, rates, rights)
def test_price_bounds(f: float, m: float, t: float, s: float, r: float, c: bool) -> None:
    k = f * m
    df = math.exp(-r * t)
    price = float(black76_price(f, k, t, s, r, c))
    intrinsic = df * max((f - k) if c else (k - f), 0.0)
    upper = df * (f if c else k)
    slack = 1e-13 * max(f, k)
    assert intrinsic - slack <= price <= upper + slack


@SETTINGS
@given(forwards, moneyness, times, vols, rates, rights, st.floats(1.001, 2.0))
def test_price_increases_with_sigma(
    f: float, m: float, t: float, s: float, r: float, c: bool, up: float
) -> None:
    k = f * m
    lo, hi = black76_price(f, k, t, [s, min(s * up, 3.0)], r, c)
    # deep in the money both prices equal the discounted intrinsic value up to rounding
    assert hi >= lo - 1e-13 * max(f, k)


@SETTINGS
@given(forwards, moneyness, times, vols, rates, yields, rights, st.floats(1.001, 2.0))
def test_price_increases_with_time(
    f: float, m: float, t: float, s: float, r: float, q: float, c: bool, up: float
) -> None:
    """Undiscounted Black-76 (r = 0) rises with T for calls and puts, and so does a BSM call
    without dividends. (Discounted on a fixed F it need not: deep in the money, e^{-rT}
    shrinks faster than the time value grows.)"""
    k = f * m
    lo, hi = black76_price(f, k, [t, t * up], s, 0.0, c)
    assert hi >= lo * (1 - 1e-14)
    lo, hi = bsm_price(f, k, [t, t * up], s, r, 0.0, True)
    assert hi >= lo * (1 - 1e-14)


def _close(ours: float, fd: float, scale: float, rel: float = 1e-5) -> bool:
    return abs(ours - fd) <= rel * abs(fd) + 1e-9 * scale


@SETTINGS
@given(forwards, moneyness, times, vols, rates, rights)
def test_black76_greeks_match_central_differences(
    f: float, m: float, t: float, s: float, r: float, c: bool
) -> None:
    k = f * m
    g = black76(f, k, t, s, r, c)
    sst = s * math.sqrt(t)
    assume(g.vega > 1e-7 * f)  # not a flat-lined option (FD noise would dominate)

    def v(ff: float = f, tt: float = t, ss: float = s, rr: float = r) -> float:
        return float(black76_price(ff, k, tt, ss, rr, c))

    h = 1e-4 * f * sst
    assert _close(float(g.delta), (v(ff=f + h) - v(ff=f - h)) / (2 * h), 1.0)
    # Gamma: central difference of the (just checked) delta, far less noisy than the second
    # difference of the price.
    d_up, d_dn = black76(np.array([f + h, f - h]), k, t, s, r, c).delta
    assert _close(float(g.gamma), (d_up - d_dn) / (2 * h), 1.0 / f)
    h = 1e-5 * s
    assert _close(float(g.vega), (v(ss=s + h) - v(ss=s - h)) / (2 * h) * 0.01, f)
    h = 1e-5 * t
    assert _close(float(g.theta), (v(tt=t - h) - v(tt=t + h)) / (2 * h) / 365, f)
    h = 1e-5
    assert _close(float(g.rho), (v(rr=r + h) - v(rr=r - h)) / (2 * h) * 0.01, f)


@SETTINGS
@given(forwards, moneyness, times, vols, rates, yields, rights)
def test_bsm_greeks_match_central_differences(
    spot: float, m: float, t: float, s: float, r: float, q: float, c: bool
) -> None:
    k = spot * m
    g = bsm(spot, k, t, s, r, q, c)
    sst = s * math.sqrt(t)
    assume(g.vega > 1e-7 * spot)

    def v(ss_: float = spot, tt: float = t, sig: float = s, rr: float = r) -> float:
        return float(bsm_price(ss_, k, tt, sig, rr, q, c))

    h = 1e-4 * spot * sst
    assert _close(float(g.delta), (v(ss_=spot + h) - v(ss_=spot - h)) / (2 * h), 1.0)
    d_up, d_dn = bsm(np.array([spot + h, spot - h]), k, t, s, r, q, c).delta
    assert _close(float(g.gamma), (d_up - d_dn) / (2 * h), 1.0 / spot)
    h = 1e-5 * s
    assert _close(float(g.vega), (v(sig=s + h) - v(sig=s - h)) / (2 * h) * 0.01, spot)
    h = 1e-5 * t
    assert _close(float(g.theta), (v(tt=t - h) - v(tt=t + h)) / (2 * h) / 365, spot)
    h = 1e-5
    assert _close(float(g.rho), (v(rr=r + h) - v(rr=r - h)) / (2 * h) * 0.01, spot)


@SETTINGS
@given(forwards, moneyness, times, vols, rates, rights)
def test_iv_round_trip(f: float, m: float, t: float, s: float, r: float, c: bool) -> None:
    k = f * m
    g = black76(f, k, t, s, r, c)
    # σ is determined to 1e-10 by a double-precision price only where the vega is not tiny:
    # a price error of a few eps·F moves σ by about eps·F/vega (1.2e-10 seen at 1e-6·F).
    assume(g.vega / 0.01 > 1e-5 * f)
    res = implied_vol_black76(g.price, f, k, t, r, c, price_floor=None)
    assert res.status == IVStatus.OK
    assert abs(float(res.iv) - s) <= 1e-10


@SETTINGS
@given(forwards, moneyness, times, rates, rights, st.floats(1e-6, 0.5))
def test_iv_nan_below_intrinsic_and_above_the_bound(
    f: float, m: float, t: float, r: float, c: bool, frac: float
) -> None:
    k = f * m
    df = math.exp(-r * t)
    intrinsic = df * max((f - k) if c else (k - f), 0.0)
    upper = df * (f if c else k)
    prices = np.array([upper * (1 + frac), upper])
    statuses = [IVStatus.ABOVE_UPPER_BOUND, IVStatus.ABOVE_UPPER_BOUND]
    if intrinsic > 1e-6 * f:
        prices = np.append(prices, intrinsic * (1 - frac))
        statuses.append(IVStatus.BELOW_INTRINSIC)
    res = implied_vol_black76(prices, f, k, t, r, c)
    assert [IVStatus(int(x)) for x in res.status] == statuses
    assert np.all(np.isnan(res.iv))
