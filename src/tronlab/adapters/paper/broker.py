"""The paper broker behind the async :class:`~tronlab.adapters.base.Broker` interface.

It wraps the same :class:`~tronlab.adapters.paper.exchange.SimulatedExchange` the backtest
engine trades against, with its own ledger (a :class:`~tronlab.model.Portfolio`), so paper
trading is an adapter and not a flag. Market data reaches it through :meth:`PaperBroker.on_bar`
(from a replay or a live feed); events come out of :meth:`PaperBroker.order_events` in the
canonical sequences SUBMITTED -> WORKING -> (PARTIALLY_FILLED)* -> FILLED.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime
from decimal import Decimal

import pandas as pd

from tronlab.adapters.base import (
    Capabilities,
    DuplicateClientOrderId,
    InstrumentNotFound,
    OrderNotFound,
)
from tronlab.adapters.paper.exchange import ExchangeEvent, SessionGate, SimulatedExchange
from tronlab.execution.costs import CostModel
from tronlab.execution.fill_model import FillConfig
from tronlab.model import (
    Account,
    Fill,
    Instrument,
    InstrumentId,
    MarginModel,
    Order,
    OrderEvent,
    OrderRequest,
    OrderType,
    Portfolio,
    Position,
    Product,
    TimeInForce,
)

PAPER_CAPABILITIES = Capabilities(
    order_types=frozenset(OrderType),
    tifs=frozenset({TimeInForce.DAY, TimeInForce.IOC, TimeInForce.GTC}),
    products=frozenset({Product.MIS, Product.CNC, Product.NRML, None}),
    fractional_qty=True,
    shorting=True,
    options=True,
)


class PaperBroker:
    """An in-process simulated broker (see the module docstring).

    Parameters
    ----------
    instruments
        What it lists, by symbol.
    fees
        Cost model of its fills.
    currency, initial_cash, margin
        Its account.
    config
        Fill conventions.
    sessions
        Market-hours gate (``None``: always open).
    clock
        Source of "now" (injected: simulated in replays, wall time live).
    """

    name = "paper"
    capabilities = PAPER_CAPABILITIES

    def __init__(
        self,
        instruments: Mapping[str, Instrument],
        fees: CostModel,
        *,
        currency: str = "INR",
        initial_cash: Decimal = Decimal("1000000"),
        margin: MarginModel | None = None,
        config: FillConfig | None = None,
        sessions: SessionGate | None = None,
        clock: Callable[[], datetime],
    ) -> None:
        self.portfolio = Portfolio(currency, initial_cash, margin_model=margin)
        self._instruments = {s.upper(): i for s, i in instruments.items()}
        self._last: dict[str, float] = {}
        self.exchange = SimulatedExchange(
            instruments=self._instruments,
            portfolio=self.portfolio,
            fees=fees,
            config=config or FillConfig(),
            sessions=sessions,
            last_price=self._last.get,
        )
        self._clock = clock
        self._orders: dict[str, Order] = {}
        self._fills: list[Fill] = []
        self._queue: asyncio.Queue[OrderEvent] = asyncio.Queue()
        self._started = False

    # ------------------------------------------------------------------ session
    async def start(self) -> None:
        self._started = True

    async def stop(self) -> None:
        self._started = False

    async def instruments(self) -> list[Instrument]:
        return list(self._instruments.values())

    async def resolve(self, instrument_id: InstrumentId) -> Instrument:
        inst = self._instruments.get(instrument_id.symbol)
        if inst is None or inst.id != instrument_id:
            raise InstrumentNotFound(f"{instrument_id} is not listed", broker=self.name)
        return inst

    # ------------------------------------------------------------------ orders
    async def place_order(self, request: OrderRequest) -> Order:
        """Acknowledge (or reject) the order; never waits for a fill.

        Raises
        ------
        DuplicateClientOrderId
            When the id was used before (``existing`` holds that order).
        """
        coid = str(request.client_order_id)
        existing = self._orders.get(coid)
        if existing is not None:
            raise DuplicateClientOrderId(
                f"client order id {coid} was used before", broker=self.name,
                client_order_id=coid, existing=existing,
            )  # fmt: skip
        order = Order(request)
        self._orders[coid] = order
        now = self._clock()
        self._publish(self.exchange.submit(order, now, pd.Timestamp(now).value))
        return order

    async def cancel_order(self, client_order_id: str) -> Order:
        """Cancel a working order; cancelling a finished one returns it unchanged."""
        order = self._orders.get(client_order_id)
        if order is None:
            raise OrderNotFound(
                f"no order {client_order_id}", broker=self.name, client_order_id=client_order_id
            )
        if not order.is_terminal:
            self._publish(self.exchange.cancel(client_order_id, self._clock()))
        return order

    async def cancel_all(self, instrument_id: InstrumentId | None = None) -> list[Order]:
        out = []
        for order in list(self.exchange.working_orders()):
            if instrument_id is None or order.instrument_id == instrument_id:
                out.append(await self.cancel_order(str(order.client_order_id)))
        return out

    async def get_order(self, client_order_id: str) -> Order:
        order = self._orders.get(client_order_id)
        if order is None:
            raise OrderNotFound(
                f"no order {client_order_id}", broker=self.name, client_order_id=client_order_id
            )
        return order

    async def list_orders(
        self, *, open_only: bool = False, since: datetime | None = None
    ) -> list[Order]:
        return [
            o
            for o in self._orders.values()
            if (not open_only or o.status.is_open) and (since is None or o.created_at >= since)
        ]

    async def list_fills(self, *, since: datetime | None = None) -> list[Fill]:
        return [f for f in self._fills if since is None or f.ts >= since]

    async def positions(self) -> list[Position]:
        return list(self.portfolio.open_positions())

    async def account(self) -> Account:
        return self.portfolio.snapshot(self._clock())

    async def order_events(self) -> AsyncIterator[OrderEvent]:
        """Every order event, in order, as it happens (runs until cancelled)."""
        while True:
            yield await self._queue.get()

    def pending_events(self) -> list[OrderEvent]:
        """Drain the events published so far without waiting (for synchronous callers)."""
        out = []
        while not self._queue.empty():
            out.append(self._queue.get_nowait())
        return out

    # ------------------------------------------------------------------ market data
    async def on_bar(
        self,
        symbol: str,
        start: datetime,
        session: int,
        o: float,
        h: float,
        low: float,
        c: float,
        v: float,
    ) -> None:
        """Match the working orders of ``symbol`` against one closed bar."""
        sym = symbol.upper()
        now = self._clock()
        events = self.exchange.mark_session(sym, session, now)
        events += self.exchange.on_bar(sym, pd.Timestamp(start).value, session, o, h, low, c, v)
        self._last[sym] = c
        self._publish(events)

    # ------------------------------------------------------------------ internals
    def _publish(self, events: list[ExchangeEvent]) -> None:
        for ev in events:
            fill = ev.event.fill
            if fill is not None:
                self.portfolio.apply_fill(fill, self._instruments[fill.instrument_id.symbol])
                self._fills.append(fill)
            self._queue.put_nowait(ev.event)
