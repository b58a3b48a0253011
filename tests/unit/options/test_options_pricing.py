"""Black-76 and BSM prices and Greeks: interfaces.md section 6 reference numbers, and
agreement with vollib and QuantLib over a grid.

Oracle tolerance: ``|ours - ref| <= 1e-8·|ref| + 1e-15·scale``, where ``scale`` is the Greek's
natural size (F or S for price, vega, theta and rho; 1 for delta; 1/F for gamma). The
absolute floor only matters for values below ~1e-7 of the scale (deep out of the money, an
hour to expiry), where QuantLib's normal CDF has absolute rather than relative accuracy.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import QuantLib as ql
from vollib.black import black as vollib_black
from vollib.black.greeks import analytical as vb
from vollib.black_scholes_merton import black_scholes_merton as vollib_bsm
from vollib.black_scholes_merton.greeks import analytical as vbsm

from tronlab.model.errors import ValidationError
from tronlab.options import (
    UNITS,
    Greeks,
    as_is_call,
    black76,
    black76_price,
    bsm,
    bsm_price,
    forward_from_spot,
)

F0, K0, T0, R0, S0 = 24000.0, 24100.0, 7 / 365, 0.065, 0.13
NAMES = Greeks._fields
RTOL = 1e-8
ATOL_PER_SCALE = 1e-15


# --------------------------------------------------------------------------- reference numbers


def test_reference_numbers_of_interfaces_md() -> None:
    c = black76(F0, K0, T0, S0, R0, True)
    p = black76(F0, K0, T0, S0, R0, False)
    assert round(float(c.price), 8) == 127.15683322
    assert round(float(p.price), 8) == 227.03225335
    assert round(float(c.delta), 8) == 0.41165903
    assert round(float(p.delta), 8) == -0.58709517
    assert round(float(c.gamma), 7) == 8.997e-4
    assert round(float(p.gamma), 7) == 8.997e-4
    assert round(float(c.vega), 4) == 12.9207
    assert round(float(p.vega), 4) == 12.9207
    assert round(float(c.theta), 4) == -11.9751
    assert round(float(p.theta), 4) == -11.9573
    # Black rho holds F fixed: -T·V per 1%.
    assert float(c.rho) == pytest.approx(-T0 * float(c.price) * 0.01, rel=1e-15)
    assert float(black76_price(F0, K0, T0, S0, R0, True)) == float(c.price)


def test_bsm_gives_the_reference_price_with_the_matching_forward() -> None:
    q = 0.012
    spot = F0 * math.exp(-(R0 - q) * T0)
    assert float(forward_from_spot(spot, T0, R0, q)) == pytest.approx(F0, rel=1e-15)
    g = bsm(spot, K0, T0, S0, R0, q, [True, False])
    assert round(float(g.price[0]), 8) == 127.15683322
    assert round(float(g.price[1]), 8) == 227.03225335
    assert float(bsm_price(spot, K0, T0, S0, R0, q, True)) == pytest.approx(g.price[0], rel=1e-15)
    # dV/dS = dV/dF · dF/dS; gamma scales with (dF/dS)²; vega identical.
    b = black76(F0, K0, T0, S0, R0, [True, False])
    growth = F0 / spot
    np.testing.assert_allclose(g.delta, b.delta * growth, rtol=1e-13)
    np.testing.assert_allclose(g.gamma, b.gamma * growth**2, rtol=1e-13)
    np.testing.assert_allclose(g.vega, b.vega, rtol=1e-13)


# --------------------------------------------------------------------------- oracle grid

MONEYNESS = (0.8, 0.9, 0.95, 0.99, 1.0, 1.01, 1.05, 1.1, 1.2)  # K / F
TIMES = (1 / (365 * 24), 1 / 365, 7 / 365, 30 / 365, 91 / 365, 1.0)  # 1 hour .. 1 year
VOLS = (0.05, 0.13, 0.3, 0.7, 1.5)
RATES = (0.0, 0.065, 0.10)
FORWARDS = (100.0, 24000.0)
GRID = list(itertools.product(FORWARDS, MONEYNESS, TIMES, VOLS, RATES, (True, False)))


def _grid_arrays() -> tuple[np.ndarray, ...]:
    f, m, t, s, r, c = (np.array(col) for col in zip(*GRID, strict=True))
    return f, f * m, t, s, r, c.astype(bool)


def _scale(name: str, underlying: np.ndarray) -> np.ndarray:
    if name == "delta":
        return np.ones_like(underlying)
    if name == "gamma":
        return 1.0 / underlying
    return underlying


def _assert_close(name: str, ours: np.ndarray, ref: np.ndarray, underlying: np.ndarray) -> None:
    tol = RTOL * np.abs(ref) + ATOL_PER_SCALE * _scale(name, underlying)
    err = np.abs(ours - ref)
    worst = int(np.argmax(err - tol))
    assert np.all(err <= tol), (name, GRID[worst], ours[worst], ref[worst])


def test_black76_matches_vollib_over_the_grid() -> None:
    f, k, t, s, r, c = _grid_arrays()
    g = black76(f, k, t, s, r, c)
    ref: dict[str, list[float]] = {n: [] for n in NAMES}
    for fi, ki, ti, si, ri, ci in zip(f, k, t, s, r, c, strict=True):
        flag = "c" if ci else "p"
        ref["price"].append(vollib_black(flag, fi, ki, ti, ri, si))
        for n in NAMES[1:]:
            ref[n].append(getattr(vb, n)(flag, fi, ki, ti, ri, si))
    for n in NAMES:
        _assert_close(n, getattr(g, n), np.array(ref[n], dtype=float), f)


def test_black76_matches_quantlib_over_the_grid() -> None:
    """QuantLib BlackCalculator: deltaForward, gammaForward, vega(T)/100, theta(F, T)/365
    (spot = F makes QuantLib's theta the F-fixed one), (rho + dividendRho)/100 = -T·V/100."""
    f, k, t, s, r, c = _grid_arrays()
    g = black76(f, k, t, s, r, c)
    ref: dict[str, list[float]] = {n: [] for n in NAMES}
    formula: list[float] = []
    for fi, ki, ti, si, ri, ci in zip(f, k, t, s, r, c, strict=True):
        kind = ql.Option.Call if ci else ql.Option.Put
        disc = math.exp(-ri * ti)
        calc = ql.BlackCalculator(ql.PlainVanillaPayoff(kind, ki), fi, si * math.sqrt(ti), disc)
        ref["price"].append(calc.value())
        formula.append(ql.blackFormula(kind, ki, fi, si * math.sqrt(ti), disc))
        ref["delta"].append(calc.deltaForward())
        ref["gamma"].append(calc.gammaForward())
        ref["vega"].append(calc.vega(ti) / 100)
        ref["theta"].append(calc.theta(fi, ti) / 365)
        ref["rho"].append((calc.rho(ti) + calc.dividendRho(ti)) / 100)
    _assert_close("price", g.price, np.array(formula), f)
    for n in NAMES:
        _assert_close(n, getattr(g, n), np.array(ref[n], dtype=float), f)


@pytest.mark.parametrize("q", [0.0, 0.013, 0.05])
def test_bsm_matches_vollib_and_quantlib_over_the_grid(q: float) -> None:
    """QuantLib: BlackCalculator on the forward S·e^{(r-q)T} with discount e^{-rT}, Greeks
    with respect to the spot (delta(S), gamma(S), theta(S, T)/365, rho(T)/100)."""
    spot, k, t, s, r, c = _grid_arrays()
    g = bsm(spot, k, t, s, r, q, c)
    ref_v: dict[str, list[float]] = {n: [] for n in NAMES}
    ref_q: dict[str, list[float]] = {n: [] for n in NAMES}
    for si_, ki, ti, vi, ri, ci in zip(spot, k, t, s, r, c, strict=True):
        flag = "c" if ci else "p"
        ref_v["price"].append(vollib_bsm(flag, si_, ki, ti, ri, vi, q))
        for n in NAMES[1:]:
            ref_v[n].append(getattr(vbsm, n)(flag, si_, ki, ti, ri, vi, q))
        kind = ql.Option.Call if ci else ql.Option.Put
        fwd = si_ * math.exp((ri - q) * ti)
        calc = ql.BlackCalculator(
            ql.PlainVanillaPayoff(kind, ki), fwd, vi * math.sqrt(ti), math.exp(-ri * ti)
        )
        ref_q["price"].append(calc.value())
        ref_q["delta"].append(calc.delta(si_))
        ref_q["gamma"].append(calc.gamma(si_))
        ref_q["vega"].append(calc.vega(ti) / 100)
        ref_q["theta"].append(calc.theta(si_, ti) / 365)
        ref_q["rho"].append(calc.rho(ti) / 100)
    for n in NAMES:
        _assert_close(n, getattr(g, n), np.array(ref_v[n], dtype=float), spot)
        _assert_close(n, getattr(g, n), np.array(ref_q[n], dtype=float), spot)


def test_bsm_matches_quantlib_analytic_european_engine() -> None:
    """An independent QuantLib path (process + engine) at a few points; Greeks per QuantLib
    units converted (vega/100, thetaPerDay, rho/100)."""
    today = ql.Date(6, 1, 2026)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Actual365Fixed()
    for spot, strike, days, vol, r, q, call in [
        (24000.0, 24100.0, 7, 0.13, 0.065, 0.01, True),
        (24000.0, 23000.0, 30, 0.2, 0.07, 0.0, False),
        (52000.0, 56000.0, 91, 0.35, 0.1, 0.02, True),
    ]:
        kind = ql.Option.Call if call else ql.Option.Put
        option = ql.VanillaOption(
            ql.PlainVanillaPayoff(kind, strike), ql.EuropeanExercise(today + days)
        )
        process = ql.BlackScholesMertonProcess(
            ql.QuoteHandle(ql.SimpleQuote(spot)),
            ql.YieldTermStructureHandle(ql.FlatForward(today, q, dc)),
            ql.YieldTermStructureHandle(ql.FlatForward(today, r, dc)),
            ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), vol, dc)),
        )
        option.setPricingEngine(ql.AnalyticEuropeanEngine(process))
        g = bsm(spot, strike, days / 365, vol, r, q, call)
        assert float(g.price) == pytest.approx(option.NPV(), rel=1e-10)
        assert float(g.delta) == pytest.approx(option.delta(), rel=1e-10)
        assert float(g.gamma) == pytest.approx(option.gamma(), rel=1e-10)
        assert float(g.vega) == pytest.approx(option.vega() / 100, rel=1e-10)
        assert float(g.theta) == pytest.approx(option.theta() / 365, rel=1e-10)
        assert float(g.rho) == pytest.approx(option.rho() / 100, rel=1e-10)


# --------------------------------------------------------------------------- API behaviour


def test_scalar_inputs_give_scalars_and_arrays_broadcast() -> None:
    g = black76(F0, K0, T0, S0, R0, True)
    assert all(np.ndim(v) == 0 for v in g)
    assert isinstance(g.price, float | np.floating)
    strikes = np.array([[23000.0], [24000.0], [25000.0]])
    g2 = black76(F0, strikes, [T0, 2 * T0], S0, R0, [True, False])
    assert g2.price.shape == (3, 2)
    assert float(g2.price[1, 0]) == float(black76(F0, 24000.0, T0, S0, R0, True).price)
    assert float(g2.price[2, 1]) == float(black76(F0, 25000.0, 2 * T0, S0, R0, False).price)
    assert set(UNITS) == set(NAMES)


def test_degenerate_and_invalid_inputs() -> None:
    df = math.exp(-R0 * 0.5)
    # sigma = 0: discounted intrinsic, step delta, no gamma or vega off the money.
    g = black76(100.0, [90.0, 110.0, 90.0, 110.0], 0.5, 0.0, R0, [True, True, False, False])
    np.testing.assert_allclose(g.price, [10 * df, 0.0, 0.0, 10 * df], rtol=1e-15)
    np.testing.assert_allclose(g.delta, [df, 0.0, 0.0, -df], rtol=1e-15)
    np.testing.assert_array_equal(g.gamma, 0.0)
    np.testing.assert_array_equal(g.vega, 0.0)
    np.testing.assert_allclose(g.theta, R0 * g.price / 365, rtol=1e-15)
    # t = 0 at the money: zero price, delta ±1/2.
    atm = black76(100.0, 100.0, 0.0, 0.2, R0, [True, False])
    np.testing.assert_array_equal(atm.price, 0.0)
    np.testing.assert_array_equal(atm.delta, [0.5, -0.5])
    # Invalid rows are NaN in every field and do not disturb the valid ones.
    bad = black76(
        [-1.0, 100.0, 100.0, 100.0, np.nan, 100.0, 100.0],
        [100.0, 0.0, 100.0, 100.0, 100.0, 100.0, 100.0],
        [1.0, 1.0, -1.0, 1.0, 1.0, 1.0, 1.0],
        [0.2, 0.2, 0.2, -0.1, 0.2, 0.2, 0.2],
        [0.05, 0.05, 0.05, 0.05, 0.05, np.inf, 0.05],
        True,
    )
    for field in bad:
        assert np.all(np.isnan(field[:6])), field
        assert np.isfinite(field[6])
    assert np.all(np.isnan(bsm(100.0, 100.0, 1.0, 0.2, 0.05, np.nan, True)))


def test_as_is_call() -> None:
    assert as_is_call("CE") is True
    assert as_is_call("pe") is False
    assert as_is_call(True) is True
    np.testing.assert_array_equal(as_is_call(["CE", "PE", "C", "put"]), [True, False, True, False])
    np.testing.assert_array_equal(as_is_call(np.array([True, False])), [True, False])
    with pytest.raises(ValidationError):
        as_is_call(["XX"])


def test_100k_options_with_all_greeks_vectorised() -> None:
    """Whole chains at once (speed is measured in benchmarks/, never asserted here)."""
    rng = np.random.default_rng(7)
    n = 100_000
    f = 24000.0
    k = f * np.exp(rng.uniform(-0.2, 0.2, n))
    t = rng.uniform(1 / 8760, 1.0, n)
    s = rng.uniform(0.05, 1.5, n)
    c = rng.random(n) < 0.5
    g = black76(f, k, t, s, R0, c)
    assert g.price.shape == (n,)
    assert np.all(np.isfinite(np.stack(g)))
    one = black76(f, k[123], t[123], s[123], R0, c[123])
    assert float(one.price) == g.price[123]
