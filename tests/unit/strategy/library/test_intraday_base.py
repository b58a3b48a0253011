"""The shared intraday life cycle on every built-in strategy: no look-ahead, determinism, the
risk governor's refusals and square-off, signal symbols and the exchange's local time."""

from __future__ import annotations

from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from tests.unit.engine.scripted import bars
from tests.unit.strategy.library.scenario import (
    SYMBOL,
    Row,
    backtest,
    exit_reasons,
    flat,
    frame,
    hhmm,
    trade_table,
)
from tests.unit.strategy.library.test_strategy_orb import PARAMS as ORB
from tests.unit.strategy.library.test_strategy_orb import RANGE, ROWS

from tronlab.data.fno import fno_universe
from tronlab.data.fno.futures import synthetic_futures
from tronlab.data.synthetic import generate_market
from tronlab.engine.backtest import BacktestConfig, run_backtest
from tronlab.engine.results import BacktestResult
from tronlab.model import InstrumentKind
from tronlab.strategy import available_strategies

NEW_YORK = ZoneInfo("America/New_York")
INTRADAY = ("vwap", "orb", "scalp", "range_reversal")
# shorter indicators than the defaults, so that five synthetic sessions give many decisions
FAST = {
    "vwap": {"band_k": 1.5, "max_entries": 10},
    "orb": {"range_minutes": 10},
    "scalp": {"max_entries": 20},
    "range_reversal": {"channel": 20, "adx_max": 30.0, "max_entries": 10},
}


@cache
def market() -> pd.DataFrame:
    return generate_market(seed=11, days=5).bars["SYNTH_INFY"]


def _run(name: str, df: pd.DataFrame) -> BacktestResult:
    cfg = BacktestConfig(symbols=("SYNTH_INFY",), costs="zero", params=FAST[name])
    return run_backtest(name, cfg, frames={"SYNTH_INFY": df})


def test_the_four_strategies_are_registered() -> None:
    assert set(INTRADAY) <= set(available_strategies())


@pytest.mark.parametrize("name", INTRADAY)
def test_no_look_ahead_changing_the_future_changes_no_past_decision(name: str) -> None:
    frame_ = market()
    cut = len(frame_) * 3 // 5
    t_cut = frame_["timestamp"].iloc[cut]
    changed = frame_.copy()
    rng = np.random.default_rng(5)
    scale = rng.uniform(0.97, 1.03, len(frame_) - cut)
    for col in ("open", "high", "low", "close"):
        changed.loc[cut:, col] = (frame_.loc[cut:, col] * scale / 0.05).round() * 0.05
    changed.loc[cut:, "high"] = changed.loc[cut:, ["open", "high", "low", "close"]].max(axis=1)
    changed.loc[cut:, "low"] = changed.loc[cut:, ["open", "high", "low", "close"]].min(axis=1)
    a, b = _run(name, frame_), _run(name, changed)

    def before_cut(r: BacktestResult) -> list[tuple[str, str, str, float | None]]:
        # decided at the close of the bar before t_cut at the latest (created_at <= t_cut)
        return [
            (o.created_at.isoformat(), o.side.value, o.rationale, o.confidence)
            for o in r.orders
            if pd.Timestamp(o.created_at) <= t_cut
        ]

    assert len(before_cut(a)) >= 4
    assert before_cut(a) == before_cut(b)
    assert [o.rationale for o in a.orders] != [o.rationale for o in b.orders]


@pytest.mark.parametrize("name", INTRADAY)
def test_same_inputs_give_a_byte_identical_result(name: str) -> None:
    a = _run(name, market())
    b = _run(name, market())
    assert a.to_json(with_run=False) == b.to_json(with_run=False)
    assert a.summary["trades"] >= 2
    assert a.summary["strategy_errors"] == 0
    for t in a.trades:  # every exit the strategy made names its rule
        assert t.entry_reason.startswith(f"{name}:" if name != "vwap" else "vwap ")
        assert t.exit_reason == "open" or t.exit_reason.startswith("exit: ")
    confidences = {o.confidence for o in a.orders}
    assert all(c is not None and 0.5 <= c <= 1 for c in confidences)
    assert len(confidences) > 2  # derived from each signal, not a constant


def _risk_run(
    days: dict[tuple[str, str], list[Row]],
    overrides: dict[str, Any] | None = None,
    **params: Any,
) -> BacktestResult:
    """``orb`` under tron-default (intraday product) on one frame per (day, start time)."""
    df = pd.concat([frame(rows, start=start, day=day) for (day, start), rows in days.items()])
    cfg = BacktestConfig(
        symbols=(SYMBOL,),
        costs="zero",
        product="MIS",
        params={**ORB, **params},
        risk_profile="tron-default",
        risk_overrides=overrides or {},
    )
    return run_backtest("orb", cfg, frames={SYMBOL: df.reset_index(drop=True)})


def test_a_governor_square_off_ends_the_trade_and_the_next_day_trades_again() -> None:
    # exit_time 15:25 (close_buffer 0) is after the governor's 15:20 square-off
    # (decided at the close of the 15:19 bar, filled at the 15:20 open); the strategy sees the
    # position gone and takes the next day's breakout (those bars end at 15:00, still open)
    late = [*RANGE, (104, 108, 103, 107), *flat(107, 40)]  # 14:45 .. 15:28
    day = [*RANGE, (104, 108, 103, 107), *flat(107, 11)]  # 14:45 .. 14:59
    days = {("2025-01-06", "14:45"): late, ("2025-01-07", "14:45"): day}
    r = _risk_run(days, exit_time="15:25", close_buffer=0)
    assert [(t[0], t[1], t[3]) for t in trade_table(r)] == [
        ("LONG", "14:49", "15:20"),
        ("LONG", "14:49", None),
    ]
    assert not r.trades[0].exit_reason.startswith("exit:")  # the governor's order
    assert [o.strategy_id for o in r.orders] == ["orb", "risk", "orb"]
    assert r.trades[0].entry_time.date() != r.trades[1].entry_time.date()


def test_a_refused_entry_uses_its_signal() -> None:
    # every close from 09:19 on is above the range; the governor refuses entries from 09:18
    rows = [*ROWS[:8], *flat(130, 10)]
    r = _risk_run({("2025-01-06", "09:15"): rows}, {"entry_window": {"entry_cutoff": "09:18"}})
    assert r.trades == []
    assert [(hhmm(e.ts), e.reason) for e in r.refusals] == [("09:20", "RISK_ENTRY_CUTOFF")]


def test_only_the_named_signal_symbols_are_traded() -> None:
    df = frame(ROWS[:8])
    cfg = BacktestConfig(symbols=("AAA", "BBB"), costs="zero", params={**ORB, "symbols": "bbb"})
    r = run_backtest("orb", cfg, frames={"AAA": df, "BBB": df})
    assert {t.symbol for t in r.trades} == {"BBB"}
    cfg = BacktestConfig(symbols=("AAA",), costs="zero", params={**ORB, "symbols": "CCC"})
    r = run_backtest("orb", cfg, frames={"AAA": df})
    assert r.trades == []
    assert "signal symbols ['CCC'] are not in this run" in r.errors[0].message


def test_clock_times_are_the_exchange_local_times() -> None:
    # a NYSE session: last_entry and exit_time are New York times
    rows = [*RANGE, (104, 108, 103, 107), *flat(107, 27)]
    df = bars(rows, start=pd.Timestamp("2025-01-06 14:45", tz="America/New_York"))
    cfg = BacktestConfig(symbols=(SYMBOL,), costs="zero", params=ORB)
    r = run_backtest("orb", cfg, frames={SYMBOL: df}, calendars={SYMBOL: "NYSE"})
    assert [
        (t.entry_time.astimezone(NEW_YORK).strftime("%H:%M"), t.exit_reason) for t in r.trades
    ] == [("14:49", "exit: end of day (15:10, close 107.0)")]


@pytest.mark.parametrize(
    ("breakout", "expected"),
    [
        ("11:48", [("LONG", "11:49", 107.0, "12:10", 107.0)]),
        ("11:58", [("LONG", "11:59", 107.0, "12:10", 107.0)]),
        ("11:59", []),  # closes at 12:00: the entry cutoff moved from 15:00 to 12:00
    ],
)
def test_a_session_closing_early_moves_the_exit_and_the_entry_cutoff(
    breakout: str, expected: list[object]
) -> None:
    # NSE's special Saturday session of 2024-03-02 closed at 12:30: exit at 12:10, entries
    # decided before 12:00 (last_entry 15:00 is 10 minutes before exit_time 15:10)
    n = (int(breakout[3:]) + 60 * (int(breakout[:2]) - 11)) - 45
    rows = [*RANGE, *flat(100, n - 3, 4.0), (104, 108, 103, 107), *flat(107, 44 - n)]
    r = backtest("orb", frame(rows, start="11:45", day="2024-03-02"), **ORB)
    assert trade_table(r) == expected
    if expected:
        assert exit_reasons(r) == ["exit: end of day (12:10, close 107.0)"]


def test_the_future_mapper_trades_the_future_on_index_signals() -> None:
    market_ = generate_market(seed=3, days=3, start=pd.Timestamp("2025-12-22").date())
    index = market_.bars["SYNTH_NIFTY"]
    first = pd.Timestamp(index["timestamp"].iloc[0]).tz_convert("Asia/Kolkata").date()
    universe = fno_universe(first, {"NIFTY": float(index["open"].iloc[0])}, 0, futures_months=1)
    [fut] = [i for i in universe if i.kind is InstrumentKind.FUT]
    frames = {"SYNTH_NIFTY": index, fut.symbol: synthetic_futures(index, "NIFTY")[fut.symbol]}
    cfg = BacktestConfig(
        symbols=tuple(frames),
        costs="zero",
        product="MIS",
        underlyings={"NIFTY": "SYNTH_NIFTY"},
        params={"instrument": "future", "underlying": "NIFTY", "quantity": 75, "max_bars": 30},
    )
    r = run_backtest("orb", cfg, frames=frames, instruments={fut.symbol: fut})
    assert r.summary["strategy_errors"] == 0
    assert len(r.trades) >= 2
    assert {t.symbol for t in r.trades} == {fut.symbol}  # decided on the index, traded there
    assert all(f.quantity == fut.lot_size for f in r.fills)
    assert all(t.exit_reason.startswith("exit: ") for t in r.trades)
