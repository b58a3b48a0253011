"""Gap detection against the calendar's bar grid, on hand-built bars."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from tronlab.data.calendars import TradingCalendar, get_calendar
from tronlab.data.gaps import find_gaps

D = dt.date
IST = "Asia/Kolkata"


@pytest.fixture(scope="module")
def nse() -> TradingCalendar:
    return get_calendar("NSE")


def ist(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=IST).tz_convert("UTC")


def bars_at(stamps: pd.DatetimeIndex) -> pd.DataFrame:
    n = len(stamps)
    price = 100.0 + np.arange(n, dtype=np.float64)
    return pd.DataFrame(
        {
            "timestamp": stamps.tz_convert("UTC"),
            "open": price,
            "high": price + 1,
            "low": price - 1,
            "close": price,
            "volume": np.ones(n),
        }
    )


def full_grid(cal: TradingCalendar, start: dt.date, end: dt.date, tf: str) -> pd.DatetimeIndex:
    parts = [cal.bar_starts(s, tf) for s in cal.sessions(start, end)]
    return parts[0].append(parts[1:]) if len(parts) > 1 else parts[0]


def test_complete_bars_give_a_clean_report(nse: TradingCalendar) -> None:
    stamps = full_grid(nse, D(2024, 1, 1), D(2024, 1, 5), "1m")
    report = find_gaps(bars_at(stamps), nse, "1m")
    assert report.is_clean
    assert (report.start, report.end) == (D(2024, 1, 1), D(2024, 1, 5))
    assert report.sessions_expected == report.sessions_complete == 5
    assert report.bars_expected == report.bars_present == 5 * 375


def test_missing_session_and_missing_runs_are_reported_exactly(nse: TradingCalendar) -> None:
    stamps = full_grid(nse, D(2024, 1, 1), D(2024, 1, 5), "1m")
    drop = (
        # the whole of 2024-01-03
        ((stamps >= ist("2024-01-03 00:00")) & (stamps < ist("2024-01-04 00:00")))
        # 10:00..10:14 and 15:29 on 2024-01-02
        | ((stamps >= ist("2024-01-02 10:00")) & (stamps < ist("2024-01-02 10:15")))
        | (stamps == ist("2024-01-02 15:29"))
        # the first bar of 2024-01-04
        | (stamps == ist("2024-01-04 09:15"))
    )
    kept = stamps[~drop]
    extra = pd.DatetimeIndex(
        [ist("2024-01-05 16:00"), ist("2024-01-05 16:01"), ist("2024-01-05 10:00:30")]
    )
    bars = bars_at(kept.append(extra).sort_values())
    report = find_gaps(bars, nse, "1m")

    assert report.missing_sessions == [D(2024, 1, 3)]
    assert [g.date for g in report.partial_sessions] == [D(2024, 1, 2), D(2024, 1, 4)]
    jan2, jan4 = report.partial_sessions
    assert (jan2.expected, jan2.present, jan2.missing_bars) == (375, 359, 16)
    assert jan2.missing == [
        (ist("2024-01-02 10:00"), ist("2024-01-02 10:15")),
        (ist("2024-01-02 15:29"), ist("2024-01-02 15:30")),
    ]
    assert jan4.missing == [(ist("2024-01-04 09:15"), ist("2024-01-04 09:16"))]
    assert report.unexpected == 2  # 16:00 and 16:01
    assert report.first_unexpected == ist("2024-01-05 16:00")
    assert report.misaligned == 1  # 10:00:30 is in session but not on the 1m grid
    assert report.sessions_expected == 5
    assert report.sessions_complete == 2
    assert report.bars_expected == 5 * 375
    assert report.bars_missing == 375 + 16 + 1
    assert not report.is_clean


def test_missing_runs_do_not_span_a_break(nse: TradingCalendar) -> None:
    stamps = nse.bar_starts(nse.session(D(2024, 3, 2)), "1m")  # type: ignore[arg-type]
    drop = (stamps >= ist("2024-03-02 09:55")) & (
        stamps < ist("2024-03-02 11:35")
    )  # 09:55..09:59 and 11:30..11:34
    report = find_gaps(bars_at(stamps[~drop]), nse, "1m")
    (gap,) = report.partial_sessions
    assert (gap.expected, gap.present) == (105, 95)
    assert gap.missing == [
        (ist("2024-03-02 09:55"), ist("2024-03-02 10:00")),
        (ist("2024-03-02 11:30"), ist("2024-03-02 11:35")),
    ]


def test_short_last_bar_run_ends_at_the_close(nse: TradingCalendar) -> None:
    stamps = nse.bar_starts(nse.session(D(2024, 1, 2)), "1h")  # type: ignore[arg-type]
    report = find_gaps(bars_at(stamps[:-1]), nse, "1h")
    assert report.partial_sessions[0].missing == [
        (ist("2024-01-02 15:15"), ist("2024-01-02 15:30"))
    ]


def test_explicit_range_reports_sessions_without_any_bars(nse: TradingCalendar) -> None:
    stamps = full_grid(nse, D(2024, 1, 2), D(2024, 1, 2), "5m")
    report = find_gaps(bars_at(stamps), nse, "5m", start=D(2023, 12, 29), end=D(2024, 1, 3))
    assert report.missing_sessions == [D(2023, 12, 29), D(2024, 1, 1), D(2024, 1, 3)]
    assert report.partial_sessions == []
    # Bars outside the requested range are ignored, not counted as unexpected.
    narrow = find_gaps(bars_at(stamps), nse, "5m", start=D(2024, 1, 3), end=D(2024, 1, 3))
    assert narrow.unexpected == 0
    assert narrow.missing_sessions == [D(2024, 1, 3)]


def test_daily_bars_report_missing_sessions_only(nse: TradingCalendar) -> None:
    days = [s.date for s in nse.sessions(D(2024, 1, 15), D(2024, 1, 31))]
    days.remove(D(2024, 1, 25))
    days.append(D(2024, 1, 21))  # a Sunday: not a session
    stamps = pd.DatetimeIndex([pd.Timestamp(d, tz=IST) for d in sorted(days)])
    report = find_gaps(bars_at(stamps), nse, "1d")
    assert report.missing_sessions == [D(2024, 1, 25)]
    assert report.partial_sessions == []
    assert report.unexpected == 1
    assert report.first_unexpected == pd.Timestamp("2024-01-21", tz=IST)
    # 15-19, Saturday 20 (special), 23-25, 29-31; 22 and 26 (Republic Day) are holidays.
    assert report.sessions_expected == 12
    assert report.misaligned == 0


def test_to_dict_is_json_friendly(nse: TradingCalendar) -> None:
    stamps = full_grid(nse, D(2024, 1, 1), D(2024, 1, 2), "15m")
    report = find_gaps(bars_at(stamps[1:]), nse, "15m")
    data = json.loads(json.dumps(report.to_dict()))
    assert data["calendar"] == "NSE"
    assert data["timeframe"] == "15m"
    assert data["start"] == "2024-01-01"
    assert data["partial_sessions"] == [
        {
            "date": "2024-01-01",
            "expected": 25,
            "present": 24,
            "missing": [["2024-01-01T03:45:00+00:00", "2024-01-01T04:00:00+00:00"]],
        }
    ]
    assert data["totals"]["bars_missing"] == 1


def test_empty_bars_and_bad_input(nse: TradingCalendar) -> None:
    empty = bars_at(pd.DatetimeIndex([], tz="UTC"))
    report = find_gaps(empty, nse, "1m")
    assert report.is_clean
    assert report.sessions_expected == 0
    with pytest.raises(ValueError, match="timezone-aware"):
        find_gaps(empty.assign(timestamp=pd.DatetimeIndex(["2024-01-02 09:15"])), nse, "1m")
    with pytest.raises(ValueError, match="only intraday timeframes and 1d"):
        find_gaps(empty, nse, "2d")


def test_24x7_gaps() -> None:
    cal = get_calendar("24x7")
    stamps = pd.date_range("2018-01-10 04:55", "2018-01-11 23:55", freq="5min", tz="UTC")
    report = find_gaps(bars_at(stamps), cal, "5m")
    assert report.missing_sessions == []
    (gap,) = report.partial_sessions
    assert gap.date == D(2018, 1, 10)
    assert gap.missing == [
        (pd.Timestamp("2018-01-10", tz="UTC"), pd.Timestamp("2018-01-10 04:55", tz="UTC"))
    ]
