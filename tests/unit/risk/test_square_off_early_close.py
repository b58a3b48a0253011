"""The square-off and the entry cutoff on sessions that close early, through ``run_backtest``
with the NSE calendar: the special Saturday session of 2024-03-02 (09:15-10:00 and
11:30-12:30) and the Muhurat session of 2023-11-12 (18:15-19:15), next to regular days."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest
from tests.unit.risk.rulectx import IST, ist, make_ctx, make_intent

from tronlab.data.calendars import get_calendar
from tronlab.engine.backtest import BacktestConfig, run_backtest
from tronlab.model import Instrument, Venue
from tronlab.risk.profiles import risk_profile
from tronlab.risk.rules.time_windows import (
    ENTRY_CUTOFF,
    EntryWindowConfig,
    EntryWindowRule,
    SquareOffConfig,
    session_deadline,
    square_off_due,
    square_off_offsets,
)
from tronlab.strategy import Bar, Context, Strategy

NSE = get_calendar("NSE")
FUT = "NIFTY24MARFUT"


def session_frame(days: list[str], seed: int = 3) -> pd.DataFrame:
    """1-minute bars over the NSE sessions of ``days`` (their trading windows, breaks left
    out), a deterministic random walk around 22,000."""
    stamps: list[pd.Timestamp] = []
    for day in days:
        session = NSE.session(pd.Timestamp(day).date())
        assert session is not None, day
        for start, end in session.windows:
            stamps += list(pd.date_range(start, end, freq="1min", inclusive="left"))
    rng = np.random.default_rng(seed)
    close = 22_000 + np.cumsum(rng.normal(0, 4, len(stamps))).round(1)
    open_ = np.concatenate([[close[0]], close[:-1]])
    return pd.DataFrame(
        {
            "timestamp": pd.DatetimeIndex(stamps).tz_convert("UTC"),
            "open": open_,
            "high": np.maximum(open_, close) + 2,
            "low": np.minimum(open_, close) - 2,
            "close": close,
            "volume": np.full(len(stamps), 1e6),
        }
    )


class BuyAndHold(Strategy):
    """Buys ``quantity`` of every symbol at 09:30 (18:30 in an evening session) each day and
    tries one more entry at ``again`` local time; never sells: the governor must."""

    name = "buy_and_hold_test"

    def __init__(self, quantity: dict[str, int], again: str = "12:10") -> None:
        super().__init__()
        self.qty = quantity
        self.again = again
        self.done: set[tuple[str, object, str]] = set()

    def on_bar(self, ctx: Context, bar: Bar) -> None:
        local = pd.Timestamp(bar.end_ns, tz="UTC").tz_convert(IST)
        hhmm = local.strftime("%H:%M")
        first = "18:30" if local.hour >= 17 else "09:30"
        for when in (first, self.again):
            key = (bar.symbol, local.date(), when)
            if hhmm >= when and key not in self.done:
                self.done.add(key)
                ctx.buy(bar.symbol, self.qty[bar.symbol], rationale=f"entry at {when}")


def _future() -> Instrument:
    return Instrument.future(
        Venue.NFO,
        FUT,
        underlying="NIFTY",
        expiry=pd.Timestamp("2024-03-28").date(),
        tick_size=Decimal("0.05"),
        lot_size=50,
    )


def _run(days: list[str], overrides: dict[str, Any] | None = None, again: str = "12:10") -> Any:
    frame = session_frame(days)
    frames = {"NIFTYBEES": frame, FUT: frame}
    config = BacktestConfig(
        symbols=("NIFTYBEES", FUT),
        initial_cash=Decimal(50_000_000),
        costs="zero",
        product="MIS",
        risk_profile="tron-default",
        risk_overrides={
            "daily_loss": {"enabled": False},
            "entries": {"max_per_day": 100},
            "margin": {"enabled": False},
            **(overrides or {}),
        },
    )
    strategy = BuyAndHold({"NIFTYBEES": 10, FUT: 50}, again=again)
    return run_backtest(strategy, config, frames=frames, instruments={FUT: _future()})


def _local(ts: Any) -> pd.Timestamp:
    return pd.Timestamp(ts).tz_convert(IST)


def _closing(result: Any) -> dict[tuple[str, str], str]:
    """(symbol, local date) -> local HH:MM of the governor's square-off order."""
    return {
        (o.instrument_id.symbol, str(_local(o.created_at).date())): _local(o.created_at).strftime(
            "%H:%M"
        )
        for o in result.orders
        if o.strategy_id == "risk"
    }


def _positions_at_day_end(result: Any) -> dict[tuple[str, str], Decimal]:
    pos: dict[str, Decimal] = {}
    out: dict[tuple[str, str], Decimal] = {}
    for f in sorted(result.fills, key=lambda f: f.ts):
        sym = f.instrument_id.symbol
        pos[sym] = pos.get(sym, Decimal(0)) + f.signed_quantity
        out[(sym, str(_local(f.ts).date()))] = pos[sym]
    return out


def test_special_session_is_squared_off_before_its_early_close() -> None:
    result = _run(["2024-03-01", "2024-03-02", "2024-03-04"])
    closing = _closing(result)
    # regular days: the configured 15:20 (equity) and 15:25 (F&O), as before
    for day in ("2024-03-01", "2024-03-04"):
        assert closing[("NIFTYBEES", day)] == "15:20"
        assert closing[(FUT, day)] == "15:25"
    # the special session closes at 12:30: 10 and 5 minutes before it
    assert closing[("NIFTYBEES", "2024-03-02")] == "12:20"
    assert closing[(FUT, "2024-03-02")] == "12:25"
    # nothing is carried into the next day: every symbol is flat at each day's last fill
    assert set(_positions_at_day_end(result).values()) == {Decimal(0)}
    for f in result.fills:  # and every fill is inside that day's session
        session = NSE.session(_local(f.ts).date())
        assert session is not None
        assert session.open <= pd.Timestamp(f.ts) <= session.close


def test_early_close_moves_the_entry_cutoff() -> None:
    result = _run(["2024-03-01", "2024-03-02"])
    events = result.extra["risk_events"]
    cutoffs = [e for e in events if e["reason_code"] == ENTRY_CUTOFF]
    # 12:10 is allowed on a regular day, not 20 minutes before a 12:30 close
    assert {(_local(e["ts"]).date().isoformat(), e["symbol"]) for e in cutoffs} == {
        ("2024-03-02", "NIFTYBEES"),
        ("2024-03-02", FUT),
    }
    [e, _] = cutoffs
    assert "30 minutes before the session closes at 12:30" in e["message"]
    assert e["values"]["entry_cutoff"] == "12:00"
    assert e["values"]["configured_cutoff"] == "15:00"
    entries = [o for o in result.orders if o.strategy_id != "risk"]
    assert sum(1 for o in entries if str(_local(o.created_at).date()) == "2024-03-01") == 4


def test_muhurat_evening_session_is_squared_off_too() -> None:
    """The 15:20 square-off falls before an 18:15 open: only the close counts then."""
    result = _run(["2023-11-10", "2023-11-12"], again="19:00")
    closing = _closing(result)
    assert closing[("NIFTYBEES", "2023-11-10")] == "15:20"
    assert closing[("NIFTYBEES", "2023-11-12")] == "19:05"  # close 19:15 - 10 minutes
    assert closing[(FUT, "2023-11-12")] == "19:10"
    assert set(_positions_at_day_end(result).values()) == {Decimal(0)}
    # the 19:00 entry is in the last 30 minutes of the evening session
    late = [e for e in result.extra["risk_events"] if e["reason_code"] == ENTRY_CUTOFF]
    assert {_local(e["ts"]).strftime("%Y-%m-%d %H:%M") for e in late} == {"2023-11-12 19:00"}


def test_without_the_close_offset_positions_are_carried() -> None:
    """The old behaviour (times alone) carries the special session's positions overnight:
    what the offsets fix."""
    result = _run(["2024-03-02", "2024-03-04"], {"square_off": {"before_close_minutes": None}})
    closing = _closing(result)
    assert ("NIFTYBEES", "2024-03-02") not in closing
    ends = _positions_at_day_end(result)
    assert ends[("NIFTYBEES", "2024-03-02")] == 10


# ------------------------------------------------------------------ the pure pieces


def test_session_deadline() -> None:
    regular = (ist(9, 15), ist(15, 30))
    day = regular[0].date()
    ten = timedelta(minutes=10)
    assert session_deadline(time(15, 20), IST, day, regular, ten) == ist(15, 20)
    assert session_deadline(time(15, 25), IST, day, regular, ten) == ist(15, 20)
    assert session_deadline(time(15, 20), IST, day, (ist(9, 15), ist(12, 30)), ten) == ist(12, 20)
    evening = (ist(18, 15), ist(19, 15))
    assert session_deadline(time(15, 20), IST, day, evening, ten) == ist(19, 5)
    assert session_deadline(time(15, 20), IST, day, None, ten) == ist(15, 20)
    assert session_deadline(time(15, 20), IST, day, (ist(9, 15), ist(12, 30)), None) == ist(15, 20)


@pytest.mark.parametrize(
    ("kind", "local", "session_close", "due"),
    [
        ("EQ", ist(12, 19), ist(12, 30), False),
        ("EQ", ist(12, 20), ist(12, 30), True),
        ("FUT", ist(12, 24), ist(12, 30), False),
        ("FUT", ist(12, 25), ist(12, 30), True),
        ("EQ", ist(15, 19), ist(15, 30), False),  # a regular day is unchanged
        ("EQ", ist(15, 20), ist(15, 30), True),
        ("FUT", ist(15, 24), ist(15, 30), False),
        ("FUT", ist(15, 25), ist(15, 30), True),
    ],
)
def test_square_off_due_with_the_session(
    kind: str, local: datetime, session_close: datetime, due: bool
) -> None:
    session = (ist(9, 15), session_close)
    assert square_off_due(SquareOffConfig(), kind, "MIS", local, session) is due


def test_square_off_offsets_and_validation() -> None:
    assert square_off_offsets(SquareOffConfig()) == {
        "EQ": timedelta(minutes=10),
        "FUT": timedelta(minutes=5),
        "OPT": timedelta(minutes=5),
    }
    one = SquareOffConfig(times={"EQ": "15:20"}, before_close_minutes=15)
    assert square_off_offsets(one) == {"EQ": timedelta(minutes=15)}
    assert square_off_offsets(SquareOffConfig(before_close_minutes=None)) == {}
    assert square_off_offsets(SquareOffConfig(enabled=False)) == {}
    assert SquareOffConfig(before_close_minutes={"eq": 3}).before_close_minutes == {"EQ": 3}
    with pytest.raises(ValueError, match="before_close_minutes must be >= 0"):
        SquareOffConfig(before_close_minutes=-1)
    with pytest.raises(ValueError, match="unknown instrument kind 'XYZ'"):
        SquareOffConfig(before_close_minutes={"XYZ": 5})
    with pytest.raises(ValueError, match="cutoff_before_close_minutes must be >= 0"):
        EntryWindowConfig(cutoff_before_close_minutes=-5)
    profile = risk_profile("tron-default")
    assert profile.entry_window.cutoff_before_close_minutes == 30
    assert profile.square_off.before_close_minutes == {"EQ": 10, "FUT": 5, "OPT": 5}


def test_entry_cutoff_rule_on_a_short_session() -> None:
    short = (ist(9, 15).astimezone(UTC), ist(12, 30).astimezone(UTC))
    rule = EntryWindowRule(EntryWindowConfig())
    assert rule.check(make_intent(), make_ctx(now=ist(11, 59), session=short)) is None
    d = rule.check(make_intent(), make_ctx(now=ist(12, 0), session=short))
    assert d is not None
    assert d.reason_code == ENTRY_CUTOFF
    assert d.values["entry_cutoff"] == "12:00"
    off = EntryWindowRule(EntryWindowConfig(cutoff_before_close_minutes=None))
    assert off.check(make_intent(), make_ctx(now=ist(12, 10), session=short)) is None
    # a regular day keeps the configured cutoff and its audit values
    d = rule.check(make_intent(), make_ctx(now=ist(15, 0)))
    assert d is not None
    assert d.values["entry_cutoff"] == "15:00"
    assert "configured_cutoff" not in d.values
