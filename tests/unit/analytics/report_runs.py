"""Small real backtests on the synthetic market for the report tests (cached per process)."""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd

from tronlab.analytics.report import CandleSeries, ReportData, build_report_data
from tronlab.data.synthetic import generate_market
from tronlab.engine.backtest import BacktestConfig, run_backtest
from tronlab.engine.results import BacktestResult

SYMBOLS = ("SYNTH_RELI", "SYNTH_TCS")


@cache
def frames(days: int = 5) -> dict[str, pd.DataFrame]:
    bars = generate_market(seed=11, days=days).bars
    return {s: bars[s] for s in SYMBOLS}


@cache
def result(slow: int = 20, days: int = 5) -> BacktestResult:
    """sma_cross on two symbols under the tron-default risk profile (denials happen)."""
    config = BacktestConfig(
        symbols=SYMBOLS,
        params={"fast": 5, "slow": slow, "quantity": 10, "tick": 0.05},
        risk_profile="tron-default",
        product="MIS",
    )
    return run_backtest("sma_cross", config, frames=frames(days))


def candles(days: int = 5) -> list[CandleSeries]:
    return [CandleSeries(s, f, "1m", "1m") for s, f in frames(days).items()]


def report_data(slow: int = 20, days: int = 5, **kwargs: Any) -> ReportData:
    r = result(slow, days)
    return build_report_data(
        r.to_dict(), candles=candles(days), risk_events=r.extra["risk_events"], **kwargs
    )
