"""run_backtest on the synthetic market: determinism, no look-ahead, accounting, trades."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache

import numpy as np
import pandas as pd
import pytest

from tronlab.data.synthetic import generate_market
from tronlab.engine.backtest import BacktestConfig, run_backtest
from tronlab.engine.results import BacktestResult
from tronlab.strategy import Bar, Context, Param, Strategy


@cache
def market() -> dict[str, pd.DataFrame]:
    return generate_market(seed=11, days=5).bars


def _frames(*symbols: str) -> dict[str, pd.DataFrame]:
    return {s: market()[s] for s in symbols}


CONFIG = BacktestConfig(
    symbols=("SYNTH_RELI",), params={"fast": 5, "slow": 20, "quantity": 10, "tick": 0.05}
)


def _run(frames: dict[str, pd.DataFrame], config: BacktestConfig = CONFIG) -> BacktestResult:
    return run_backtest("sma_cross", config, frames=frames)


def test_same_inputs_give_a_byte_identical_result() -> None:
    a = _run(_frames("SYNTH_RELI")).to_json(with_run=False)
    b = _run(_frames("SYNTH_RELI")).to_json(with_run=False)
    assert a == b
    doc = json.loads(a)
    assert doc["summary"]["trades"] > 10
    assert doc["fingerprint"].startswith("sha256:")


def test_result_shape_and_accounting() -> None:
    r = _run(_frames("SYNTH_RELI"))
    s = r.summary
    assert s["fills"] == len(r.fills)
    assert s["trades"] == len(r.trades)
    # net PnL = sum of trade PnL (closed and open, marked at the last close)
    assert sum(float(t.pnl) for t in r.trades) == pytest.approx(s["net_pnl"], abs=0.02)
    assert s["fees"] > 0  # Zerodha delivery charges by default
    assert r.equity[-1] == pytest.approx(s["final_equity"], abs=0.01)
    assert len(r.equity) == s["bars"]
    for t in r.trades:
        assert t.entry_reason.startswith("SMA5 crossed above")
        assert t.is_open or t.exit_reason.startswith("SMA5 crossed below")
    rec = r.trades_records()[0]
    assert rec["entry_time"].endswith("+05:30")  # exchange time with its offset


class PeekAtHistory(Strategy):
    """Buys when the close is above its 30-bar mean, sells below; reads ctx.history."""

    name = "peek"
    window = Param(int, 30, low=2, high=500)

    def on_bar(self, ctx: Context, bar: Bar) -> None:
        h = ctx.history(bar.symbol)
        assert h.close[-1] == bar.close
        assert len(h) == bar.index + 1
        if len(h) < self.window:
            return
        mean = float(np.mean(h.close[-self.window :]))
        qty = ctx.quantity(bar.symbol)
        if bar.close > mean and qty <= 0:
            ctx.target_position(bar.symbol, 10, rationale="above mean", confidence=0.6)
        elif bar.close < mean and qty >= 0:
            ctx.target_position(bar.symbol, -10, rationale="below mean", confidence=0.6)


@pytest.mark.parametrize("strategy", ["sma_cross", "peek"])
def test_no_look_ahead_changing_the_future_changes_no_past_decision(strategy: str) -> None:
    frame = market()["SYNTH_INFY"].copy()
    cut = len(frame) // 2
    t_cut = frame["timestamp"].iloc[cut]
    changed = frame.copy()
    rng = np.random.default_rng(3)
    scale = rng.uniform(0.8, 1.25, len(frame) - cut)
    for col in ("open", "high", "low", "close"):
        changed.loc[cut:, col] = (frame.loc[cut:, col] * scale / 0.05).round() * 0.05
    changed.loc[cut:, "high"] = changed.loc[cut:, ["open", "high", "low", "close"]].max(axis=1)
    changed.loc[cut:, "low"] = changed.loc[cut:, ["open", "high", "low", "close"]].min(axis=1)
    cfg = BacktestConfig(
        symbols=("SYNTH_INFY",), params={} if strategy == "peek" else CONFIG.params
    )
    strat: str | Strategy = strategy if strategy == "sma_cross" else PeekAtHistory()
    a = run_backtest(strat, cfg, frames={"SYNTH_INFY": frame})
    strat = strategy if strategy == "sma_cross" else PeekAtHistory()
    b = run_backtest(strat, cfg, frames={"SYNTH_INFY": changed})

    def decisions(r: BacktestResult) -> list[tuple[str, str, float]]:
        # an order decided at the close of the bar before t_cut still fills at t_cut's open,
        # so compare decisions by their decision time (created_at), strictly before t_cut
        return [
            (o.created_at.isoformat(), o.side.value, float(o.quantity))
            for o in r.orders
            if pd.Timestamp(o.created_at) <= t_cut
        ]

    assert decisions(a) == decisions(b)
    assert len(decisions(a)) > 3
    assert a.to_json(with_run=False) != b.to_json(with_run=False)  # the future did change


def test_multi_symbol_run_trades_each_symbol_in_time_order() -> None:
    cfg = BacktestConfig(symbols=("SYNTH_RELI", "SYNTH_TCS"), params=CONFIG.params)
    r = _run(_frames("SYNTH_RELI", "SYNTH_TCS"), cfg)
    symbols = {f.instrument_id.symbol for f in r.fills}
    assert symbols == {"SYNTH_RELI", "SYNTH_TCS"}
    times = [f.ts for f in r.fills]
    assert times == sorted(times)
    # the equity curve has one point per distinct bar time, not per bar
    assert len(r.equity) == len(market()["SYNTH_RELI"])


def test_unknown_strategy_and_bad_params_are_clear() -> None:
    with pytest.raises(ValueError, match="did you mean 'sma_cross'"):
        run_backtest("sma_cros", CONFIG, frames=_frames("SYNTH_RELI"))
    from tronlab.strategy import ParamError

    bad = BacktestConfig(symbols=("SYNTH_RELI",), params={"fast": 30, "slow": 20})
    with pytest.raises(ParamError, match=r"fast \(30\) must be below slow \(20\)"):
        run_backtest("sma_cross", bad, frames=_frames("SYNTH_RELI"))


def test_costs_and_cash_are_configurable() -> None:
    cfg = BacktestConfig(
        symbols=("SYNTH_RELI",), params=CONFIG.params, costs="zero", initial_cash=Decimal(50_000)
    )
    r = _run(_frames("SYNTH_RELI"), cfg)
    assert r.summary["fees"] == 0
    assert r.summary["initial_cash"] == 50_000
