"""Trade statistics on a hand-made trade table, grouping, exposure, turnover, and the API on
a real backtest result of the engine."""

from __future__ import annotations

import json
import math
from decimal import Decimal as D
from functools import cache

import pandas as pd
import pytest

from tronlab.analytics import AnalyticsInputError
from tronlab.analytics.metrics import (
    by_group,
    exposure,
    max_drawdown,
    summarise,
    trade_stats,
    traded_notional,
    trades_frame,
    turnover,
)
from tronlab.engine.trades import Trade

T = pd.Timestamp("2024-01-02 09:15", tz="Asia/Kolkata")


def _m(minutes: int) -> pd.Timestamp:
    return T + pd.Timedelta(minutes=minutes)


#  strategy symbol side   entry exit  gross  fees   pnl     (minutes after 09:15)
HAND = pd.DataFrame(
    [
        ("s1", "X", "LONG", 0, 30, 120.0, 20.0, 100.0),
        ("s1", "X", "SHORT", 45, 105, -40.0, 10.0, -50.0),
        ("s2", "Y", "LONG", 75, 85, 210.0, 10.0, 200.0),
        ("s2", "Y", "LONG", 105, 125, -15.0, 5.0, -20.0),
        ("s1", "X", "LONG", 165, None, 9.0, 2.0, 7.0),  # still open, marked to market
    ],
    columns=["strategy", "symbol", "side", "entry", "exit", "gross_pnl", "fees", "pnl"],
)
HAND["entry_time"] = HAND.pop("entry").map(_m)
HAND["exit_time"] = HAND.pop("exit").map(lambda m: None if pd.isna(m) else _m(int(m)))


def test_trade_stats_by_hand() -> None:
    s = trade_stats(HAND)
    assert s["n_trades"] == 4
    assert s["n_open_trades"] == 1
    assert s["n_wins"] == 2
    assert s["n_losses"] == 2
    assert s["win_rate"] == 0.5
    assert s["total_pnl"] == pytest.approx(230.0)
    assert s["open_pnl"] == pytest.approx(7.0)
    assert s["profit_factor"] == pytest.approx(300 / 70)
    assert s["expectancy"] == pytest.approx(57.5)
    assert s["avg_win"] == pytest.approx(150.0)
    assert s["avg_loss"] == pytest.approx(-35.0)
    assert s["payoff_ratio"] == pytest.approx(150 / 35)
    assert s["largest_win"] == 200.0
    assert s["largest_loss"] == -50.0
    # exit order: +100 (09:45), +200 (10:40), -50 (11:00), -20 (11:20)
    assert s["max_consecutive_wins"] == 2
    assert s["max_consecutive_losses"] == 2
    assert s["gross_pnl"] == pytest.approx(275.0)
    assert s["fees"] == pytest.approx(45.0)
    assert s["cost_share_of_gross"] == pytest.approx(45 / 275)
    assert s["cost_drag_flag"] is False
    assert s["avg_holding_s"] == pytest.approx(30 * 60)  # (30 + 60 + 10 + 20) / 4 minutes
    assert s["median_holding_s"] == pytest.approx(25 * 60)
    assert s["n_long"] == 3
    assert s["n_short"] == 1


def test_cost_drag_flag_follows_cognition_thresholds() -> None:
    base = HAND.iloc[:1].copy()  # gross 120
    base["fees"] = 61.0
    base["pnl"] = base["gross_pnl"] - base["fees"]
    assert trade_stats(base)["cost_drag_flag"] is True  # costs > 50 % of gross
    base["fees"] = 59.0
    base["pnl"] = base["gross_pnl"] - base["fees"]
    assert trade_stats(base)["cost_drag_flag"] is False
    losing = HAND.iloc[[1]]
    s = trade_stats(losing)
    assert math.isnan(s["cost_share_of_gross"])
    assert s["cost_drag_flag"] is None


def test_by_group_per_strategy_and_symbol() -> None:
    g = by_group(HAND, "strategy")
    assert list(g.index) == ["s1", "s2"]
    assert g.loc["s1", "n_trades"] == 2
    assert g.loc["s1", "n_open_trades"] == 1
    assert g.loc["s1", "total_pnl"] == pytest.approx(50.0)
    assert g.loc["s1", "profit_factor"] == pytest.approx(2.0)
    assert g.loc["s2", "profit_factor"] == pytest.approx(10.0)
    by_symbol = by_group(HAND, "symbol")  # X holds s1's trades, Y s2's
    assert list(by_symbol.index) == ["X", "Y"]
    assert by_symbol.reset_index(drop=True).equals(g.reset_index(drop=True))
    with pytest.raises(AnalyticsInputError, match="no such column"):
        by_group(HAND.drop(columns="strategy"), "strategy")


def test_exposure_counts_overlaps_once() -> None:
    times = pd.date_range(_m(0), _m(175), freq="5min")  # 36 bar ends
    # [0, 30) 6 bars; [45, 105) 12 bars (covers the [75, 85) trade); [105, 125) 4 bars;
    # the open trade from 165 to the end: 3 bars
    assert exposure(HAND, times) == pytest.approx(25 / 36)
    assert exposure(HAND.iloc[:0], times) == 0.0
    with pytest.raises(AnalyticsInputError, match="tz-aware"):
        exposure(HAND, times.tz_localize(None))


def test_turnover_from_fills_or_trades() -> None:
    fills = [{"qty": 10, "price": 100.0}, {"qty": -10, "price": 110.0}, {"qty": 5, "price": 200.0}]
    assert traded_notional(fills) == pytest.approx(3100.0)
    trades = [
        {"qty": 10, "entry_price": 100.0, "exit_price": 110.0, "pnl": 100.0},
        {"qty": 5, "entry_price": 200.0, "exit_price": None, "pnl": 0.0},  # open: entry only
    ]
    assert traded_notional(trades) == pytest.approx(3100.0)
    futures = [{"qty": 1, "price": 100.0, "multiplier": 75}]
    assert traded_notional(futures) == pytest.approx(7500.0)
    equity = pd.Series([900.0, 1000.0, 1100.0])
    assert turnover(fills, equity) == pytest.approx(3.1)
    with pytest.raises(AnalyticsInputError, match="traded notional needs"):
        traded_notional([{"pnl": 1.0}])


def test_trades_frame_from_records_and_objects() -> None:
    t = Trade(
        symbol="X",
        side="LONG",
        qty=D(10),
        entry_time=_m(0).to_pydatetime(),
        entry_price=D("100.5"),
        exit_time=_m(30).to_pydatetime(),
        exit_price=D("101"),
        gross_pnl=D(5),
        fees=D("0.75"),
        pnl=D("4.25"),
        entry_reason="in",
        exit_reason="out",
        entry_order="a",
        exit_order="b",
    )
    from_objects = trades_frame([t])
    records = [{**from_objects.iloc[0].to_dict(), "entry_time": _m(0).isoformat()}]
    from_records = trades_frame(records)
    for frame in (from_objects, from_records):
        assert frame["pnl"].iloc[0] == 4.25
        assert frame["entry_price"].iloc[0] == 100.5
        assert frame["entry_time"].iloc[0] == _m(0)
    assert trade_stats([t])["avg_holding_s"] == 1800.0


def test_empty_and_bad_trade_tables() -> None:
    s = trade_stats([])
    assert s["n_trades"] == 0
    assert math.isnan(s["win_rate"])
    assert math.isnan(s["profit_factor"])
    assert by_group([], "symbol").empty
    with pytest.raises(AnalyticsInputError, match="'pnl' column"):
        trade_stats([{"symbol": "X"}])
    with pytest.raises(AnalyticsInputError, match="NaN"):
        trade_stats([{"pnl": float("nan")}])
    with pytest.raises(AnalyticsInputError, match="not numeric"):
        trade_stats([{"pnl": "a lot"}])
    only_wins = trade_stats([{"pnl": 5.0}, {"pnl": 1.0}])
    assert only_wins["profit_factor"] == math.inf
    assert math.isnan(only_wins["avg_loss"])


# ------------------------------------------------------------------- on a real backtest result
@cache
def _backtest():  # type: ignore[no-untyped-def]
    from tronlab.data.synthetic import generate_market
    from tronlab.engine.backtest import BacktestConfig, run_backtest

    bars = generate_market(seed=11, days=5).bars
    config = BacktestConfig(
        symbols=("SYNTH_RELI", "SYNTH_INFY"),
        params={"fast": 5, "slow": 20, "quantity": 10, "tick": 0.05},
    )
    return config, run_backtest("sma_cross", config, frames={s: bars[s] for s in config.symbols})


def test_summarise_a_backtest_result() -> None:
    config, result = _backtest()
    out = summarise(
        result.equity_curve,
        result.trades_records(),
        periods_per_year=249 * 375,  # 1-minute bars, NSE sessions in a year
        initial_equity=config.initial_cash,
        fills=result.fills_records(),
    )
    json.dumps(out, allow_nan=False)
    summary = result.summary
    assert out["net_pnl"] == pytest.approx(summary["net_pnl"], abs=0.01)
    assert out["final_equity"] == pytest.approx(summary["final_equity"], abs=0.01)
    assert out["total_pnl"] + out["open_pnl"] == pytest.approx(summary["net_pnl"], abs=0.05)
    assert out["n_trades"] == summary["closed_trades"]
    assert out["n_trades"] + out["n_open_trades"] == summary["trades"]
    assert out["win_rate"] == pytest.approx(summary["win_rate"], abs=1e-5)
    # the engine reports the same drawdown in percent
    assert out["max_drawdown"] * 100 == pytest.approx(summary["max_drawdown_pct"], abs=1e-5)
    assert 0.0 < out["exposure"] < 1.0
    assert out["turnover"] > 0
    # Trade objects and their records give the same statistics
    from_objects, from_records = trade_stats(result.trades), trade_stats(result.trades_records())
    assert from_objects.keys() == from_records.keys()
    for key, value in from_objects.items():  # records round PnL to 2 decimals
        assert from_records[key] == pytest.approx(value, abs=0.01, nan_ok=True), key
    groups = by_group(result.trades, "symbol")
    assert set(groups.index) == set(config.symbols)
    assert groups["n_trades"].sum() == out["n_trades"]
    assert max_drawdown(result.equity_curve).max_dd == pytest.approx(out["max_drawdown"])
