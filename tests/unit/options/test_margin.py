"""SPAN-like margin on hand-checked NIFTY books."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from tronlab.model.enums import OptionRight, Venue
from tronlab.model.instruments import Instrument
from tronlab.options import black76_price, year_fraction
from tronlab.options.margin import SpanParams, scenario_grid, span_like_margin

NOW = datetime(2025, 11, 14, 10, 0, tzinfo=ZoneInfo("Asia/Kolkata"))
EXPIRY = date(2025, 11, 25)
F = 24000.0
PRICES = {"NIFTY": F}
VOL = 0.13
TICK = Decimal("0.05")
FUT = Instrument.future(
    Venue.NFO, "NIFTY25NOVFUT", underlying="NIFTY", expiry=EXPIRY, tick_size=TICK, lot_size=75
)


def opt(strike: float, right: str, underlying: str = "NIFTY") -> Instrument:
    r = OptionRight.parse(right)
    return Instrument.option(
        Venue.NFO, f"{underlying}25NOV{int(strike)}{r.kite}", underlying=underlying,
        expiry=EXPIRY, strike=Decimal(str(strike)), right=r, tick_size=TICK, lot_size=75,
    )  # fmt: skip


def test_scenario_grid_is_nse_span_16() -> None:
    g = scenario_grid()
    assert len(g) == 16
    assert list(g.index) == list(range(1, 17))
    regular = g.loc[1:14]
    assert sorted(set(regular["price_move"].round(6))) == pytest.approx(
        [-1, -2 / 3, -1 / 3, 0, 1 / 3, 2 / 3, 1]
    )
    assert set(regular["vol_move"]) == {-1, 1}
    assert (regular["weight"] == 1.0).all()
    assert g.loc[15:16].to_numpy().tolist() == [[2.0, 0, 0.35], [-2.0, 0, 0.35]]


def test_single_long_future_is_scan_range_plus_exposure() -> None:
    m = span_like_margin({FUT: 75}, PRICES, VOL, NOW)
    notional = 75 * F
    # worst regular loss: -6% (full range); extreme -12% × 0.35 = 4.2% is smaller
    assert m.scan_risk == pytest.approx(0.06 * notional)
    assert m.exposure == pytest.approx(0.02 * notional)
    assert m.short_option_min == 0.0
    assert m.total == pytest.approx(0.08 * notional)  # 144,000
    assert m.by_underlying.loc["NIFTY", "worst_scenario"] in (13, 14)
    short = span_like_margin({FUT: -75}, PRICES, VOL, NOW)
    assert short.total == pytest.approx(m.total)
    assert short.by_underlying.loc["NIFTY", "worst_scenario"] in (11, 12)


def test_stock_rates_and_overrides() -> None:
    rel = Instrument.future(
        Venue.NFO, "RELIANCE25NOVFUT", underlying="RELIANCE", expiry=EXPIRY, tick_size=TICK,
        lot_size=500,
    )  # fmt: skip
    m = span_like_margin({rel: 500}, {"RELIANCE": 1400.0}, VOL, NOW)
    assert m.total == pytest.approx((0.10 + 0.035) * 500 * 1400.0)
    p = SpanParams(price_scan_overrides={"RELIANCE": 0.15})
    m2 = span_like_margin({rel: 500}, {"RELIANCE": 1400.0}, VOL, NOW, params=p)
    assert m2.scan_risk == pytest.approx(0.15 * 500 * 1400.0)
    with pytest.raises(ValueError, match="must be finite"):
        SpanParams(vol_scan=-0.01)
    with pytest.raises(ValueError, match="< 1"):
        SpanParams(index_price_scan=0.6)


def test_long_call_loss_is_bounded_by_its_premium() -> None:
    ce = opt(24000, "CE")
    t = float(year_fraction(NOW, EXPIRY))
    premium = 75 * float(black76_price(F, 24000.0, t, VOL, 0.065, True))
    m = span_like_margin({ce: 75}, PRICES, VOL, NOW)
    assert 0 < m.scan_risk <= premium
    # worst case: forward down the full range with vol down 4 points (scenario 14)
    expected = premium - 75 * float(black76_price(F * 0.94, 24000.0, t, VOL - 0.04, 0.065, True))
    assert m.scan_risk == pytest.approx(expected, rel=1e-12)
    assert m.by_underlying.loc["NIFTY", "worst_scenario"] == 14
    assert m.exposure == 0.0  # no exposure margin on long options
    assert m.short_option_min == 0.0
    assert m.total == pytest.approx(m.scan_risk)


def test_short_straddle_needs_more_than_long_straddle() -> None:
    ce, pe = opt(24000, "CE"), opt(24000, "PE")
    short = span_like_margin({ce: -75, pe: -75}, PRICES, VOL, NOW)
    long = span_like_margin({ce: 75, pe: 75}, PRICES, VOL, NOW)
    assert short.total > long.total
    assert short.scan_risk > long.scan_risk
    assert short.exposure == pytest.approx(0.02 * 2 * 75 * F)
    assert short.short_option_min == pytest.approx(0.03 * 2 * 75 * F)


def test_covered_call_is_less_risky_than_its_parts() -> None:
    ce = opt(24000, "CE")
    covered = span_like_margin({FUT: 75, ce: -75}, PRICES, VOL, NOW)
    call = span_like_margin({ce: -75}, PRICES, VOL, NOW)
    future = span_like_margin({FUT: 75}, PRICES, VOL, NOW)
    assert covered.scan_risk < call.scan_risk + future.scan_risk
    assert covered.scan_risk < future.scan_risk  # the call premium cushions the downside
    # scenario losses add up position by position
    np.testing.assert_allclose(
        covered.scenario_losses["NIFTY"],
        call.scenario_losses["NIFTY"] + future.scenario_losses["NIFTY"],
        rtol=1e-12,
    )


def test_deep_otm_short_option_hits_minimum_charge() -> None:
    far = opt(30000, "CE")
    m = span_like_margin({far: -75}, PRICES, VOL, NOW)
    somc = 0.03 * 75 * F
    assert m.scan_risk < somc
    assert m.short_option_min == pytest.approx(somc)
    assert m.total == pytest.approx(somc + 0.02 * 75 * F)


def test_underlyings_are_margined_separately_and_expired_ignored() -> None:
    bn = Instrument.future(
        Venue.NFO, "BANKNIFTY25NOVFUT", underlying="BANKNIFTY", expiry=EXPIRY, tick_size=TICK,
        lot_size=35,
    )  # fmt: skip
    old = Instrument.future(
        Venue.NFO, "NIFTY25OCTFUT", underlying="NIFTY", expiry=date(2025, 10, 28),
        tick_size=TICK, lot_size=75,
    )  # fmt: skip
    prices = {"NIFTY": F, "BANKNIFTY": 52000.0}
    m = span_like_margin({FUT: 75, bn: -35, old: 750}, prices, VOL, NOW)
    # no offset between a long NIFTY and a short BANKNIFTY future
    assert m.total == pytest.approx(0.08 * (75 * F + 35 * 52000.0))
    assert list(m.by_underlying.index) == ["BANKNIFTY", "NIFTY"]
    assert m.by_underlying["total"].sum() == pytest.approx(m.total)


def test_rejects_equities_and_empty_book_is_zero() -> None:
    eq = Instrument.equity(Venue.NSE, "RELIANCE", tick_size=TICK)
    with pytest.raises(ValueError, match="not a future or an option"):
        span_like_margin({eq: 10}, {"RELIANCE": 1400.0}, VOL, NOW)
    m = span_like_margin({}, PRICES, VOL, NOW)
    assert (m.scan_risk, m.exposure, m.short_option_min, m.total) == (0.0, 0.0, 0.0, 0.0)
