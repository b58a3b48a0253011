"""Portfolio accounting: worked examples and exact reconciliation properties."""

from __future__ import annotations

import decimal
import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tronlab.model import (
    Account,
    ClientOrderId,
    Fill,
    Instrument,
    InstrumentId,
    InstrumentKind,
    MarginModel,
    OptionRight,
    Portfolio,
    Side,
    ValidationError,
    Venue,
)

T0 = datetime(2025, 1, 2, 3, 45, tzinfo=UTC)
COID = ClientOrderId.from_signal("acct", "test", "portfolio")
_ids = itertools.count(1)

RELIANCE = Instrument.equity(Venue.NSE, "RELIANCE", tick_size=D("0.05"))
NIFTY_CE = Instrument.option(
    Venue.NFO,
    "NIFTY25DEC24000CE",
    underlying="NIFTY",
    expiry=date(2025, 12, 30),
    strike=D(24000),
    right=OptionRight.CALL,
    tick_size=D("0.05"),
    lot_size=65,
)
NIFTY_CE_LOTS = Instrument.option(
    Venue.NFO,
    "NIFTY25DEC24000CE-LOTS",
    underlying="NIFTY",
    expiry=date(2025, 12, 30),
    strike=D(24000),
    right=OptionRight.CALL,
    tick_size=D("0.05"),
    multiplier=D(65),
)
CRUDE = Instrument.future(
    Venue.MCX,
    "CRUDEOIL25DECFUT",
    underlying="CRUDEOIL",
    expiry=date(2025, 12, 18),
    tick_size=D(1),
    multiplier=D(100),
)
USDINR = Instrument.future(
    Venue.CDS,
    "USDINR25DECFUT",
    underlying="USDINR",
    expiry=date(2025, 12, 29),
    tick_size=D("0.0025"),
    multiplier=D("2.5"),
)
BTC = Instrument.equity(
    Venue.CRYPTO, "BTC/INR", tick_size=D("0.5"), qty_step=D("0.0001"), currency="INR"
)
INSTRUMENTS = [RELIANCE, NIFTY_CE, NIFTY_CE_LOTS, CRUDE, USDINR, BTC]


def fill(inst: Instrument, side: Side, qty: D | str, price: D | str, fee: D | str = "0") -> Fill:
    return Fill(
        fill_id=f"F{next(_ids)}",
        client_order_id=COID,
        instrument_id=inst.id,
        side=side,
        quantity=D(qty),
        price=D(price),
        fee=D(fee),
        ts=T0,
    )


# ---------------------------------------------------------------------- worked examples


def test_worked_example_equity_round_trip_with_fees() -> None:
    pf = Portfolio("INR", D(100000))
    pf.apply_fill(fill(RELIANCE, Side.BUY, "10", "2450.05", "15.20"), RELIANCE)
    assert pf.cash == D("75484.30")  # 100000 - 24500.50 - 15.20
    assert pf.fees_paid == D("15.20")
    pf.mark({RELIANCE.id: D("2460.00")})
    assert pf.unrealized_pnl == D("99.50")
    assert pf.market_value == D("24600.00")
    assert pf.equity == D("100084.30")
    pf.apply_fill(fill(RELIANCE, Side.SELL, "10", "2470.00", "15.80"), RELIANCE)
    assert pf.realized_pnl == D("199.50")
    assert pf.fees_paid == D("31.00")
    assert pf.cash == D("100168.50")  # 100000 + 199.50 - 31.00
    assert pf.equity == pf.cash
    assert list(pf.open_positions()) == []
    assert pf.position(RELIANCE.id).realized_pnl == D("199.50")


def test_worked_example_option_lots_and_future_margin() -> None:
    margin = MarginModel({InstrumentKind.FUT: D("0.15")})
    pf = Portfolio("INR", D(500000), margin_model=margin)
    pf.apply_fill(fill(NIFTY_CE_LOTS, Side.BUY, "2", "120.50", "40"), NIFTY_CE_LOTS)
    pf.apply_fill(fill(CRUDE, Side.SELL, "1", "6000", "60"), CRUDE)
    # cash: 500000 - 2*120.50*65 - 40 + 1*6000*100 - 60
    assert pf.cash == D("1084235.00")
    pf.mark({NIFTY_CE_LOTS.id: D("118.05"), CRUDE.id: D("5950"), RELIANCE.id: D(1)})
    assert pf.position(NIFTY_CE_LOTS.id).unrealized_pnl == D("-318.50")
    assert pf.position(CRUDE.id).unrealized_pnl == D("5000")
    assert pf.unrealized_pnl == D("4681.50")
    assert pf.market_value == D("15346.50") - D("595000")
    assert pf.equity == D("504581.50")  # 500000 - 100 fees + 4681.50
    # margin: option fully funded (rate 1) + 15% of |crude MV|
    assert pf.margin_used == D("15346.50") + D("89250.00")
    assert pf.margin_available == pf.equity - pf.margin_used
    snap = pf.snapshot(T0)
    assert snap == Account(
        currency="INR",
        cash=D("1084235.00"),
        equity=D("504581.50"),
        margin_used=D("104596.50"),
        margin_available=D("399985.00"),
        realized_pnl=D(0),
        unrealized_pnl=D("4681.50"),
        fees_paid=D(100),
        as_of=T0,
    )
    assert RELIANCE.id not in pf.positions  # a mark alone does not open a position


def test_units_and_lots_conventions_give_the_same_money() -> None:
    a, b = Portfolio("INR", D(0)), Portfolio("INR", D(0))
    a.apply_fill(fill(NIFTY_CE, Side.BUY, "130", "100.05"), NIFTY_CE)
    b.apply_fill(fill(NIFTY_CE_LOTS, Side.BUY, "2", "100.05"), NIFTY_CE_LOTS)
    a.mark({NIFTY_CE.id: D("98.40")})
    b.mark({NIFTY_CE_LOTS.id: D("98.40")})
    assert a.cash == b.cash == D("-13006.50")
    assert a.unrealized_pnl == b.unrealized_pnl == D("-214.50")


def test_apply_fill_guards() -> None:
    pf = Portfolio("INR", D(1000))
    with pytest.raises(ValidationError) as mismatch:
        pf.apply_fill(fill(RELIANCE, Side.BUY, "1", "1"), NIFTY_CE)
    assert mismatch.value.code == "FILL_MISMATCH"
    aapl = Instrument.equity(Venue.US, "AAPL", tick_size=D("0.01"))
    with pytest.raises(ValidationError) as ccy:
        pf.apply_fill(fill(aapl, Side.BUY, "1", "1"), aapl)
    assert ccy.value.code == "CURRENCY_MISMATCH"
    pf.apply_fill(fill(CRUDE, Side.BUY, "1", "6000"), CRUDE)
    changed = Instrument.future(
        Venue.MCX,
        "CRUDEOIL25DECFUT",
        underlying="CRUDEOIL",
        expiry=date(2025, 12, 18),
        tick_size=D(1),
        multiplier=D(10),
    )
    with pytest.raises(ValidationError) as mult:
        pf.apply_fill(fill(CRUDE, Side.SELL, "1", "6000"), changed)
    assert mult.value.code == "MULTIPLIER_MISMATCH"
    assert pf.cash == D(1000) - D(600000)
    with pytest.raises(ValidationError):
        pf.mark({CRUDE.id: D("NaN")})
    with pytest.raises(ValidationError):
        Portfolio("INR", D("Infinity"))
    with pytest.raises(ValidationError):
        MarginModel({InstrumentKind.FUT: D(-1)})


def test_unknown_position_is_flat() -> None:
    pf = Portfolio("INR", D(0))
    pos = pf.position(RELIANCE.id)
    assert pos.is_flat
    assert pf.instrument(RELIANCE.id) is None
    assert pf.equity == 0
    assert pf.margin_used == 0


# ---------------------------------------------------------------------- properties


@dataclass(frozen=True)
class FillOp:
    inst: Instrument
    side: Side
    qty: D
    price: D
    fee: D


@dataclass(frozen=True)
class MarkOp:
    inst: Instrument
    price: D


def _qty(inst: Instrument, n: int) -> D:
    return D(n) * (D(inst.lot_size) if inst.lot_size > 1 else inst.qty_step)


fill_ops = st.builds(
    lambda inst, side, n, ticks, paise: FillOp(
        inst, side, _qty(inst, n), D(ticks) * inst.tick_size, D(paise) / 100
    ),
    st.sampled_from(INSTRUMENTS),
    st.sampled_from(Side),
    st.integers(1, 500),
    st.integers(1, 400000),
    st.integers(0, 100000),
)
mark_ops = st.builds(
    lambda inst, ticks: MarkOp(inst, D(ticks) * inst.tick_size),
    st.sampled_from(INSTRUMENTS),
    st.integers(1, 400000),
)


@settings(max_examples=300, deadline=None)
@given(
    initial=st.integers(-(10**9), 10**9).map(lambda c: D(c) / 100),
    ops=st.lists(st.one_of(fill_ops, fill_ops, mark_ops), max_size=80),
)
def test_portfolio_reconciles_exactly_for_any_fill_sequence(
    initial: D, ops: list[FillOp | MarkOp]
) -> None:
    pf = Portfolio("INR", initial)
    # The test's own books, in an exact high-precision context.
    ctx = decimal.Context(prec=200, traps=[decimal.Inexact, decimal.InvalidOperation])
    flows = {i.id: D(0) for i in INSTRUMENTS}
    qty = {i.id: D(0) for i in INSTRUMENTS}
    mark: dict[InstrumentId, D] = {}
    fees = D(0)
    with decimal.localcontext(ctx):
        for op in ops:
            if isinstance(op, MarkOp):
                pf.mark({op.inst.id: op.price})
                if op.inst.id in pf.positions:
                    mark[op.inst.id] = op.price
                continue
            f = Fill(
                fill_id=f"F{next(_ids)}",
                client_order_id=COID,
                instrument_id=op.inst.id,
                side=op.side,
                quantity=op.qty,
                price=op.price,
                fee=op.fee,
                ts=T0 + timedelta(seconds=len(mark)),
            )
            pf.apply_fill(f, op.inst)
            signed = op.qty * op.side.sign
            flows[op.inst.id] -= signed * op.price * op.inst.multiplier
            qty[op.inst.id] += signed
            fees += op.fee
            mark[op.inst.id] = op.price

            # Position quantity is the signed sum of fill quantities.
            for inst in INSTRUMENTS:
                assert pf.position(inst.id).quantity == qty[inst.id]
            # Cash is initial cash minus signed notionals minus fees, exactly.
            assert pf.cash == initial + sum(flows.values()) - fees
            assert pf.fees_paid == fees

        market_value = sum(
            (qty[i.id] * mark[i.id] * i.multiplier for i in INSTRUMENTS if i.id in mark), D(0)
        )
        # The accounting identity, exactly.
        assert pf.market_value == market_value
        assert pf.cash + market_value == initial - fees + pf.realized_pnl + pf.unrealized_pnl
        assert pf.equity == pf.cash + market_value
        # A flat position has realised exactly its cash flows.
        for inst in INSTRUMENTS:
            pos = pf.position(inst.id)
            if pos.is_flat:
                assert pos.realized_pnl == flows[inst.id]
                assert pos.unrealized_pnl == 0
            assert pos.realized_pnl - pos.cost_basis * inst.multiplier == flows[inst.id]
        snap = pf.snapshot(T0)
        assert snap.equity == snap.cash + market_value
        assert snap.margin_available == snap.equity - snap.margin_used
        assert snap.margin_used >= 0
