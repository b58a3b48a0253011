"""What a risk rule sees: the governor's persisted state and a read-only view of the moment.

Rules live in :mod:`tronlab.risk.rules` (one module per rule, each with its own pydantic config
section). A rule's :meth:`Rule.check` returns ``None`` (no objection), a denial or a resize
(:class:`~tronlab.risk.governor.RiskDecision`), with the values it compared in
``RiskDecision.values`` for the audit trail. Rules may add a :class:`Lock` to the state (e.g. a
cooldown); the governor persists the state after every decision and fill.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from tronlab.model.fastinit import fast_frozen_init

if TYPE_CHECKING:
    from tronlab.execution.intents import OrderIntent
    from tronlab.model import Instrument, Portfolio
    from tronlab.risk.decision import RiskDecision


class TradingState(StrEnum):
    """ACTIVE: everything allowed. REDUCING: only orders that reduce a position. HALTED:
    nothing but the governor's own closing orders."""

    ACTIVE = "ACTIVE"
    REDUCING = "REDUCING"
    HALTED = "HALTED"


@dataclass
class Lock:
    """No entries (for ``symbol``, or any symbol when ``None``) until ``until`` (``None``:
    until the end of the trading day), because of ``rule``."""

    rule: str
    reason: str
    until: datetime | None = None
    symbol: str | None = None

    def active(self, now: datetime, symbol: str) -> bool:
        return (self.symbol is None or self.symbol == symbol) and (
            self.until is None or now < self.until
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "reason": self.reason,
            "until": None if self.until is None else self.until.isoformat(),
            "symbol": self.symbol,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Lock:
        until = d.get("until")
        return cls(
            rule=d["rule"],
            reason=d["reason"],
            until=None if until is None else datetime.fromisoformat(until),
            symbol=d.get("symbol"),
        )


@dataclass
class RiskState:
    """The governor's memory of the current trading day (persisted; survives a restart).

    ``day`` is the exchange-local date the counters belong to; the governor resets the daily
    fields when a new session starts (calendar-day semantics, not a rolling window).
    """

    day: date | None = None
    start_equity: Decimal = Decimal(0)
    realized_pnl: Decimal = Decimal(0)  # today's realized PnL, net of fees
    entries: int = 0
    entries_by_strategy: dict[str, int] = field(default_factory=dict)
    consecutive_losses: int = 0
    locks: list[Lock] = field(default_factory=list)
    trading_state: TradingState = TradingState.ACTIVE
    kill_switch: bool = False
    kill_reason: str = ""
    squared_off: bool = False  # today's intraday square-off was issued
    order_times_ns: deque[int] = field(default_factory=lambda: deque(maxlen=10_000))
    orders_today: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "day": None if self.day is None else self.day.isoformat(),
            "start_equity": str(self.start_equity),
            "realized_pnl": str(self.realized_pnl),
            "entries": self.entries,
            "entries_by_strategy": dict(self.entries_by_strategy),
            "consecutive_losses": self.consecutive_losses,
            "locks": [lock.to_dict() for lock in self.locks],
            "trading_state": self.trading_state.value,
            "kill_switch": self.kill_switch,
            "kill_reason": self.kill_reason,
            "squared_off": self.squared_off,
            "order_times_ns": list(self.order_times_ns),
            "orders_today": self.orders_today,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RiskState:
        day = d.get("day")
        state = cls(
            day=None if day is None else date.fromisoformat(day),
            start_equity=Decimal(d.get("start_equity", "0")),
            realized_pnl=Decimal(d.get("realized_pnl", "0")),
            entries=int(d.get("entries", 0)),
            entries_by_strategy={k: int(v) for k, v in d.get("entries_by_strategy", {}).items()},
            consecutive_losses=int(d.get("consecutive_losses", 0)),
            locks=[Lock.from_dict(x) for x in d.get("locks", [])],
            trading_state=TradingState(d.get("trading_state", "ACTIVE")),
            kill_switch=bool(d.get("kill_switch", False)),
            kill_reason=str(d.get("kill_reason", "")),
            squared_off=bool(d.get("squared_off", False)),
            orders_today=int(d.get("orders_today", 0)),
        )
        state.order_times_ns.extend(int(x) for x in d.get("order_times_ns", []))
        return state


@fast_frozen_init
@dataclass(frozen=True)
class RuleContext:
    """A read-only view of the moment an intent is checked.

    Times: ``now`` is UTC; ``local_now`` is the same instant in the exchange's zone;
    ``session_open``/``session_close`` bound today's session (UTC), ``None`` outside any.
    ``recent(symbol, n)`` gives the last ``n`` closed bars of the symbol's execution series
    as ``(end_ns, close)`` arrays (never a bar after ``now``). ``reference`` holds the latest
    close of reference series such as a VIX (``{"SYNTH_VIX": 14.2}``).
    """

    now: datetime
    local_now: datetime
    session_open: datetime | None
    session_close: datetime | None
    portfolio: Portfolio
    equity: Decimal
    last_prices: Mapping[str, float]
    last_bar_ns: Mapping[str, int]
    instrument: Instrument
    position_qty: Decimal
    pending_qty: Decimal
    is_entry: bool
    state: RiskState
    reference: Mapping[str, float] = field(default_factory=dict)
    recent: Callable[[str, int], tuple[np.ndarray, np.ndarray]] = field(
        default=lambda _s, _n: (np.zeros(0, dtype=np.int64), np.zeros(0))
    )
    mode: str = "backtest"
    positions: Mapping[str, Decimal] = field(default_factory=dict)  # signed qty by symbol

    @property
    def price(self) -> float | None:
        """Last price of the intent's symbol."""
        return self.last_prices.get(self.instrument.symbol)


class Rule(Protocol):
    """One pre-trade rule. ``name`` is the stable id used in reason codes and the audit."""

    name: str

    def check(self, intent: OrderIntent, ctx: RuleContext) -> RiskDecision | None: ...
