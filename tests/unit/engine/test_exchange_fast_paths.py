"""The simulated exchange's fast paths give what the checked paths give."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tronlab.adapters.paper.exchange import SimulatedExchange, _TickRules
from tronlab.execution.costs import ChargeBreakdown, PercentCost, ZeroCost
from tronlab.execution.costs_base import brokerage_only, mul
from tronlab.model import (
    ClientOrderId,
    Instrument,
    Order,
    OrderRequest,
    OrderType,
    Portfolio,
    Side,
    ValidationError,
    Venue,
)

NOW = datetime(2024, 3, 4, 10, 0, tzinfo=UTC)
INST = Instrument.equity(Venue.US, "ABC", tick_size=Decimal("0.01"))
FUT = Instrument.future(
    Venue.MCX,
    "GOLDFUT",
    underlying="GOLD",
    expiry=datetime(2024, 3, 28).date(),
    tick_size=Decimal("1"),
    multiplier=Decimal("100"),
)


@given(st.floats(min_value=-5, max_value=1e6, allow_nan=False) | st.sampled_from([0.005, 0.015]))
def test_tick_memo_is_round_to_tick(price: float) -> None:
    rules = _TickRules(INST)
    for _ in range(2):  # computed, then remembered
        try:
            expected = INST.round_to_tick(Decimal(repr(price)))
        except ValidationError:
            with pytest.raises(ValidationError):
                rules.on_tick(price)
            continue
        got = rules.on_tick(price)
        assert (got, str(got)) == (expected, str(expected))


def test_tick_memo_keeps_out_what_it_cannot_key() -> None:
    rules = _TickRules(INST)
    for price in (-0.0, 0.0, -1.0):
        rules.on_tick(price)
    assert rules._prices == {}
    with pytest.raises(ValidationError):
        rules.on_tick(math.nan)


@given(
    st.integers(1, 10**6),
    st.integers(1, 10**7),
    st.sampled_from(["0", "0.0003", "0.00123", "0.5"]),
)
def test_percent_charges_on_notional_is_charges(qty: int, ticks: int, rate: str) -> None:
    model = PercentCost(Decimal(rate))
    q, p = Decimal(qty), Decimal(ticks) * Decimal("0.01")
    for inst in (INST, FUT):
        checked = model.charges(inst, Side.SELL, q, p, None, NOW)
        fast = model.charges_on(mul(q, p, inst.multiplier))
        assert repr(fast) == repr(checked)
    assert repr(ZeroCost().charges(INST, Side.BUY, q, p, None, NOW)) == repr(ChargeBreakdown.of())


def test_brokerage_only_is_of() -> None:
    for fee in (Decimal(0), Decimal("0.00"), Decimal("12.34"), Decimal("1E+3")):
        assert repr(brokerage_only(fee)) == repr(ChargeBreakdown.of(brokerage=fee))


@pytest.mark.parametrize("fees", [ZeroCost(), PercentCost(Decimal("0.001"))])
def test_a_price_that_rounds_to_zero_is_still_refused(fees) -> None:
    """The fast fee path only runs for a positive price; below half a tick the checked path
    (and its error) is taken, as before."""
    portfolio = Portfolio("USD", Decimal(1000))
    ex = SimulatedExchange(instruments={"ABC": INST}, portfolio=portfolio, fees=fees)
    order = Order(
        OrderRequest(
            client_order_id=ClientOrderId.from_signal("a", "s", "1"),
            instrument=INST,
            side=Side.BUY,
            quantity=Decimal(1),
            order_type=OrderType.MARKET,
            created_at=NOW,
        )
    )
    ex.submit(order, NOW, 0)
    with pytest.raises(ValidationError, match="price"):
        ex.on_bar("ABC", 0, 0, 0.004, 0.004, 0.004, 0.004, 100.0, at_close=True, now=NOW)
