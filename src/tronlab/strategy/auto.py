"""``auto``: trade the daily plan. Each morning the regime selector picks today's strategies;
only those trade.

How a day runs:

1. **Plan.** At the first bar of a new session the strategy builds the regime index's (and the
   volatility index's) daily bars from the bars it has seen, and asks the planner (by default
   a :class:`~tronlab.strategy.selector.RegimeSelector` over the regime table) for the day's
   plan. The planner sees only sessions before today plus today's open (the first bar of the
   session, for the overnight gap): no look-ahead. Bars of other symbols that close at the
   same instant but come before the index's first bar in feed order wait for the plan and are
   then handed on in their order (a plan is made once per session; when the index has no bar
   at the open, the plan is made at the next bar time without the gap).
2. **Route.** Every strategy named anywhere in the table runs as a child with its own
   context (:class:`~tronlab.strategy.sleeve.ChildContext`): its orders carry its own
   strategy id (``ctx.for_strategy(id)``) and it sees its own positions. ``on_bar`` goes to
   the children chosen today, and to any other child that still holds a position or a
   working order (it may exit, never enter: it is *not* flattened by ``auto``; an intraday
   child exits by its own rules, a risk square-off closes the rest). With
   ``observe_all=true`` every child gets every bar (entries still need today's plan), so
   stateful children stay current. ``on_fill`` / ``on_order_event`` go to the child whose
   order it is.
3. **Enforce.** A child's entries must match the plan's direction bias; with
   ``risk_mode=cap`` its gross exposure is capped at its risk budget times equity, with
   ``record`` an excess is only logged (``plan_over_budget``).

Every plan is kept in :attr:`Auto.plans` and logged as a ``daily_plan`` event
(``ctx.log``), so a caller can store them (``tronlab.storage.plans.PlanStore``). The first
sessions of a run are the selector's warm-up (``stand_aside``) until enough daily bars have
been seen; start the run that many sessions early.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from typing import Any

import pandas as pd

from tronlab.model import Fill, InstrumentKind, OrderEvent
from tronlab.strategy.bars import Bar
from tronlab.strategy.base import Context, Strategy
from tronlab.strategy.params import Param, ParamError, parse_assignments
from tronlab.strategy.plan import DailyPlan, PlanError, RegimeTable, load_regime_table
from tronlab.strategy.registry import get_strategy, register
from tronlab.strategy.selector import DailySeries, Planner, RegimeSelector, SelectorConfig
from tronlab.strategy.sleeve import Books, ChildContext, absorb_outside_fill, session_terms

_EPOCH = date(1970, 1, 1)
_DERIVATIVES = (InstrumentKind.FUT, InstrumentKind.OPT)


DayRow = tuple[date, float, float, float, float]


def daily_rows(frame: pd.DataFrame, tz: str) -> list[DayRow]:
    """``(date, open, high, low, close)`` rows of a daily bar frame. Daily bars are stamped at
    local midnight (the bar store returns them in UTC, the evening before): the date is read
    in the exchange time zone ``tz``."""
    stamps = pd.DatetimeIndex(frame["timestamp"])
    if stamps.tz is not None:
        stamps = stamps.tz_convert(tz)
    cols = [frame[c].to_numpy(dtype=float) for c in ("open", "high", "low", "close")]
    return [
        (ts.date(), float(o), float(h), float(lo), float(c))
        for ts, o, h, lo, c in zip(stamps, *cols, strict=True)
    ]


def _child_defaults(text: str) -> dict[str, str]:
    """``'instrument=future; quantity=65'`` -> ``{"instrument": "future", "quantity": "65"}``."""
    items = [part.strip() for part in text.split(";") if part.strip()]
    try:
        return parse_assignments(items)
    except ParamError as exc:
        raise ParamError(f"auto: child_params: {exc}") from None


class ChildStrategyError(RuntimeError):
    """An exception raised by a child of ``auto`` (the message names the child and hook)."""


class _DayBuilder:
    """Daily OHLC of one symbol from its bars (the first timeframe seen is used)."""

    def __init__(self, history: Iterable[DayRow] = ()) -> None:
        self.timeframe: str | None = None
        self.rows: list[DayRow] = []
        self._history = sorted(history)
        self._session: int | None = None
        self._cur: list[float] = []

    def add(self, bar: Bar) -> None:
        if self.timeframe is None:
            self.timeframe = bar.timeframe
            first = session_date(bar.session)  # history strictly before the run's first day
            self.rows = [r for r in self._history if r[0] < first]
        elif bar.timeframe != self.timeframe:
            return
        if bar.session != self._session:
            self._flush()
            self._session = bar.session
            self._cur = [bar.open, bar.high, bar.low, bar.close]
            return
        cur = self._cur
        cur[1] = max(cur[1], bar.high)
        cur[2] = min(cur[2], bar.low)
        cur[3] = bar.close

    def _flush(self) -> None:
        if self._session is not None:
            o, h, lo, c = self._cur
            self.rows.append((session_date(self._session), o, h, lo, c))

    def before(self, session: int) -> DailySeries:
        """The completed sessions before ``session``."""
        rows = self.rows
        if self._session is not None and self._session < session:
            o, h, lo, c = self._cur
            rows = [*rows, (session_date(self._session), o, h, lo, c)]
        return DailySeries.from_rows(rows)


def session_date(session: int) -> date:
    """A bar's ``session`` (local days since 1970-01-01) as a date."""
    return _EPOCH + timedelta(days=session)


@register
class Auto(Strategy):
    """Daily plan: the regime selector picks today's strategies, direction and risk budgets."""

    name = "auto"
    table = Param(str, "", doc="regime table YAML file (default: the packaged table)")
    regime_symbol = Param(
        str, "", doc="index the regime is read from (default: NIFTY, NIFTY50, else *NIFTY*)"
    )
    vix_symbol = Param(
        str, "auto", doc="volatility index: auto (a symbol with VIX in its name), none, or one"
    )
    trade_symbols = Param(
        str, "", doc="comma-separated symbols the children trade (default: all but the VIX)"
    )
    risk_mode = Param(
        str, "cap", choices=("cap", "record"), doc="cap entries at the risk budget, or log only"
    )
    observe_all = Param(bool, False, doc="every child gets every bar (entries need the plan)")
    child_params = Param(
        str,
        "",
        doc="defaults for every child that declares them, 'k=v;k=v' (e.g. "
        "'instrument=future;quantity=65'); the regime table's params win",
    )
    adx_period = Param(int, 14, low=2, high=100, doc="ADX period on daily bars")
    adx_trend = Param(float, 25.0, low=1.0, high=100.0, doc="ADX at or above: trending")
    adx_trend_percentile = Param(
        float,
        0.0,
        low=0.0,
        high=1.0,
        doc="also trending when the ADX ranks at or above this percentile of its lookback (0: off)",
    )
    volatile_percentile = Param(
        float, 0.7, low=0.0, high=1.0, doc="VIX / realised-vol percentile: volatile"
    )
    vix_stand_aside = Param(float, 28.0, low=1.0, high=500.0, doc="VIX at or above: stand aside")
    rv_stand_aside = Param(
        float, 0.5, low=0.01, high=10.0, doc="realised vol at or above (no VIX): stand aside"
    )

    def __init__(
        self,
        *,
        planner: Planner | None = None,
        regime_table: RegimeTable | None = None,
        sentiment: Callable[[date], float | None] | None = None,
        history: Mapping[str, pd.DataFrame] | None = None,
        **params: Any,
    ) -> None:
        """``history``: daily bars (symbol -> frame with ``timestamp`` and OHLC) of the regime
        index and the volatility index *before* the run, so the selector need not spend the
        run's first sessions warming up; only rows dated before the run's first session are
        used."""
        super().__init__(**params)
        self._history = {k.upper(): v for k, v in (history or {}).items()}
        try:
            table = regime_table or load_regime_table(self.table or None)
        except PlanError as exc:
            raise ParamError(f"auto: {exc}") from None
        problems = table.problems()
        if problems:
            raise ParamError("auto: " + "; ".join(problems))
        if planner is None:
            try:
                config = SelectorConfig().with_overrides(
                    {
                        "adx_period": self.adx_period,
                        "adx_trend": self.adx_trend,
                        "adx_trend_percentile": self.adx_trend_percentile or None,
                        "volatile_percentile": self.volatile_percentile,
                        "vix_stand_aside": self.vix_stand_aside,
                        "rv_stand_aside": self.rv_stand_aside,
                    }
                )
            except ValueError as exc:
                raise ParamError(f"auto: {exc}") from None
            planner = RegimeSelector(config, table)
        self.regime_table = table
        self.planner = planner
        self.sentiment = sentiment
        common = _child_defaults(self.child_params)
        self.children: dict[str, Strategy] = {}
        for cid, a in table.allocations().items():
            cls = get_strategy(a.name)
            declared = cls.parameters()
            defaults = {k: v for k, v in common.items() if k in declared}
            self.children[cid] = cls(**{**defaults, **a.params})
        unused = sorted(set(common) - {k for c in self.children.values() for k in c.parameters()})
        if unused:
            raise ParamError(f"auto: child_params {unused} are declared by no child strategy")
        extra = (tf for child in self.children.values() for tf in child.timeframes)
        object.__setattr__(self, "timeframes", tuple(dict.fromkeys(extra)))
        self._books = Books(self.children)
        self._sleeves = self._books.sleeves
        self.plans: list[DailyPlan] = []
        #: called with each plan as it is made (set by a paper session to store it at once)
        self.on_plan: Callable[[DailyPlan], None] | None = None
        self.plan: DailyPlan | None = None

    @property
    def books(self) -> Books:
        """Every child's book (positions from its own fills, its live orders)."""
        return self._books

    @property
    def refusals(self) -> list[dict[str, Any]]:
        """Every refused or resized child order so far (with the child id)."""
        return [{"child": s.id, **r} for s in self._sleeves.values() for r in s.refusals]

    # ------------------------------------------------------------------ set-up
    def on_start(self, ctx: Context) -> None:
        symbols = [s.upper() for s in ctx.symbols]
        # the regime and volatility indices are picked among the non-derivatives (an option
        # NIFTY25D0223150CE sorts before the index SYNTH_NIFTY and names NIFTY too)
        spot = [s for s in symbols if ctx.instrument(s).kind not in _DERIVATIVES]
        self._vix = _pick(self.vix_symbol, symbols, "VIX", "vix_symbol", spot)
        regime = _pick(self.regime_symbol or "auto", symbols, "NIFTY", "regime_symbol", spot)
        if regime is None or regime == self._vix:
            others = [s for s in spot if s != self._vix]
            if not others:
                raise ValueError("auto: the run needs an index symbol besides the VIX")
            regime = others[0]
        self._regime: str = regime
        if self.trade_symbols:
            trade = [s.strip().upper() for s in self.trade_symbols.split(",") if s.strip()]
            unknown = [s for s in trade if s not in symbols]
            if unknown:
                raise ValueError(f"auto: trade_symbols {unknown} are not in this run {symbols}")
        else:
            trade = [s for s in symbols if s != self._vix]
        self._ctx = ctx
        cap = self.risk_mode == "cap"
        self._contexts = {
            cid: ChildContext(ctx.for_strategy(cid), sleeve, trade, self._books, cap=cap)
            for cid, sleeve in self._sleeves.items()
        }
        tz = ctx.timezone
        past = {k: daily_rows(v, tz) for k, v in self._history.items()}
        self._daily = {self._regime: _DayBuilder(past.get(self._regime, ()))}
        if self._vix is not None:
            self._daily[self._vix] = _DayBuilder(past.get(self._vix, ()))
        self._plan_session: int | None = None
        self._waiting: list[Bar] = []
        self._waiting_session = 0
        self._waiting_end = 0
        self._each("on_start", self.children)

    # ------------------------------------------------------------------ hooks
    def on_bar(self, ctx: Context, bar: Bar) -> None:
        builder = self._daily.get(bar.symbol)
        if builder is not None:
            builder.add(bar)
        if self._waiting:
            if bar.end_ns > self._waiting_end:
                self._start_day(self._waiting_session, None)
            elif bar.symbol == self._regime and bar.session == self._waiting_session:
                self._start_day(bar.session, bar.open)
                self._route(bar)
                return
            else:
                self._waiting.append(bar)
                return
        if self._plan_session is None or bar.session > self._plan_session:
            if bar.symbol == self._regime:
                self._start_day(bar.session, bar.open)
            else:  # wait for the index's first bar at this instant (the open, for the gap)
                self._waiting = [bar]
                self._waiting_session = bar.session
                self._waiting_end = bar.end_ns
                return
        self._route(bar)

    def on_fill(self, ctx: Context, fill: Fill) -> None:
        sleeve = self._books.owners.get(str(fill.client_order_id))
        if sleeve is None:
            left = absorb_outside_fill(fill, self._sleeves.values())
            ctx.log(
                "plan_outside_fill",
                client_order_id=str(fill.client_order_id),
                symbol=fill.instrument_id.symbol,
                unattributed=str(left),
            )
            return
        sleeve.apply_fill(fill, ctx.instrument(fill.instrument_id.symbol))
        self._each("on_fill", [sleeve.id], fill)

    def on_order_event(self, ctx: Context, event: OrderEvent) -> None:
        coid = str(event.client_order_id)
        sleeve = self._books.owners.get(coid)
        if sleeve is None:
            return
        self._each("on_order_event", [sleeve.id], event)
        if event.status.is_terminal:
            sleeve.order_done(coid)

    def on_stop(self, ctx: Context) -> None:
        if self._waiting:
            self._start_day(self._waiting_session, None)
        self._each("on_stop", self.children)

    # ------------------------------------------------------------------ internals
    def _start_day(self, session: int, today_open: float | None) -> None:
        day = session_date(session)
        vix = self._daily[self._vix].before(session) if self._vix is not None else None
        plan = self.planner.plan(
            day,
            self._daily[self._regime].before(session),
            vix=vix,
            today_open=today_open,
            sentiment=self.sentiment(day) if self.sentiment is not None else None,
            symbol=self._regime,
        )
        unknown = [cid for cid in plan.strategy_ids if cid not in self.children]
        if unknown:
            raise ValueError(
                f"auto: the plan for {day} names {unknown}, which are not in the regime table "
                f"({', '.join(self.children)})"
            )
        self.plan = plan
        self.plans.append(plan)
        if self.on_plan is not None:  # a paper session stores each plan when it is made
            self.on_plan(plan)
        self._plan_session = session
        session_terms(self._sleeves, {s.id: s.risk_budget for s in plan.strategies}, plan.direction)
        gone = self._books.drop_vanished(self._ctx.quantity)
        if gone:
            self._ctx.log("plan_books_cleared", symbols=gone, reason="no longer in the account")
        self._ctx.log("daily_plan", plan=plan.to_dict())
        waiting, self._waiting = self._waiting, []
        for bar in waiting:
            self._route(bar)

    def _route(self, bar: Bar) -> None:
        everyone = self.observe_all
        ids = [
            cid
            for cid, sleeve in self._sleeves.items()
            if everyone or sleeve.budget is not None or sleeve.holding
        ]
        if ids:
            self._each("on_bar", ids, bar)

    def _each(self, hook: str, ids: Iterable[str], *args: Any) -> None:
        """Call ``hook`` on each child; an exception does not stop the others, and the first
        one is raised afterwards (the engine records it) naming the child."""
        first: tuple[str, Exception] | None = None
        for cid in ids:
            try:
                getattr(self.children[cid], hook)(self._contexts[cid], *args)
            except Exception as exc:  # a child's bug must not stop its siblings
                if first is None:
                    first = (cid, exc)
        if first is not None:
            who, error = first
            raise ChildStrategyError(f"{who}.{hook}: {type(error).__name__}: {error}") from error


_PREFERRED = ("NIFTY", "NIFTY50", "NIFTY 50", "INDIAVIX", "INDIA VIX")


def _pick(
    value: str, symbols: list[str], marker: str, param: str, candidates: list[str]
) -> str | None:
    """``none`` -> None; ``auto`` -> NIFTY / NIFTY50 / INDIAVIX when among ``candidates``,
    else the first candidate containing ``marker``; else the symbol itself (which must be in
    the run)."""
    text = value.strip().upper()
    if text in ("", "NONE"):
        return None
    if text == "AUTO":
        exact = [s for s in _PREFERRED if marker in s and s in candidates]
        return exact[0] if exact else next((s for s in candidates if marker in s), None)
    if text not in symbols:
        raise ValueError(f"auto: {param} {value!r} is not in this run (symbols: {symbols})")
    return text
