"""Booking and checking the engine's accounts (a mixin of :class:`~tronlab.engine.loop.Engine`).

Every exchange event goes to the journal; a fill is booked into the Decimal portfolio (the
truth) and into the float shadows the per-bar risk look reads (cash, positions, flows), the
MIS part of the position is tracked, and the risk hop hears of it. At the end of a run
:meth:`AccountsMixin.check_accounts` proves the books against the fills, exactly.
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tronlab.model import Side, TronlabError

if TYPE_CHECKING:
    from tronlab.adapters.paper.exchange import ExchangeEvent
    from tronlab.engine.settlement import SettlementRecord
    from tronlab.execution.order_manager import OrderManager
    from tronlab.model import Fill, Instrument, Order, Portfolio
    from tronlab.risk import PreTradeRisk

_ZERO = Decimal(0)
_BUY = Side.BUY  # a module constant: member lookups on the enum class are slow


class AccountingError(TronlabError):
    """Cash and positions do not reconcile with the fills: a bug, never a market condition."""

    default_code = "ACCOUNTING"


class AccountsMixin:
    """Fill booking, marking and the accounting identity for the engine."""

    portfolio: Portfolio
    instruments: dict[str, Instrument]
    orders: OrderManager
    risk: PreTradeRisk
    fills: list[Fill]
    flows: list[tuple[int, str, float, float]]
    settlements: list[SettlementRecord]
    last_prices: dict[str, float]
    open_positions: int
    _cash_f: float
    _pos_f: dict[str, float]
    _k: int
    _callbacks: deque[tuple[str, Any]]
    _wants_fills: bool
    _wants_events: bool
    _multipliers: dict[str, float]

    if TYPE_CHECKING:  # provided by RiskViewMixin and Engine

        def _book_intraday(self, sym: str, fill: Fill, order: Order, position: Decimal) -> None: ...

        def position_qty(self, symbol: str) -> Decimal: ...

    def _dispatch(self, events: list[ExchangeEvent], *, notify: bool = True) -> None:
        record = self.orders.journal.order_event  # OrderManager.record, without the hop
        want_events = notify and self._wants_events
        for ev in events:
            order = ev.order
            event = ev.event
            record(order, event)
            fill = event.fill
            if fill is not None:
                self._book(order, fill, notify)
            if want_events:
                self._callbacks.append(("on_order_event", event))

    def _book(self, order: Order, fill: Fill, notify: bool) -> None:
        portfolio = self.portfolio
        sym = fill.instrument_id.symbol
        inst = self.instruments[sym]
        sym = inst.id.symbol
        before = portfolio.position(inst.id)
        realized_before = before.realized_pnl
        qty_before = before.quantity
        after = portfolio.apply_fill(fill, inst)
        self.fills.append(fill)
        mult = self._multipliers.get(sym)
        if mult is None:
            mult = self._multipliers[sym] = float(inst.multiplier)
        signed = float(fill.quantity) * (1.0 if fill.side is _BUY else -1.0)
        cash = -signed * float(fill.price) * mult - float(fill.fee)
        self.flows.append((self._k, sym, signed * mult, cash))
        self._cash_f += cash
        self._pos_f[sym] = self._pos_f.get(sym, 0.0) + signed * mult
        self.open_positions = sum(1 for p in portfolio.open_positions())
        qty_after = after.quantity
        flipped = qty_before != 0 and (qty_after > 0) != (qty_before > 0)
        self._book_intraday(sym, fill, order, qty_after)
        closed = qty_before != 0 and (qty_after == 0 or flipped)
        self.risk.on_fill(fill, after.realized_pnl - realized_before, closed, self)  # type: ignore[arg-type]
        if notify and self._wants_fills:
            self._callbacks.append(("on_fill", fill))

    def mark_portfolio(self) -> None:
        prices = {}
        last_prices = self.last_prices
        for pos in self.portfolio.open_positions():
            last = last_prices.get(pos.instrument_id.symbol)
            if last is not None and last > 0:
                price = Decimal(repr(last))
                if price != pos.last_price:  # re-marking at the same price changes nothing
                    prices[pos.instrument_id] = price
        if prices:
            self.portfolio.mark(prices)

    def check_accounts(self) -> None:
        """The accounting identity, exactly: cash and positions equal what the fills say."""
        cash = self.portfolio.initial_cash
        fees = _ZERO
        qty: dict[str, Decimal] = {}
        for f in self.fills:
            mult = self.instruments[f.instrument_id.symbol].multiplier
            cash -= f.signed_quantity * f.price * mult + f.fee
            fees += f.fee
            qty[f.instrument_id.symbol] = qty.get(f.instrument_id.symbol, _ZERO) + (
                f.signed_quantity
            )
        for s in self.settlements:  # expiry: the settlement value, less exercise STT
            cash += s.quantity * s.price * self.instruments[s.symbol].multiplier - s.fee
            fees += s.fee
            qty[s.symbol] = qty.get(s.symbol, _ZERO) - s.quantity
        p = self.portfolio
        problems = []
        if cash != p.cash:
            problems.append(f"cash {p.cash} != initial cash - fills - fees = {cash}")
        if fees != p.fees_paid:
            problems.append(f"fees paid {p.fees_paid} != sum of fill fees {fees}")
        for sym, q in qty.items():
            have = self.position_qty(sym)
            if have != q:
                problems.append(f"{sym}: position {have} != sum of fills {q}")
        pnl = p.realized_pnl + p.unrealized_pnl - p.fees_paid
        if pnl != p.equity - p.initial_cash:
            problems.append(
                f"realized + unrealized - fees = {pnl} but equity - initial cash = "
                f"{p.equity - p.initial_cash}"
            )
        if problems:
            raise AccountingError("accounts do not reconcile: " + "; ".join(problems))
