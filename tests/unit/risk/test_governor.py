"""The governor's own duties, with the engine: trading state, locks, day roll, kill switch,
intraday square-off, audit records and state persistence."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

import pandas as pd
from tests.unit.engine.scripted import SESSION_OPEN, bars, order, run

from tronlab.model import OrderStatus, Product
from tronlab.risk import Lock, RiskDecision, RiskGovernor, RiskState, TradingState

FLAT = (100.0, 100.5, 99.5, 100.0)


class DenyAbove:
    """A tiny rule for these tests: deny entries above a quantity."""

    name = "deny_above"

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def check(self, intent, ctx):
        if ctx.is_entry and intent.quantity > self.limit:
            return RiskDecision.deny("TOO_BIG", f"{intent.quantity} > {self.limit}", rule=self.name,
                                     values={"limit": self.limit})  # fmt: skip
        return None


def test_denial_reaches_the_strategy_as_an_event_and_is_audited() -> None:
    gov = RiskGovernor([DenyAbove(5)])
    engine, strat = run([FLAT] * 3, {0: [order("buy", "TEST", 10)], 1: [order("buy", "TEST", 5)]},
                        risk=gov)  # fmt: skip
    [refusal] = engine.refusals
    assert refusal.reason == "RISK_TOO_BIG"
    assert any(e.reason == "RISK_TOO_BIG" for e in strat.events)
    assert [float(f.quantity) for f in engine.fills] == [5.0]
    deny, approve = gov.decisions[0], gov.decisions[1]
    assert (deny["rule"], deny["decision"], deny["reason_code"]) == (
        "deny_above",
        "deny",
        "TOO_BIG",
    )
    assert deny["values"] == {"limit": 5}
    assert deny["symbol"] == "TEST"
    assert deny["client_order_id"] == str(refusal.client_order_id)
    assert approve["decision"] == "approve"
    assert approve["entry"] is True


class ReduceAfterOneEntry:
    """Switches the governor to REDUCING once an entry was approved (like a loss breach)."""

    name = "reduce_after_one"

    def check(self, intent, ctx):
        if ctx.is_entry and ctx.state.entries >= 1:
            ctx.state.trading_state = TradingState.REDUCING
            return RiskDecision.deny("BREACH", "limit reached", rule=self.name)
        return None


def test_reducing_admits_only_exits() -> None:
    gov = RiskGovernor([ReduceAfterOneEntry()])
    engine, _ = run(
        [FLAT] * 5,
        {
            0: [order("buy", "TEST", 2)],
            1: [order("buy", "TEST", 1)],  # the rule switches to REDUCING and denies
            2: [order("buy", "TEST", 1), order("sell", "TEST", 1)],  # entry denied, exit passes
            3: [order("sell", "TEST", 3)],  # would flip to short 2: an entry, denied
        },
        risk=gov,
    )
    assert [r.reason for r in engine.refusals] == ["RISK_BREACH", "RISK_REDUCING", "RISK_REDUCING"]
    assert [(f.side.value, float(f.quantity)) for f in engine.fills] == [
        ("BUY", 2.0),
        ("SELL", 1.0),
    ]
    assert gov.trading_state is TradingState.REDUCING


def test_lock_blocks_entries_until_it_expires() -> None:
    until = (SESSION_OPEN + pd.Timedelta(minutes=2)).to_pydatetime()
    state = RiskState(day=SESSION_OPEN.date(), locks=[Lock("cooldown", "3 losses", until=until)])
    gov = RiskGovernor([], state=state)
    engine, _ = run([FLAT] * 5, {0: [order("buy", "TEST", 1)], 2: [order("buy", "TEST", 1)]},
                    risk=gov)  # fmt: skip
    assert [r.reason for r in engine.refusals] == ["RISK_LOCKED"]
    assert "locked until" in engine.refusals[0].message
    assert len(engine.fills) == 1


def test_day_roll_resets_counters_and_start_equity() -> None:
    state = RiskState(day=SESSION_OPEN.date() - pd.Timedelta(days=3), entries=9,
                      trading_state=TradingState.REDUCING)  # fmt: skip
    gov = RiskGovernor([], state=state)
    run([FLAT] * 3, {0: [order("buy", "TEST", 1)]}, risk=gov)
    assert gov.state.day == SESSION_OPEN.date()
    assert gov.state.entries == 1  # reset at the new day, then this entry
    assert gov.state.trading_state is TradingState.ACTIVE
    assert gov.state.start_equity == Decimal("1000000.0")


def test_intraday_positions_are_squared_off_once_at_the_configured_time() -> None:
    start = SESSION_OPEN + pd.Timedelta(minutes=360)  # 15:15 IST
    frame = bars([FLAT] * 14, start=start)  # 15:15 .. 15:28
    gov = RiskGovernor([], square_off={"EQ": time(15, 20)})
    engine, _ = run([], {0: [order("buy", "TEST", 5, product=Product.MIS)],
                         1: [order("buy", "TEST", 2)]},  # delivery: not squared off
                    frame=frame, risk=gov)  # fmt: skip
    closing = [o for o in engine.orders if o.strategy_id == "risk"]
    assert len(closing) == 1
    [c] = closing
    assert c.side.value == "SELL"
    assert c.quantity == 5
    assert c.status is OrderStatus.FILLED
    # decided at the close of the 15:19 bar (15:20), filled at the 15:20 bar's open
    assert pd.Timestamp(c.created_at).tz_convert("Asia/Kolkata").strftime("%H:%M") == "15:20"
    assert "square-off" in c.rationale
    assert engine.position_qty("TEST") == 2
    assert gov.state.squared_off


def test_kill_switch_flattens_and_halts_until_cleared() -> None:
    calls = {"n": 0}

    def switch() -> tuple[bool, str]:  # read once per bar: on from the 4th bar to the 6th
        calls["n"] += 1
        return 4 <= calls["n"] <= 6, "operator pressed kill"

    gov = RiskGovernor([], kill_switch=switch)
    engine, _ = run(
        [FLAT] * 9,
        {0: [order("buy", "TEST", 3)], 4: [order("buy", "TEST", 1)], 7: [order("buy", "TEST", 2)]},
        risk=gov,
    )
    closing = [o for o in engine.orders if o.strategy_id == "risk"]
    assert [(o.side.value, int(o.quantity)) for o in closing] == [("SELL", 3)]
    assert "kill switch" in closing[0].rationale
    assert [r.reason for r in engine.refusals] == ["RISK_KILL_SWITCH"]
    assert engine.position_qty("TEST") == 2  # the buy after the switch was cleared went through
    codes = [d["reason_code"] for d in gov.decisions if d["rule"] == "kill_switch"]
    assert codes == ["KILL_SWITCH_ON", "KILL_SWITCH", "KILL_SWITCH_OFF"]


def test_state_round_trips_through_json() -> None:
    st = RiskState(
        day=SESSION_OPEN.date(),
        start_equity=Decimal("100000"),
        entries=2,
        entries_by_strategy={"orb": 2},
        consecutive_losses=1,
        locks=[Lock("cooldown", "x", until=SESSION_OPEN.to_pydatetime())],
        trading_state=TradingState.REDUCING,
        kill_switch=True,
        kill_reason="r",
    )
    st.order_times_ns.extend([1, 2, 3])
    again = RiskState.from_dict(st.to_dict())
    assert again.to_dict() == st.to_dict()


def test_loss_breach_flattens_when_configured_and_only_exits_follow() -> None:
    from tronlab.risk.profiles import build_governor, risk_profile

    gov = build_governor(
        risk_profile(
            "research",
            {"daily_loss": {"enabled": True, "max_loss": Decimal(40), "flatten_on_breach": True}},
        )
    )
    falling = [FLAT, FLAT, (100.0, 100.0, 97.0, 97.0), (97.0, 97.5, 96.5, 97.0), FLAT, FLAT]
    engine, _ = run(falling, {0: [order("buy", "TEST", 20)], 4: [order("buy", "TEST", 5)]},
                    risk=gov)  # fmt: skip
    # bought 20 at 100; at the 97 close the loss is 60 > 40: REDUCING and a closing order
    closing = [o for o in engine.orders if o.strategy_id == "risk"]
    assert [(o.side.value, int(o.quantity)) for o in closing] == [("SELL", 20)]
    assert "daily loss" in closing[0].rationale
    assert gov.trading_state is TradingState.REDUCING
    assert [r.reason for r in engine.refusals] == ["RISK_REDUCING"]
    assert engine.position_qty("TEST") == 0


def test_freeze_limit_splits_an_order_into_children() -> None:
    from tronlab.risk.profiles import build_governor, risk_profile

    gov = build_governor(
        risk_profile("research", {"fat_finger": {"enabled": True, "freeze_qty": {"TEST": 10}}})
    )
    engine, _ = run([FLAT] * 3, {0: [order("buy", "TEST", 25)]}, risk=gov)
    assert sorted(int(o.quantity) for o in engine.orders) == [5, 10, 10]
    assert engine.position_qty("TEST") == 25
    split = [d for d in gov.decisions if d["reason_code"] == "FREEZE_QTY_SPLIT"]
    assert split
    assert split[0]["values"]["children"] == ["10", "10", "5"]
