"""Scenario helpers for the built-in intraday strategies: hand-made 1-minute bars on a real NSE
session, a zero-cost backtest, and the trades as a small table to compare with."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from tests.unit.engine.scripted import bars

from tronlab.engine.backtest import BacktestConfig, run_backtest
from tronlab.engine.results import BacktestResult

IST = "Asia/Kolkata"
DAY = "2025-01-06"  # a Monday session of NSE
SYMBOL = "TEST"

Row = tuple[float, float, float, float] | tuple[float, float, float, float, float]


def frame(rows: Sequence[Row], start: str = "09:15", day: str = DAY) -> pd.DataFrame:
    """1-minute bars from (open, high, low, close[, volume]) rows starting at ``day start``."""
    return bars(rows, start=pd.Timestamp(f"{day} {start}", tz=IST))


def backtest(strategy: str, df: pd.DataFrame, **params: Any) -> BacktestResult:
    """``strategy`` on ``df`` as symbol TEST: NSE calendar, no costs, no risk rules."""
    cfg = BacktestConfig(symbols=(SYMBOL,), costs="zero", params=params)
    return run_backtest(strategy, cfg, frames={SYMBOL: df})


def hhmm(ts: Any) -> str:
    return pd.Timestamp(ts).tz_convert(IST).strftime("%H:%M")


def trade_table(result: BacktestResult) -> list[tuple[str, str, float, str | None, float | None]]:
    """(side, entry HH:MM, entry price, exit HH:MM, exit price) of every round trip."""
    return [
        (
            t.side,
            hhmm(t.entry_time),
            float(t.entry_price),
            None if t.exit_time is None else hhmm(t.exit_time),
            None if t.exit_price is None else float(t.exit_price),
        )
        for t in result.trades
    ]


def exit_reasons(result: BacktestResult) -> list[str]:
    return [t.exit_reason for t in result.trades]


def decisions(result: BacktestResult) -> list[tuple[str, str, float, float | None]]:
    """(decision HH:MM, side, quantity, confidence) of every order the strategy placed."""
    return [
        (hhmm(o.created_at), o.side.value, float(o.quantity), o.confidence) for o in result.orders
    ]


def flat(price: float, n: int, spread: float = 1.0) -> list[Row]:
    """``n`` quiet bars around ``price`` (each bar's range contains the previous close)."""
    return [(price, price + spread, price - spread, price)] * n


def mirror(rows: Sequence[Row], axis: float = 200.0) -> list[Row]:
    """The same bars reflected around ``axis / 2`` (a rally becomes a sell-off)."""
    return [(axis - r[0], axis - r[2], axis - r[1], axis - r[3], *r[4:]) for r in rows]  # type: ignore[misc]
