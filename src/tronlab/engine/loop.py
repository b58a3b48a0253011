"""The event loop: one engine for backtest, paper and live.

For every closed bar, in feed order (see :mod:`tronlab.engine.feed`):

1. the simulated exchange matches the symbol's working orders against the bar (orders
   decided on earlier bars fill here: at this bar's open by default);
2. the bar's streaming indicators are updated;
3. the strategy's ``on_bar`` runs; its order calls go intent -> risk governor -> order
   manager -> broker and are answered at once (accepted or rejected, never filled);
4. with ``market_fill="close"`` the market orders just placed fill at this bar's close;
5. fills and order events are booked into the portfolio and journal, then handed to the
   strategy's ``on_fill`` / ``on_order_event`` *after* the running hook returns (no
   re-entrant callbacks).

User code runs behind a wrapper: an exception becomes a :class:`StrategyErrorRecord` (logged,
kept in the result) and the run goes on; after ``max_strategy_errors`` the strategy is
switched off and the run finishes without it.
"""

from __future__ import annotations

import dataclasses
import gc
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import structlog

from tronlab.adapters.paper.exchange import (
    SessionGate,
    SimulatedExchange,
    standalone_reject,
)
from tronlab.engine.accounts import AccountingError, AccountsMixin
from tronlab.engine.clock import SimulatedClock
from tronlab.engine.context import EngineContext
from tronlab.engine.feed import BarSeries, MergedFeed, Row
from tronlab.engine.multileg import FnoMixin
from tronlab.engine.view import RiskViewMixin
from tronlab.execution.costs import CostModel
from tronlab.execution.fill_model import FillConfig
from tronlab.execution.intents import OrderIntent
from tronlab.execution.order_manager import MemoryJournal, OrderJournal, OrderManager
from tronlab.model import (
    Fill,
    Instrument,
    InvalidOrder,
    MarginModel,
    Order,
    OrderEvent,
    OrderRequest,
    Portfolio,
    Product,
    Side,
    ValidationError,
)
from tronlab.risk import PassThroughRisk, PreTradeRisk, RiskDecision
from tronlab.strategy.bars import Bar, History
from tronlab.strategy.base import Strategy

log = structlog.get_logger("tronlab.engine")

__all__ = ["AccountingError", "Engine", "EngineConfig", "StrategyErrorRecord"]


@dataclass(frozen=True)
class EngineConfig:
    """Money and execution settings of a run."""

    initial_cash: Decimal = Decimal("1000000")
    currency: str = "INR"
    fill: FillConfig = field(default_factory=FillConfig)
    margin: MarginModel | None = None
    product: Product | None = None
    seed: int = 7
    id_salt: str = ""  # the run id of a stored run (see OrderManager)
    mode: str = "backtest"  # backtest, paper or live (what the risk rules see)
    timezone: str = "UTC"  # the exchange's zone (calendar days, expiry closes)
    underlyings: Mapping[str, str] = field(default_factory=dict)  # NIFTY -> series symbol
    max_strategy_errors: int = 100


@dataclass(frozen=True, slots=True)
class StrategyErrorRecord:
    """An exception raised by strategy code, turned into an event."""

    ts: datetime
    strategy_id: str
    hook: str
    error_type: str
    message: str
    traceback: str


@dataclass(slots=True)
class _SeriesState:
    series: BarSeries
    symbol: str
    timeframe: str
    is_exec: bool
    rows: Iterator[Row]  # the bars in replay order (MergedFeed.rows)
    indicators: list[Any] = field(default_factory=list)
    close_pushers: list[Any] = field(default_factory=list)  # push(close) fast paths
    intraday: bool = True  # the timeframe is intraday (orders on longer bars are queued)
    row: int = -1


class Engine(RiskViewMixin, FnoMixin, AccountsMixin):
    """Runs one strategy over a set of bar series against the simulated exchange."""

    def __init__(
        self,
        strategy: Strategy,
        series: Sequence[BarSeries],
        instruments: Mapping[str, Instrument],
        fees: CostModel,
        *,
        config: EngineConfig | None = None,
        risk: PreTradeRisk | None = None,
        sessions: SessionGate | None = None,
        journal: OrderJournal | None = None,
        clock: SimulatedClock | None = None,
        on_progress: Callable[[int], None] | None = None,
        pacer: Callable[[int], None] | None = None,
    ) -> None:
        self.config = config or EngineConfig()
        self._pacer = pacer
        self.strategy = strategy
        self.strategy_id = strategy.name or type(strategy).__name__.lower()
        self.feed = MergedFeed(series)
        self.clock = clock or SimulatedClock()
        self.instruments = {s.upper(): i for s, i in instruments.items()}
        self.portfolio = Portfolio(
            self.config.currency, self.config.initial_cash, margin_model=self.config.margin
        )
        self.risk: PreTradeRisk = risk or PassThroughRisk()
        self._risk_on_time = not isinstance(self.risk, PassThroughRisk)
        self.journal = journal or MemoryJournal()
        self.orders = OrderManager(self.journal, seed=self.config.seed, salt=self.config.id_salt)
        self.last_prices: dict[str, float] = {}
        self.exchange = SimulatedExchange(
            instruments=self.instruments,
            portfolio=self.portfolio,
            fees=fees,
            config=self.config.fill,
            sessions=sessions,
            last_price=self.last_prices.get,
        )
        self.fills: list[Fill] = []
        self.refusals: list[OrderEvent] = []
        self.errors: list[StrategyErrorRecord] = []
        self.strategy_logs: list[dict[str, Any]] = []
        # (event index, symbol, signed quantity * multiplier, cash change) per fill
        self.flows: list[tuple[int, str, float, float]] = []
        # float shadows for the per-bar risk look (the Decimal books stay the truth)
        self._cash_f = float(self.config.initial_cash)
        self._pos_f: dict[str, float] = {}
        self._multipliers: dict[str, float] = {}  # float(multiplier) by symbol
        self.open_positions = 0  # symbols with a non-zero position (for the risk view)
        # the intraday (MIS) part of each net position, squared off by the risk governor
        self._intraday: dict[str, Decimal] = {}
        self.last_bar_ns: dict[str, int] = {}
        self.mode = self.config.mode
        self._sessions = sessions
        self._on_progress = on_progress
        self._callbacks: deque[tuple[str, Any]] = deque()
        self._active = True
        self._k = 0
        self._current: _SeriesState | None = None
        self._states = self._build_states(self.feed)
        self._by_key = {(s.symbol, s.timeframe): s for s in self._states}
        self._primary = {s.symbol: s for s in self._states if s.is_exec}
        self.symbols = sorted(self._primary)
        missing = [s for s in self.symbols if s not in self.instruments]
        if missing:
            raise ValueError(f"no instrument definition for {', '.join(missing)}")
        self.ctx = EngineContext(self, self.strategy_id)
        self._init_expiries()
        self._finished = False
        self._stop_requested = False
        # hooks the strategy does not override are not called (no queueing per event)
        cls = type(strategy)
        self._wants_fills = cls.on_fill is not Strategy.on_fill
        self._wants_events = cls.on_order_event is not Strategy.on_order_event

    def request_stop(self) -> None:
        """Ask a paced run to stop before its next bar (Ctrl-C in a paper session)."""
        self._stop_requested = True

    # ------------------------------------------------------------------ set-up
    @staticmethod
    def _build_states(feed: MergedFeed) -> list[_SeriesState]:
        shortest: dict[str, int] = {}
        for s in feed.series:
            sec = s.timeframe.seconds
            shortest[s.key.symbol] = min(shortest.get(s.key.symbol, sec), sec)
        return [
            _SeriesState(
                series=s,
                symbol=s.key.symbol,
                timeframe=s.key.timeframe,
                is_exec=s.timeframe.seconds == shortest[s.key.symbol],
                rows=feed.rows(n),
                intraday=s.timeframe.is_intraday,
            )
            for n, s in enumerate(feed.series)
        ]

    # ------------------------------------------------------------------ running
    def run(self) -> None:
        """Replay the whole feed, then stop the strategy and end the open orders."""
        if self._finished:
            raise RuntimeError("an engine runs once; build a new one for another run")
        # The run allocates many small long-lived objects (orders, events, fills) and no
        # reference cycles of its own; the automatic cyclic collector would rescan them again
        # and again (measured: a third to a half of a 1M-bar run). It is paused for the run;
        # the young generations are collected every 2**17 bars, so cycles a strategy creates
        # are still freed, and the old ones are never rescanned. Restored afterwards.
        was_enabled = gc.isenabled()
        gc.freeze()
        gc.disable()
        try:
            self._run()
        finally:
            if was_enabled:
                gc.enable()
            gc.unfreeze()

    def _run(self) -> None:
        self.clock.set_ns(max(self.clock.now_ns(), self.feed.first_ns))
        self._call("on_start")
        self._drain()
        states = self._states
        exchange = self.exchange
        working = exchange._working  # hot path: a dict lookup instead of a method call
        clock = self.clock
        strategy = self.strategy
        ctx = self.ctx
        at_close = self.config.fill.market_fill == "close"
        progress = self._on_progress
        pacer = self._pacer
        last_prices = self.last_prices
        last_bar_ns = self.last_bar_ns
        risk_on_time = self.risk.on_time if self._risk_on_time else None
        callbacks = self._callbacks
        next_expiry = self.next_expiry_ns
        next_row = next
        current = self._current
        for k, (sid, row) in enumerate(self.feed.events()):
            st = states[sid]
            start, end, o, h, lo, c, v, session = next_row(st.rows)
            if end > next_expiry:  # past an expiry close: cash-settle F&O contracts
                self.settle_due(end - 1)
                next_expiry = self.next_expiry_ns
            if pacer is not None:
                if self._stop_requested:
                    break
                pacer(end)  # paced replay: wait until this bar "closes" in session time
            clock._ns = end
            self._k = k
            sym = st.symbol
            is_exec = st.is_exec
            if is_exec:
                if working.get(sym):
                    events = exchange.mark_session(sym, session, clock.now())
                    events += exchange.on_bar(sym, start, session, o, h, lo, c, v)
                    if events:
                        self._dispatch(events)
                last_prices[sym] = c
                last_bar_ns[sym] = end
            st.row = row
            bar = Bar(sym, st.timeframe, row, start, end, o, h, lo, c, v, session)
            if st is not current:  # the series of the bar being handled (for submit_intent)
                self._current = current = st
            for push_close in st.close_pushers:
                push_close(c)
            indicators = st.indicators
            if indicators:  # usually empty: close-only indicators are fed by push above
                for ind in indicators:
                    ind.update(bar)
            if risk_on_time is not None:
                for closing in risk_on_time(self, end):  # square-off, kill switch, loss limit
                    self.submit_intent(closing)
            if self._active:
                try:
                    strategy.on_bar(ctx, bar)
                except Exception as exc:
                    self._strategy_error("on_bar", exc)
            if at_close and is_exec and working.get(sym):
                events = exchange.on_bar(
                    sym, start, session, o, h, lo, c, v, at_close=True, now=clock.now()
                )
                if events:
                    self._dispatch(events)
            if callbacks:
                self._drain()
            if k & 0x1FFFF == 0x1FFFF:
                gc.collect(1)
            if progress is not None and k & 0x3FFF == 0:
                progress(k)
        self.finish()

    def finish(self) -> None:
        """Stop the strategy, end the working orders and check the accounts."""
        if self._finished:
            return
        self._finished = True
        self.settle_due(self.clock.now_ns())  # contracts expiring at the last bar's close
        self._call("on_stop")
        self._drain()
        if not self._stop_requested:  # a stopped paper session keeps its orders working
            self._dispatch(self.exchange.expire_all(self.clock.now()), notify=False)
        self.mark_portfolio()
        self.check_accounts()
        if self._on_progress is not None:
            self._on_progress(len(self.feed))

    # ------------------------------------------------------------------ strategy hooks
    def _call(self, hook: str, *args: Any) -> None:
        if not self._active:
            return
        try:
            getattr(self.strategy, hook)(self.ctx, *args)
        except Exception as exc:
            self._strategy_error(hook, exc)

    def _drain(self) -> None:
        callbacks = self._callbacks
        while callbacks:
            hook, arg = callbacks.popleft()
            self._call(hook, arg)

    def _strategy_error(self, hook: str, exc: Exception) -> None:
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-3))
        record = StrategyErrorRecord(
            ts=self.clock.now(),
            strategy_id=self.strategy_id,
            hook=hook,
            error_type=type(exc).__name__,
            message=str(exc),
            traceback=tb,
        )
        self.errors.append(record)
        log.warning(
            "strategy_error",
            strategy=self.strategy_id,
            hook=hook,
            error=f"{record.error_type}: {record.message}",
            at=record.ts.isoformat(),
        )
        if len(self.errors) >= self.config.max_strategy_errors and self._active:
            self._active = False
            log.error(
                "strategy_disabled",
                strategy=self.strategy_id,
                errors=len(self.errors),
                reason="too many strategy errors; the run finishes without the strategy",
            )

    def log_strategy(self, strategy_id: str, event: str, fields: Mapping[str, Any]) -> None:
        entry = {"ts": self.clock.now().isoformat(), "strategy": strategy_id, "event": event}
        entry.update(fields)
        self.strategy_logs.append(entry)
        log.info(event, strategy=strategy_id, **fields)

    # ------------------------------------------------------------------ orders
    def submit_intent(self, intent: OrderIntent, risk_ok: RiskDecision | None = None) -> str | None:
        """intent -> risk governor (or ``risk_ok``) -> order manager -> exchange -> client id."""
        now = self.clock.now()
        coid = self.orders.next_id(intent.strategy_id, now)
        inst = self.instruments.get(intent.symbol)
        if inst is None:
            self._refuse(coid, now, "UNKNOWN_INSTRUMENT", f"{intent.symbol} is not in this run")
            return str(coid)
        if self.is_expired(intent.symbol):
            self._refuse(
                coid, now, "INSTRUMENT_EXPIRED", f"{intent.symbol} expired on {inst.expiry}"
            )
            return str(coid)
        self.mark_portfolio()
        decision = self.risk.check(intent, self, str(coid)) if risk_ok is None else risk_ok
        if not decision.allowed:
            code = decision.reason_code if decision.reason_code != "OK" else "ZERO_QUANTITY"
            self._refuse(coid, now, f"RISK_{code}", decision.message or "denied by risk")
            return str(coid)
        try:
            request = OrderRequest(
                client_order_id=coid,
                instrument=inst,
                side=intent.side,
                quantity=decision.quantity,
                order_type=intent.order_type,
                created_at=now,
                limit_price=intent.limit_price,
                stop_price=intent.stop_price,
                tif=intent.tif,
                product=intent.product or self.config.product,
                strategy_id=intent.strategy_id,
                rationale=intent.rationale,
                confidence=intent.confidence,
                reduce_only=intent.reduce_only,
            )
        except InvalidOrder as exc:
            self._refuse(coid, now, str(exc.subcode or exc.code), exc.message)
            return str(coid)
        except ValidationError as exc:
            self._refuse(coid, now, exc.code, exc.message)
            return str(coid)
        order, created = self.orders.add(Order(request))
        if not created:  # an idempotent resubmit: never a second order
            return str(coid)
        current = self._current
        queue = current is not None and not current.intraday
        self._dispatch(
            self.exchange.submit(order, now, self.clock.now_ns(), after_hours_queue=queue)
        )
        children = decision.values.get("children") if decision.values else None
        if children and len(children) > 1:  # a freeze-limit split: send the other children
            for child in children[1:]:
                self.submit_intent(dataclasses.replace(intent, quantity=Decimal(str(child))))
        return str(coid)

    def cancel(self, client_order_id: str) -> None:
        self._dispatch(self.exchange.cancel(client_order_id, self.clock.now()))

    def _refuse(self, coid: Any, now: datetime, reason: str, message: str) -> None:
        event = standalone_reject(coid, now, reason, message)
        self.refusals.append(event)
        self.orders.record(None, event)
        if self._wants_events:
            self._callbacks.append(("on_order_event", event))

    # ------------------------------------------------------------------ queries
    def instrument(self, symbol: str) -> Instrument:
        inst = self.instruments.get(symbol.upper())
        if inst is None:
            raise KeyError(f"{symbol} is not in this run (symbols: {', '.join(self.symbols)})")
        return inst

    def position_qty(self, symbol: str) -> Decimal:
        inst = self.instruments.get(symbol.upper())
        if inst is None:
            return Decimal(0)
        return self.portfolio.quantity(inst.id)

    def pending_qty(self, symbol: str) -> Decimal:
        total = Decimal(0)
        for order in self.exchange.working_orders(symbol.upper()):
            rem = order.remaining_quantity
            total += rem if order.side is Side.BUY else -rem
        return total

    def history(self, symbol: str, timeframe: str | None = None) -> History:
        st = self._series(symbol, timeframe)
        if st.row < 0:
            return st.series.upto(-1)
        return st.series.upto(st.row)

    def register_indicator(self, symbol: str, indicator: Any, timeframe: str | None) -> Any:
        st = self._series(symbol, timeframe)
        if not callable(getattr(indicator, "update", None)):
            raise TypeError(f"{indicator!r} is not a streaming indicator (it has no update(bar))")
        # Registered late: catch up on the closed bars so far.
        s, n = st.series, st.row + 1
        columns = (s.start_ns, s.end_ns, s.open, s.high, s.low, s.close, s.volume, s.session)
        history = zip(*(col[:n].tolist() for col in columns), strict=True)
        for row, (start, end, o, h, lo, c, v, session) in enumerate(history):
            indicator.update(Bar(st.symbol, st.timeframe, row, start, end, o, h, lo, c, v, session))
        push = getattr(indicator, "push", None)
        if callable(push) and getattr(indicator, "source", None) == "close":
            st.close_pushers.append(push)  # same result as update(bar), without the lookup
        else:
            st.indicators.append(indicator)
        return indicator

    def _series(self, symbol: str, timeframe: str | None) -> _SeriesState:
        sym = symbol.upper()
        st = self._primary.get(sym) if timeframe is None else self._by_key.get((sym, timeframe))
        if st is None:
            have = ", ".join(f"{s.symbol} {s.timeframe}" for s in self._states)
            raise KeyError(f"no series {symbol} {timeframe or ''} in this run (have: {have})")
        return st
