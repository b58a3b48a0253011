"""The governor tells a strategy how many entries it has left today; the intraday strategies
skip a signal instead of sending an entry the governor would deny."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tronlab.data.synthetic import generate_market
from tronlab.engine.backtest import BacktestConfig, run_backtest
from tronlab.engine.context import EngineContext
from tronlab.engine.loop import Engine
from tronlab.risk import PassThroughRisk
from tronlab.risk.context import TradingState
from tronlab.risk.profiles import build_governor, risk_profile

SYMS = ("SYNTH_RELI", "SYNTH_TCS", "SYNTH_HDFC")


def test_governor_entries_left_follows_its_caps_and_state() -> None:
    gov = build_governor(
        risk_profile("tron-default", {"entries": {"max_per_day": 3, "per_strategy": {"a": 1}}})
    )
    assert gov.entries_left("a") == 1
    assert gov.entries_left("b") == 3
    gov.state.entries = 2
    gov.state.entries_by_strategy = {"a": 1}
    assert gov.entries_left("a") == 0
    assert gov.entries_left("b") == 1
    gov.state.entries = 5  # over the cap (a resumed session, say): never negative
    assert gov.entries_left("b") == 0
    gov.state.entries = 0
    gov.state.trading_state = TradingState.REDUCING
    assert gov.entries_left("b") == 0
    uncapped = build_governor(risk_profile("tron-default", {"entries": {"enabled": False}}))
    assert uncapped.entries_left("b") is None
    assert PassThroughRisk().entries_left("b") is None


def _run(skip: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Engine]:
    if not skip:  # the behaviour before: every signal goes to the governor
        monkeypatch.setattr(EngineContext, "entries_left", lambda self: None)
    market = generate_market(seed=11, days=6)
    engines: list[Engine] = []
    config = BacktestConfig(
        symbols=SYMS, initial_cash=Decimal(1_000_000), costs="zerodha", product="MIS",
        risk_profile="tron-default", risk_overrides={"entries": {"max_per_day": 2}},
        params={"quantity": 10},
    )  # fmt: skip
    result = run_backtest(
        "scalp", config, frames={s: market.bars[s] for s in SYMS}, engine_hook=engines.append
    )
    monkeypatch.undo()
    return result, engines[0]


def test_signals_beyond_the_daily_cap_are_skipped_not_denied(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before, _ = _run(False, monkeypatch)
    after, engine = _run(True, monkeypatch)
    denied = [e for e in before.extra["risk_events"] if e["reason_code"] == "MAX_ENTRIES_PER_DAY"]
    assert denied, "the scenario must hit the daily cap"
    assert not [e for e in after.extra["risk_events"] if e["reason_code"] == "MAX_ENTRIES_PER_DAY"]

    def trades(result: Any) -> list[dict[str, Any]]:  # order ids differ: denials used ids
        return [
            {k: v for k, v in t.items() if k not in ("entry_order", "exit_order")}
            for t in result.trades_records()
        ]

    assert trades(after) == trades(before)  # the same trades either way
    skips = [e for e in engine.strategy_logs if e["event"] == "entry_skipped"]
    assert skips
    days = {(e["symbol"], e["ts"][:10]) for e in skips}  # UTC dates: sessions end by 10:00
    assert len(days) == len(skips)  # logged once per symbol and session
