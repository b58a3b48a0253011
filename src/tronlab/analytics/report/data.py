"""What a run report shows, as plain data: :class:`ReportData`, built by
:func:`build_report_data` from the JSON-native run document (the shape of
``tronlab runs show --json`` / ``BacktestResult.to_dict()``) plus what the document lacks
(risk events, order confidences, bars for the candlestick charts).

Everything here is pure: no files, no database, no clock. The statistics come from
:mod:`tronlab.analytics.metrics` and :mod:`tronlab.analytics.significance`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from tronlab.analytics import metrics, significance

__all__ = [
    "MAX_CANDLES",
    "CandleSeries",
    "Costs",
    "ReportData",
    "build_report_data",
    "candle_seconds",
]

MAX_CANDLES = 5_000
"""At most this many candles per symbol (longer series are resampled to a coarser bar)."""

#: Bar lengths a candlestick chart may be resampled to, shortest first (seconds).
CANDLE_LADDER: tuple[int, ...] = (60, 300, 900, 1_800, 3_600, 86_400)

_TRADE_COLUMNS = (
    "symbol", "side", "qty", "entry_time", "entry_price", "exit_time", "exit_price",
    "pnl", "gross_pnl", "fees", "entry_reason", "exit_reason", "entry_order", "exit_order",
)  # fmt: skip
_FILL_COLUMNS = ("time", "symbol", "side", "qty", "price", "fee", "client_order_id")
_RISK_COLUMNS = (
    "time", "kind", "rule", "decision", "reason_code", "message", "symbol", "strategy",
    "trading_state",
)  # fmt: skip
#: Kinds of risk events on the timeline (approvals are counted, not plotted).
RISK_KINDS = ("denial", "resize", "square-off", "state change")


def candle_seconds(
    source_seconds: int, bars: int, sessions: int, max_candles: int = MAX_CANDLES
) -> int:
    """The shortest bar length (a multiple of ``source_seconds`` from :data:`CANDLE_LADDER`,
    or the source itself) that shows ``bars`` source bars over ``sessions`` sessions in at
    most ``max_candles`` candles; ``86400`` (daily) when nothing shorter fits.

    Intraday buckets never span two sessions, so each session may add one partial bucket.
    """
    if source_seconds <= 0 or bars < 0 or sessions < 0 or max_candles <= 0:
        raise ValueError(
            "candle_seconds needs source_seconds > 0, bars >= 0, sessions >= 0 and "
            f"max_candles > 0, got {source_seconds}, {bars}, {sessions}, {max_candles}"
        )
    if bars <= max_candles or source_seconds >= 86_400:
        return source_seconds
    for seconds in CANDLE_LADDER:
        if seconds <= source_seconds or seconds % source_seconds:
            continue
        estimate = sessions if seconds >= 86_400 else bars * source_seconds / seconds + sessions
        if estimate <= max_candles:
            return seconds
    return 86_400


@dataclass(frozen=True)
class CandleSeries:
    """Bars of one symbol for a candlestick chart.

    ``bars`` has ``timestamp`` (tz-aware bar start), ``open``, ``high``, ``low``, ``close``;
    ``timeframe`` is the label of the bars shown, ``source_timeframe`` that of the bars the
    run traded on (they differ when the series was resampled to fit :data:`MAX_CANDLES`).
    ``clipped`` counts leading candles left out because even daily bars were too many.
    """

    symbol: str
    bars: pd.DataFrame
    timeframe: str
    source_timeframe: str
    clipped: int = 0

    @property
    def note(self) -> str:
        """How the bars were reduced, for the chart title."""
        if self.timeframe == self.source_timeframe:
            text = f"{self.timeframe} bars"
        else:
            text = f"{self.timeframe} candles, resampled from {self.source_timeframe}"
        if self.clipped:
            text += f", last {len(self.bars):,} only"
        return text


@dataclass(frozen=True)
class Costs:
    """Fees of the run: the total, and split by charge component (when the fills carry one),
    by symbol and by strategy (the order's strategy id; ``risk`` is the governor's own)."""

    total: float
    gross_pnl: float
    by_component: dict[str, float] = field(default_factory=dict)
    by_symbol: dict[str, float] = field(default_factory=dict)
    by_strategy: dict[str, float] = field(default_factory=dict)

    @property
    def share_of_gross(self) -> float:
        """Fees as a fraction of the absolute gross PnL (``nan`` when gross is 0)."""
        return self.total / abs(self.gross_pnl) if self.gross_pnl else math.nan


@dataclass(frozen=True)
class ReportData:
    """Everything a run report shows. Times are tz-aware in the run's time zone."""

    run_id: str
    strategy: str
    title: str
    timezone: str
    config: dict[str, Any]
    params: dict[str, Any]
    period: tuple[str, str]
    equity: pd.Series
    drawdown: pd.Series
    daily_pnl: pd.Series
    monthly_returns: pd.DataFrame  # years down, months 1-12 and "year" across (fractions)
    fills: pd.DataFrame
    trades: pd.DataFrame
    risk_events: pd.DataFrame
    summary: dict[str, Any]
    trade_stats: dict[str, Any]
    costs: Costs
    significance: dict[str, Any] | None
    candles: tuple[CandleSeries, ...] = ()
    notes: tuple[str, ...] = ()
    approvals: int = 0

    @property
    def symbols(self) -> list[str]:
        return [str(s) for s in self.config.get("symbols") or []]


# --------------------------------------------------------------------------------- building
def build_report_data(
    run: Mapping[str, Any],
    *,
    candles: Sequence[CandleSeries] = (),
    risk_events: Iterable[Mapping[str, Any]] | None = None,
    orders: Iterable[Mapping[str, Any]] | None = None,
    notes: Sequence[str] = (),
    n_trials: int = 1,
    sr_variance: float | None = None,
    periods_per_year: float = 252.0,
) -> ReportData:
    """A :class:`ReportData` from a run document.

    Parameters
    ----------
    run
        ``run_id``, ``strategy``, ``config``, ``summary``, ``equity_curve``, ``fills`` and
        ``trades`` as stored (see :func:`tronlab.storage.backtests.load_run`); ``orders`` and
        ``extra.risk_events`` are read when present.
    candles
        Bars per symbol for the candlestick charts (none: the charts are left out).
    risk_events
        Governor audit records (``ts``, ``rule``, ``decision``, ``reason_code``, ``message``,
        ``symbol``, ``strategy``, ``trading_state``); default ``run["extra"]["risk_events"]``.
    orders
        Order records with ``client_order_id`` and ``confidence`` (and ``strategy``); default
        ``run["orders"]``. They give each trade its entry confidence.
    notes
        Lines shown under the charts (for example why a candlestick chart is missing).
    n_trials, sr_variance
        How many configurations were tried to find this one, and the variance of their
        per-day Sharpe ratios (both for the deflated Sharpe ratio; see
        :func:`tronlab.analytics.significance.significance_report`).
    periods_per_year
        Trading days per year (the equity curve is compared day by day).
    """
    missing = [k for k in ("config", "summary", "equity_curve") if k not in run]
    if missing:
        raise ValueError(f"run document lacks {', '.join(missing)}")
    if n_trials < 1:
        raise ValueError(f"n_trials must be >= 1, got {n_trials}")
    config = dict(run["config"])
    tz = str(config.get("timezone") or run["summary"].get("timezone") or "UTC")
    equity = _equity(run["equity_curve"], tz)
    initial = float(run["summary"].get("initial_cash") or config.get("initial_cash") or 0.0)
    if not initial and len(equity):
        initial = float(equity.iloc[0])
    order_list = list(orders if orders is not None else run.get("orders") or [])
    trades = _trades(run.get("trades") or [], tz, order_list)
    fills = _frame(run.get("fills") or [], _FILL_COLUMNS, tz, ("time",))
    extra = run.get("extra") or {}
    events, approvals = _risk_events(
        risk_events if risk_events is not None else extra.get("risk_events") or [], tz
    )

    if len(equity):
        daily_eq = _daily_close(equity)
        summary = metrics.summarise(
            daily_eq, trades, periods_per_year=periods_per_year, initial_equity=initial,
            fills=fills if len(fills) else None,
        )  # fmt: skip
        summary.update(_intraday(equity, trades, initial))
        drawdown = metrics.drawdown_series(equity, initial_equity=initial)
        daily_pnl = daily_eq.diff()
        daily_pnl.iloc[0] = daily_eq.iloc[0] - initial
        monthly = metrics.monthly_table(equity, initial_equity=initial)
        daily_returns = metrics.period_returns(equity, "D", initial_equity=initial)
        sig = significance.significance_report(
            daily_returns.to_numpy(), n_trials, sr_variance=sr_variance,
            periods_per_year=periods_per_year,
        )  # fmt: skip
    else:
        summary, sig = {}, None
        drawdown = daily_pnl = pd.Series(dtype=float)
        monthly = pd.DataFrame(columns=[*range(1, 13), "year"], dtype=float)
    summary = {**summary, **_run_extras(run["summary"])}
    stats = metrics.trade_stats(trades)
    first, last = run["summary"].get("first_bar"), run["summary"].get("last_bar")
    return ReportData(
        run_id=str(run.get("run_id") or ""),
        strategy=str(run.get("strategy") or ""),
        title=_title(run, config),
        timezone=tz,
        config=config,
        params=dict(config.get("params") or run.get("params") or {}),
        period=(str(first or ""), str(last or "")),
        equity=equity,
        drawdown=drawdown,
        daily_pnl=daily_pnl,
        monthly_returns=monthly,
        fills=fills,
        trades=trades,
        risk_events=events,
        summary=summary,
        trade_stats=stats,
        costs=_costs(fills, order_list, run["summary"]),
        significance=sig,
        candles=tuple(_in_zone(c, tz) for c in candles),
        notes=tuple(notes),
        approvals=approvals,
    )


def _in_zone(series: CandleSeries, tz: str) -> CandleSeries:
    missing = {"timestamp", "open", "high", "low", "close"} - set(series.bars.columns)
    if missing:
        raise ValueError(f"bars of {series.symbol} lack columns {sorted(missing)}")
    bars = series.bars.copy()
    bars["timestamp"] = pd.to_datetime(bars["timestamp"], utc=True).dt.tz_convert(tz)
    return replace(series, bars=bars.reset_index(drop=True))


def _title(run: Mapping[str, Any], config: Mapping[str, Any]) -> str:
    symbols = ", ".join(config.get("symbols") or [])
    tf = config.get("timeframe") or ""
    return " ".join(p for p in (str(run.get("strategy") or "run"), symbols, tf) if p)


def _run_extras(summary: Mapping[str, Any]) -> dict[str, Any]:
    """Counts only the run knows (orders, rejections, risk denials)."""
    keys = ("orders", "fills", "rejected", "risk_denials", "strategy_errors", "trading_state")
    return {f"run_{k}": summary[k] for k in keys if k in summary}


def _times(values: pd.Series, tz: str) -> pd.Series:
    return pd.to_datetime(values, utc=True, format="ISO8601").dt.tz_convert(tz)


def _frame(
    records: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    tz: str,
    time_columns: Sequence[str],
) -> pd.DataFrame:
    frame = pd.DataFrame(list(records))
    for col in columns:
        if col not in frame.columns:
            frame[col] = pd.Series(dtype=object)
    for col in time_columns:
        frame[col] = _times(frame[col], tz)
    return frame.reset_index(drop=True)


def _equity(records: Sequence[Mapping[str, Any]], tz: str) -> pd.Series:
    if not records:
        return pd.Series(dtype=float, index=pd.DatetimeIndex([], tz=tz), name="equity")
    frame = pd.DataFrame(list(records))
    if not {"time", "equity"} <= set(frame.columns):
        raise ValueError("equity_curve records need 'time' and 'equity'")
    index = pd.DatetimeIndex(_times(frame["time"], tz))
    return pd.Series(frame["equity"].to_numpy(dtype=np.float64), index=index, name="equity")


def _daily_close(equity: pd.Series) -> pd.Series:
    """Equity at the last point of each local calendar day, stamped with that point's time."""
    idx = pd.DatetimeIndex(equity.index)
    days = idx.tz_localize(None).normalize() if idx.tz is not None else idx.normalize()
    last = pd.Series(range(len(equity))).groupby(days).last().to_numpy()
    return equity.iloc[last]


def _intraday(equity: pd.Series, trades: pd.DataFrame, initial: float) -> dict[str, Any]:
    """What the daily summary would understate: the deepest drawdown within the day and the
    share of bars with a position open."""
    dd = metrics.max_drawdown(equity, initial_equity=initial)
    duration = dd.duration.total_seconds() if isinstance(dd.duration, pd.Timedelta) else None
    return {
        "max_drawdown": dd.max_dd,
        "max_drawdown_peak": None if dd.peak_time is None else dd.peak_time.isoformat(),
        "max_drawdown_trough": None if dd.trough_time is None else dd.trough_time.isoformat(),
        "max_drawdown_recovery": (
            None if dd.recovery_time is None else dd.recovery_time.isoformat()
        ),
        "max_drawdown_duration": duration,
        "max_drawdown_recovered": dd.recovered,
        "exposure": metrics.exposure(trades, equity.index),
    }


def _trades(
    records: Sequence[Mapping[str, Any]], tz: str, orders: Sequence[Mapping[str, Any]]
) -> pd.DataFrame:
    trades = _frame(records, _TRADE_COLUMNS, tz, ("entry_time", "exit_time"))
    confidence = {
        str(o.get("client_order_id")): o.get("confidence")
        for o in orders
        if o.get("confidence") is not None
    }
    trades["confidence"] = pd.Series(
        [confidence.get(str(k)) for k in trades["entry_order"]], dtype=float
    )
    strategy = {str(o.get("client_order_id")): o.get("strategy") for o in orders}
    trades["strategy"] = pd.Series(
        [strategy.get(str(k)) or "" for k in trades["entry_order"]], dtype=object
    )
    for col in ("qty", "entry_price", "exit_price", "pnl", "gross_pnl", "fees"):
        trades[col] = pd.to_numeric(trades[col], errors="coerce").astype(float)
    return trades


def _risk_events(records: Iterable[Mapping[str, Any]], tz: str) -> tuple[pd.DataFrame, int]:
    """The governor's notable decisions (denials, resizes, square-offs, trading-state changes)
    and how many plain approvals were left out."""
    rows: list[dict[str, Any]] = []
    approvals = 0
    state: str | None = None
    for rec in records:
        ts = rec.get("ts", rec.get("time"))
        if ts is None:
            raise ValueError(f"risk event without a time: {dict(rec)!r}")
        decision = str(rec.get("decision") or "")
        new_state = rec.get("trading_state")
        changed = new_state is not None and state is not None and new_state != state
        if new_state is not None:
            state = str(new_state)
        if str(rec.get("strategy") or "") == "risk" and decision != "deny":
            kind = "square-off"
        elif changed or (decision == "deny" and rec.get("symbol") is None):
            kind = "state change"
        elif decision == "deny":
            kind = "denial"
        elif decision == "resize":
            kind = "resize"
        else:
            approvals += 1
            continue
        rows.append(
            {
                "time": ts,
                "kind": kind,
                "rule": str(rec.get("rule") or "governor"),
                "decision": decision,
                "reason_code": str(rec.get("reason_code") or ""),
                "message": str(rec.get("message") or ""),
                "symbol": rec.get("symbol"),
                "strategy": rec.get("strategy"),
                "trading_state": new_state,
            }
        )
    frame = _frame(rows, _RISK_COLUMNS, tz, ("time",))
    return frame[list(_RISK_COLUMNS)], approvals


def _costs(
    fills: pd.DataFrame, orders: Sequence[Mapping[str, Any]], summary: Mapping[str, Any]
) -> Costs:
    fees = pd.to_numeric(fills["fee"], errors="coerce").fillna(0.0).astype(float)
    total = float(fees.sum()) if len(fills) else float(summary.get("fees") or 0.0)
    components: dict[str, float] = {}
    if "charges" in fills.columns:  # a per-fill breakdown, when the source recorded one
        for charges in fills["charges"]:
            for name, value in (charges or {}).items():
                if name != "total":
                    components[name] = components.get(name, 0.0) + float(value)
    by_symbol = fees.groupby(fills["symbol"].astype(str)).sum() if len(fills) else pd.Series()
    strategy_of = {
        str(o.get("client_order_id")): str(o.get("strategy") or o.get("strategy_id") or "")
        for o in orders
    }
    strategies = fills["client_order_id"].astype(str).map(strategy_of).fillna("")
    by_strategy = fees.groupby(strategies).sum() if len(fills) else pd.Series()
    return Costs(
        total=round(total, 2),
        gross_pnl=float(summary.get("gross_pnl") or 0.0),
        by_component={k: round(v, 2) for k, v in components.items()},
        by_symbol={str(k): round(float(v), 2) for k, v in by_symbol.items()},
        by_strategy={str(k) or "unknown": round(float(v), 2) for k, v in by_strategy.items()},
    )
