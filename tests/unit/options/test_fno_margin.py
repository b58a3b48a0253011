"""Margin and Greeks of a live book from last prices (options.fno_margin)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tronlab.model.enums import OptionRight, Venue
from tronlab.model.instruments import Instrument
from tronlab.options import black76_price, year_fraction
from tronlab.options.fno_margin import (
    FnoMargin,
    UnpricedError,
    book_greeks,
    book_margin,
    implied_vols,
    live_book,
    resolve_forwards,
)
from tronlab.options.margin import span_like_margin
from tronlab.options.portfolio import portfolio_greeks

NOW = datetime(2025, 11, 14, 10, 0, tzinfo=ZoneInfo("Asia/Kolkata"))
EXPIRY = date(2025, 11, 25)
F = 24000.0
R = 0.065
TICK = Decimal("0.05")
FUT = Instrument.future(
    Venue.NFO, "NIFTY25NOVFUT", underlying="NIFTY", expiry=EXPIRY, tick_size=TICK, lot_size=75
)
SHARE = Instrument.equity(Venue.NSE, "INFY", tick_size=TICK)


def opt(strike: int, right: str, expiry: date = EXPIRY) -> Instrument:
    r = OptionRight.parse(right)
    return Instrument.option(
        Venue.NFO, f"NIFTY{expiry:%y%b}{strike}{r.kite}".upper(), underlying="NIFTY",
        expiry=expiry, strike=Decimal(strike), right=r, tick_size=TICK, lot_size=75,
    )  # fmt: skip


def price(inst: Instrument, vol: float) -> float:
    t = float(year_fraction(NOW, inst.expiry))
    return float(
        black76_price(F, float(inst.strike or 0), t, vol, R, inst.right is OptionRight.CALL)
    )


def test_a_future_alone_is_its_span_margin() -> None:
    m = book_margin({FUT: Decimal(75)}, {"NIFTY": F}, 0.13, NOW, R)
    assert m.total == pytest.approx(0.08 * 75 * F)  # 6% scan + 2% exposure = 144,000
    assert m.long_option_value == 0
    assert m.by_underlying == {"NIFTY": pytest.approx(m.total)}


def test_long_options_need_no_margin_their_premium_is_paid() -> None:
    book = {opt(24000, "CE"): Decimal(75), opt(23500, "PE"): Decimal(150)}
    m = book_margin(book, {"NIFTY": F}, 0.13, NOW, R)
    assert m.total == 0
    assert m.scan_risk > 0  # the plain SPAN-like number charges the scan risk
    assert m.long_option_value == pytest.approx(
        75 * price(opt(24000, "CE"), 0.13) + 150 * price(opt(23500, "PE"), 0.13)
    )


def test_a_short_option_is_span_like_and_a_hedge_is_credited() -> None:
    short = {opt(24000, "CE"): Decimal(-75)}
    alone = book_margin(short, {"NIFTY": F}, 0.13, NOW, R)
    assert alone.total == pytest.approx(span_like_margin(short, {"NIFTY": F}, 0.13, NOW, R).total)
    spread = {**short, opt(24200, "CE"): Decimal(75)}
    hedged = book_margin(spread, {"NIFTY": F}, 0.13, NOW, R)
    raw = span_like_margin(spread, {"NIFTY": F}, 0.13, NOW, R)
    # max(scan - long value, short option minimum) + exposure, below the raw number
    expected = max(raw.scan_risk - hedged.long_option_value, raw.short_option_min) + raw.exposure
    assert hedged.total == pytest.approx(expected)
    assert hedged.total < alone.total


def test_an_iron_condor_needs_less_than_its_legs_alone() -> None:
    legs = {
        opt(23700, "PE"): Decimal(75),
        opt(23800, "PE"): Decimal(-75),
        opt(24200, "CE"): Decimal(-75),
        opt(24300, "CE"): Decimal(75),
    }
    fwd = {"NIFTY": F}
    whole = book_margin(legs, fwd, 0.13, NOW, R).total
    parts = sum(book_margin({i: q}, fwd, 0.13, NOW, R).total for i, q in legs.items())
    assert whole < parts


def test_expired_zero_and_equity_positions_are_left_out() -> None:
    old = opt(24000, "CE", date(2025, 11, 11))
    book = {old: Decimal(75), FUT: Decimal(0), SHARE: Decimal(10), opt(24000, "PE"): 75.0}
    assert list(live_book(book, NOW)) == [opt(24000, "PE")]
    assert live_book(book, NOW)[opt(24000, "PE")] == Decimal(75)


def test_forwards_must_be_priced() -> None:
    assert resolve_forwards([FUT, opt(24000, "CE")], {"NIFTY": F}.get) == {"NIFTY": F}
    with pytest.raises(UnpricedError, match="NIFTY") as err:
        resolve_forwards([FUT], {}.get)
    assert err.value.underlyings == ("NIFTY",)
    with pytest.raises(UnpricedError):
        FnoMargin().requirement({FUT: Decimal(75)}, {}.get, lambda _u: 0.0, NOW)


def test_implied_vols_come_from_last_prices_with_a_fallback() -> None:
    call, put, itm = opt(24000, "CE"), opt(23000, "PE"), opt(26000, "PE")
    prices = {call.symbol: price(call, 0.17), put.symbol: price(put, 0.21), itm.symbol: 0.05}
    vols = implied_vols([call, put, itm, FUT], prices.get, {"NIFTY": F}, NOW, R, 0.3)
    assert vols[call] == pytest.approx(0.17, abs=1e-6)
    assert vols[put] == pytest.approx(0.21, abs=1e-6)
    assert vols[itm] == 0.3  # 0.05 for a put 2,000 in the money: no volatility fits
    assert FUT not in vols
    assert implied_vols([call], {}.get, {"NIFTY": F}, NOW, R, 0.25) == {call: 0.25}


def test_book_greeks_equal_portfolio_greeks_at_the_implied_vols() -> None:
    call, put = opt(24100, "CE"), opt(23900, "PE")
    prices = {call.symbol: price(call, 0.14), put.symbol: price(put, 0.16)}
    book = {call: Decimal(-75), put: Decimal(-75), FUT: Decimal(75)}
    g = book_greeks(book, prices.get, {"NIFTY": F}.get, NOW, R)
    ref = portfolio_greeks(book, {"NIFTY": F}, {call: 0.14, put: 0.16}, NOW, R)
    assert g.delta == pytest.approx(ref.delta, rel=1e-6)
    assert g.short_vega == pytest.approx(ref.short_vega, rel=1e-6)
    assert g.short_vega < 0


def test_the_model_checks_its_parameters() -> None:
    with pytest.raises(ValueError, match="default_vol"):
        FnoMargin(default_vol=0)
    m = FnoMargin().requirement({FUT: Decimal(75)}, {}.get, {"NIFTY": F}.get, NOW)
    assert m.amount == Decimal("144000.0")
