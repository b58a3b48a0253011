"""Portfolio Greeks on hand-made NIFTY books: netting, signs, futures and expiry."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tronlab.model.enums import OptionRight, Venue
from tronlab.model.instruments import Instrument
from tronlab.options import black76, year_fraction
from tronlab.options.portfolio import portfolio_greeks

NOW = datetime(2025, 11, 14, 10, 0, tzinfo=ZoneInfo("Asia/Kolkata"))
EXPIRY = date(2025, 11, 25)
F = 24000.0
PRICES = {"NIFTY": F}
TICK = Decimal("0.05")


def fut(underlying: str = "NIFTY", expiry: date = EXPIRY) -> Instrument:
    return Instrument.future(
        Venue.NFO, f"{underlying}{expiry:%y%b}FUT".upper(), underlying=underlying,
        expiry=expiry, tick_size=TICK, lot_size=75,
    )  # fmt: skip


def opt(strike: float, right: str, expiry: date = EXPIRY, underlying: str = "NIFTY") -> Instrument:
    r = OptionRight.parse(right)
    return Instrument.option(
        Venue.NFO, f"{underlying}{expiry:%y%b}{int(strike)}{r.kite}".upper(),
        underlying=underlying, expiry=expiry, strike=Decimal(str(strike)), right=r,
        tick_size=TICK, lot_size=75,
    )  # fmt: skip


def test_single_option_matches_black76_times_quantity() -> None:
    ce = opt(24100, "CE")
    g = portfolio_greeks({ce: Decimal(150)}, PRICES, 0.13, NOW)
    ref = black76(F, 24100.0, year_fraction(NOW, EXPIRY), 0.13, 0.065, True)
    assert g.delta == pytest.approx(150 * float(ref.delta), rel=1e-12)
    assert g.gamma == pytest.approx(150 * float(ref.gamma), rel=1e-12)
    assert g.vega == pytest.approx(150 * float(ref.vega), rel=1e-12)
    assert g.theta == pytest.approx(150 * float(ref.theta), rel=1e-12)
    assert g.delta_notional == pytest.approx(g.delta * F)
    assert g.short_vega == 0.0
    row = g.positions.iloc[0]
    assert row["value"] == pytest.approx(150 * float(ref.price))
    assert row["right"] == "CE"
    assert not row["expired"]


def test_long_and_short_same_call_net_to_zero() -> None:
    # two distinct instruments with the same terms (a mapping cannot hold one key twice)
    a = opt(24000, "CE", expiry=date(2025, 12, 30))
    b = Instrument.option(
        Venue.NFO, "NIFTYDUPLICATE", underlying="NIFTY", expiry=date(2025, 12, 30),
        strike=Decimal(24000), right=OptionRight.CALL, tick_size=TICK, lot_size=75,
    )  # fmt: skip
    g = portfolio_greeks({a: 75, b: -75}, PRICES, 0.13, NOW)
    for value in (g.delta, g.gamma, g.vega, g.theta):
        assert value == pytest.approx(0.0, abs=1e-9)
    # the short leg still shows up as short vega
    assert g.short_vega < 0
    assert g.short_vega == pytest.approx(g.positions["vega"].min())


def test_long_straddle_atm_is_delta_neutral_long_gamma_vega_short_theta() -> None:
    g = portfolio_greeks({opt(24000, "CE"): 75, opt(24000, "PE"): 75}, PRICES, 0.13, NOW)
    # ATM-forward straddle: delta = e^{-rT}(N(d1) - N(-d1)) with d1 = σ√T/2, tiny
    assert abs(g.delta) < 0.02 * 75
    assert g.gamma > 0
    assert g.vega > 0
    assert g.theta < 0  # long options lose time value
    assert g.short_vega == 0.0
    short = portfolio_greeks({opt(24000, "CE"): -75, opt(24000, "PE"): -75}, PRICES, 0.13, NOW)
    assert short.theta > 0
    assert short.vega < 0
    assert short.short_vega == pytest.approx(short.vega)


def test_short_put_has_positive_delta() -> None:
    g = portfolio_greeks({opt(23800, "PE"): -75}, PRICES, 0.13, NOW)
    assert g.delta > 0
    assert g.gamma < 0
    assert g.theta > 0


def test_future_delta_is_quantity_and_other_greeks_zero() -> None:
    g = portfolio_greeks({fut(): -150}, PRICES, 0.13, NOW)
    assert g.delta == -150.0
    assert g.delta_notional == -150.0 * F
    assert (g.gamma, g.vega, g.theta, g.short_vega) == (0.0, 0.0, 0.0, 0.0)


def test_multiplier_scales_every_greek() -> None:
    mcx = Instrument.future(
        Venue.MCX, "GOLDFUT", underlying="GOLD", expiry=EXPIRY, tick_size=Decimal(1),
        multiplier=Decimal(100),
    )  # fmt: skip
    g = portfolio_greeks({mcx: 2}, {"GOLD": 70000.0}, 0.13, NOW)
    assert g.delta == 200.0


def test_per_underlying_and_per_expiry_forwards() -> None:
    nov, dec = date(2025, 11, 25), date(2025, 12, 30)
    prices = {"NIFTY": F, ("NIFTY", dec): 24150.0, "BANKNIFTY": 52000.0}
    book = {
        fut(expiry=nov): 75,
        fut(expiry=dec): 75,
        fut(underlying="BANKNIFTY"): -35,
        opt(24000, "PE", expiry=dec): 75,
    }
    g = portfolio_greeks(book, prices, 0.13, NOW)
    by = g.by_underlying
    assert list(by.index) == ["BANKNIFTY", "NIFTY"]
    assert by.loc["BANKNIFTY", "delta"] == -35.0
    dec_put = g.positions.set_index("instrument").loc[str(opt(24000, "PE", expiry=dec).id)]
    assert dec_put["forward"] == 24150.0
    assert by.loc["NIFTY", "delta"] == pytest.approx(150 + dec_put["delta"])
    assert by.loc["NIFTY", "delta_notional"] == pytest.approx(
        75 * F + 75 * 24150.0 + dec_put["delta"] * 24150.0
    )
    assert g.delta == pytest.approx(by["delta"].sum())
    assert g.vega == pytest.approx(dec_put["vega"])


def test_expired_contracts_contribute_nothing() -> None:
    old = date(2025, 11, 11)
    book = {opt(24000, "CE", expiry=old): -75, fut(expiry=old): 75, fut(): 75}
    g = portfolio_greeks(book, PRICES, {}, NOW)  # expired options need no vol
    assert g.delta == 75.0
    assert g.vega == 0.0
    assert g.positions["expired"].tolist() == [True, True, False]
    # on expiry day before 15:30 the option is still live
    on_day = datetime(2025, 11, 11, 15, 0, tzinfo=ZoneInfo("Asia/Kolkata"))
    live = portfolio_greeks({opt(24000, "CE", expiry=old): -75}, PRICES, 0.13, on_day)
    assert live.delta < 0
    assert not math.isnan(live.positions["t"].iloc[0])


def test_per_option_vol_mapping_and_errors() -> None:
    ce, pe = opt(24000, "CE"), opt(24000, "PE")
    flat = portfolio_greeks({ce: 75}, PRICES, 0.13, NOW)
    mapped = portfolio_greeks({ce: 75}, PRICES, {ce: 0.13, pe: 0.5}, NOW)
    higher = portfolio_greeks({ce: 75}, PRICES, {ce: 0.20}, NOW)
    assert mapped.vega == flat.vega
    assert higher.positions["value"].iloc[0] > flat.positions["value"].iloc[0]
    with pytest.raises(ValueError, match="no volatility"):
        portfolio_greeks({ce: 75}, PRICES, {pe: 0.13}, NOW)
    with pytest.raises(ValueError, match="no underlying price"):
        portfolio_greeks({ce: 75}, {"BANKNIFTY": 1.0}, 0.13, NOW)
    with pytest.raises(ValueError, match="finite and > 0"):
        portfolio_greeks({ce: 75}, {"NIFTY": -1.0}, 0.13, NOW)
    index = Instrument.index(Venue.NSE, "NIFTY 50", tick_size=TICK)
    with pytest.raises(ValueError, match="index"):
        portfolio_greeks({index: 1}, {"NIFTY 50": F}, 0.13, NOW)


def test_empty_book() -> None:
    g = portfolio_greeks({}, PRICES, 0.13, NOW)
    assert (g.delta, g.vega, g.short_vega) == (0.0, 0.0, 0.0)
    assert g.by_underlying.empty
    assert g.positions.empty


def test_equity_delta_is_quantity() -> None:
    eq = Instrument.equity(Venue.NSE, "RELIANCE", tick_size=TICK)
    g = portfolio_greeks({eq: 10}, {"RELIANCE": 1400.0}, 0.13, NOW)
    assert g.delta == 10.0
    assert list(g.by_underlying.index) == ["RELIANCE"]
