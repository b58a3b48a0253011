"""Position netting: worked examples and properties."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tronlab.model import (
    ClientOrderId,
    Fill,
    InstrumentId,
    Position,
    Side,
    ValidationError,
    Venue,
)

IID = InstrumentId(Venue.NSE, "RELIANCE")
BUY, SELL = Side.BUY, Side.SELL


def trades(pos: Position, *steps: tuple[Side, str, str]) -> Position:
    for side, qty, price in steps:
        pos = pos.apply_trade(side, D(qty), D(price))
    return pos


def test_long_add_reduce_close() -> None:
    pos = trades(Position.flat(IID), (BUY, "10", "100"), (BUY, "10", "110"))
    assert (pos.quantity, pos.avg_price, pos.cost_basis) == (D(20), D(105), D(2100))
    assert pos.is_long
    assert pos.realized_pnl == 0
    assert pos.last_price == D(110)
    assert pos.unrealized_pnl == D(100)  # 20 * (110 - 105)

    pos = pos.apply_trade(SELL, D(5), D(120))
    assert (pos.quantity, pos.avg_price, pos.cost_basis) == (D(15), D(105), D(1575))
    assert pos.realized_pnl == D(75)  # 5 * (120 - 105)

    pos = pos.mark(D(100))
    assert pos.unrealized_pnl == D(-75)  # 15 * (100 - 105)
    assert pos.market_value == D(1500)
    assert pos.total_pnl == D(0)

    pos = pos.apply_trade(SELL, D(15), D(90))
    assert pos.is_flat
    assert (pos.quantity, pos.cost_basis, pos.avg_price) == (D(0), D(0), D(0))
    assert pos.realized_pnl == D(-150)  # 75 + 15 * (90 - 105)
    assert pos.unrealized_pnl == 0


def test_short_open_cover() -> None:
    pos = trades(Position.flat(IID), (SELL, "10", "50"), (BUY, "4", "45"))
    assert pos.is_short
    assert (pos.quantity, pos.avg_price, pos.cost_basis) == (D(-6), D(50), D(-300))
    assert pos.realized_pnl == D(20)  # 4 * (50 - 45)
    pos = pos.mark(D(55))
    assert pos.unrealized_pnl == D(-30)  # -6 * (55 - 50)
    assert pos.market_value == D(-330)
    pos = pos.apply_trade(SELL, D(4), D(60))  # add to the short
    assert (pos.quantity, pos.avg_price) == (D(-10), D(54))
    pos = pos.apply_trade(BUY, D(10), D(54))
    assert pos.is_flat
    assert pos.realized_pnl == D(20)


def test_flip_long_to_short_and_back() -> None:
    pos = trades(Position.flat(IID), (BUY, "10", "100"), (SELL, "25", "104"))
    # 10 closed at +4 each; 15 opened short at 104
    assert pos.realized_pnl == D(40)
    assert (pos.quantity, pos.avg_price, pos.cost_basis) == (D(-15), D(104), D(-1560))
    assert pos.unrealized_pnl == 0
    pos = pos.apply_trade(BUY, D(20), D(100))
    # 15 covered at +4 each; 5 opened long at 100
    assert pos.realized_pnl == D(100)
    assert (pos.quantity, pos.avg_price) == (D(5), D(100))


def test_nifty_option_lot_with_multiplier_65() -> None:
    # Quantity in lots, multiplier 65 (MCX-style contract units) ...
    lots = Position.flat(InstrumentId(Venue.NFO, "NIFTY25DEC24000CE"), D(65))
    lots = lots.apply_trade(BUY, D(2), D("120.50"))
    lots = lots.mark(D("118.05"))
    assert lots.unrealized_pnl == D("-318.50")  # 2 * (118.05 - 120.50) * 65
    assert lots.market_value == D("15346.50")
    lots = lots.apply_trade(SELL, D(2), D("135.25"))
    assert lots.realized_pnl == D("1917.50")  # 2 * 14.75 * 65
    # ... and the same trade in units with multiplier 1 (Kite NFO convention) agree.
    units = Position.flat(InstrumentId(Venue.NFO, "NIFTY25DEC24000CE"))
    units = units.apply_trade(BUY, D(130), D("120.50")).apply_trade(SELL, D(130), D("135.25"))
    assert units.realized_pnl == lots.realized_pnl


def test_partial_close_with_inexact_average_still_reconciles() -> None:
    pos = trades(Position.flat(IID), (BUY, "1", "10.01"), (BUY, "1", "10.02"), (BUY, "1", "10.04"))
    assert pos.cost_basis == D("30.07")
    pos = pos.apply_trade(SELL, D(1), D(11))
    # released cost 30.07 / 3 = 10.02333..., rounded to 1e-10
    assert pos.realized_pnl == D("0.9766666667")
    assert pos.cost_basis == D("20.0466666667")
    pos = pos.apply_trade(SELL, D(2), D(11))
    assert pos.is_flat
    assert pos.realized_pnl == D("2.93")  # exactly 33 - 30.07


def test_fees_are_tracked_outside_realized_pnl() -> None:
    pos = Position.flat(IID).apply_trade(BUY, D(1), D(100), fee=D("20.15"))
    pos = pos.apply_trade(SELL, D(1), D(101), fee=D("20.40"))
    assert pos.realized_pnl == D(1)
    assert pos.fees == D("40.55")


def test_apply_fill_checks_instrument() -> None:
    ts = datetime(2025, 1, 2, tzinfo=UTC)
    coid = ClientOrderId.from_signal("a", "s", "k")
    f = Fill(
        fill_id="1",
        client_order_id=coid,
        instrument_id=IID,
        side=SELL,
        quantity=D(3),
        price=D("99.95"),
        ts=ts,
        fee=D(1),
    )
    pos = Position.flat(IID).apply_fill(f)
    assert (pos.quantity, pos.cost_basis, pos.fees) == (D(-3), D("-299.85"), D(1))
    other = Position.flat(InstrumentId(Venue.NSE, "INFY"))
    with pytest.raises(ValidationError):
        other.apply_fill(f)


@pytest.mark.parametrize(
    "kw",
    [
        {"quantity": D(0), "cost_basis": D(5)},
        {"quantity": D(5), "cost_basis": D(-5)},
        {"quantity": D("NaN")},
        {"multiplier": D(0)},
        {"fees": D(-1)},
        {"last_price": D(0)},
        {"realized_pnl": 1.5},
    ],
)
def test_position_rejects_inconsistent_state(kw: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Position(IID, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("side", "qty", "price"),
    [(BUY, D(0), D(1)), (BUY, D(-1), D(1)), (BUY, D(1), D(0)), (SELL, D(1), D("NaN"))],
)
def test_apply_trade_rejects_bad_values(side: Side, qty: D, price: D) -> None:
    with pytest.raises(ValidationError):
        Position.flat(IID).apply_trade(side, qty, price)


def test_unrealized_at_and_never_marked_position() -> None:
    pos = Position(IID, D(2), quantity=D(3), cost_basis=D(300))
    assert pos.last_price is None
    assert pos.unrealized_pnl == 0
    assert pos.market_value == D(600)
    assert pos.unrealized_pnl_at(D(110)) == D(60)  # (330 - 300) * 2


def _oracle_realized(steps: list[tuple[int, int]], mult: int) -> Fraction:
    """Average-cost realised PnL in exact rational arithmetic."""
    q, cost, realized = Fraction(0), Fraction(0), Fraction(0)
    for signed, price in steps:
        s, p = Fraction(signed), Fraction(price, 20)
        if q == 0 or (q > 0) == (s > 0):
            q, cost = q + s, cost + s * p
        elif abs(s) <= abs(q):
            avg = cost / q
            realized += -s * (p - avg) * mult
            q, cost = q + s, avg * (q + s)
        else:
            realized += (q * p - cost) * mult
            q, cost = q + s, (q + s) * p
    return realized


@given(
    steps=st.lists(
        st.tuples(st.integers(-50, 50).filter(bool), st.integers(1, 100000)), max_size=40
    ),
    mult=st.sampled_from([1, 65, 100]),
)
def test_realized_matches_exact_average_cost_oracle(
    steps: list[tuple[int, int]], mult: int
) -> None:
    pos = Position.flat(IID, D(mult))
    flows = D(0)
    for signed, ticks in steps:
        price = D(ticks) * D("0.05")
        pos = pos.apply_trade(BUY if signed > 0 else SELL, D(abs(signed)), price)
        flows -= D(signed) * price * mult
    assert pos.quantity == sum(s for s, _ in steps)
    # exact conservation: realised - open cost * multiplier == cash flows
    assert pos.realized_pnl - pos.cost_basis * mult == flows
    # and the realised figure is the true average-cost PnL up to the rounding of releases
    tolerance = Fraction(len(steps) * mult, 10**10)
    assert abs(Fraction(pos.realized_pnl) - _oracle_realized(steps, mult)) <= tolerance


def test_settle_closes_at_any_non_negative_price() -> None:
    pos = Position.flat(IID).apply_trade(Side.SELL, D(150), D("100"))  # short 150 @ 100
    worthless = pos.settle(D(0))
    assert (worthless.quantity, worthless.cost_basis) == (D(0), D(0))
    assert worthless.realized_pnl == D(15000)  # kept the whole premium
    itm = pos.settle(D("130.5"))
    assert itm.realized_pnl == D("-4575.0")  # (100 - 130.5) * 150
    with pytest.raises(ValidationError):
        pos.settle(D(-1))
