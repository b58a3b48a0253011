"""Walk-forward analysis: fit on a training window, trade the window after it, move on.

The period's trading sessions (from the symbols' trading calendar, clipped to the bars
available and to ``config.start``/``config.end``) are cut into windows of ``train``
sessions followed by ``test`` sessions; the next window starts ``step`` sessions later
(default ``step = test``, so the test windows tile the period without overlap). A
*rolling* window keeps the training length fixed; an *anchored* one always trains from the
first session. Sessions after the last whole test window are left out (``unused_sessions``).

Per window the parameters are either fixed (``config.params``) or chosen by a
``fit(train_window) -> params`` callback that sees the training window only: its
:class:`TrainWindow` hands out bars of the training sessions and backtests on them, and
nothing else (the optimiser of a later issue plugs in here). The strategy then runs with
those parameters on the test window through :func:`~tronlab.engine.backtest.run_backtest`.

Stitching conventions
---------------------
* Each test window is an independent backtest that starts flat, with a fresh strategy (its
  indicators warm up inside the window), and with the previous window's final equity (to
  the cent) as its initial cash; the first window starts with ``config.initial_cash``. The
  out-of-sample equity curve is the concatenation of the windows' curves, so it is
  continuous, and the stitched net PnL is the sum of the windows' net PnLs.
* Windows are whole sessions, so an intraday strategy (or the ``tron-default`` risk
  profile's square-off on MIS positions) is flat at every boundary. A position still open
  at the end of a window is *not* closed by the engine: as in any backtest it is marked at
  the window's last close (no exit fee), its trade is reported open (``exit_time`` None) and
  counted in the window's ``open_at_end``, and the next window starts in cash at that
  marked equity. Strategies that hold overnight therefore see an exit at the last close of
  each window, without its exit costs.

The same inputs (and a deterministic ``fit``) give byte-identical results.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from tronlab.data.calendars import TradingCalendar, get_calendar
from tronlab.data.store import BarStore
from tronlab.engine.backtest import BacktestConfig, RunRecorder, run_backtest
from tronlab.engine.results import BacktestResult, max_drawdown
from tronlab.engine.trades import Trade
from tronlab.execution.costs import CostModel
from tronlab.model import Instrument
from tronlab.strategy.base import Strategy

__all__ = [
    "FitFn",
    "TrainWindow",
    "WalkForwardResult",
    "WalkForwardSpec",
    "Window",
    "WindowResult",
    "plan_windows",
    "walk_forward",
]

_DAY = timedelta(days=1)


@dataclass(frozen=True)
class WalkForwardSpec:
    """Window lengths in sessions: ``train`` then ``test``, advancing by ``step``
    (default ``test``); ``anchored`` trains from the first session every time."""

    train: int
    test: int
    step: int | None = None
    anchored: bool = False

    def __post_init__(self) -> None:
        if self.train < 0:
            raise ValueError(f"train must be >= 0 sessions, got {self.train}")
        if self.test < 1:
            raise ValueError(f"test must be >= 1 session, got {self.test}")
        if self.step is not None and self.step < self.test:
            raise ValueError(
                f"step ({self.step}) must be >= test ({self.test}): overlapping test windows "
                "cannot be stitched into one equity curve"
            )

    @property
    def stride(self) -> int:
        return self.test if self.step is None else self.step

    def to_dict(self) -> dict[str, Any]:
        return {"train": self.train, "test": self.test, "step": self.stride,
                "anchored": self.anchored}  # fmt: skip


@dataclass(frozen=True)
class Window:
    """One planned window: its training and test session dates."""

    index: int
    train: tuple[date, ...]
    test: tuple[date, ...]

    @property
    def train_start(self) -> date | None:
        return self.train[0] if self.train else None

    @property
    def train_end(self) -> date | None:
        return self.train[-1] if self.train else None

    @property
    def test_start(self) -> date:
        return self.test[0]

    @property
    def test_end(self) -> date:
        return self.test[-1]


def plan_windows(sessions: Sequence[date], spec: WalkForwardSpec) -> list[Window]:
    """Cut sorted, distinct session dates into walk-forward windows (see the module doc)."""
    days = list(sessions)
    if any(b <= a for a, b in pairwise(days)):
        raise ValueError("sessions must be sorted and distinct")
    need = spec.train + spec.test
    if len(days) < need:
        raise ValueError(
            f"walk-forward needs at least train + test = {need} sessions; the period has "
            f"{len(days)}"
        )
    out: list[Window] = []
    for k, first_test in enumerate(range(spec.train, len(days) - spec.test + 1, spec.stride)):
        lo = 0 if spec.anchored else first_test - spec.train
        out.append(
            Window(k, tuple(days[lo:first_test]), tuple(days[first_test : first_test + spec.test]))
        )
    return out


# ------------------------------------------------------------------------------ bar access


class _Bars:
    """Bars for a date range from in-memory frames or the bar store, never outside
    ``[lo, hi]`` (session dates, inclusive): a training window gets a restricted copy."""

    def __init__(
        self,
        symbols: tuple[str, ...],
        timeframe: str,
        calendars: Mapping[str, TradingCalendar],
        *,
        store: BarStore | None,
        frames: Mapping[str, pd.DataFrame] | None,
        lo: date | None = None,
        hi: date | None = None,
    ) -> None:
        self.symbols = symbols
        self.timeframe = timeframe
        self.calendars = dict(calendars)
        self.store = store
        self.lo = lo
        self.hi = hi
        self._frames: dict[str, pd.DataFrame] | None = None
        self._days: dict[str, np.ndarray] = {}
        if frames is not None:
            given = {s.upper(): df for s, df in frames.items()}
            missing = [s for s in symbols if s not in given]
            if missing:
                raise ValueError(f"no frames for {', '.join(missing)}")
            self._frames = {}
            for s in symbols:
                df = given[s].reset_index(drop=True)
                days = _local_days(df, self.calendars[s])
                if lo is not None or hi is not None:
                    keep = _between(days, lo, hi)
                    df, days = df[keep].reset_index(drop=True), days[keep]
                self._frames[s] = df
                self._days[s] = days

    def restrict(self, lo: date, hi: date) -> _Bars:
        """A copy that holds (frames) or reads (store) only the sessions dated ``[lo, hi]``."""
        lo, hi = self._clip(lo, hi)
        out = _Bars(self.symbols, self.timeframe, self.calendars, store=self.store, frames=None,
                    lo=lo, hi=hi)  # fmt: skip
        if self._frames is not None:
            out._frames = {}
            for s, df in self._frames.items():
                keep = _between(self._days[s], lo, hi)
                out._frames[s] = df[keep].reset_index(drop=True)
                out._days[s] = self._days[s][keep]
        return out

    def extent(self) -> tuple[date, date]:
        """First and last local date with bars for every symbol."""
        firsts: list[date] = []
        lasts: list[date] = []
        for s in self.symbols:
            if self._frames is not None:
                days = self._days[s]
                if len(days) == 0:
                    raise ValueError(f"no {s} bars in the period")
                firsts.append(_date(int(days.min())))
                lasts.append(_date(int(days.max())))
            else:
                info = self._store().info(s, self.timeframe)
                if info.first is None or info.last is None:
                    raise ValueError(f"no {s} {self.timeframe} bars in the bar store")
                tz = self.calendars[s].tz
                firsts.append(info.first.tz_convert(tz).date())
                lasts.append(info.last.tz_convert(tz).date())
        first, last = max(firsts), min(lasts)
        if self.lo is not None:
            first = max(first, self.lo)
        if self.hi is not None:
            last = min(last, self.hi)
        return first, last

    def frames(self, lo: date, hi: date) -> dict[str, pd.DataFrame]:
        """Bars of the sessions dated ``[lo, hi]`` (clipped to this object's range)."""
        lo, hi = self._clip(lo, hi)
        out: dict[str, pd.DataFrame] = {}
        for s in self.symbols:
            if self._frames is not None:
                keep = _between(self._days[s], lo, hi)
                out[s] = self._frames[s][keep].reset_index(drop=True)
            else:
                out[s] = self._store().read(s, self.timeframe, start=lo, end=hi + _DAY)
        return out

    def backtest(
        self,
        strategy: str | type[Strategy],
        config: BacktestConfig,
        lo: date,
        hi: date,
        **kwargs: Any,
    ) -> BacktestResult:
        """``run_backtest`` on the sessions dated ``[lo, hi]`` (config start/end set to them,
        end exclusive as everywhere)."""
        lo, hi = self._clip(lo, hi)
        cfg = replace(config, start=lo.isoformat(), end=(hi + _DAY).isoformat())
        names = {s: self.calendars[s].name for s in self.symbols}
        if self._frames is not None:
            frames = self.frames(lo, hi)
            empty = [s for s, df in frames.items() if df.empty]
            if empty:
                raise ValueError(f"no {', '.join(empty)} bars between {lo} and {hi}")
            return run_backtest(strategy, cfg, frames=frames, calendars=names, **kwargs)
        return run_backtest(strategy, cfg, store=self.store, calendars=names, **kwargs)

    def _store(self) -> BarStore:
        if self.store is None:
            raise ValueError("give bars: a BarStore or in-memory frames")
        return self.store

    def _clip(self, lo: date, hi: date) -> tuple[date, date]:
        if self.lo is not None:
            lo = max(lo, self.lo)
        if self.hi is not None:
            hi = min(hi, self.hi)
        if hi < lo:
            raise ValueError(
                f"empty date range {lo}..{hi} (bars are limited to {self.lo}..{self.hi})"
            )
        return lo, hi


def _local_days(df: pd.DataFrame, cal: TradingCalendar) -> np.ndarray:
    if df.empty:
        return np.zeros(0, dtype=np.int64)
    return np.asarray(cal.local_days(df["timestamp"]), dtype=np.int64)


def _between(days: np.ndarray, lo: date | None, hi: date | None) -> np.ndarray:
    keep = np.ones(len(days), dtype=bool)
    if lo is not None:
        keep &= days >= _day(lo)
    if hi is not None:
        keep &= days <= _day(hi)
    return keep


def _day(d: date) -> int:
    return int(np.datetime64(d, "D").astype(np.int64))


def _date(day: int) -> date:
    return date(1970, 1, 1) + timedelta(days=day)


# ------------------------------------------------------------------------------ fitting


@dataclass(frozen=True)
class TrainWindow:
    """What a ``fit`` callback sees: the training sessions of one window and their bars.

    :meth:`bars` and :meth:`backtest` never reach past :attr:`end` (the last training
    session), so a fit cannot look ahead into its test window.
    """

    index: int
    sessions: tuple[date, ...]
    symbols: tuple[str, ...]
    timeframe: str
    config: BacktestConfig
    strategy: str | type[Strategy]
    _bars: _Bars = field(repr=False)
    _kwargs: Mapping[str, Any] = field(repr=False, default_factory=dict)

    @property
    def start(self) -> date:
        return self.sessions[0]

    @property
    def end(self) -> date:
        return self.sessions[-1]

    def bars(self) -> dict[str, pd.DataFrame]:
        """Symbol -> bar frame of the training sessions."""
        return self._bars.frames(self.start, self.end)

    def backtest(self, params: Mapping[str, Any]) -> BacktestResult:
        """Backtest the strategy with ``params`` on the training sessions (not stored)."""
        cfg = replace(self.config, params=dict(params))
        return self._bars.backtest(self.strategy, cfg, self.start, self.end, **self._kwargs)


FitFn = Callable[[TrainWindow], Mapping[str, Any]]


# ------------------------------------------------------------------------------ results


@dataclass(frozen=True)
class WindowResult:
    """One window: its dates, the parameters used and the test-window backtest."""

    window: Window
    params: Mapping[str, Any]
    result: BacktestResult

    @property
    def summary(self) -> Mapping[str, Any]:
        return self.result.summary

    @property
    def open_at_end(self) -> int:
        """Trades still open at the window's end (marked at its last close)."""
        return sum(1 for t in self.result.trades if t.is_open)

    def to_dict(self) -> dict[str, Any]:
        w = self.window
        return {
            "index": w.index,
            "train_start": None if w.train_start is None else w.train_start.isoformat(),
            "train_end": None if w.train_end is None else w.train_end.isoformat(),
            "train_sessions": len(w.train),
            "test_start": w.test_start.isoformat(),
            "test_end": w.test_end.isoformat(),
            "test_sessions": len(w.test),
            "params": dict(self.params),
            "run_id": self.result.run_id,
            "open_at_end": self.open_at_end,
            "summary": dict(self.summary),
        }


@dataclass(frozen=True)
class WalkForwardResult:
    """Every window plus the stitched out-of-sample equity curve and combined trades."""

    strategy: str
    spec: WalkForwardSpec
    config: Mapping[str, Any]
    windows: tuple[WindowResult, ...]
    initial_cash: Decimal
    timezone: str
    unused_sessions: tuple[date, ...] = ()

    @property
    def equity_time_ns(self) -> np.ndarray:
        return np.concatenate([w.result.equity_time_ns for w in self.windows])

    @property
    def equity(self) -> np.ndarray:
        return np.concatenate([w.result.equity for w in self.windows])

    @property
    def equity_curve(self) -> pd.DataFrame:
        """The stitched out-of-sample curve: columns ``time`` (exchange zone) and ``equity``."""
        return pd.DataFrame(
            {
                "time": pd.to_datetime(self.equity_time_ns, utc=True).tz_convert(self.timezone),
                "equity": self.equity,
            }
        )

    @property
    def trades(self) -> list[Trade]:
        return [t for w in self.windows for t in w.result.trades]

    def trades_records(self) -> list[dict[str, Any]]:
        return [
            {"window": w.window.index, **rec}
            for w in self.windows
            for rec in w.result.trades_records()
        ]

    @property
    def final_equity(self) -> Decimal:
        return Decimal(str(self.windows[-1].summary["final_equity"]))

    @property
    def summary(self) -> dict[str, Any]:
        net = self.final_equity - self.initial_cash
        fees = sum(Decimal(str(w.summary["fees"])) for w in self.windows)
        closed = [t for t in self.trades if not t.is_open]
        wins = sum(1 for t in closed if t.pnl > 0)
        return {
            "windows": len(self.windows),
            "first_test_session": self.windows[0].window.test_start.isoformat(),
            "last_test_session": self.windows[-1].window.test_end.isoformat(),
            "test_sessions": sum(len(w.window.test) for w in self.windows),
            "trades": sum(int(w.summary["trades"]) for w in self.windows),
            "open_at_window_end": sum(w.open_at_end for w in self.windows),
            "initial_cash": float(self.initial_cash),
            "final_equity": float(self.final_equity),
            "net_pnl": float(net),
            "fees": float(fees),
            "return_pct": round(float(net / self.initial_cash * 100), 6),
            "max_drawdown_pct": round(max_drawdown(self.equity) * 100, 6),
            "win_rate": round(wins / len(closed), 6) if closed else None,
            "timezone": self.timezone,
        }

    def to_dict(self, *, with_run: bool = True) -> dict[str, Any]:
        windows = [w.to_dict() for w in self.windows]
        if not with_run:
            for w in windows:
                w.pop("run_id")
        times = pd.to_datetime(self.equity_time_ns, utc=True).tz_convert(self.timezone)
        return {
            "strategy": self.strategy,
            "spec": self.spec.to_dict(),
            "config": dict(self.config),
            "summary": self.summary,
            "windows": windows,
            "unused_sessions": [d.isoformat() for d in self.unused_sessions],
            "trades": self.trades_records(),
            "equity_curve": [
                {"time": t.isoformat(), "equity": round(float(e), 2)}
                for t, e in zip(times, self.equity, strict=True)
            ],
        }

    def to_json(self, *, with_run: bool = True) -> str:
        return json.dumps(self.to_dict(with_run=with_run), sort_keys=True, separators=(",", ":"))


# ------------------------------------------------------------------------------ the harness


def walk_forward(
    strategy: str | type[Strategy],
    config: BacktestConfig,
    spec: WalkForwardSpec,
    *,
    fit: FitFn | None = None,
    store: BarStore | None = None,
    frames: Mapping[str, pd.DataFrame] | None = None,
    calendars: Mapping[str, str | None] | None = None,
    instruments: Mapping[str, Instrument] | None = None,
    fees: CostModel | None = None,
    recorder: RunRecorder | None = None,
) -> WalkForwardResult:
    """Run a walk-forward analysis of ``strategy`` (see the module docstring).

    ``config`` defines the backtests (symbols, timeframe, costs, fills, risk profile, initial
    cash) and the period (``start`` inclusive, ``end`` exclusive, default: all bars).
    Without ``fit`` every window trades ``config.params``; with it, ``fit(train_window)``
    chooses each window's parameters. Bars come from ``frames`` or the bar ``store`` as in
    :func:`~tronlab.engine.backtest.run_backtest`; ``calendars`` maps a symbol to its
    calendar name (default: the store's metadata, else NSE). With a ``recorder`` every test
    window is stored as a backtest run (and so counts as a trial of the strategy).
    """
    if isinstance(strategy, Strategy):
        raise TypeError("pass a strategy name or class: every window needs a fresh instance")
    if fit is not None and spec.train < 1:
        raise ValueError("a fit callback needs a training window: train must be >= 1 session")
    if frames is None and store is None:
        raise ValueError("give bars: a BarStore or in-memory frames")
    symbols = tuple(s.upper() for s in config.symbols)
    if not symbols:
        raise ValueError("a walk-forward needs at least one symbol")
    cals = _calendars(symbols, config.timeframe, calendars, store if frames is None else None)
    if len({c.name for c in cals.values()}) > 1:
        raise ValueError(
            "walk-forward windows are sessions of one calendar; the symbols use "
            + ", ".join(sorted({f"{s}: {c.name}" for s, c in cals.items()}))
        )
    calendar = cals[symbols[0]]
    bars = _Bars(
        symbols, config.timeframe, cals, store=store, frames=frames if frames is not None else None
    )
    first, last = bars.extent()
    if config.start is not None:
        first = max(first, date.fromisoformat(config.start))
    if config.end is not None:
        last = min(last, date.fromisoformat(config.end) - _DAY)
    if last < first:
        raise ValueError(f"no bars in the period {config.start}..{config.end}")
    sessions = [s.date for s in calendar.sessions(first, last)]
    windows = plan_windows(sessions, spec)
    kwargs: dict[str, Any] = {"instruments": instruments, "fees": fees}
    cash = config.initial_cash
    results: list[WindowResult] = []
    for w in windows:
        params: Mapping[str, Any] = dict(config.params)
        if fit is not None:
            train = TrainWindow(
                w.index, w.train, symbols, config.timeframe, config, strategy,
                bars.restrict(w.train[0], w.train[-1]), kwargs,
            )  # fmt: skip
            params = dict(fit(train))
        cfg = replace(config, params=params, initial_cash=cash)
        try:
            result = bars.backtest(
                strategy, cfg, w.test_start, w.test_end, recorder=recorder, **kwargs
            )
        except ValueError as exc:
            raise ValueError(
                f"walk-forward window {w.index} ({w.test_start}..{w.test_end}): {exc}"
            ) from exc
        results.append(WindowResult(w, params, result))
        cash = Decimal(str(result.summary["final_equity"]))
    last_used = windows[-1].test_end
    return WalkForwardResult(
        strategy=results[0].result.strategy,
        spec=spec,
        config=config.to_dict(),
        windows=tuple(results),
        initial_cash=config.initial_cash,
        timezone=str(calendar.tz),
        unused_sessions=tuple(d for d in sessions if d > last_used),
    )


def _calendars(
    symbols: tuple[str, ...],
    timeframe: str,
    names: Mapping[str, str | None] | None,
    store: BarStore | None,
) -> dict[str, TradingCalendar]:
    """Each symbol's calendar: ``names``, else the bar store's metadata, else NSE (the
    rule of :func:`~tronlab.engine.backtest.run_backtest`)."""
    given = {k.upper(): v for k, v in (names or {}).items()}
    out: dict[str, TradingCalendar] = {}
    for s in symbols:
        name = given.get(s)
        if name is None and store is not None:
            name = store.info(s, timeframe).calendar
        out[s] = get_calendar(name or "NSE")
    return out
