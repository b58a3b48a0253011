"""The risk governor: the law every order obeys, the same in backtest, paper and live.

For each order intent it returns approve, resize or deny with a reason code, a message and
the values it compared (:class:`~tronlab.risk.decision.RiskDecision`). Order of the checks:

1. the kill switch (HALTED: nothing but the governor's own closing orders);
2. the trading state: REDUCING (after a daily-loss breach) admits only exits;
3. active locks (cooldown, volatility pause) block entries;
4. the configured rules in order (:mod:`tronlab.risk.rules`): the first denial wins, resizes
   take the smallest quantity;
5. for futures and options, the rules judged on the whole book (``check_book``: margin and
   Greeks), with the approved quantity.

A multi-leg order (:meth:`RiskGovernor.check_combo`) gets one decision: steps 1-4 for each
leg (a leg that would be resized refuses the whole combination: it is accepted whole or not
at all), then step 5 once for all legs together, so a hedged combination is judged on its
combined margin and Greeks. It counts as one entry; each leg counts as an order.

On every bar (:meth:`RiskGovernor.on_time`) it rolls the trading day at the first bar of a
new exchange-local date (calendar-day semantics: start-of-day equity, counters and day locks
reset), watches the daily loss limit (switching to REDUCING and optionally flattening),
applies the kill switch, and issues the intraday square-off: once per day, at the configured
time of each instrument kind, it returns closing orders for every intraday position, also in
backtests. A session that closes early (a special session, Muhurat) is squared off no later
than ``square_off_before_close`` before its close (the close comes from
``MarketView.session_bounds`` of a symbol with a bar that day; see
:func:`~tronlab.risk.rules.time_windows.session_deadline`).

Every decision goes to an audit sink (stored as a risk event), and the state is handed to a
state sink after every change, so a restarted session resumes with the same counters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from tronlab.execution.intents import OrderIntent
from tronlab.model import Fill, InstrumentKind, OrderType, Product, Side
from tronlab.risk.context import Lock, RiskState, Rule, RuleContext, TradingState
from tronlab.risk.decision import (
    ComboDecision,
    MarketView,
    PassThroughRisk,
    PreTradeRisk,
    RiskAction,
    RiskDecision,
    fno_view,
)
from tronlab.risk.rules.entries import MaxEntriesRule
from tronlab.risk.rules.time_windows import session_deadline

__all__ = [
    "AuditRecord",
    "ComboDecision",
    "MarketView",
    "PassThroughRisk",
    "PreTradeRisk",
    "RiskAction",
    "RiskDecision",
    "RiskGovernor",
]

GOVERNOR = "risk"  # strategy id of the governor's own orders
_NOTHING: list[OrderIntent] = []  # returned, never mutated

AuditRecord = dict[str, Any]

# Enum members as module constants: a class attribute lookup of a member costs ~50 ns here.
_ACTIVE, _REDUCING, _HALTED = TradingState.ACTIVE, TradingState.REDUCING, TradingState.HALTED
_APPROVE, _RESIZE, _DENY = RiskAction.APPROVE, RiskAction.RESIZE, RiskAction.DENY


class RiskGovernor:
    """A rule-based :class:`~tronlab.risk.decision.PreTradeRisk`.

    Parameters
    ----------
    rules
        The enabled rules, in the order they are checked.
    square_off
        ``(kind -> local time)`` of the intraday square-off (e.g. ``{"EQ": time(15, 20),
        "FUT": time(15, 25), "OPT": time(15, 25)}``); empty disables it.
    square_off_before_close
        ``(kind -> offset)``: each day a kind is squared off no later than this long before
        the session's close (e.g. ``{"EQ": timedelta(minutes=10)}``: 12:20 on a session
        closing at 12:30); kinds not listed (or ``None``) use their time alone.
    daily_loss
        The daily-loss rule (``limit(start_equity)`` and ``config``), watched on every bar
        against the marked equity; it is also in ``rules`` to deny entries.
    audit
        Receives one record per decision (time, rule, decision, reason, symbol, values).
    persist
        Receives the state after every change (paper and live sessions store it).
    kill_switch
        Returns ``(on, reason)``: read on every bar (a CLI command sets it in the database).
    state
        A state to resume from.
    """

    def __init__(
        self,
        rules: Sequence[Rule] = (),
        *,
        square_off: Mapping[str, time] | None = None,
        square_off_before_close: Mapping[str, timedelta] | None = None,
        daily_loss: Any = None,
        audit: Callable[[AuditRecord], None] | None = None,
        persist: Callable[[RiskState], None] | None = None,
        kill_switch: Callable[[], tuple[bool, str]] | None = None,
        state: RiskState | None = None,
    ) -> None:
        self.rules = list(rules)
        self._book_rules = [r for r in self.rules if callable(getattr(r, "check_book", None))]
        self.square_off = dict(square_off or {})
        self.square_off_before_close = {
            k: v for k, v in (square_off_before_close or {}).items() if k in self.square_off
        }
        self.daily_loss = daily_loss
        self.state = state or RiskState()
        self._audit = audit
        self._persist = persist
        self._kill = kill_switch
        self._tz: ZoneInfo | None = None
        self._next_day_ns = -1  # first ns of the next local day (roll check)
        self._square_off_ns: dict[str, int] = {}  # kind -> today's square-off time in ns
        self._first_square_off_ns = 2**62
        self._close_pending = False  # today's square-off still waits for the session's close
        self.decisions: list[AuditRecord] = []
        self._loss_day: object = None
        self._loss_floor: float | None = None  # equity at which today's loss limit is hit
        self._checked_flat = False  # the loss check ran with no open position since a fill
        self._quiet_until_ns = -1  # before it only the loss watch can act (see on_time)

    # ------------------------------------------------------------------ decisions
    @property
    def trading_state(self) -> TradingState:
        return self.state.trading_state

    def check(
        self, intent: OrderIntent, view: MarketView, client_order_id: str | None = None
    ) -> RiskDecision:
        now = view.now()
        self._maybe_roll(view, view.now_ns())
        ctx = self._context(intent, view, now)
        decision = self._decide(intent, ctx)
        if decision.allowed and self._book_rules and intent.strategy_id != GOVERNOR:
            sized = replace(intent, quantity=decision.quantity)
            decision = self._decide_book([sized], view) or decision
        if decision.allowed:
            st = self.state
            st.order_times_ns.append(view.now_ns())
            st.orders_today += 1
            if ctx.is_entry:
                st.entries += 1
                sid = intent.strategy_id
                st.entries_by_strategy[sid] = st.entries_by_strategy.get(sid, 0) + 1
        self._record(now, intent, decision, ctx, client_order_id)
        self._save()
        return decision

    def _decide(self, intent: OrderIntent, ctx: RuleContext) -> RiskDecision:
        st = self.state
        own = intent.strategy_id == GOVERNOR
        if st.kill_switch and not own:
            return RiskDecision.deny(
                "KILL_SWITCH", f"kill switch is on: {st.kill_reason or 'no reason given'}",
                rule="kill_switch",
            )  # fmt: skip
        if st.trading_state is _HALTED and not own:
            return RiskDecision.deny("HALTED", "trading is halted", rule="trading_state")
        if ctx.is_entry:
            if st.trading_state is _REDUCING:
                return RiskDecision.deny(
                    "REDUCING", "only exits are allowed (trading state REDUCING)",
                    rule="trading_state",
                )  # fmt: skip
            for lock in st.locks:
                if lock.active(ctx.now, intent.symbol):
                    until = "the end of the day" if lock.until is None else lock.until.isoformat()
                    return RiskDecision.deny(
                        "LOCKED", f"locked until {until} because {lock.reason}", rule=lock.rule,
                        values={"lock": lock.to_dict()},
                    )  # fmt: skip
        if own:
            return RiskDecision.approve(intent.quantity)
        qty = intent.quantity
        resized: RiskDecision | None = None
        notes: dict[str, Any] = {}  # what approving rules noted (e.g. a check skipped)
        for rule in self.rules:
            d = rule.check(intent, ctx)
            if d is None:
                continue
            if d.action is _DENY:
                return d
            if d.action is _RESIZE and d.quantity < qty:
                qty, resized = d.quantity, d
            elif d.action is _APPROVE and d.values:
                notes[rule.name] = dict(d.values)
        if resized is not None:
            if notes:
                return replace(resized, values={**resized.values, "notes": notes})
            return resized
        approved = RiskDecision.approve(qty)
        return replace(approved, values={"notes": notes}) if notes else approved

    def check_combo(
        self, intents: Sequence[OrderIntent], view: MarketView, label: str = ""
    ) -> ComboDecision:
        """One decision for all legs of a multi-leg order (see the module docstring)."""
        now = view.now()
        self._maybe_roll(view, view.now_ns())
        ctxs = [self._context(intent, view, now) for intent in intents]
        legs = [{"symbol": i.symbol, "side": i.side.value, "quantity": str(i.quantity)}
                for i in intents]  # fmt: skip
        values: dict[str, Any] = {"combo": label, "legs": legs}
        decision = ComboDecision.approve(values)
        for intent, ctx in zip(intents, ctxs, strict=True):
            d = self._decide(intent, ctx)
            if not d.allowed or d.quantity != intent.quantity:
                why = d.message
                if d.allowed:  # a resize: the legs would no longer match
                    why += f" (resized to {d.quantity}: a combination is accepted whole or not)"
                leg_values = {**values, "leg": intent.symbol, "rule_values": dict(d.values)}
                code = d.reason_code if d.reason_code != "OK" else "ZERO_QUANTITY"
                decision = ComboDecision.deny(code, f"{intent.symbol}: {why}", d.rule, leg_values)
                break
        if decision.allowed and self._book_rules:
            book = self._decide_book(intents, view)
            if book is not None:
                decision = ComboDecision.deny(
                    book.reason_code,
                    book.message,
                    book.rule,
                    {**values, "rule_values": dict(book.values)},
                )
        if decision.allowed:
            st = self.state
            for _ in intents:
                st.order_times_ns.append(view.now_ns())
            st.orders_today += len(intents)
            if any(ctx.is_entry for ctx in ctxs):
                st.entries += 1
                sid = intents[0].strategy_id if intents else ""
                st.entries_by_strategy[sid] = st.entries_by_strategy.get(sid, 0) + 1
        self._record_combo(now, intents, decision, any(c.is_entry for c in ctxs))
        self._save()
        return decision

    def _decide_book(self, intents: Sequence[OrderIntent], view: MarketView) -> RiskDecision | None:
        """The first denial of the book rules for ``intents`` (futures and options only)."""
        fno = fno_view(view)
        if fno is None:
            return None
        kinds = {view.instrument(i.symbol).kind for i in intents}
        if not kinds & {InstrumentKind.FUT, InstrumentKind.OPT}:
            return None
        for rule in self._book_rules:
            d: RiskDecision | None = rule.check_book(intents, fno, view)  # type: ignore[attr-defined]
            if d is not None and not d.allowed:
                return d
        return None

    def entries_left(self, strategy_id: str) -> int | None:
        """Entries ``strategy_id`` may still make today: 0 unless trading is ACTIVE, else what
        the entry caps leave (``None``: no cap). A strategy can skip a signal it could not
        trade instead of sending an entry the governor would deny."""
        st = self.state
        if st.trading_state is not _ACTIVE:
            return 0
        left: int | None = None
        for rule in self.rules:
            if not isinstance(rule, MaxEntriesRule) or not rule.config.enabled:
                continue
            caps = []
            if rule.config.max_per_day is not None:
                caps.append(rule.config.max_per_day - st.entries)
            scap = rule.strategy_cap(strategy_id)
            if scap is not None:
                caps.append(scap - st.entries_by_strategy.get(strategy_id, 0))
            for cap in caps:
                left = max(cap, 0) if left is None else min(left, max(cap, 0))
        return left

    # ------------------------------------------------------------------ every bar
    def on_time(self, view: MarketView, now_ns: int) -> list[OrderIntent]:
        """Roll the day, apply the kill switch, watch the loss limit, square off: returns the
        closing orders the engine must send (as the governor's own, exits only)."""
        st = self.state
        if (
            now_ns < self._quiet_until_ns
            and st.trading_state is _ACTIVE
            and self._loss_day == st.day
            and not self._close_pending
        ):
            # Nothing but the loss watch can act before the next day or square-off: what the
            # steps below do when the floor is not reached (else they run, state untouched).
            open_positions = view.open_positions
            if open_positions == 0 and self._checked_flat:
                return _NOTHING
            floor = self._loss_floor
            if floor is None or view.equity_estimate() > floor:
                self._checked_flat = open_positions == 0
                return _NOTHING
        if now_ns >= self._next_day_ns:
            self._maybe_roll(view, now_ns)
        if self._close_pending:
            self._cap_at_close(view, now_ns)
        st = self.state
        # Equity only moves with prices while positions are open; flat, it moves only with
        # fills (on_fill re-arms the check), so a flat book needs no look on every bar.
        watch_loss = (
            self.daily_loss is not None
            and st.trading_state is _ACTIVE
            and (view.open_positions > 0 or not self._checked_flat)
        )
        if self._kill is None and (st.squared_off or now_ns < self._first_square_off_ns):
            # The common cases, kept cheap: no square-off can be due on this bar, and the
            # loss limit is not watched, or is watched against today's floor and not reached.
            if not watch_loss:
                return _NOTHING
            if self._loss_day == st.day:
                self._checked_flat = view.open_positions == 0
                floor = self._loss_floor
                if floor is None or view.equity_estimate() > floor:
                    return _NOTHING
        out: list[OrderIntent] = []
        if self._kill is not None:
            on, reason = self._kill()
            if on and not st.kill_switch:
                st.kill_switch, st.kill_reason = True, reason
                st.trading_state = _HALTED
                out += self._flatten(view, view.positions(), f"kill switch: {reason}")
                self._event(view, "kill_switch", "KILL_SWITCH_ON", reason)
            elif not on and st.kill_switch:
                st.kill_switch, st.kill_reason = False, ""
                st.trading_state = _ACTIVE
                self._event(view, "kill_switch", "KILL_SWITCH_OFF", "cleared")
        if watch_loss and self.daily_loss is not None:
            self._checked_flat = view.open_positions == 0
            if self._loss_day != st.day:  # the limit is fixed for the day at its start
                self._loss_day = st.day
                limit = self.daily_loss.limit(st.start_equity)
                self._loss_floor = None if limit is None else float(st.start_equity - limit)
                if self._kill is None:  # until the next roll or square-off: the quiet path
                    square_off_ns = 2**62 if st.squared_off else self._first_square_off_ns
                    self._quiet_until_ns = min(self._next_day_ns, square_off_ns)
            if self._loss_floor is not None and view.equity_estimate() <= self._loss_floor:
                st.trading_state = _REDUCING
                self._event(view, "daily_loss", "DAILY_LOSS_LIMIT", "daily loss limit reached")
                if getattr(self.daily_loss.config, "flatten_on_breach", False):
                    out += self._flatten(view, view.positions(), "daily loss limit reached")
        if self._square_off_ns and not st.squared_off:
            due = [k for k, ns in self._square_off_ns.items() if now_ns >= ns]
            if due:
                intraday = view.intraday_positions()
                kinds = {s: view.instrument(s).kind.value for s in intraday}
                closing = {s: q for s, q in intraday.items() if kinds[s] in due}
                out += self._flatten(view, closing, "auto square-off of intraday positions")
                if all(now_ns >= ns for ns in self._square_off_ns.values()):
                    st.squared_off = True
        if out:
            self._save()
        return out

    def on_fill(self, fill: Fill, realized: Decimal, closed_trade: bool, view: MarketView) -> None:
        """Book a fill: today's realized PnL (net of the fee) and the losing-trade streak."""
        st = self.state
        self._checked_flat = False
        st.realized_pnl += realized - fill.fee
        if closed_trade:
            st.consecutive_losses = st.consecutive_losses + 1 if realized - fill.fee < 0 else 0
            for rule in self.rules:  # a cooldown starts at the losing fill, not at the next order
                lock = getattr(rule, "maybe_lock", None)
                if lock is not None:
                    lock(st, fill.ts)
        self._save()

    # ------------------------------------------------------------------ internals
    def _maybe_roll(self, view: MarketView, now_ns: int) -> None:
        if now_ns < self._next_day_ns:
            return
        tz = self._zone(view)
        local = datetime.fromtimestamp(now_ns / 1e9, tz)
        day = local.date()
        start_of_next = datetime.combine(day, time(0), tz).timestamp() + 86_400
        self._next_day_ns = int(start_of_next * 1e9)
        self._square_off_ns = {
            kind: int(datetime.combine(day, t, tz).timestamp() * 1e9)
            for kind, t in self.square_off.items()
        }
        self._first_square_off_ns = min(self._square_off_ns.values(), default=2**62)
        self._close_pending = bool(self.square_off_before_close)
        st = self.state
        if st.day == day:
            return  # a resumed session on the same day keeps its counters
        st.day = day
        st.start_equity = Decimal(repr(round(view.equity_estimate(), 2)))
        st.realized_pnl = Decimal(0)
        st.entries = 0
        st.entries_by_strategy = {}
        st.consecutive_losses = 0
        st.locks = [lk for lk in st.locks if lk.until is not None and lk.until.date() > day]
        st.squared_off = False
        st.orders_today = 0
        st.trading_state = TradingState.HALTED if st.kill_switch else TradingState.ACTIVE
        self._save()

    def _cap_at_close(self, view: MarketView, now_ns: int) -> None:
        """Move today's square-off times to no later than their offset before the session's
        close, once the session is known (a symbol with a bar today has bounds). Without
        bounds (no calendar) it stops looking once the earliest configured time has passed."""
        bounds = None
        for symbol in view.last_bar_ns:
            bounds = view.session_bounds(symbol, now_ns)
            if bounds is not None:
                break
        if bounds is None:
            self._close_pending = now_ns < self._first_square_off_ns
            return
        self._close_pending = False
        tz = self._zone(view)
        day = bounds[0].astimezone(tz).date()
        for kind, before in self.square_off_before_close.items():
            at = session_deadline(self.square_off[kind], tz, day, bounds, before)
            self._square_off_ns[kind] = int(at.timestamp()) * 1_000_000_000 + at.microsecond * 1000
        self._first_square_off_ns = min(self._square_off_ns.values(), default=2**62)

    def _zone(self, view: MarketView) -> ZoneInfo:
        if self._tz is None:
            self._tz = ZoneInfo(view.exchange_tz())
        return self._tz

    def _context(self, intent: OrderIntent, view: MarketView, now: datetime) -> RuleContext:
        inst = view.instrument(intent.symbol)
        positions = view.positions()
        pos = positions.get(intent.symbol, Decimal(0))
        pending = view.pending_qty(intent.symbol)
        signed = intent.quantity if intent.side is Side.BUY else -intent.quantity
        after = pos + pending + signed
        is_entry = not intent.reduce_only and abs(after) > abs(pos + pending)
        bounds = view.session_bounds(intent.symbol, view.now_ns())
        return RuleContext(
            now=now,
            local_now=now.astimezone(self._zone(view)),
            session_open=None if bounds is None else bounds[0],
            session_close=None if bounds is None else bounds[1],
            portfolio=view.portfolio,
            equity=Decimal(repr(round(view.equity_estimate(), 2))),
            last_prices=view.last_prices,
            last_bar_ns=view.last_bar_ns,
            instrument=inst,
            position_qty=pos,
            pending_qty=pending,
            is_entry=is_entry,
            state=self.state,
            reference=view.reference(),
            recent=view.recent,
            mode=view.mode,
            positions=positions,
        )

    def _flatten(
        self, view: MarketView, positions: Mapping[str, Decimal], why: str
    ) -> list[OrderIntent]:
        out = []
        for symbol, qty in sorted(positions.items()):
            total = qty + view.pending_qty(symbol)
            if total == 0:
                continue
            out.append(
                OrderIntent(
                    symbol=symbol,
                    side=Side.SELL if total > 0 else Side.BUY,
                    quantity=abs(total),
                    order_type=OrderType.MARKET,
                    product=Product.MIS if symbol in view.intraday_positions() else None,
                    rationale=why,
                    confidence=1.0,
                    strategy_id=GOVERNOR,
                    reduce_only=True,
                    tag="risk",
                )
            )
        return out

    def _record(
        self,
        now: datetime,
        intent: OrderIntent,
        d: RiskDecision,
        ctx: RuleContext,
        client_order_id: str | None = None,
    ) -> None:
        rec: AuditRecord = {
            "ts": now,
            "rule": d.rule or "governor",
            "decision": str(d.action),  # the value (str() is cheaper than .value)
            "reason_code": d.reason_code,
            "message": d.message,
            "symbol": intent.symbol,
            "client_order_id": client_order_id,
            "side": str(intent.side),
            "quantity": str(intent.quantity),
            "approved_quantity": str(d.quantity),
            "strategy": intent.strategy_id,
            "entry": ctx.is_entry,
            "trading_state": str(self.state.trading_state),
            "values": dict(d.values),
        }
        self.decisions.append(rec)
        if self._audit is not None:
            self._audit(rec)

    def _record_combo(
        self, now: datetime, intents: Sequence[OrderIntent], d: ComboDecision, entry: bool
    ) -> None:
        rec: AuditRecord = {
            "ts": now,
            "rule": d.rule or "governor",
            "decision": "approve" if d.allowed else "deny",
            "reason_code": d.reason_code,
            "message": d.message,
            "symbol": None,
            "client_order_id": None,
            "strategy": intents[0].strategy_id if intents else "",
            "entry": entry,
            "trading_state": self.state.trading_state.value,
            "values": dict(d.values),
        }
        self.decisions.append(rec)
        if self._audit is not None:
            self._audit(rec)

    def _event(self, view: MarketView, rule: str, code: str, message: str) -> None:
        rec: AuditRecord = {
            "ts": view.now(),
            "rule": rule,
            "decision": "deny",
            "reason_code": code,
            "message": message,
            "symbol": None,
            "trading_state": self.state.trading_state.value,
            "values": {"start_equity": str(self.state.start_equity),
                       "equity": round(view.equity_estimate(), 2)},
        }  # fmt: skip
        self.decisions.append(rec)
        if self._audit is not None:
            self._audit(rec)

    def _save(self) -> None:
        if self._persist is not None:
            self._persist(self.state)

    def add_lock(self, lock: Lock) -> None:
        self.state.locks.append(lock)
        self._save()
