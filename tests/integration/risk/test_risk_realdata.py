"""The governor on real NIFTY 1-minute bars (../shared/data): with tron-default every rule
holds over four months of sessions, including the special sessions in the file."""

from __future__ import annotations

import os
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from tronlab.data.calendars import get_calendar
from tronlab.engine.backtest import BacktestConfig, run_backtest

REPO = Path(__file__).resolve().parents[3]
DATA = Path(os.environ.get("TRONLAB_SHARED_DATA", REPO.parent / "shared" / "data"))
NIFTY = DATA / "nse" / "NIFTY50_1m_2024-01-01_2024-04-30.csv"
IST = "Asia/Kolkata"

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def nifty() -> pd.DataFrame:
    if not NIFTY.exists():
        pytest.skip(f"shared data not available: {NIFTY}")
    df = pd.read_csv(NIFTY)
    df["timestamp"] = pd.to_datetime(df["timestamp"]).dt.tz_convert("UTC")
    # the index has no volume; the source's flat bars after 15:29 are outside the session
    return df.reset_index(drop=True)


@pytest.mark.slow
def test_tron_default_rules_hold_on_nifty(nifty: pd.DataFrame) -> None:
    cfg = BacktestConfig(
        symbols=("NIFTY50",),
        initial_cash=Decimal(2_000_000),
        product="MIS",
        costs="zerodha",
        params={"fast": 5, "slow": 20, "quantity": 25, "tick": 0.05},
        risk_profile="tron-default",
        # more entries than the profile's 3 a day, so positions are open into the square-off
        risk_overrides={"daily_loss": {"max_loss": Decimal(1500)}, "entries": {"max_per_day": 12}},
    )
    result = run_backtest("sma_cross", cfg, frames={"NIFTY50": nifty})
    events = result.extra["risk_events"]
    assert result.summary["trades"] > 50
    reasons = Counter(e["reason_code"] for e in events if e["decision"] == "deny")
    assert reasons["ENTRY_CUTOFF"] > 0
    assert reasons["DAILY_LOSS_LIMIT"] > 0

    entries_per_day: Counter[object] = Counter()
    for e in events:
        local = pd.Timestamp(e["ts"]).tz_convert(IST)
        if e["decision"] != "deny" and e.get("entry") and e["strategy"] != "risk":
            entries_per_day[local.date()] += 1
            assert local.time() < pd.Timestamp("15:00").time()  # entry cutoff
    assert max(entries_per_day.values()) <= 12

    # every intraday position is flat once the square-off fills: 15:21 at the latest, and
    # 10 minutes before the close of a session that closes early (2024-03-02: 12:20)
    nse = get_calendar("NSE")

    def square_off_at(day: date) -> pd.Timestamp:
        session = nse.session(day)
        assert session is not None
        regular = pd.Timestamp(f"{day} 15:20", tz=IST)
        return min(regular, session.close.tz_convert(IST) - pd.Timedelta(minutes=10))

    pos = Decimal(0)
    for f in result.fills:
        pos += f.signed_quantity
        t = pd.Timestamp(f.ts).tz_convert(IST)
        if t >= square_off_at(t.date()) + pd.Timedelta(minutes=1):
            assert pos == 0, f"position {pos} after {t}"
    squares = [o for o in result.orders if o.strategy_id == "risk"]
    assert squares, "the governor squared off at least one session"
    for o in squares:
        created = pd.Timestamp(o.created_at).tz_convert(IST)
        assert created >= square_off_at(created.date())
    assert square_off_at(date(2024, 3, 2)).strftime("%H:%M") == "12:20"
