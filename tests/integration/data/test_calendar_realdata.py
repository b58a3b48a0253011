"""Calendars, gap detection and resampling against the real files in ../shared/data.

Skipped when the shared data directory is absent. Expected values were read from the files
themselves (and their README) and are asserted here from the files again where cheap.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tronlab.data.calendars import TradingCalendar, get_calendar
from tronlab.data.gaps import find_gaps
from tronlab.data.resample import DROPPED_ATTR, resample

pytestmark = pytest.mark.realdata

D = dt.date
IST = "Asia/Kolkata"
DATA = Path(
    os.environ.get("TRONLAB_SHARED_DATA")
    or Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
)


def load(relative: str) -> pd.DataFrame:
    path = DATA / relative
    if not path.is_file():
        pytest.skip(f"shared data file {path} not available")
    frame = pd.read_csv(path)
    # Offsets differ across DST in US files, so parse to UTC directly.
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return frame


@pytest.fixture(scope="module")
def nse() -> TradingCalendar:
    return get_calendar("NSE")


@pytest.fixture(scope="module")
def nifty_1m() -> pd.DataFrame:
    return load("nse/NIFTY50_1m_2024-01-01_2024-04-30.csv")


def local_dates(frame: pd.DataFrame, tz: str = IST) -> pd.Series:
    return frame["timestamp"].dt.tz_convert(tz).dt.date


# --- NIFTY 50 1m, Jan-Apr 2024 --------------------------------------------------------------


def test_nifty_2024_gap_report(nse: TradingCalendar, nifty_1m: pd.DataFrame) -> None:
    per_day = local_dates(nifty_1m).value_counts()
    # What the file itself shows.
    assert per_day[D(2024, 1, 20)] == 542
    assert per_day[D(2024, 3, 2)] == 105
    for absent in (D(2024, 1, 22), D(2024, 2, 1), D(2024, 3, 4), D(2024, 4, 5)):
        assert absent not in per_day.index

    report = find_gaps(nifty_1m, nse, "1m")
    # 2024-01-22 was a holiday: absent but not missing. 2024-02-01 (interim budget day),
    # 2024-03-04 and 2024-04-05 were normal trading days the source lacks.
    assert report.missing_sessions == [D(2024, 2, 1), D(2024, 3, 4), D(2024, 4, 5)]
    assert D(2024, 1, 22) not in report.missing_sessions
    # Every present session is complete, including the DR-site session of 2024-03-02.
    assert report.partial_sessions == []
    assert report.sessions_expected == 82
    assert report.sessions_complete == 79
    assert report.bars_present == 29522 - 167
    # The 167 flat artefact bars after the 2024-01-20 close (15:30..18:16 IST).
    assert report.unexpected == 167
    assert report.first_unexpected == pd.Timestamp("2024-01-20 15:30", tz=IST)
    assert report.misaligned == 0
    outside = nifty_1m[~nse.in_session_mask(nifty_1m["timestamp"])]
    assert set(local_dates(outside)) == {D(2024, 1, 20)}
    assert outside["timestamp"].max() == pd.Timestamp("2024-01-20 18:16", tz=IST)


def test_nifty_2024_dr_session_bars_match_the_calendar(
    nse: TradingCalendar, nifty_1m: pd.DataFrame
) -> None:
    day = nifty_1m[local_dates(nifty_1m) == D(2024, 3, 2)]
    expected = nse.bar_starts(nse.session(D(2024, 3, 2)), "1m")  # type: ignore[arg-type]
    assert list(day["timestamp"]) == list(expected)


def test_nifty_2024_resampled_to_5m_matches_session_shapes(
    nse: TradingCalendar, nifty_1m: pd.DataFrame
) -> None:
    clean = nifty_1m[nse.in_session_mask(nifty_1m["timestamp"])].reset_index(drop=True)
    five = resample(clean, nse, "5m")
    assert five.attrs[DROPPED_ATTR] == 0
    counts = local_dates(five).value_counts()
    assert counts[D(2024, 3, 2)] == 21  # 9 bars 09:15-09:55 + 12 bars 11:30-12:25
    assert counts[D(2024, 1, 20)] == 75
    assert set(counts.drop([D(2024, 3, 2)])) == {75}
    assert len(five) == 78 * 75 + 21
    # Each session's 5m stamps are exactly the calendar's grid for that session.
    for day, group in five.groupby(local_dates(five)):
        grid = nse.bar_starts(nse.session(day), "5m")  # type: ignore[arg-type]
        assert list(group["timestamp"]) == list(grid), day
    # The same as dropping the artefacts explicitly; 1d from 1m equals 1d from 5m.
    dropped = resample(nifty_1m, nse, "5m", drop_outside=True)
    assert dropped.attrs[DROPPED_ATTR] == 167
    pd.testing.assert_frame_equal(dropped, five, check_like=False)
    pd.testing.assert_frame_equal(resample(clean, nse, "1d"), resample(five, nse, "1d"))
    with pytest.raises(ValueError, match=r"167 of 29522 bars lie outside sessions"):
        resample(nifty_1m, nse, "5m")


def test_gaps_and_resample_run_on_the_whole_nifty_file(
    nse: TradingCalendar, nifty_1m: pd.DataFrame
) -> None:
    # (their speed is a benchmark matter, not an assertion)
    gaps = find_gaps(nifty_1m, nse, "1m")
    five = resample(nifty_1m, nse, "5m", drop_outside=True)
    # the source's 167 flat bars after 15:29 on 2024-01-20 lie outside every session
    assert gaps.unexpected == 167
    assert gaps.bars_present == len(nifty_1m) - 167
    assert len(five) * 5 == gaps.bars_present  # every in-session minute lands in a 5m bar


# --- other NSE files ------------------------------------------------------------------------


def test_reliance_5m_muhurat_2025(nse: TradingCalendar) -> None:
    bars = load("nse/RELIANCE_5m_2025-08-25_2025-12-03.csv")
    report = find_gaps(bars, nse, "5m")
    assert report.is_clean
    assert report.sessions_complete == 69
    muhurat = bars[local_dates(bars) == D(2025, 10, 21)]
    assert len(muhurat) == 12
    assert muhurat["timestamp"].min() == pd.Timestamp("2025-10-21 13:45", tz=IST)
    assert muhurat["timestamp"].max() == pd.Timestamp("2025-10-21 14:40", tz=IST)
    # 2025-10-20 traded normally (75 bars); 2025-10-22 is a holiday.
    assert (local_dates(bars) == D(2025, 10, 20)).sum() == 75
    assert (local_dates(bars) == D(2025, 10, 22)).sum() == 0
    hourly = resample(bars, nse, "1h")
    mh = hourly[local_dates(hourly) == D(2025, 10, 21)]
    assert list(mh["timestamp"]) == [pd.Timestamp("2025-10-21 13:45", tz=IST)]
    assert mh["volume"].iloc[0] == muhurat["volume"].sum()


def test_nifty_2009_pre_2010_hours(nse: TradingCalendar) -> None:
    bars = load("nse/NIFTY50_1m_2009-01-01_2009-06-30.csv")
    first_bar = bars.groupby(local_dates(bars))["timestamp"].min().dt.tz_convert(IST)
    assert (first_bar.dt.strftime("%H:%M") == "09:55").sum() == 116
    report = find_gaps(bars, nse, "1m")
    # The source adds a 15:30 bar (the close) to every full day: outside [09:55, 15:30).
    assert report.unexpected == 116
    assert report.missing_sessions == [D(2009, 4, 20)]  # absent from this source only
    partial = {g.date: (g.expected, g.present) for g in report.partial_sessions}
    # 2009-05-18: trading halted for the day after the election-result upper circuits.
    assert partial == {D(2009, 1, 23): (335, 325), D(2009, 5, 18): (335, 2)}


NSE_DAILY = sorted(p.name for p in (DATA / "nse").glob("*_1d_*.csv")) if DATA.is_dir() else []


@pytest.mark.parametrize("name", NSE_DAILY)
def test_nse_daily_files_have_no_bars_on_non_sessions(nse: TradingCalendar, name: str) -> None:
    bars = load(f"nse/{name}")
    assert nse.session_dates_mask(bars["timestamp"]).all()
    report = find_gaps(bars, nse, "1d")
    assert report.unexpected == 0
    assert report.misaligned == 0


def test_nse_daily_weekend_dates_are_special_sessions(nse: TradingCalendar) -> None:
    bars = load("nse/RELIANCE_1d_2000-01-03_2021-04-30.csv")
    days = local_dates(bars)
    weekend = sorted({d for d in days if d.weekday() >= 5})
    assert len(weekend) == 24
    for day in weekend:
        s = nse.session(day)
        assert s is not None
        assert s.kind == "special", day
    # And the calendar expects no session the file lacks.
    assert find_gaps(bars, nse, "1d").missing_sessions == []


def test_banknifty_15m_sessions(nse: TradingCalendar) -> None:
    bars = load("nse/BANKNIFTY_15m_2018-01-01_2021-12-31.csv")
    report = find_gaps(bars, nse, "15m")
    assert report.unexpected == 0
    assert report.partial_sessions == []
    # The source skips the Muhurat sessions and a few trading days (e.g. the 2021-02-24 outage).
    assert {D(2018, 11, 7), D(2019, 10, 27), D(2020, 11, 14), D(2021, 11, 4)} <= set(
        report.missing_sessions
    )
    assert D(2020, 2, 1) not in report.missing_sessions  # budget Saturday is present


# --- US and crypto --------------------------------------------------------------------------


def test_spy_1m_with_extended_hours() -> None:
    nyse = get_calendar("NYSE")
    bars = load("us/SPY_1m_2013-10-04_2013-10-11.csv")
    report = find_gaps(bars, nyse, "1m")
    inside = nyse.in_session_mask(bars["timestamp"])
    assert report.unexpected == int((~inside).sum())  # pre-/post-market bars
    assert report.sessions_complete == 6
    hourly = resample(bars, nyse, "1h", drop_outside=True)
    assert hourly.attrs[DROPPED_ATTR] == report.unexpected
    first = hourly["timestamp"].dt.tz_convert("America/New_York").dt.strftime("%H:%M")
    assert set(first) == {"09:30", "10:30", "11:30", "12:30", "13:30", "14:30", "15:30"}


def test_crypto_5m_24x7() -> None:
    cal = get_calendar("24x7")
    bars = load("crypto/ETHBTC_5m_2018-01-10_2018-01-30.csv")
    report = find_gaps(bars, cal, "5m")
    assert report.unexpected == 0
    assert report.missing_sessions == []
    assert [(g.date, g.present) for g in report.partial_sessions] == [
        (D(2018, 1, 10), 229),
        (D(2018, 1, 30), 59),
    ]
    daily = resample(bars, cal, "1d")
    assert len(daily) == 21
    assert np.isclose(daily["volume"].sum(), bars["volume"].sum())
