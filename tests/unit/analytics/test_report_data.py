"""ReportData from a real backtest: the numbers agree with the run, trades get their
confidence, risk events are classified, costs add up; candle_seconds picks the bar length."""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest
from tests.unit.analytics.report_runs import frames, report_data, result

from tronlab.analytics.report import CandleSeries, build_report_data, candle_seconds


@pytest.mark.parametrize(
    ("source", "bars", "sessions", "expected"),
    [
        (60, 4_000, 10, 60),  # fits as it is
        (60, 22_500, 60, 300),  # 60 NSE days of 1m -> 5m (4,560 candles)
        (60, 93_750, 250, 1_800),  # a year of 1m: 15m gives 6,500, 30m 3,375
        (300, 18_750, 250, 1_800),  # a year of 5m
        (60, 2_000_000, 5_400, 86_400),  # decades of 1m: daily
        (86_400, 9_000, 9_000, 86_400),  # daily stays daily (the caller clips)
        (120, 50_000, 100, 1_800),  # 2m: 5m is no multiple, 15m too; 30m fits
    ],
)
def test_candle_seconds(source: int, bars: int, sessions: int, expected: int) -> None:
    assert candle_seconds(source, bars, sessions) == expected


def test_candle_seconds_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="source_seconds > 0"):
        candle_seconds(0, 10, 1)
    with pytest.raises(ValueError, match="max_candles > 0"):
        candle_seconds(60, 10, 1, max_candles=0)


def test_numbers_agree_with_the_run() -> None:
    r = result()
    data = report_data()
    s = r.summary
    assert data.summary["net_pnl"] == pytest.approx(s["net_pnl"], abs=0.01)
    assert data.summary["final_equity"] == pytest.approx(s["final_equity"], abs=0.01)
    assert data.summary["max_drawdown"] == pytest.approx(s["max_drawdown_pct"] / 100, abs=1e-6)
    assert data.trade_stats["n_trades"] + data.trade_stats["n_open_trades"] == s["trades"]
    assert len(data.trades) == s["trades"] > 0
    # daily PnL adds up to the net PnL; one value per trading day
    assert data.daily_pnl.sum() == pytest.approx(s["net_pnl"], abs=0.01)
    assert len(data.daily_pnl) == 5
    # monthly table: one row per year, the year column compounds the months
    assert list(data.monthly_returns.index) == [2025]
    assert data.monthly_returns.loc[2025, "year"] == pytest.approx(s["return_pct"] / 100, abs=1e-9)
    assert data.summary["run_risk_denials"] == s["risk_denials"] > 0
    assert data.period == (s["first_bar"], s["last_bar"])
    assert data.timezone == "Asia/Kolkata"
    assert str(data.equity.index.tz) == "Asia/Kolkata"
    assert data.params == {"fast": 5, "slow": 20, "quantity": 10, "tick": 0.05}


def test_trades_carry_the_entry_orders_confidence() -> None:
    r = result()
    data = report_data()
    by_id = {str(o.client_order_id): o.confidence for o in r.orders}
    assert data.trades["confidence"].notna().all()
    for entry, conf in zip(data.trades["entry_order"], data.trades["confidence"], strict=True):
        assert conf == by_id[entry]
    assert data.trades["entry_reason"].str.startswith("SMA5 crossed above").all()
    owner = {str(o.client_order_id): o.strategy_id for o in r.orders}
    assert list(data.trades["strategy"]) == [owner[e] for e in data.trades["entry_order"]]
    assert (data.trades["strategy"] != "").all()


def test_risk_events_are_classified_and_approvals_counted() -> None:
    r = result()
    data = report_data()
    decisions = Counter(e["decision"] for e in r.extra["risk_events"])
    assert data.approvals == decisions["approve"]
    assert len(data.risk_events) == decisions["deny"]
    assert set(data.risk_events["kind"]) == {"denial"}
    assert data.risk_events["time"].is_monotonic_increasing
    assert str(data.risk_events["time"].dt.tz) == "Asia/Kolkata"


def test_risk_event_kinds_from_hand_made_records() -> None:
    ts = "2025-12-03T04:00:00+00:00"
    records = [
        {"ts": ts, "decision": "approve", "symbol": "A", "strategy": "s",
         "trading_state": "ACTIVE"},
        {"ts": ts, "decision": "deny", "reason_code": "MAX_ENTRIES_PER_DAY", "symbol": "A",
         "strategy": "s", "trading_state": "ACTIVE"},
        {"ts": ts, "decision": "resize", "symbol": "A", "strategy": "s", "trading_state": "ACTIVE"},
        {"ts": ts, "rule": "daily_loss", "decision": "deny", "reason_code": "DAILY_LOSS",
         "symbol": None, "trading_state": "HALTED", "message": "loss limit hit"},
        {"ts": ts, "decision": "approve", "symbol": "A", "strategy": "risk",
         "trading_state": "HALTED"},
        {"ts": ts, "decision": "approve", "symbol": "B", "strategy": "s",
         "trading_state": "ACTIVE"},
    ]  # fmt: skip
    doc = result().to_dict()
    data = build_report_data(doc, risk_events=records)
    assert list(data.risk_events["kind"]) == [
        "denial", "resize", "state change", "square-off", "state change",
    ]  # fmt: skip
    assert data.approvals == 1
    with pytest.raises(ValueError, match="without a time"):
        build_report_data(doc, risk_events=[{"decision": "deny"}])


def test_costs_add_up_and_split_by_symbol_and_strategy() -> None:
    r = result()
    data = report_data()
    costs = data.costs
    assert costs.total == pytest.approx(r.summary["fees"], abs=0.01)
    assert sum(costs.by_symbol.values()) == pytest.approx(costs.total, abs=0.02)
    assert set(costs.by_symbol) == {"SYNTH_RELI", "SYNTH_TCS"}
    assert set(costs.by_strategy) == {"sma_cross"}  # the orders name their strategy
    assert costs.by_component == {}  # stored fills carry the fee total only
    assert costs.share_of_gross == pytest.approx(costs.total / abs(r.summary["gross_pnl"]))
    # with the orders as the database has them (what `tronlab report` passes)
    orders = [
        {"client_order_id": str(o.client_order_id), "strategy": o.strategy_id,
         "confidence": o.confidence}
        for o in r.orders
    ]  # fmt: skip
    split = report_data(orders=orders).costs.by_strategy
    assert set(split) == {"sma_cross"}
    assert split["sma_cross"] == pytest.approx(costs.total, abs=0.02)


def test_fee_components_are_summed_when_fills_carry_them() -> None:
    doc = result().to_dict()
    for f in doc["fills"]:
        f["charges"] = {"brokerage": 1.0, "stt": 0.5, "total": 1.5}
    data = build_report_data(doc)
    n = len(doc["fills"])
    assert data.costs.by_component == {"brokerage": float(n), "stt": 0.5 * n}


def test_significance_block_comes_from_daily_returns() -> None:
    data = report_data(n_trials=1)
    sig = data.significance
    assert sig is not None
    assert sig["n_obs"] == 5  # one return per day, the first from the initial cash
    assert sig["n_trials"] == 1
    assert isinstance(sig["verdict"], str)
    assert sig["verdict"]
    assert sig["likely_luck"] == ("Likely luck" in sig["verdict"])


def test_candles_are_shown_in_the_runs_time_zone() -> None:
    data = report_data()
    assert [c.symbol for c in data.candles] == ["SYNTH_RELI", "SYNTH_TCS"]
    ts = data.candles[0].bars["timestamp"]
    assert str(ts.dt.tz) == "Asia/Kolkata"
    assert ts.iloc[0] == frames()["SYNTH_RELI"]["timestamp"].iloc[0]  # the same instant
    assert ts.iloc[0].strftime("%H:%M") == "09:15"


def test_zero_trades() -> None:
    data = report_data(slow=1000, days=2)  # the slow average never gets enough bars
    assert len(data.trades) == 0
    assert data.trade_stats["n_trades"] == 0
    assert data.summary["net_pnl"] == 0
    assert data.costs.total == 0
    assert (data.daily_pnl == 0).all()


def test_bad_documents_are_refused() -> None:
    doc = result().to_dict()
    with pytest.raises(ValueError, match="lacks equity_curve"):
        build_report_data({k: v for k, v in doc.items() if k != "equity_curve"})
    with pytest.raises(ValueError, match="n_trials must be >= 1"):
        build_report_data(doc, n_trials=0)
    bad = CandleSeries("X", pd.DataFrame({"timestamp": []}), "1m", "1m")
    with pytest.raises(ValueError, match="bars of X lack columns"):
        build_report_data(doc, candles=[bad])


def test_candle_note_says_how_bars_were_reduced() -> None:
    bars = frames()["SYNTH_RELI"]
    assert CandleSeries("A", bars, "1m", "1m").note == "1m bars"
    assert CandleSeries("A", bars, "15m", "1m").note == "15m candles, resampled from 1m"
    assert CandleSeries("A", bars, "1d", "1m", clipped=3).note.endswith(f"last {len(bars):,} only")
