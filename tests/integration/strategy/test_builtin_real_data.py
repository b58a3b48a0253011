"""The built-in intraday strategies on real NIFTY 50 and NIFTY BANK 1-minute bars
(../shared/data, January to April 2024) under the tron-default risk profile with Zerodha
intraday costs and one tick of slippage, default parameters.

The files hold two special Saturday sessions (one with a break) and flat artefact bars after
15:29; every entry must still fill inside a session before the 15:00 cutoff, every position
must be flat before the 15:20 square-off, the accounts must reconcile and every trade must say
why it was opened and closed."""

from __future__ import annotations

import os
from collections import defaultdict
from decimal import Decimal
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from tronlab.data.calendars import get_calendar
from tronlab.engine.backtest import BacktestConfig, CalendarGate, run_backtest

REPO = Path(__file__).resolve().parents[3]
DATA = Path(os.environ.get("TRONLAB_SHARED_DATA", REPO.parent / "shared" / "data"))
FILES = {
    "NIFTY50": DATA / "nse" / "NIFTY50_1m_2024-01-01_2024-04-30.csv",
    "BANKNIFTY": DATA / "nse" / "BANKNIFTY_1m_2024-01-01_2024-04-30.csv",
}
IST = "Asia/Kolkata"
PREFIX = {"vwap": "vwap ", "orb": "orb: ", "scalp": "scalp: ", "range_reversal": "range_reversal: "}

pytestmark = pytest.mark.realdata


@cache
def _bars(symbol: str) -> pd.DataFrame:
    df = pd.read_csv(FILES[symbol])
    df["timestamp"] = pd.to_datetime(df["timestamp"]).dt.tz_convert("UTC")
    return df


@pytest.fixture(params=sorted(FILES))
def symbol(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if not FILES[name].exists():
        pytest.skip(f"shared data not available: {FILES[name]} (set TRONLAB_SHARED_DATA)")
    return name


@pytest.mark.parametrize("name", sorted(PREFIX))
def test_builtin_strategy_keeps_the_session_rules_on_real_bars(name: str, symbol: str) -> None:
    cfg = BacktestConfig(
        symbols=(symbol,),
        initial_cash=Decimal(100_000),
        product="MIS",
        costs="zerodha",
        slippage="ticks:1",
        risk_profile="tron-default",
    )
    r = run_backtest(name, cfg, frames={symbol: _bars(symbol)})
    s = r.summary
    assert s["strategy_errors"] == 0
    assert s["trades"] >= 40  # at least one trade every other session
    assert s["fees"] > 0

    # entries fill inside a session (the Saturday break included) and before 15:00
    gate = CalendarGate({symbol: get_calendar("NSE")})
    entries = {str(o.client_order_id) for o in r.orders if o.rationale.startswith(PREFIX[name])}
    entry_fills = [f for f in r.fills if str(f.client_order_id) in entries]
    assert len(entry_fills) == s["trades"]
    for f in entry_fills:
        ts = pd.Timestamp(f.ts)
        assert gate.is_open(symbol, ts.value), f"entry fill outside the session at {ts}"
        assert ts.tz_convert(IST).strftime("%H:%M") < "15:00", f"entry fill at {ts}"

    # flat before the 15:20 square-off every day: no fill at or after it, nothing carried over
    position: dict[object, Decimal] = defaultdict(Decimal)
    for f in r.fills:
        local = pd.Timestamp(f.ts).tz_convert(IST)
        assert local.strftime("%H:%M") < "15:20", f"fill at {local}"
        position[local.date()] += f.signed_quantity
    assert all(q == 0 for q in position.values()), position
    assert not any(o.strategy_id == "risk" and "square" in o.rationale for o in r.orders)

    # the accounts reconcile (the engine checks the identity exactly at the end of the run)
    assert sum(float(t.pnl) for t in r.trades) == pytest.approx(s["net_pnl"], abs=0.02)
    assert r.equity[-1] == pytest.approx(s["final_equity"], abs=0.01)

    # every round trip says why it was opened and closed
    assert all(not t.is_open for t in r.trades)
    for t in r.trades:
        assert t.entry_reason.startswith(PREFIX[name]), t.entry_reason
        assert t.exit_reason, t
    own = [t for t in r.trades if t.exit_reason.startswith("exit: ")]
    assert len(own) >= 0.9 * len(r.trades)  # the rest: the governor's daily-loss flattening
