"""Trade-level statistics: win rate, profit factor, expectancy, costs, holding time, exposure,
turnover and per-group (per strategy, per symbol) tables.

A *trade table* is a DataFrame with one round trip per row (the form of
``BacktestResult.trades_records()``): ``pnl`` (net of fees) is required; ``gross_pnl``,
``fees``, ``entry_time``, ``exit_time``, ``symbol``, ``side``, ``qty``, ``entry_price``,
``exit_price`` and ``strategy`` are used when present. :func:`trades_frame` builds one from
records (mappings) or from trade objects with those attributes, so the engine's ``Trade``
works without analytics importing the engine.

A trade whose ``exit_time`` is missing is *open* (marked to market): it counts in
``n_open_trades`` and ``open_pnl`` and is left out of every other statistic. A trade with
``pnl > 0`` is a win, ``pnl < 0`` a loss; ``pnl == 0`` counts in ``n_trades`` only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from tronlab.analytics._checks import AnalyticsInputError, as_equity

__all__ = ["by_group", "exposure", "trade_stats", "traded_notional", "trades_frame", "turnover"]

TRADE_FIELDS = (
    "strategy",
    "symbol",
    "side",
    "qty",
    "entry_time",
    "entry_price",
    "exit_time",
    "exit_price",
    "gross_pnl",
    "fees",
    "pnl",
)
_NUMERIC = ("qty", "entry_price", "exit_price", "gross_pnl", "fees", "pnl", "price", "multiplier")
_TIMES = ("entry_time", "exit_time", "time")


def _records(items: Iterable[Any]) -> list[dict[str, Any]]:
    rows = []
    for item in items:
        if isinstance(item, Mapping):
            rows.append(dict(item))
        else:
            rows.append({f: getattr(item, f) for f in (*TRADE_FIELDS, "price") if hasattr(item, f)})
    return rows


def _frame(items: pd.DataFrame | Iterable[Any]) -> pd.DataFrame:
    df = items.copy() if isinstance(items, pd.DataFrame) else pd.DataFrame(_records(items))
    for col in _NUMERIC:
        if col in df.columns:
            try:
                df[col] = pd.to_numeric(df[col].astype(object), errors="raise").astype(float)
            except (TypeError, ValueError) as exc:
                raise AnalyticsInputError(f"column {col!r} is not numeric: {exc}") from exc
    for col in _TIMES:
        if col in df.columns:
            try:
                df[col] = pd.to_datetime(df[col], utc=True)
            except (TypeError, ValueError) as exc:
                raise AnalyticsInputError(f"column {col!r} has unreadable times: {exc}") from exc
    return df


def trades_frame(trades: pd.DataFrame | Iterable[Any]) -> pd.DataFrame:
    """A normalised trade table: numbers as float, times as UTC timestamps (``NaT`` = open).

    Accepts a DataFrame, records (``BacktestResult.trades_records()``) or trade objects."""
    df = _frame(trades)
    if len(df) == 0:
        return pd.DataFrame({"pnl": pd.Series(dtype=float)})
    if "pnl" not in df.columns:
        raise AnalyticsInputError(f"trade table needs a 'pnl' column, got {list(df.columns)}")
    for col in ("pnl", "gross_pnl", "fees"):
        if col in df.columns and not np.isfinite(df[col].to_numpy()).all():
            raise AnalyticsInputError(f"trade column {col!r} has NaN or infinite values")
    if "gross_pnl" not in df.columns and "fees" in df.columns:
        df["gross_pnl"] = df["pnl"] + df["fees"]
    return df


def _closed(df: pd.DataFrame) -> pd.Series:
    if "exit_time" in df.columns:
        return df["exit_time"].notna()
    return pd.Series(True, index=df.index)


def _max_run(flags: np.ndarray) -> int:
    """Longest run of ``True`` in ``flags``."""
    if not flags.any():
        return 0
    padded = np.r_[False, flags, False].astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return int((edges[1::2] - edges[::2]).max())


def _stats(df: pd.DataFrame) -> dict[str, Any]:
    closed_mask = _closed(df)
    closed = df[closed_mask]
    if "exit_time" in closed.columns:
        closed = closed.sort_values("exit_time", kind="stable")
    p = closed["pnl"].to_numpy(dtype=float)
    n = len(p)
    wins, losses = p[p > 0], p[p < 0]
    nan = float("nan")
    sum_win, sum_loss = float(wins.sum()), float(losses.sum())
    if n == 0:
        profit_factor = nan
    elif len(losses) == 0:
        profit_factor = float("inf") if len(wins) else nan
    else:
        profit_factor = sum_win / -sum_loss
    avg_win = float(wins.mean()) if len(wins) else nan
    avg_loss = float(losses.mean()) if len(losses) else nan
    out: dict[str, Any] = {
        "n_trades": n,
        "n_open_trades": int((~closed_mask).sum()),
        "n_wins": len(wins),
        "n_losses": len(losses),
        "win_rate": len(wins) / n if n else nan,
        "total_pnl": float(p.sum()),
        "open_pnl": float(df.loc[~closed_mask, "pnl"].sum()),
        "profit_factor": profit_factor,
        "expectancy": float(p.mean()) if n else nan,
        "avg_win": avg_win,
        "avg_loss": avg_loss,
        "payoff_ratio": avg_win / -avg_loss if len(wins) and len(losses) else nan,
        "largest_win": float(wins.max()) if len(wins) else nan,
        "largest_loss": float(losses.min()) if len(losses) else nan,
        "max_consecutive_wins": _max_run(p > 0),
        "max_consecutive_losses": _max_run(p < 0),
    }
    if "fees" in closed.columns:
        gross = float(closed["gross_pnl"].sum())
        fees = float(closed["fees"].sum())
        out.update(
            gross_pnl=gross,
            fees=fees,
            cost_share_of_gross=fees / gross if gross > 0 else nan,
            # cognition.md 2.9 (b): costs > 50 % of gross PnL (this covers gross > 0 > net)
            cost_drag_flag=bool(fees > 0.5 * gross) if gross > 0 else None,
        )
    else:
        out.update(gross_pnl=nan, fees=nan, cost_share_of_gross=nan, cost_drag_flag=None)
    if {"entry_time", "exit_time"} <= set(closed.columns) and n:
        held = (closed["exit_time"] - closed["entry_time"]).dt.total_seconds().to_numpy()
        out.update(avg_holding_s=float(held.mean()), median_holding_s=float(np.median(held)))
    else:
        out.update(avg_holding_s=nan, median_holding_s=nan)
    if "side" in closed.columns:
        side = closed["side"].astype(str).str.upper()
        out.update(n_long=int((side == "LONG").sum()), n_short=int((side == "SHORT").sum()))
    return out


def trade_stats(trades: pd.DataFrame | Iterable[Any]) -> dict[str, Any]:
    """Headline statistics of the closed trades in ``trades``.

    Keys: ``n_trades``, ``n_open_trades``, ``n_wins``, ``n_losses``, ``win_rate`` (wins /
    closed trades), ``total_pnl`` (net, closed), ``open_pnl``, ``profit_factor`` (sum of wins /
    |sum of losses|; ``inf`` with no losses), ``expectancy`` (mean net PnL per trade),
    ``avg_win``, ``avg_loss`` (negative), ``payoff_ratio`` (avg win / |avg loss|),
    ``largest_win``, ``largest_loss`` (negative), ``max_consecutive_wins``/``_losses`` (in exit
    order), ``gross_pnl``, ``fees``, ``cost_share_of_gross`` (fees / gross PnL, ``nan`` when
    gross PnL <= 0), ``cost_drag_flag`` (cognition.md 2.9: costs > 50 % of a positive gross
    PnL, which includes gross > 0 > net; ``None`` when gross PnL <= 0),
    ``avg_holding_s``/``median_holding_s`` (seconds, entry to exit) and, with a ``side``
    column, ``n_long``/``n_short``. Undefined values are ``nan``.
    """
    return _stats(trades_frame(trades))


def by_group(trades: pd.DataFrame | Iterable[Any], key: str) -> pd.DataFrame:
    """:func:`trade_stats` per value of column ``key`` (e.g. ``"strategy"``, ``"symbol"``),
    one row per group, sorted by the group value."""
    df = trades_frame(trades)
    if len(df) == 0:
        return pd.DataFrame(columns=list(_stats(df)))
    if key not in df.columns:
        raise AnalyticsInputError(
            f"cannot group trades by {key!r}: no such column (have {sorted(df.columns)})"
        )
    if df[key].isna().any():
        raise AnalyticsInputError(f"trade column {key!r} has missing values")
    rows = {name: _stats(group) for name, group in df.groupby(key, sort=True)}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = key
    return out


def _utc_index(times: Any, name: str) -> np.ndarray:
    idx = pd.DatetimeIndex(times)
    if idx.tz is None:
        raise AnalyticsInputError(f"{name} must be tz-aware timestamps")
    if not idx.is_monotonic_increasing:
        raise AnalyticsInputError(f"{name} must be sorted in increasing time order")
    return idx.tz_convert("UTC").as_unit("ns").asi8


def exposure(trades: pd.DataFrame | Iterable[Any], times: Any) -> float:
    """Share of the timestamps ``times`` (e.g. the equity curve's bar ends) at which at least
    one trade was open: a trade covers ``entry_time <= t < exit_time`` (an open trade to the
    end). Overlapping trades count once. ``nan`` when ``times`` is empty."""
    t = _utc_index(times, "times")
    if len(t) == 0:
        return float("nan")
    df = trades_frame(trades)
    if len(df) == 0:
        return 0.0
    if "entry_time" not in df.columns:
        raise AnalyticsInputError("exposure needs an 'entry_time' column in the trade table")
    if df["entry_time"].isna().any():
        raise AnalyticsInputError("trade table has trades without an entry_time")
    entry = df["entry_time"].dt.as_unit("ns").astype("int64").to_numpy()
    if "exit_time" in df.columns:
        ex = df["exit_time"]
        exit_ns = np.where(ex.isna(), np.iinfo(np.int64).max, ex.dt.as_unit("ns").astype("int64"))
    else:
        exit_ns = np.full(len(df), np.iinfo(np.int64).max)
    depth = np.zeros(len(t) + 1, dtype=np.int64)
    np.add.at(depth, np.searchsorted(t, entry, side="left"), 1)
    np.add.at(depth, np.searchsorted(t, exit_ns, side="left"), -1)
    return float((np.cumsum(depth[:-1]) > 0).mean())


def traded_notional(fills: pd.DataFrame | Iterable[Any]) -> float:
    """Sum of ``|qty| * price * multiplier`` over fills (columns ``qty``, ``price``, optional
    ``multiplier``); for a trade table (``qty``, ``entry_price``, ``exit_price``) each round trip
    counts ``qty * (entry_price + exit_price)`` (exact when a trade is not scaled in or out;
    an open trade counts its entry only)."""
    df = _frame(fills)
    if len(df) == 0:
        return 0.0
    mult = df["multiplier"].to_numpy() if "multiplier" in df.columns else 1.0
    if {"qty", "price"} <= set(df.columns):
        return float(np.sum(np.abs(df["qty"].to_numpy() * df["price"].to_numpy() * mult)))
    if {"qty", "entry_price", "exit_price"} <= set(df.columns):
        prices = df["entry_price"].to_numpy() + np.nan_to_num(df["exit_price"].to_numpy())
        return float(np.sum(np.abs(df["qty"].to_numpy() * prices * mult)))
    raise AnalyticsInputError(
        "traded notional needs fills (qty, price) or trades (qty, entry_price, exit_price); "
        f"got columns {sorted(df.columns)}"
    )


def turnover(fills: pd.DataFrame | Iterable[Any], equity: pd.Series | pd.DataFrame) -> float:
    """Traded notional over the whole period divided by the mean equity (``2.0`` = the
    capital was bought and sold once). Divide by the years covered for an annual figure."""
    eq = as_equity(equity)
    if len(eq) == 0:
        return float("nan")
    return traded_notional(fills) / float(eq.mean())
