"""The broker contract (interfaces.md 7.11): every adapter passes the same cases.

Only the paper broker exists yet; the Zerodha and Alpaca adapters join the ``broker``
fixture's parameters when they land (against recorded mocks / a local stub).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tronlab.adapters.base import Broker, DuplicateClientOrderId, OrderNotFound
from tronlab.adapters.paper.broker import PaperBroker
from tronlab.execution.costs import ZerodhaCosts
from tronlab.execution.fill_model import FillConfig
from tronlab.model import (
    ClientOrderId,
    ClientOrderIdGenerator,
    Instrument,
    InvalidOrder,
    OrderRequest,
    OrderStatus,
    OrderType,
    Product,
    Side,
    Venue,
)

T0 = datetime(2025, 1, 6, 4, 0, tzinfo=UTC)  # 09:30 IST, a Monday
EQ = Instrument.equity(Venue.NSE, "INFY", tick_size=Decimal("0.05"))
FUT = Instrument.future(
    Venue.NFO, "NIFTY25JANFUT", underlying="NIFTY", expiry=datetime(2025, 1, 30).date(),
    tick_size=Decimal("0.05"), lot_size=75,
)  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class PaperHarness:
    """Drives the paper broker: market data comes from bars we hand it."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.broker = PaperBroker(
            {"INFY": EQ, "NIFTY25JANFUT": FUT},
            ZerodhaCosts(),
            initial_cash=Decimal("500000"),
            config=FillConfig(participation=0.5),
            clock=self.clock,
        )
        self.ids = ClientOrderIdGenerator("CT")

    async def bar(self, symbol: str, o: float, h: float, lo: float, c: float, v: float) -> None:
        start = self.clock.now
        self.clock.now = start + timedelta(minutes=1)
        await self.broker.on_bar(symbol, start, 20094, o, h, lo, c, v)

    def request(self, inst: Instrument, side: Side, qty: str, **kw: Any) -> OrderRequest:
        return OrderRequest(
            client_order_id=kw.pop("coid", None) or self.ids.next(self.clock.now),
            instrument=inst, side=side, quantity=Decimal(qty),
            order_type=kw.pop("order_type", OrderType.MARKET), created_at=self.clock.now,
            product=kw.pop("product", Product.MIS), **kw,
        )  # fmt: skip


HARNESSES: dict[str, Callable[[], PaperHarness]] = {"paper": PaperHarness}


@pytest.fixture(params=sorted(HARNESSES))
def h(request: pytest.FixtureRequest) -> PaperHarness:
    harness = HARNESSES[request.param]()
    asyncio.run(harness.broker.start())
    return harness


def _statuses(broker: Broker) -> list[str]:
    assert isinstance(broker, PaperBroker)
    return [e.status.value for e in broker.pending_events()]


def test_place_ack_then_fill_events_in_order(h: PaperHarness) -> None:
    async def go() -> None:
        order = await h.broker.place_order(h.request(EQ, Side.BUY, "10"))
        assert order.status is OrderStatus.WORKING  # acknowledged, not filled
        assert _statuses(h.broker) == ["SUBMITTED", "WORKING"]
        await h.bar("INFY", 1800.0, 1805.0, 1795.0, 1802.0, 10_000)
        assert _statuses(h.broker) == ["FILLED"]
        [fill] = await h.broker.list_fills()
        assert (fill.price, fill.quantity) == (Decimal("1800.00"), Decimal(10))
        assert fill.fee > 0
        [pos] = await h.broker.positions()
        assert pos.quantity == 10
        acct = await h.broker.account()
        assert acct.cash == Decimal("500000") - Decimal(18000) - fill.fee

    asyncio.run(go())


def test_partial_fills(h: PaperHarness) -> None:
    async def go() -> None:
        order = await h.broker.place_order(h.request(EQ, Side.BUY, "30"))
        h.broker.pending_events()
        await h.bar("INFY", 1800.0, 1801.0, 1799.0, 1800.0, 40)  # 50% of 40 = 20
        await h.bar("INFY", 1801.0, 1802.0, 1800.0, 1801.0, 40)
        assert _statuses(h.broker) == ["PARTIALLY_FILLED", "FILLED"]
        assert order.filled_quantity == 30
        fills = await h.broker.list_fills()
        # the Rs 20 intraday brokerage cap spans the order's fills
        from tronlab.execution.costs import ZerodhaCosts as Z

        first = Z().charges(EQ, Side.BUY, Decimal(20), Decimal(1800), Product.MIS, fills[0].ts)
        assert [f.quantity for f in fills] == [20, 10]
        assert fills[0].fee == first.total

    asyncio.run(go())


def test_reject_with_a_reason(h: PaperHarness) -> None:
    async def go() -> None:
        await h.bar("INFY", 1800.0, 1801.0, 1799.0, 1800.0, 1000)
        order = await h.broker.place_order(h.request(EQ, Side.BUY, "1000"))  # 18 lakh > cash
        assert order.status is OrderStatus.REJECTED
        assert order.events[-1].reason == "INSUFFICIENT_FUNDS"
        assert "margin" in (order.reject_reason or "")

    asyncio.run(go())


def test_cancel_of_a_terminal_order_returns_it(h: PaperHarness) -> None:
    async def go() -> None:
        order = await h.broker.place_order(h.request(EQ, Side.BUY, "1"))
        await h.bar("INFY", 1800.0, 1801.0, 1799.0, 1800.0, 1000)
        assert order.status is OrderStatus.FILLED
        again = await h.broker.cancel_order(str(order.client_order_id))
        assert again is order
        assert again.status is OrderStatus.FILLED
        resting = await h.broker.place_order(
            h.request(EQ, Side.BUY, "1", order_type=OrderType.LIMIT, limit_price=Decimal("1700"))
        )
        cancelled = await h.broker.cancel_order(str(resting.client_order_id))
        assert cancelled.status is OrderStatus.CANCELLED
        with pytest.raises(OrderNotFound):
            await h.broker.cancel_order("ZZ000000000000000000")

    asyncio.run(go())


def test_duplicate_client_order_id(h: PaperHarness) -> None:
    async def go() -> None:
        coid = ClientOrderId("CT0000000000000000AB")
        first = await h.broker.place_order(h.request(EQ, Side.BUY, "1", coid=coid))
        with pytest.raises(DuplicateClientOrderId) as err:
            await h.broker.place_order(h.request(EQ, Side.BUY, "1", coid=coid))
        assert err.value.existing is first
        assert len(await h.broker.list_orders()) == 1

    asyncio.run(go())


def test_lot_and_tick_are_validated_before_sending(h: PaperHarness) -> None:
    with pytest.raises(InvalidOrder) as lot:
        h.request(FUT, Side.BUY, "50")
    assert lot.value.code == "INVALID_ORDER_LOT"
    with pytest.raises(InvalidOrder) as tick:
        h.request(EQ, Side.BUY, "1", order_type=OrderType.LIMIT, limit_price=Decimal("1800.02"))
    assert tick.value.code == "INVALID_ORDER_TICK"


def test_decimal_prices_round_trip(h: PaperHarness) -> None:
    async def go() -> None:
        order = await h.broker.place_order(
            h.request(EQ, Side.SELL, "2", order_type=OrderType.LIMIT,
                      limit_price=Decimal("1800.05"))
        )  # fmt: skip
        fetched = await h.broker.get_order(str(order.client_order_id))
        assert fetched.limit_price == Decimal("1800.05")
        assert isinstance(fetched.limit_price, Decimal)

    asyncio.run(go())


def test_order_events_stream(h: PaperHarness) -> None:
    async def go() -> list[str]:
        await h.broker.place_order(h.request(EQ, Side.BUY, "1"))
        await h.bar("INFY", 1800.0, 1801.0, 1799.0, 1800.0, 1000)
        stream = h.broker.order_events()
        return [(await anext(stream)).status.value for _ in range(3)]

    assert asyncio.run(go()) == ["SUBMITTED", "WORKING", "FILLED"]
