"""The strategy's view of the engine: :class:`EngineContext` implements
:class:`tronlab.strategy.Context` on top of an :class:`~tronlab.engine.loop.Engine`.

Order calls build an :class:`~tronlab.execution.intents.OrderIntent` and hand it to the engine,
which sends it through the risk governor and the order manager to the broker.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tronlab.execution.intents import IntentError, MultiLegIntent, OrderIntent
from tronlab.model import (
    Instrument,
    Order,
    OrderType,
    Portfolio,
    Position,
    Product,
    Side,
    TimeInForce,
)
from tronlab.strategy.bars import History

if TYPE_CHECKING:
    from tronlab.engine.loop import Engine


def _dec(value: int | float | Decimal | None, name: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise IntentError(f"{name} must be a number, got {type(value).__name__}")
    return Decimal(value) if isinstance(value, int) else Decimal(repr(value))


# Enum members as module constants: a class attribute lookup of a member costs ~50 ns here.
_MARKET, _LIMIT, _STOP, _STOP_LIMIT = (
    OrderType.MARKET,
    OrderType.LIMIT,
    OrderType.STOP,
    OrderType.STOP_LIMIT,
)
_BUY, _SELL = Side.BUY, Side.SELL


class EngineContext:
    """What a strategy sees and can do; the same object in backtest, paper and live."""

    __slots__ = ("_engine", "strategy_id")

    def __init__(self, engine: Engine, strategy_id: str) -> None:
        self._engine = engine
        self.strategy_id = strategy_id

    # ------------------------------------------------------------------ state
    @property
    def symbols(self) -> Sequence[str]:
        return self._engine.symbols

    @property
    def now_ns(self) -> int:
        return self._engine.clock.now_ns()

    @property
    def now(self) -> Any:
        return self._engine.clock.now()

    @property
    def timezone(self) -> str:
        """The exchange's time zone (IANA name, e.g. ``Asia/Kolkata``) of this run."""
        return str(self._engine.config.timezone)

    @property
    def portfolio(self) -> Portfolio:
        self._engine.mark_portfolio()
        return self._engine.portfolio

    def position(self, symbol: str) -> Position:
        inst = self._engine.instrument(symbol)
        return self._engine.portfolio.position(inst.id)

    def quantity(self, symbol: str) -> Decimal:
        return self._engine.position_qty(symbol)

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        return self._engine.exchange.working_orders(None if symbol is None else symbol.upper())

    def history(self, symbol: str, timeframe: str | None = None) -> History:
        return self._engine.history(symbol, timeframe)

    def last_price(self, symbol: str) -> float | None:
        return self._engine.last_prices.get(symbol.upper())

    def session_bounds(self, symbol: str) -> tuple[datetime, datetime] | None:
        """Open and close (UTC) of ``symbol``'s session in progress now (its close included),
        from the run's trading calendar; ``None`` outside a session or without a calendar."""
        return self._engine.session_bounds(symbol.upper(), self._engine.clock.now_ns())

    def entries_left(self) -> int | None:
        """Entries the risk governor still allows this strategy today (``None``: no cap, or
        a risk hop that does not say)."""
        ask = getattr(self._engine.risk, "entries_left", None)
        return None if ask is None else ask(self.strategy_id)

    def instrument(self, symbol: str) -> Instrument:
        """The instrument traded as ``symbol`` in this run (``KeyError`` when unknown)."""
        return self._engine.instrument(symbol)

    def instruments(self, underlying: str | None = None) -> list[Instrument]:
        """Every instrument of this run, or only the derivatives of ``underlying`` (futures
        and options whose ``underlying`` is that symbol), sorted by symbol."""
        insts = list(self._engine.instruments.values())
        if underlying is not None:
            key = underlying.upper()
            insts = [i for i in insts if (i.underlying or "").upper() == key]
        return sorted(insts, key=lambda i: i.symbol)

    def for_strategy(self, strategy_id: str) -> EngineContext:
        """A context for a sub-strategy: the same engine, orders tagged with ``strategy_id``
        (a composite strategy such as the daily plan gives each child its own)."""
        return EngineContext(self._engine, strategy_id)

    def indicator(
        self, symbol: str, indicator: Any, *, timeframe: str | None = None, inputs: str = "close"
    ) -> Any:
        """Register a streaming indicator on a bar series; it is updated with every closed bar
        of that series before ``on_bar`` runs, and returned for convenience."""
        return self._engine.register_indicator(symbol, indicator, timeframe)

    # ------------------------------------------------------------------ orders
    def buy(
        self,
        symbol: str,
        quantity: int | Decimal,
        *,
        limit: float | Decimal | None = None,
        stop: float | Decimal | None = None,
        tif: TimeInForce = TimeInForce.DAY,
        product: Product | None = None,
        rationale: str = "",
        confidence: float | None = None,
    ) -> str | None:
        return self._order(_BUY, symbol, quantity, limit, stop, tif, product, rationale, confidence)

    def sell(
        self,
        symbol: str,
        quantity: int | Decimal,
        *,
        limit: float | Decimal | None = None,
        stop: float | Decimal | None = None,
        tif: TimeInForce = TimeInForce.DAY,
        product: Product | None = None,
        rationale: str = "",
        confidence: float | None = None,
    ) -> str | None:
        return self._order(
            _SELL, symbol, quantity, limit, stop, tif, product, rationale, confidence
        )

    def target_position(
        self,
        symbol: str,
        quantity: int | Decimal,
        *,
        rationale: str = "",
        confidence: float | None = None,
    ) -> str | None:
        """Trade the difference between ``quantity`` (signed) and the current position plus
        what working orders will add; ``None`` when nothing needs to be done."""
        target = _dec(quantity, "quantity") or Decimal(0)
        sym = symbol.upper()
        delta = target - self._engine.position_qty(sym) - self._engine.pending_qty(sym)
        if delta == 0:
            return None
        side = Side.BUY if delta > 0 else Side.SELL
        return self._order(
            side, sym, abs(delta), None, None, TimeInForce.DAY, None, rationale, confidence
        )

    def close(
        self, symbol: str, *, rationale: str = "", confidence: float | None = None
    ) -> str | None:
        """Flatten ``symbol`` with a market order (reduce-only); ``None`` when already flat."""
        sym = symbol.upper()
        qty = self._engine.position_qty(sym) + self._engine.pending_qty(sym)
        if qty == 0:
            return None
        side = Side.SELL if qty > 0 else Side.BUY
        return self._order(
            side,
            sym,
            abs(qty),
            None,
            None,
            TimeInForce.DAY,
            None,
            rationale,
            confidence,
            reduce_only=True,
        )

    def submit_legs(self, intent: MultiLegIntent) -> list[str]:
        """Send a multi-leg order (built with :mod:`tronlab.execution.combos` or by hand):
        the risk governor accepts all legs or refuses all of them, and the margin is that of
        the combination. Returns the legs' client order ids, in leg order; a refusal reaches
        ``on_order_event`` for each leg."""
        if not isinstance(intent, MultiLegIntent):
            raise IntentError(f"submit_legs takes a MultiLegIntent, got {type(intent).__name__}")
        return self._engine.submit_legs(intent.for_strategy(self.strategy_id))

    def cancel(self, client_order_id: str) -> None:
        self._engine.cancel(client_order_id)

    def log(self, event: str, **fields: Any) -> None:
        self._engine.log_strategy(self.strategy_id, event, fields)

    def _order(
        self,
        side: Side,
        symbol: str,
        quantity: int | Decimal,
        limit: float | Decimal | None,
        stop: float | Decimal | None,
        tif: TimeInForce,
        product: Product | None,
        rationale: str,
        confidence: float | None,
        *,
        reduce_only: bool = False,
    ) -> str | None:
        qty = quantity if type(quantity) is Decimal else _dec(quantity, "quantity")
        lim = None if limit is None else _dec(limit, "limit")
        stp = None if stop is None else _dec(stop, "stop")
        if lim is not None and stp is not None:
            order_type = _STOP_LIMIT
        elif lim is not None:
            order_type = _LIMIT
        elif stp is not None:
            order_type = _STOP
        else:
            order_type = _MARKET
        intent = OrderIntent(
            symbol=symbol.upper(),
            side=side,
            quantity=qty if qty is not None else Decimal(0),
            order_type=order_type,
            limit_price=lim,
            stop_price=stp,
            tif=tif,
            product=product,
            rationale=rationale,
            confidence=confidence,
            strategy_id=self.strategy_id,
            reduce_only=reduce_only,
        )
        return self._engine.submit_intent(intent)
