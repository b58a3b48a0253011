"""``run_backtest(strategy, config) -> BacktestResult``: load bars, run the engine, derive
trades, the equity curve and a summary; the same inputs give the same result byte for byte.

The run is recorded through an optional :class:`RunRecorder` (the storage layer implements
it), so this module never touches the database itself.
"""

from __future__ import annotations

import bisect
import hashlib
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

import tronlab
from tronlab.data.calendars import TradingCalendar, get_calendar
from tronlab.data.store import BarStore
from tronlab.engine.feed import BarSeries, SeriesKey, load_series
from tronlab.engine.loop import Engine, EngineConfig
from tronlab.engine.results import BacktestResult, equity_curve, max_drawdown
from tronlab.engine.trades import build_trades
from tronlab.execution.costs import CostModel, cost_model_for
from tronlab.execution.fill_model import FillConfig, slippage_from_spec
from tronlab.execution.order_manager import OrderJournal
from tronlab.model import Instrument, MarginModel, Product, Venue
from tronlab.risk import PreTradeRisk, RiskGovernor
from tronlab.risk.profiles import build_governor, risk_profile
from tronlab.strategy.base import Strategy
from tronlab.strategy.params import resolve_params
from tronlab.strategy.registry import get_strategy

_VENUES = {
    "NSE": (Venue.NSE, "INR", "0.05"),
    "XNYS": (Venue.US, "USD", "0.01"),
    "NYSE": (Venue.US, "USD", "0.01"),
}


@dataclass(frozen=True)
class BacktestConfig:
    """Everything that defines a backtest besides the strategy and the bars.

    ``costs`` names a cost model (``zerodha``, ``alpaca``, ``zero``, ``percent:0.0003``);
    ``slippage`` a slippage model (``none``, ``bps:5``, ``ticks:1``, ``impact:10``).
    """

    symbols: tuple[str, ...]
    timeframe: str = "1m"
    extra_timeframes: tuple[str, ...] = ()
    start: str | None = None
    end: str | None = None
    initial_cash: Decimal = Decimal("1000000")
    costs: str = "zerodha"
    market_fill: str = "next_open"
    limit_fill: str = "through"
    slippage: str = "none"
    participation: float | None = None
    latency_bars: int = 0
    latency_ms: int = 0
    product: str | None = None
    margin_rate: Decimal | None = None
    seed: int = 7
    params: Mapping[str, Any] = field(default_factory=dict)
    risk_profile: str | None = None  # None: no rules (the CLI defaults to tron-default)
    underlyings: Mapping[str, str] = field(default_factory=dict)  # NIFTY -> index series
    risk_overrides: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["symbols"] = list(self.symbols)
        d["extra_timeframes"] = list(self.extra_timeframes)
        d["initial_cash"] = str(self.initial_cash)
        d["margin_rate"] = None if self.margin_rate is None else str(self.margin_rate)
        d["params"] = dict(self.params)
        d["risk_overrides"] = _jsonable(dict(self.risk_overrides))
        d["underlyings"] = dict(self.underlyings)
        return d


class RunRecorder(Protocol):
    """Saves a finished backtest (implemented by ``tronlab.storage.backtests``)."""

    def new_run_id(self) -> str: ...

    def save_backtest(self, result: BacktestResult, run_id: str) -> str: ...


class CalendarGate:
    """A :class:`~tronlab.adapters.paper.exchange.SessionGate` from trading calendars.

    Trading windows (sessions minus breaks) are cached per year as sorted arrays, so a check
    is a binary search."""

    def __init__(self, calendars: Mapping[str, TradingCalendar | None]) -> None:
        self._calendars = dict(calendars)
        self._windows: dict[tuple[str, int], tuple[list[int], list[int]]] = {}

    def is_open(self, symbol: str, ts_ns: int) -> bool:
        cal = self._calendars.get(symbol)
        if cal is None:
            return True
        year = pd.Timestamp(ts_ns, tz="UTC").year
        key = (symbol, year)
        windows = self._windows.get(key)
        if windows is None:
            windows = self._windows[key] = self._load(cal, year)
        starts, ends = windows
        i = bisect.bisect_right(starts, ts_ns) - 1
        return i >= 0 and ts_ns < ends[i]

    def bounds(self, symbol: str, ts_ns: int) -> tuple[datetime, datetime] | None:
        """Open and close (UTC) of the session containing ``ts_ns`` (its close included, so a
        decision at the close of the last bar still sees its session), else ``None``."""
        cal = self._calendars.get(symbol)
        if cal is None:
            return None
        day = pd.Timestamp(ts_ns, tz="UTC").tz_convert(cal.tz).date()
        try:
            session = cal.session(day)
        except (ValueError, KeyError):
            return None
        if session is None or not (session.open.value <= ts_ns <= session.close.value):
            return None
        return session.open.to_pydatetime(), session.close.to_pydatetime()

    @staticmethod
    def _load(cal: TradingCalendar, year: int) -> tuple[list[int], list[int]]:
        try:
            sessions = cal.sessions(date(year - 1, 12, 31), date(year + 1, 1, 1))
        except (ValueError, KeyError):  # outside the calendar's range: treat as closed
            return [], []
        starts: list[int] = []
        ends: list[int] = []
        for session in sessions:
            for a, b in session.windows:
                starts.append(a.value)
                ends.append(b.value)
        return starts, ends


def default_instrument(symbol: str, calendar: str | None) -> Instrument:
    """A tradable cash instrument for a symbol that has no instrument definition: NSE
    equities tick 0.05 in INR, US ones 0.01 in USD (index series are traded as if they were
    a cash instrument: a proxy for the index future or ETF)."""
    venue, _currency, tick = _VENUES.get((calendar or "NSE").upper(), _VENUES["NSE"])
    return Instrument.equity(venue, symbol.upper(), tick_size=Decimal(tick))


def fingerprint(series: Sequence[BarSeries]) -> str:
    h = hashlib.sha256()
    for s in sorted(series, key=lambda s: (s.key.symbol, s.key.timeframe)):
        h.update(f"{s.key.symbol}|{s.key.timeframe}|".encode())
        for part in s.fingerprint_parts():
            h.update(part)
    return "sha256:" + h.hexdigest()


@lru_cache(maxsize=1)
def code_version() -> str:
    """Package version plus the git commit of the source tree when there is one."""
    root = Path(tronlab.__file__).resolve().parents[2]
    try:
        out = subprocess.run(  # noqa: S603
            ["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(  # noqa: S603
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return tronlab.__version__
    return f"{tronlab.__version__}+g{out}{'.dirty' if dirty else ''}"


def frames_to_series(
    frames: Mapping[str, pd.DataFrame],
    timeframe: str,
    calendars: Mapping[str, TradingCalendar | None],
) -> list[BarSeries]:
    """Bar series from in-memory frames (columns timestamp, open, high, low, close, volume)."""
    return [
        BarSeries(
            SeriesKey(sym.upper(), timeframe), df.reset_index(drop=True), calendars.get(sym.upper())
        )
        for sym, df in frames.items()
    ]


def run_backtest(
    strategy: Strategy | str | type[Strategy],
    config: BacktestConfig,
    *,
    store: BarStore | None = None,
    frames: Mapping[str, pd.DataFrame] | None = None,
    calendars: Mapping[str, str | None] | None = None,
    instruments: Mapping[str, Instrument] | None = None,
    fees: CostModel | None = None,
    risk: PreTradeRisk | None = None,
    recorder: RunRecorder | None = None,
    progress: Callable[[int, int], None] | None = None,
    journal: OrderJournal | None = None,
    pacer: Callable[[int], None] | None = None,
    engine_hook: Callable[[Engine], None] | None = None,
    run_id: str | None = None,
) -> BacktestResult:
    """Run ``strategy`` over the bars of ``config`` and return the result.

    Bars come from ``frames`` (symbol -> DataFrame, for tests and research) or from the bar
    ``store``. ``calendars`` maps a symbol to its calendar name (default: the store's series
    metadata, else NSE). ``progress(done, total)`` is called every few thousand bars.
    A paper session passes a write-through ``journal`` and a ``pacer`` (see
    :mod:`tronlab.engine.paper`); ``engine_hook`` sees the engine before it runs (to stop
    it from a signal handler, for instance). A stored run salts its client order ids with
    its ``run_id`` (ids are unique in the database for ever); without one the ids depend on
    the seed alone, so the whole result is reproducible byte for byte.
    """
    if run_id is None and recorder is not None:
        run_id = recorder.new_run_id()
    strat = _make_strategy(strategy, config.params)
    symbols = tuple(s.upper() for s in config.symbols)
    if not symbols:
        raise ValueError("a backtest needs at least one symbol")
    cal_names = {s: (calendars or {}).get(s) for s in symbols}
    if store is not None and frames is None:
        for s in symbols:
            if cal_names[s] is None:
                cal_names[s] = store.info(s, config.timeframe).calendar
    names: dict[str, str] = {s: (n or "NSE") for s, n in cal_names.items()}
    cals: dict[str, TradingCalendar | None] = {s: get_calendar(n) for s, n in names.items()}
    timeframes = (config.timeframe, *config.extra_timeframes, *strat.timeframes)
    timeframes = tuple(dict.fromkeys(timeframes))
    if frames is not None:
        series = frames_to_series(frames, config.timeframe, cals)
    elif store is not None:
        series = load_series(store, symbols, timeframes, cals, config.start, config.end)
    else:
        raise ValueError("give bars: a BarStore or in-memory frames")
    insts = {s: (instruments or {}).get(s) or default_instrument(s, names[s]) for s in symbols}
    currencies = {i.currency for i in insts.values()}
    if len(currencies) > 1:
        raise ValueError(f"one backtest trades one currency; got {sorted(currencies)}")
    tick = min(float(i.tick_size) for i in insts.values())
    fill = FillConfig(
        market_fill=config.market_fill,  # type: ignore[arg-type]
        limit_fill=config.limit_fill,  # type: ignore[arg-type]
        participation=config.participation,
        slippage=slippage_from_spec(config.slippage, tick),
        latency_bars=config.latency_bars,
        latency_ms=config.latency_ms,
    )
    margin = None if config.margin_rate is None else MarginModel(default_rate=config.margin_rate)
    tzname = next((str(c.tz) for c in cals.values() if c is not None), "UTC")
    governor = risk
    if governor is None and config.risk_profile is not None:
        governor = build_governor(risk_profile(config.risk_profile, dict(config.risk_overrides)))
    engine_config = EngineConfig(
        initial_cash=config.initial_cash,
        currency=currencies.pop(),
        fill=fill,
        margin=margin,
        product=Product.parse(config.product) if config.product else None,
        seed=config.seed,
        id_salt=run_id or "",
        timezone=tzname,
        mode="paper" if pacer is not None else "backtest",
        underlyings=dict(config.underlyings),
    )
    total = sum(len(s) for s in series)
    engine = Engine(
        strat,
        series,
        insts,
        fees or cost_model_for(config.costs),
        config=engine_config,
        risk=governor,
        sessions=CalendarGate(cals),
        on_progress=(lambda k: progress(k, total)) if progress else None,
        journal=journal,
        pacer=pacer,
    )
    if engine_hook is not None:
        engine_hook(engine)
    engine.run()
    result = collect_result(engine, config, series, cals)
    if isinstance(governor, RiskGovernor):
        denials = sum(1 for d in governor.decisions if d["decision"] == "deny")
        result = replace(
            result,
            summary={**result.summary, "risk_denials": denials,
                     "trading_state": governor.trading_state.value},
            extra={**result.extra, "risk_events": [_jsonable(d) for d in governor.decisions],
                   "risk_state": governor.state.to_dict()},
        )  # fmt: skip
    if recorder is not None:
        result = _with_run_id(result, recorder.save_backtest(result, run_id or ""))
    return result


def _make_strategy(
    strategy: Strategy | str | type[Strategy], params: Mapping[str, Any]
) -> Strategy:
    if isinstance(strategy, Strategy):
        if params and resolve_params(type(strategy), params) != dict(strategy.params):
            raise ValueError(
                "the config's params differ from the strategy's: pass them once, to the "
                "strategy or in the config"
            )
        return strategy
    cls = get_strategy(strategy) if isinstance(strategy, str) else strategy
    return cls(**params)


def collect_result(
    engine: Engine,
    config: BacktestConfig,
    series: Sequence[BarSeries],
    calendars: Mapping[str, TradingCalendar | None],
) -> BacktestResult:
    """Turn a finished engine into a :class:`BacktestResult`."""
    portfolio = engine.portfolio
    orders = list(engine.orders)
    rationale = {str(o.client_order_id): o.rationale for o in orders}
    last = {s: Decimal(repr(p)) for s, p in engine.last_prices.items()}
    mults = {s: i.multiplier for s, i in engine.instruments.items()}
    settled = engine.settlement_fills()
    for sf in settled:
        rationale[sf.client_order_id] = f"expiry settlement at {sf.price}"
    events: list[Any] = sorted([*engine.fills, *settled], key=lambda f: f.ts)  # fills first
    trades = build_trades(events, mults, lambda c: rationale.get(c, ""), last)
    marks: dict[str, tuple[int, np.ndarray, np.ndarray]] = {}
    for s in series:
        if s.key.symbol not in marks or s.timeframe.seconds < marks[s.key.symbol][0]:
            marks[s.key.symbol] = (s.timeframe.seconds, s.end_ns, s.close)
    times, equity = equity_curve(
        engine.feed._end,
        float(portfolio.initial_cash),
        engine.flows,
        {k: (v[1], v[2]) for k, v in marks.items()},
    )
    final_equity = portfolio.equity
    closed = [t for t in trades if not t.is_open]
    wins = sum(1 for t in closed if t.pnl > 0)
    fees = portfolio.fees_paid
    net = final_equity - portfolio.initial_cash
    summary: dict[str, Any] = {
        "trades": len(trades),
        "closed_trades": len(closed),
        "net_pnl": float(net.quantize(Decimal("0.01"))),
        "gross_pnl": float((net + fees).quantize(Decimal("0.01"))),
        "fees": float(fees.quantize(Decimal("0.01"))),
        "initial_cash": float(portfolio.initial_cash),
        "final_equity": float(final_equity.quantize(Decimal("0.01"))),
        "return_pct": round(float(net / portfolio.initial_cash * 100), 6),
        "max_drawdown_pct": round(max_drawdown(equity) * 100, 6),
        "win_rate": round(wins / len(closed), 6) if closed else None,
        "orders": len(orders),
        "fills": len(engine.fills),
        "rejected": sum(1 for o in orders if o.status.value == "REJECTED") + len(engine.refusals),
        "strategy_errors": len(engine.errors),
        "settlements": len(engine.settlements),
        "bars": len(engine.feed),
        "first_bar": None,
        "last_bar": None,
    }
    tz = next((c.tz for c in calendars.values() if c is not None), "UTC")
    tzname = str(tz)
    summary["timezone"] = tzname
    if len(times):
        summary["first_bar"] = (
            pd.Timestamp(int(engine.feed.first_ns), tz="UTC").tz_convert(tzname).isoformat()
        )
        summary["last_bar"] = (
            pd.Timestamp(int(engine.feed.last_ns), tz="UTC").tz_convert(tzname).isoformat()
        )
    return BacktestResult(
        strategy=engine.strategy_id,
        params=dict(engine.strategy.params),
        config=config.to_dict(),
        summary=summary,
        orders=orders,
        fills=list(engine.fills),
        trades=trades,
        refusals=list(engine.refusals),
        errors=list(engine.errors),
        equity_time_ns=times,
        equity=equity,
        timezone=tzname,
        fingerprint=fingerprint(series),
        code_version=code_version(),
    )


def _with_run_id(result: BacktestResult, run_id: str) -> BacktestResult:
    from dataclasses import replace

    return replace(result, run_id=run_id)


def parse_date(text: str | None) -> str | None:
    if text is None:
        return None
    return date.fromisoformat(text).isoformat()


def _jsonable(value: Any) -> Any:
    """Decimals, datetimes and nested containers as JSON-native values."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value
