"""The model's fast paths give what the checked constructors give."""

from __future__ import annotations

import random
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tronlab.model import (
    ClientOrderId,
    ClientOrderIdGenerator,
    Fill,
    IllegalTransition,
    Instrument,
    Order,
    OrderEvent,
    OrderRequest,
    OrderStatus,
    OrderType,
    Portfolio,
    Position,
    Side,
    Venue,
)

T0 = datetime(2025, 1, 2, 3, 45, tzinfo=UTC)
INST = Instrument.equity(Venue.NSE, "ABC", tick_size=D("0.05"))


def _order(qty: str = "10") -> Order:
    return Order(
        OrderRequest(
            client_order_id=ClientOrderId.from_signal("acct", "s", qty),
            instrument=INST,
            side=Side.BUY,
            quantity=D(qty),
            order_type=OrderType.MARKET,
            created_at=T0,
        )
    )


def _fill(order: Order, n: int, qty: str, price: str) -> Fill:
    return Fill(
        fill_id=f"F{n}",
        client_order_id=order.client_order_id,
        instrument_id=INST.id,
        side=order.side,
        quantity=D(qty),
        price=D(price),
        ts=T0 + timedelta(seconds=n),
    )


def test_order_events_have_every_field_as_the_checked_constructor_builds_them() -> None:
    order = _order()
    events = [
        order.transition(OrderStatus.SUBMITTED, T0),
        order.transition(OrderStatus.WORKING, T0, reason="R", message="m"),
        order.apply_fill(_fill(order, 1, "4", "100.05")),
        order.apply_fill(_fill(order, 2, "6", "100.10")),
    ]
    for event in events:
        rebuilt = OrderEvent(**{f.name: getattr(event, f.name) for f in fields(OrderEvent)})
        assert rebuilt == event
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert order.status is OrderStatus.FILLED


def test_transition_fast_path_keeps_the_state_machine() -> None:
    order = _order()
    order.transition(OrderStatus.SUBMITTED, T0)
    with pytest.raises(IllegalTransition, match="not allowed"):
        order.transition(OrderStatus.PENDING_SUBMIT, T0)
    with pytest.raises(IllegalTransition, match="needs filled == quantity"):
        order.transition(OrderStatus.FILLED, T0)
    with pytest.raises(IllegalTransition, match="PARTIALLY_FILLED needs filled > 0"):
        order.transition(OrderStatus.PARTIALLY_FILLED, T0)
    order.apply_fill(_fill(order, 1, "3", "100"))
    with pytest.raises(IllegalTransition, match="needs filled == quantity"):
        order.transition(OrderStatus.FILLED, T0)  # in the table, refused by the fill state
    order.transition(OrderStatus.CANCELLED, T0)
    with pytest.raises(IllegalTransition, match="terminal"):
        order.transition(OrderStatus.EXPIRED, T0)


def test_generated_ids_are_the_composed_ones() -> None:
    gen = ClientOrderIdGenerator("AB", random.Random(3))
    rng = random.Random(4)
    for _ in range(2000):
        ts = T0 + timedelta(milliseconds=rng.randrange(-(10**9), 10**9))
        coid = gen.next(ts)
        assert coid == ClientOrderId.compose("AB", gen._last_ms, gen._last_rand)
        assert str(coid) == coid.value
        assert len(coid.value) == 20


@given(
    st.lists(
        st.tuples(st.booleans(), st.integers(1, 50), st.integers(1, 4000)),
        min_size=1,
        max_size=12,
    )
)
def test_position_fills_book_as_apply_trade(trades: list[tuple[bool, int, int]]) -> None:
    via_fill = via_trade = Position.flat(INST.id)
    for n, (buy, qty, ticks) in enumerate(trades):
        price = D(ticks) * D("0.05")
        fill = Fill(
            fill_id=f"F{n}",
            client_order_id=ClientOrderId.from_signal("a", "s", str(n)),
            instrument_id=INST.id,
            side=Side.BUY if buy else Side.SELL,
            quantity=D(qty),
            price=price,
            ts=T0,
            fee=D("0.01") * n,
        )
        via_fill = via_fill.apply_fill(fill)
        via_trade = via_trade.apply_trade(fill.side, D(qty), price, fee=fill.fee)
        assert repr(via_fill) == repr(via_trade)


def test_portfolio_quantity() -> None:
    p = Portfolio("INR", D(100000))
    assert p.quantity(INST.id) == 0
    order = _order("7")
    p.apply_fill(_fill(order, 1, "7", "10"), INST)
    assert p.quantity(INST.id) == D(7) == p.position(INST.id).quantity
