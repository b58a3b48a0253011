"""What the built-in intraday strategies share (``vwap``, ``orb``, ``scalp``, ``range_reversal``).

:class:`IntradayStrategy` runs the trade life cycle; a subclass only says when to enter (and,
optionally, when to leave early). Rules common to all of them:

* **Signal symbols.** Decisions are taken on the bars of each *signal symbol* (param
  ``symbols``: a comma-separated list; empty = every symbol of the run that is not a future
  or an option), on the run's base (shortest) timeframe, on closed bars only. What is traded
  for a decision is chosen by the instrument mapper named by ``instrument``
  (:func:`tronlab.strategy.instruments.make_mapper`; ``underlying`` names the derivatives'
  underlying when the run cannot tell), which gets ``quantity`` as ``units``.
  Market orders fill at the next bar's open.
* **One position per signal symbol.** No entry while a trade is open, its entry is working
  or its exit is working.
* **Entry gate.** An entry is decided at the close of a bar only when that bar closes before
  ``last_entry`` (exchange-local ``HH:MM``, default 15:00), the ATR is warmed up, and fewer
  than ``max_entries`` entries were decided this session (an entry the risk governor refuses
  counts too: a refused signal is not retried). When the governor says no entries are left
  today (``ctx.entries_left() == 0``: its daily caps are used up or trading is not active), a
  signal is skipped instead of sent to be denied, and the first skip of a session is logged
  (``entry_skipped``). The subclass's signal gives the direction, a
  stop and an optional target as signal-symbol prices, computed from the decision bar's close;
  a signal whose stop (or target) is not on the right side of that close is skipped.
* **Exits**, checked at the close of every bar while the position is held, the fill bar
  included, in this order; the first that applies sends a market exit (next bar's open):

  1. stop: a long's bar low <= stop (a short's high >= stop): ``exit: stop S hit (low L)``;
  2. target: a long's high >= target (a short's low <= target):
     ``exit: target T hit (high H)``;
  3. the strategy's own exit (e.g. the VWAP reached);
  4. time stop: ``max_bars`` > 0 bars held (the fill bar is bar 1):
     ``exit: time stop after N bars``;
  5. end of day: the bar closes at or after ``exit_time`` (default 15:10, before the risk
     governor's 15:20 square-off): ``exit: end of day (15:10, close C)``.

  The rationale becomes the trade's exit reason (:mod:`tronlab.engine.trades`). A position
  that goes flat without our exit (the governor squared it off) just ends the trade.
* **Confidence** of every order is ``0.5 + 0.5 * tanh(strength)`` (:func:`confidence`), where
  the strength is measured in the signal's natural unit: for entries, how far beyond its
  threshold the signal is (each strategy documents its measure); for a stop or target exit,
  how far the bar went past the level, in units of the trade's risk (entry - stop); for a
  time or end-of-day exit, the open profit or loss in units of that risk.

* **Early closes.** When the session (``ctx.session_bounds``, from the run's calendar) closes
  less than ``close_buffer`` minutes (default 20) after ``exit_time``, as special sessions and
  half days do, that day's forced exit moves to ``close_buffer`` minutes before the close and
  the entry cutoff moves earlier by the same amount (the 2024-03-02 NSE session closing at
  12:30: exit 12:10, entries until 12:00).

Session-local clock times come from ``bar.end_ns`` and the run's time zone
(``ctx.timezone``); a session is ``bar.session`` (the exchange-local trading day).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from tronlab.features import ATR
from tronlab.strategy.bars import Bar
from tronlab.strategy.base import Context, Strategy
from tronlab.strategy.instruments import InstrumentMapper, Leg, make_mapper
from tronlab.strategy.params import Param, ParamError

__all__ = [
    "Exit",
    "IntradayStrategy",
    "OpenTrade",
    "Signal",
    "SymbolState",
    "confidence",
    "fmt",
    "parse_clock",
]

_NS_PER_MINUTE = 60_000_000_000
_NS_PER_DAY = 86_400_000_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_clock(name: str, text: str) -> int:
    """Minutes after local midnight of an ``HH:MM`` parameter; :class:`ParamError` otherwise."""
    hh, sep, mm = text.strip().partition(":")
    if sep and hh.isdigit() and mm.isdigit() and len(mm) == 2:
        hours, minutes = int(hh), int(mm)
        if hours < 24 and minutes < 60:
            return hours * 60 + minutes
    raise ParamError(f"{name}: expected an exchange-local time as HH:MM, got {text!r}")


def confidence(strength: float) -> float:
    """``0.5 + 0.5 * tanh(strength)`` rounded to 4 places: 0.5 for a signal right at its
    threshold (or a negative or NaN strength), towards 1 for a strong one."""
    if not strength > 0:  # at the threshold, or NaN
        return 0.5
    return round(0.5 + 0.5 * math.tanh(strength), 4)


def fmt(price: float) -> str:
    """A price for a rationale, rounded to 2 decimals (``21950.0``)."""
    return str(round(price, 2))


class Signal(NamedTuple):
    """An entry decided by a strategy: direction (+1 long, -1 short), stop and target (signal
    prices; ``target`` None = no fixed target), the rationale and the signal strength."""

    direction: int
    stop: float
    target: float | None
    rationale: str
    strength: float


class Exit(NamedTuple):
    """An exit decided by a strategy's own rule: the rationale and its strength."""

    reason: str
    strength: float


@dataclass
class OpenTrade:
    """A trade of one signal symbol, from the entry decision until it is flat again."""

    direction: int
    leg: Leg
    entry: float  # the decision bar's close (signal price)
    stop: float
    target: float | None
    filled: bool = False
    bars: int = 0  # bars held, the fill bar included
    exit_reason: str | None = None  # set once an exit was sent
    exit_confidence: float = 0.5

    @property
    def risk(self) -> float:
        """Distance from the entry to the stop (signal price units, > 0)."""
        return abs(self.entry - self.stop)


@dataclass
class SymbolState:
    """Per signal symbol: session bookkeeping, the ATR, the open trade, strategy data."""

    symbol: str
    atr: ATR
    data: Any = None  # what the strategy's setup() returned
    timeframe: str | None = None
    session: int | None = None
    utc_offset_ns: int = 0
    session_bars: int = 0
    entries_today: int = 0
    skip_logged: int | None = None  # the session whose "no entries left" skip was logged
    directions_today: set[int] = field(default_factory=set)
    trade: OpenTrade | None = None
    minute: int = 0  # local minute of the day at the current bar's close
    entry_minute: int = 0  # this session's entry cutoff (local minute of the day)
    exit_minute: int = 0  # this session's forced exit (local minute of the day)


class IntradayStrategy(Strategy):
    """Base of the intraday strategies: see the module docstring for the shared rules."""

    quantity = Param(int, 1, low=1, high=10_000_000, doc="units per entry on the signal symbol")
    instrument = Param(
        str, "underlying", doc="instrument mapper: what is traded (underlying, future, option...)"
    )
    underlying = Param(
        str, "", doc="the mapper's underlying for derivatives (empty: found from the run)"
    )
    symbols = Param(
        str, "", doc="comma-separated signal symbols (empty: every non-derivative symbol)"
    )
    last_entry = Param(str, "15:00", doc="no entries at or after this exchange-local HH:MM")
    exit_time = Param(str, "15:10", doc="flatten at or after this exchange-local HH:MM")
    max_entries = Param(int, 3, low=1, high=100, doc="entries per signal symbol per session")
    max_bars = Param(int, 0, low=0, high=1000, doc="time stop in bars held (0: off)")
    close_buffer = Param(
        int, 20, low=0, high=240, doc="exit at the latest this many minutes before the close"
    )
    atr_period = Param(int, 14, low=2, high=200, doc="ATR length in bars (stops, strength)")

    def validate(self) -> None:
        entry = parse_clock("last_entry", self.last_entry)
        leave = parse_clock("exit_time", self.exit_time)
        if entry > leave:
            raise ParamError(
                f"{self.name}: last_entry ({self.last_entry}) must not be after "
                f"exit_time ({self.exit_time})"
            )
        try:
            self._make_mapper()
        except ValueError as exc:
            raise ParamError(f"{self.name}: instrument: {exc}") from None
        except TypeError:
            raise ParamError(
                f"{self.name}: the {self.instrument!r} mapper takes no underlying "
                f"(got underlying={self.underlying!r})"
            ) from None

    def _make_mapper(self) -> InstrumentMapper:
        given = {"underlying": self.underlying.strip().upper()} if self.underlying.strip() else {}
        return make_mapper(self.instrument, **given)

    # ------------------------------------------------------------------ subclass hooks
    def setup(self, ctx: Context, symbol: str) -> Any:
        """Register the strategy's indicators on ``symbol``; the result is ``state.data``."""
        return None

    def on_session(self, state: SymbolState, bar: Bar) -> None:
        """The first bar of a new session of ``state.symbol`` (before :meth:`signal`)."""

    def signal(self, ctx: Context, bar: Bar, state: SymbolState) -> Signal | None:
        """Called on every bar of a signal symbol (keep per-bar state up to date here); the
        entry it returns is taken only when the entry gate is open and no trade is open."""
        raise NotImplementedError

    def manage(self, ctx: Context, bar: Bar, state: SymbolState, trade: OpenTrade) -> Exit | None:
        """A strategy-specific exit for a held position (after the stop and target checks)."""
        return None

    # ------------------------------------------------------------------ engine hooks
    def on_start(self, ctx: Context) -> None:
        self._mapper = self._make_mapper()
        self._units = Decimal(self.quantity)
        self._entry_minute = parse_clock("last_entry", self.last_entry)
        self._exit_minute = parse_clock("exit_time", self.exit_time)
        self._zone = ZoneInfo(ctx.timezone)
        self._states: dict[str, SymbolState] = {}
        for symbol in self._signal_symbols(ctx):
            atr = ctx.indicator(symbol, ATR(self.atr_period))
            state = SymbolState(symbol=symbol, atr=atr)
            state.data = self.setup(ctx, symbol)
            self._states[symbol] = state

    def _signal_symbols(self, ctx: Context) -> list[str]:
        run = list(ctx.symbols)
        if self.symbols.strip():
            wanted = [s.strip().upper() for s in self.symbols.split(",") if s.strip()]
            missing = [s for s in wanted if s not in run]
            if missing:
                raise ValueError(
                    f"{self.name}: signal symbols {missing} are not in this run "
                    f"(symbols: {', '.join(run)})"
                )
            return wanted
        return [s for s in run if not ctx.instrument(s).kind.is_derivative]

    def on_bar(self, ctx: Context, bar: Bar) -> None:
        state = self._states.get(bar.symbol)
        if state is None:
            return
        if state.timeframe is None:  # the base series delivers the first bar of a symbol
            state.timeframe = bar.timeframe
        elif bar.timeframe != state.timeframe:
            return
        if bar.session != state.session:
            self._new_session(ctx, state, bar)
        state.session_bars += 1
        state.minute = ((bar.end_ns + state.utc_offset_ns) % _NS_PER_DAY) // _NS_PER_MINUTE
        entry = self.signal(ctx, bar, state)
        if state.trade is not None:
            self._manage(ctx, bar, state, state.trade)
            if state.trade is not None:
                return
        if entry is None or not self._may_enter(state):
            return
        self._enter(ctx, bar, state, entry)

    # ------------------------------------------------------------------ internals
    def _new_session(self, ctx: Context, state: SymbolState, bar: Bar) -> None:
        state.session = bar.session
        start = _EPOCH + timedelta(microseconds=bar.start_ns // 1000)
        offset = start.astimezone(self._zone).utcoffset() or timedelta(0)
        state.utc_offset_ns = int(offset.total_seconds()) * 1_000_000_000
        state.exit_minute, state.entry_minute = self._exit_minute, self._entry_minute
        bounds = ctx.session_bounds(state.symbol)
        if bounds is not None:  # a session closing early moves both times earlier
            close = bounds[1].astimezone(self._zone)
            latest = close.hour * 60 + close.minute - self.close_buffer
            if latest < state.exit_minute:
                shift = state.exit_minute - latest
                state.exit_minute = latest
                state.entry_minute -= shift
        state.session_bars = 0
        state.entries_today = 0
        state.directions_today = set()
        self.on_session(state, bar)

    def _may_enter(self, state: SymbolState) -> bool:
        return (
            state.minute < state.entry_minute
            and state.entries_today < self.max_entries
            and state.atr.ready
        )

    def _enter(self, ctx: Context, bar: Bar, state: SymbolState, sig: Signal) -> None:
        close = bar.close
        d = sig.direction
        if d not in (1, -1) or not (d * (close - sig.stop) > 0):
            return  # no room for a stop on the losing side of the close
        if sig.target is not None and not (d * (sig.target - close) > 0):
            return
        levels = f"stop {fmt(sig.stop)}"
        if sig.target is not None:
            levels += f", target {fmt(sig.target)}"
        rationale = f"{sig.rationale}; {levels}"
        left = ctx.entries_left()
        if left is not None and left <= 0:  # the governor would deny it: skip, say so once
            if state.skip_logged is None or state.skip_logged != state.session:
                state.skip_logged = state.session
                ctx.log(
                    "entry_skipped",
                    symbol=state.symbol,
                    reason="the risk governor allows no more entries today",
                    signal=rationale,
                )
            return
        leg = self._mapper.open(
            ctx,
            state.symbol,
            d,
            units=self._units,
            rationale=rationale,
            confidence=confidence(sig.strength),
        )
        if leg is None:
            return
        state.entries_today += 1
        state.directions_today.add(d)
        state.trade = OpenTrade(d, leg, close, sig.stop, sig.target)

    def _manage(self, ctx: Context, bar: Bar, state: SymbolState, trade: OpenTrade) -> None:
        symbol = trade.leg.symbol
        held = ctx.quantity(symbol)
        working = bool(ctx.open_orders(symbol))
        if not trade.filled:
            if held != 0:
                trade.filled = True
            elif not working:  # refused, cancelled or expired: nothing was opened
                state.trade = None
                return
            else:
                return  # the entry is still working
        if held == 0 and not working:  # our exit filled, or the governor flattened it
            state.trade = None
            return
        if trade.exit_reason is not None:
            if not working:  # the exit did not go through: send it again
                self._mapper.close(
                    ctx, trade.leg, rationale=trade.exit_reason, confidence=trade.exit_confidence
                )
            return
        trade.bars += 1
        decided = self._exit_rule(ctx, bar, state, trade)
        if decided is not None:
            trade.exit_reason = decided.reason
            trade.exit_confidence = confidence(decided.strength)
            self._mapper.close(
                ctx, trade.leg, rationale=decided.reason, confidence=trade.exit_confidence
            )

    def _exit_rule(
        self, ctx: Context, bar: Bar, state: SymbolState, trade: OpenTrade
    ) -> Exit | None:
        d = trade.direction
        risk = trade.risk
        worst, best = (bar.low, bar.high) if d > 0 else (bar.high, bar.low)
        worst_name, best_name = ("low", "high") if d > 0 else ("high", "low")
        if d * (worst - trade.stop) <= 0:
            return Exit(
                f"exit: stop {fmt(trade.stop)} hit ({worst_name} {fmt(worst)})",
                d * (trade.stop - worst) / risk,
            )
        if trade.target is not None and d * (best - trade.target) >= 0:
            return Exit(
                f"exit: target {fmt(trade.target)} hit ({best_name} {fmt(best)})",
                d * (best - trade.target) / risk,
            )
        own = self.manage(ctx, bar, state, trade)
        if own is not None:
            return own
        move = abs(bar.close - trade.entry) / risk
        if self.max_bars and trade.bars >= self.max_bars:
            return Exit(f"exit: time stop after {trade.bars} bars (close {fmt(bar.close)})", move)
        if state.minute >= state.exit_minute:
            at = f"{state.exit_minute // 60:02d}:{state.exit_minute % 60:02d}"
            return Exit(f"exit: end of day ({at}, close {fmt(bar.close)})", move)
        return None
