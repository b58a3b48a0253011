"""Instrument definitions and rules; Bar and Quote validation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tronlab.model import (
    Bar,
    Instrument,
    InstrumentId,
    InstrumentKind,
    InvalidOrder,
    InvalidOrderCode,
    OptionRight,
    Quote,
    TickRounding,
    ValidationError,
    Venue,
)

EXPIRY = date(2025, 12, 30)
T0 = datetime(2025, 1, 2, 3, 45, tzinfo=UTC)
RELIANCE = Instrument.equity(Venue.NSE, "RELIANCE", tick_size=D("0.05"))
NIFTY_CE = Instrument.option(
    Venue.NFO,
    "NIFTY25DEC24000CE",
    underlying="NIFTY",
    expiry=EXPIRY,
    strike=D(24000),
    right=OptionRight.CALL,
    tick_size=D("0.05"),
    lot_size=65,
)


# ---------------------------------------------------------------------- construction


def test_convenience_constructors() -> None:
    assert RELIANCE.kind is InstrumentKind.EQ
    assert RELIANCE.currency == "INR"
    assert (RELIANCE.lot_size, RELIANCE.multiplier, RELIANCE.qty_step) == (1, D(1), D(1))
    assert RELIANCE.venue is Venue.NSE
    assert RELIANCE.symbol == "RELIANCE"
    assert RELIANCE.tradable

    idx = Instrument.index(Venue.NSE, "NIFTY 50", tick_size=D("0.05"))
    assert idx.kind is InstrumentKind.INDEX
    assert not idx.tradable

    fut = Instrument.future(
        Venue.MCX,
        "CRUDEOIL25DECFUT",
        underlying="CRUDEOIL",
        expiry=EXPIRY,
        tick_size=D(1),
        multiplier=D(100),
    )
    assert (fut.kind, fut.expiry, fut.multiplier, fut.strike) == (
        InstrumentKind.FUT,
        EXPIRY,
        D(100),
        None,
    )
    assert NIFTY_CE.right is OptionRight.CALL
    assert NIFTY_CE.id == InstrumentId.parse("NFO:NIFTY25DEC24000CE")

    aapl = Instrument.equity(Venue.US, "AAPL", tick_size=D("0.01"), qty_step=D("0.000001"))
    assert aapl.currency == "USD"


def test_int_fields_are_coerced_to_decimal() -> None:
    inst = Instrument(InstrumentId(Venue.NSE, "X"), InstrumentKind.EQ, "INR", 1)  # type: ignore[arg-type]
    assert isinstance(inst.tick_size, D)


def _eq(**kw: object) -> Instrument:
    args: dict[str, object] = {
        "id": InstrumentId(Venue.NSE, "X"),
        "kind": InstrumentKind.EQ,
        "currency": "INR",
        "tick_size": D("0.05"),
    }
    args.update(kw)
    return Instrument(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kw",
    [
        {"tick_size": D(0)},
        {"tick_size": D("-0.05")},
        {"tick_size": D("NaN")},
        {"tick_size": D("Infinity")},
        {"tick_size": 0.05},
        {"lot_size": 0},
        {"lot_size": D(65)},
        {"lot_size": True},
        {"multiplier": D(0)},
        {"multiplier": D("sNaN")},
        {"qty_step": D("-1")},
        {"currency": "inr"},
        {"currency": "RUPEES!"},
        {"kind": "BOND"},
        {"id": "NSE:X"},
    ],
)
def test_bad_instrument_fields_are_rejected(kw: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        _eq(**kw)


@pytest.mark.parametrize(
    ("kind", "venue", "fields"),
    [
        # equities must not carry derivative fields
        (InstrumentKind.EQ, Venue.NSE, {"expiry": EXPIRY}),
        (InstrumentKind.EQ, Venue.NSE, {"strike": D(100)}),
        (InstrumentKind.EQ, Venue.NSE, {"right": OptionRight.PUT}),
        (InstrumentKind.EQ, Venue.NSE, {"underlying": "NIFTY"}),
        (InstrumentKind.INDEX, Venue.NSE, {"expiry": EXPIRY}),
        # futures need underlying and expiry, and no strike or right
        (InstrumentKind.FUT, Venue.NFO, {"underlying": "NIFTY"}),
        (InstrumentKind.FUT, Venue.NFO, {"expiry": EXPIRY}),
        (InstrumentKind.FUT, Venue.NFO, {"underlying": "NIFTY", "expiry": EXPIRY, "strike": D(1)}),
        # options need all four
        (InstrumentKind.OPT, Venue.NFO, {"underlying": "NIFTY", "expiry": EXPIRY, "strike": D(1)}),
        (
            InstrumentKind.OPT,
            Venue.NFO,
            {"underlying": "NIFTY", "expiry": EXPIRY, "right": OptionRight.CALL},
        ),
        (InstrumentKind.OPT, Venue.NFO, {"expiry": EXPIRY, "strike": D(1), "right": "C"}),
        (InstrumentKind.OPT, Venue.NFO, {"underlying": "N", "strike": D(1), "right": "C"}),
        # bad values
        (
            InstrumentKind.OPT,
            Venue.NFO,
            {"underlying": "N", "expiry": EXPIRY, "strike": D(0), "right": "C"},
        ),
        (
            InstrumentKind.OPT,
            Venue.NFO,
            {"underlying": "N", "expiry": EXPIRY, "strike": D("NaN"), "right": "C"},
        ),
        (
            InstrumentKind.OPT,
            Venue.NFO,
            {"underlying": "N", "expiry": EXPIRY, "strike": D(1), "right": "CALLPUT"},
        ),
        (
            InstrumentKind.OPT,
            Venue.NFO,
            {"underlying": "N", "expiry": T0, "strike": D(1), "right": "C"},
        ),
        (InstrumentKind.FUT, Venue.NFO, {"underlying": "", "expiry": EXPIRY}),
        # segment rules
        (InstrumentKind.FUT, Venue.NSE, {"underlying": "NIFTY", "expiry": EXPIRY}),
        (
            InstrumentKind.OPT,
            Venue.BSE,
            {"underlying": "N", "expiry": EXPIRY, "strike": D(1), "right": "C"},
        ),
        (InstrumentKind.EQ, Venue.NFO, {}),
    ],
)
def test_bad_derivative_definitions_are_rejected(
    kind: InstrumentKind, venue: Venue, fields: dict[str, object]
) -> None:
    with pytest.raises(ValidationError):
        Instrument(
            id=InstrumentId(venue, "SYM"),
            kind=kind,
            currency="INR",
            tick_size=D("0.05"),
            **fields,  # type: ignore[arg-type]
        )


def test_option_right_accepts_kite_code_via_parse() -> None:
    inst = Instrument.option(
        Venue.NFO,
        "NIFTY25DEC24000PE",
        underlying="NIFTY",
        expiry=EXPIRY,
        strike=D(24000),
        right=OptionRight.parse("PE"),
        tick_size=D("0.05"),
        lot_size=65,
    )
    assert inst.right is OptionRight.PUT
    assert inst.right.kite == "PE"


# ---------------------------------------------------------------------- ticks and lots


@pytest.mark.parametrize(
    ("price", "mode", "expected"),
    [
        (D("101.03"), TickRounding.NEAREST, D("101.05")),
        (D("101.02"), TickRounding.NEAREST, D("101.00")),
        (D("101.025"), TickRounding.NEAREST, D("101.00")),  # tie -> even tick (2020)
        (D("101.075"), TickRounding.NEAREST, D("101.10")),  # tie -> even tick (2022)
        (D("101.04"), TickRounding.DOWN, D("101.00")),
        (D("101.01"), TickRounding.UP, D("101.05")),
        (D("101.05"), TickRounding.UP, D("101.05")),
        (D("101.05"), TickRounding.DOWN, D("101.05")),
        (D("1E+3"), TickRounding.NEAREST, D("1000.00")),
    ],
)
def test_round_to_tick(price: D, mode: TickRounding, expected: D) -> None:
    out = RELIANCE.round_to_tick(price, mode)
    assert out == expected
    assert out.as_tuple().exponent == -2


@given(
    ticks=st.integers(1, 10**7),
    offset=st.decimals(min_value=0, max_value=1, places=6),
    tick=st.sampled_from([D("0.05"), D("0.01"), D("0.25"), D(1), D("0.0001"), D(5)]),
)
def test_round_to_tick_properties(ticks: int, offset: D, tick: D) -> None:
    inst = _eq(tick_size=tick)
    price = (ticks + offset) * tick
    down = inst.round_to_tick(price, TickRounding.DOWN)
    up = inst.round_to_tick(price, TickRounding.UP)
    near = inst.round_to_tick(price, TickRounding.NEAREST)
    for p in (down, up, near):
        assert inst.is_on_tick(p)
    assert down <= price <= up
    assert up - down in (0, tick)
    assert abs(near - price) <= tick / 2
    assert near in (down, up)


def test_is_on_tick() -> None:
    assert RELIANCE.is_on_tick(D("2450.05"))
    assert RELIANCE.is_on_tick(D("2450.0500"))
    assert not RELIANCE.is_on_tick(D("2450.03"))


def test_validate_price_subcodes() -> None:
    assert RELIANCE.validate_price(D("2450.05")) == D("2450.05")
    with pytest.raises(InvalidOrder) as tick:
        RELIANCE.validate_price(D("2450.03"))
    assert tick.value.subcode is InvalidOrderCode.TICK
    for bad in (D(0), D("-1"), D("NaN"), D("Infinity"), 2450.05):
        with pytest.raises(InvalidOrder) as exc:
            RELIANCE.validate_price(bad)  # type: ignore[arg-type]
        assert exc.value.subcode is InvalidOrderCode.PRICE


def test_validate_quantity_subcodes() -> None:
    assert NIFTY_CE.validate_quantity(D(130)) == D(130)
    with pytest.raises(InvalidOrder) as lot:
        NIFTY_CE.validate_quantity(D(75))
    assert lot.value.subcode is InvalidOrderCode.LOT
    for bad in (D(0), D(-65), D("NaN"), D("-Infinity"), 65.0):
        with pytest.raises(InvalidOrder) as exc:
            NIFTY_CE.validate_quantity(bad)  # type: ignore[arg-type]
        assert exc.value.subcode is InvalidOrderCode.QTY
    with pytest.raises(InvalidOrder) as step:
        RELIANCE.validate_quantity(D("1.5"))
    assert step.value.subcode is InvalidOrderCode.QTY


def test_fractional_quantity_step() -> None:
    btc = Instrument.equity(Venue.CRYPTO, "BTC/USD", tick_size=D("0.01"), qty_step=D("0.0001"))
    assert btc.validate_quantity(D("0.0123")) == D("0.0123")
    with pytest.raises(InvalidOrder):
        btc.validate_quantity(D("0.00001"))


# ---------------------------------------------------------------------- Bar and Quote


def _bar(**kw: object) -> Bar:
    args: dict[str, object] = {
        "instrument_id": RELIANCE.id,
        "start": T0,
        "timeframe_s": 60,
        "open": D("100.05"),
        "high": D("101.00"),
        "low": D("99.50"),
        "close": D("100.60"),
        "volume": D(1200),
    }
    args.update(kw)
    return Bar(**args)  # type: ignore[arg-type]


def test_bar_valid() -> None:
    bar = _bar(start=T0.astimezone(timezone(timedelta(hours=5, minutes=30))))
    assert bar.start == T0
    assert bar.start.tzinfo is UTC
    assert bar.end == T0 + timedelta(minutes=1)
    assert bar.range == D("1.50")
    assert _bar(volume=D(0)).volume == 0


@pytest.mark.parametrize(
    "kw",
    [
        {"open": D("NaN")},
        {"close": D("Infinity")},
        {"high": 101.0},
        {"volume": D(-1)},
        {"volume": D("NaN")},
        {"low": D(0), "open": D(1)},
        {"high": D("100.00")},  # below open and close
        {"low": D("100.10")},  # above open
        {"close": D("101.05")},  # above high
        {"start": datetime(2025, 1, 2, 9, 15)},
        {"timeframe_s": 0},
        {"timeframe_s": 60.0},
        {"instrument_id": "NSE:RELIANCE"},
    ],
)
def test_bar_rejects_bad_values(kw: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        _bar(**kw)


def test_naive_timestamp_error_code() -> None:
    with pytest.raises(ValidationError) as exc:
        _bar(start=datetime(2025, 1, 2, 9, 15))
    assert exc.value.code == "NAIVE_DATETIME"


def test_quote() -> None:
    q = Quote(RELIANCE.id, T0, D("100.00"), D("100.10"), D(5), D(7), last=D("100.05"))
    assert q.mid == D("100.05")
    assert q.spread == D("0.10")
    locked = Quote(RELIANCE.id, T0, D(100), D(100))
    assert locked.spread == 0
    one_sided = Quote(RELIANCE.id, T0, None, D("100.10"))
    assert one_sided.mid is None
    assert one_sided.spread is None


@pytest.mark.parametrize(
    "kw",
    [
        {"bid": D("100.20")},  # crossed
        {"bid": D("NaN")},
        {"ask": D(0)},
        {"bid_size": D(-1)},
        {"last": D("-1")},
        {"ts": datetime(2025, 1, 2)},
    ],
)
def test_quote_rejects_bad_values(kw: dict[str, object]) -> None:
    args: dict[str, object] = {
        "instrument_id": RELIANCE.id,
        "ts": T0,
        "bid": D("100.00"),
        "ask": D("100.10"),
    }
    args.update(kw)
    with pytest.raises(ValidationError):
        Quote(**args)  # type: ignore[arg-type]
