"""Implied volatility: reference round trip, vollib and QuantLib agreement over a grid, the
status codes, the ₹0.05 floor and the Brent fallback."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import QuantLib as ql
from vollib.black.implied_volatility import implied_volatility as vollib_iv

import tronlab.options.iv as iv_mod
from tronlab.options import (
    STATUS_TEXT,
    IVStatus,
    black76,
    black76_price,
    bsm_price,
    implied_vol_black76,
    implied_vol_bsm,
)

F0, K0, T0, R0, S0 = 24000.0, 24100.0, 7 / 365, 0.065, 0.13

MONEYNESS = (0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2)
TIMES = (1 / (365 * 24), 1 / 365, 7 / 365, 30 / 365, 91 / 365, 1.0)
VOLS = (0.05, 0.13, 0.3, 0.7, 1.5)
RATES = (0.0, 0.065, 0.10)
GRID = list(itertools.product(MONEYNESS, TIMES, VOLS, RATES, (True, False)))
# "Vega not tiny": vega per unit vol above 1e-6·F. Below that, σ is not determined to 1e-10
# by a double-precision price (a price error of eps·F moves σ by eps·F/vega).
VEGA_FLOOR_PER_F = 1e-6


def _grid() -> tuple[np.ndarray, ...]:
    m, t, s, r, c = (np.array(col) for col in zip(*GRID, strict=True))
    return F0 * m, t, s, r, c.astype(bool)


def test_reference_round_trip() -> None:
    for call in (True, False):
        price = black76_price(F0, K0, T0, S0, R0, call)
        res = implied_vol_black76(price, F0, K0, T0, R0, call)
        assert res.status == IVStatus.OK
        assert round(float(res.iv), 12) == 0.13
    # The printed prices (8 decimals) give 0.13 to 9 digits.
    res = implied_vol_black76([127.15683322, 227.03225335], F0, K0, T0, R0, [True, False])
    np.testing.assert_allclose(res.iv, 0.13, atol=1e-9)


def test_round_trip_and_oracles_over_the_grid() -> None:
    k, t, s, r, c = _grid()
    g = black76(F0, k, t, s, r, c)
    res = implied_vol_black76(g.price, F0, k, t, r, c, price_floor=None)
    determined = g.vega / 0.01 > VEGA_FLOOR_PER_F * F0
    assert determined.sum() > 0.6 * len(GRID)  # 870 of 1260
    assert np.all(res.status[determined] == IVStatus.OK)
    np.testing.assert_allclose(res.iv[determined], s[determined], rtol=0, atol=1e-10)
    # Where σ is not determined the answer is still finite and reprices the price.
    rest = ~determined & (res.status == IVStatus.OK)
    repriced = black76_price(F0, k[rest], t[rest], res.iv[rest], r[rest], c[rest])
    np.testing.assert_allclose(repriced, g.price[rest], rtol=1e-8, atol=1e-10)

    # vollib (the same "Let's Be Rational" core) and QuantLib's blackFormulaImpliedStdDev.
    for i in np.flatnonzero(determined):
        flag = "c" if c[i] else "p"
        ours = float(res.iv[i])
        assert vollib_iv(g.price[i], F0, k[i], r[i], t[i], flag) == pytest.approx(ours, abs=1e-12)
        kind = ql.Option.Call if c[i] else ql.Option.Put
        std = ql.blackFormulaImpliedStdDev(
            kind, k[i], F0, g.price[i], math.exp(-r[i] * t[i]), 0.0, s[i] * math.sqrt(t[i]) * 1.1,
            1e-14, 1000,
        )  # fmt: skip
        assert std / math.sqrt(t[i]) == pytest.approx(ours, abs=1e-9), GRID[i]


def test_quantlib_reference_iv() -> None:
    price = float(black76_price(F0, K0, T0, S0, R0, True))
    std = ql.blackFormulaImpliedStdDev(ql.Option.Call, K0, F0, price, math.exp(-R0 * T0))
    assert std / math.sqrt(T0) == pytest.approx(0.13, abs=1e-12)
    assert float(implied_vol_black76(price, F0, K0, T0, R0, True).iv) == pytest.approx(
        0.13, abs=1e-14
    )


def test_bsm_iv_round_trip() -> None:
    spot, q = 23950.0, 0.013
    strikes = np.array([21000.0, 23000.0, 24000.0, 25000.0, 27000.0])
    calls = np.array([True, False, True, False, True])
    prices = bsm_price(spot, strikes, 30 / 365, 0.21, R0, q, calls)
    res = implied_vol_bsm(prices, spot, strikes, 30 / 365, R0, q, calls)
    np.testing.assert_array_equal(res.status, IVStatus.OK)
    np.testing.assert_allclose(res.iv, 0.21, atol=1e-11)


def test_status_codes() -> None:
    df = math.exp(-R0 * T0)
    prices = [
        df * 1000.0 - 5.0,  # call K=23000: below its intrinsic value e^-rT·1000
        df * F0,  # call: at the upper bound
        df * K0 * 1.01,  # put: above its upper bound e^-rT·K
        0.0,  # zero premium
        np.nan,
        127.0,  # T = 0
        df * 1000.0,  # call K=23000 exactly at intrinsic: sigma 0 reproduces it
        127.15683321956882,
    ]
    strikes = [23000.0, K0, K0, K0, K0, K0, 23000.0, K0]
    ts = [T0, T0, T0, T0, T0, 0.0, T0, T0]
    calls = [True, True, False, True, True, True, True, True]
    res = implied_vol_black76(prices, F0, strikes, ts, R0, calls)
    assert [IVStatus(int(x)) for x in res.status] == [
        IVStatus.BELOW_INTRINSIC,
        IVStatus.ABOVE_UPPER_BOUND,
        IVStatus.ABOVE_UPPER_BOUND,
        IVStatus.INVALID_INPUT,
        IVStatus.INVALID_INPUT,
        IVStatus.INVALID_INPUT,
        IVStatus.OK,
        IVStatus.OK,
    ]
    assert np.all(np.isnan(res.iv[:6]))
    assert res.iv[6] == 0.0
    assert res.iv[7] == pytest.approx(0.13, abs=1e-12)
    assert set(STATUS_TEXT) == set(IVStatus)


def test_price_at_the_nse_floor_returns_the_iv_flagged() -> None:
    # A deep OTM weekly call quoted at the minimum tick ₹0.05.
    res = implied_vol_black76(0.05, F0, 26000.0, T0, R0, True)
    assert res.status == IVStatus.AT_PRICE_FLOOR
    sigma = float(res.iv)
    assert 0.1 < sigma < 0.5  # 0.1698
    assert float(black76_price(F0, 26000.0, T0, sigma, R0, True)) == pytest.approx(0.05, rel=1e-12)
    # The same price without the floor flag is simply OK; one tick up is not at the floor.
    assert implied_vol_black76(0.05, F0, 26000.0, T0, R0, True, price_floor=None).status == 0
    assert implied_vol_black76(0.10, F0, 26000.0, T0, R0, True).status == IVStatus.OK
    # Floor flag only where there is an IV: a floor price above the bound stays NaN.
    below = implied_vol_black76(0.05, 1.0, 2.0, 1.0, 0.0, False)
    assert below.status == IVStatus.BELOW_INTRINSIC
    assert math.isnan(float(below.iv))


def test_brent_fallback_when_lets_be_rational_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    k = np.array([22000.0, 24100.0, 26000.0])
    calls = np.array([False, True, True])
    prices = black76_price(F0, k, 30 / 365, 0.17, R0, calls)
    monkeypatch.setattr(iv_mod, "_lbr_iv", lambda *args: math.nan)
    res = implied_vol_black76(prices, F0, k, 30 / 365, R0, calls, price_floor=None)
    np.testing.assert_array_equal(res.status, IVStatus.OK)
    np.testing.assert_allclose(res.iv, 0.17, atol=1e-10)
    # A wrong answer from the first solver is caught by the reprice check.
    monkeypatch.setattr(iv_mod, "_lbr_iv", lambda *args: 0.5)
    res = implied_vol_black76(prices, F0, k, 30 / 365, R0, calls, price_floor=None)
    np.testing.assert_allclose(res.iv, 0.17, atol=1e-10)
    # Beyond Brent's bracket [1e-4, 5] and with the first solver failing: NO_CONVERGENCE.
    huge = black76_price(F0, K0, T0, 7.0, R0, True)
    monkeypatch.setattr(iv_mod, "_lbr_iv", lambda *args: math.nan)
    res = implied_vol_black76(huge, F0, K0, T0, R0, True)
    assert res.status == IVStatus.NO_CONVERGENCE
    assert math.isnan(float(res.iv))


def test_lets_be_rational_solves_beyond_brents_bracket() -> None:
    for sigma in (5e-5, 7.0):
        price = black76_price(F0, F0, T0, sigma, R0, True)
        res = implied_vol_black76(price, F0, F0, T0, R0, True, price_floor=None)
        assert res.status == IVStatus.OK
        assert float(res.iv) == pytest.approx(sigma, rel=1e-10)


def test_shapes_and_scalars() -> None:
    res = implied_vol_black76(127.0, F0, K0, T0, R0, True)
    assert np.ndim(res.iv) == 0
    assert np.ndim(res.status) == 0
    prices = black76_price(F0, [[23000.0, 24000.0, 25000.0]], [[T0], [2 * T0]], 0.15, R0, True)
    res = implied_vol_black76(prices, F0, [[23000.0, 24000.0, 25000.0]], [[T0], [2 * T0]], R0, True)
    assert res.iv.shape == (2, 3)
    assert res.status.dtype == np.int8
    np.testing.assert_allclose(res.iv, 0.15, atol=1e-11)
