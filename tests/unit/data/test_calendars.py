"""Trading calendars: NSE special days and historical hours, NYSE early closes and DST,
24x7, aliases, vectorised masks and YAML overrides."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tronlab.data.calendars import (
    CalendarDataError,
    Session,
    TradingCalendar,
    calendar_names,
    get_calendar,
    load_overrides,
)

D = dt.date
IST = "Asia/Kolkata"
ET = "America/New_York"


def local(day: str, hhmm: str, tz: str) -> pd.Timestamp:
    return pd.Timestamp(f"{day} {hhmm}", tz=tz).tz_convert("UTC")


@pytest.fixture(scope="module")
def nse() -> TradingCalendar:
    return get_calendar("NSE")


@pytest.fixture(scope="module")
def nyse() -> TradingCalendar:
    return get_calendar("NYSE")


def _windows_local(s: Session, tz: str) -> list[tuple[str, str]]:
    return [
        (a.tz_convert(tz).strftime("%H:%M"), b.tz_convert(tz).strftime("%H:%M"))
        for a, b in s.windows
    ]


# --- NSE ------------------------------------------------------------------------------------


def test_nse_regular_session_is_0915_1530_ist_with_375_one_minute_bars(
    nse: TradingCalendar,
) -> None:
    s = nse.session(D(2024, 1, 2))
    assert s is not None
    assert s.open == local("2024-01-02", "09:15", IST)
    assert s.close == local("2024-01-02", "15:30", IST)
    assert (s.kind, s.breaks, s.uncertain) == ("regular", (), False)
    starts = nse.bar_starts(s, "1m")
    assert len(starts) == 375
    assert starts[0] == s.open
    assert starts[-1] == local("2024-01-02", "15:29", IST)
    assert str(starts.tz) == "UTC"


def test_nse_2024_01_22_is_a_holiday(nse: TradingCalendar) -> None:
    assert not nse.is_session(D(2024, 1, 22))
    assert nse.session(D(2024, 1, 22)) is None


def test_nse_2024_01_20_saturday_full_special_session(nse: TradingCalendar) -> None:
    s = nse.session(D(2024, 1, 20))
    assert s is not None
    assert s.kind == "special"
    assert _windows_local(s, IST) == [("09:15", "15:30")]
    assert len(nse.bar_starts(s, "1m")) == 375


def test_nse_2024_03_02_dr_site_session_has_a_break(nse: TradingCalendar) -> None:
    s = nse.session(D(2024, 3, 2))
    assert s is not None
    assert _windows_local(s, IST) == [("09:15", "10:00"), ("11:30", "12:30")]
    assert s.breaks == ((local("2024-03-02", "10:00", IST), local("2024-03-02", "11:30", IST)),)
    assert s.trading_time == pd.Timedelta(minutes=105)
    starts = nse.bar_starts(s, "1m")
    assert len(starts) == 105
    assert local("2024-03-02", "09:59", IST) in starts
    assert local("2024-03-02", "10:00", IST) not in starts
    assert starts[45] == local("2024-03-02", "11:30", IST)
    # 1h buckets restart after the break: 09:15 (45 min, short) and 11:30.
    assert list(nse.bar_starts(s, "1h")) == [
        local("2024-03-02", "09:15", IST),
        local("2024-03-02", "11:30", IST),
    ]


def test_nse_2024_05_18_dr_site_session(nse: TradingCalendar) -> None:
    s = nse.session(D(2024, 5, 18))
    assert s is not None
    assert len(s.windows) == 2
    assert s.uncertain  # press reports differ on the second window


def test_nse_diwali_2025_muhurat_and_holidays(nse: TradingCalendar) -> None:
    muhurat = nse.session(D(2025, 10, 21))
    assert muhurat is not None
    assert muhurat.kind == "special"
    assert "Muhurat" in muhurat.note
    assert _windows_local(muhurat, IST) == [("13:45", "14:45")]
    assert len(nse.bar_starts(muhurat, "5m")) == 12
    # exchange_calendars (XBOM) closes 2025-10-21 (Laxmi Pujan) and 2025-10-22
    # (Balipratipada); 2025-10-20 was a normal trading day (RELIANCE 5m data has 75 bars).
    assert not nse.is_session(D(2025, 10, 22))
    regular = nse.session(D(2025, 10, 20))
    assert regular is not None
    assert regular.kind == "regular"


@pytest.mark.parametrize(
    ("day", "window"),
    [
        (D(2024, 11, 1), ("18:00", "19:00")),
        (D(2023, 11, 12), ("18:15", "19:15")),
        (D(2018, 11, 7), ("17:30", "18:30")),
    ],
)
def test_nse_muhurat_sessions_in_other_years(
    nse: TradingCalendar, day: dt.date, window: tuple[str, str]
) -> None:
    s = nse.session(day)
    assert s is not None
    assert _windows_local(s, IST) == [window]


@pytest.mark.parametrize("day", [D(2015, 2, 28), D(2020, 2, 1), D(2025, 2, 1)])
def test_nse_budget_saturdays_are_full_sessions(nse: TradingCalendar, day: dt.date) -> None:
    s = nse.session(day)
    assert s is not None
    assert _windows_local(s, IST) == [("09:15", "15:30")]


@pytest.mark.parametrize(
    ("day", "open_", "n_1m"),
    [
        (D(2009, 3, 2), "09:55", 335),  # before 2010-01-04
        (D(2010, 1, 4), "09:00", 390),
        (D(2010, 10, 15), "09:00", 390),
        (D(2010, 10, 18), "09:15", 375),  # pre-open call auction introduced
    ],
)
def test_nse_historical_regular_hours(
    nse: TradingCalendar, day: dt.date, open_: str, n_1m: int
) -> None:
    s = nse.session(day)
    assert s is not None
    assert _windows_local(s, IST) == [(open_, "15:30")]
    assert len(nse.bar_starts(s, "1m")) == n_1m


def test_nse_outage_day_2021_02_24(nse: TradingCalendar) -> None:
    s = nse.session(D(2021, 2, 24))
    assert s is not None
    assert _windows_local(s, IST) == [("09:15", "11:40"), ("15:45", "17:00")]


def test_nse_coverage_is_bounded(nse: TradingCalendar) -> None:
    assert nse.first_date == D(1997, 1, 1)
    assert nse.last_date >= D(2026, 12, 31)
    with pytest.raises(ValueError, match="outside the NSE calendar's coverage"):
        nse.is_session(nse.last_date + dt.timedelta(days=1))
    with pytest.raises(ValueError, match="coverage"):
        nse.in_session_mask(pd.DatetimeIndex(["1990-01-02 05:00"], tz="UTC"))


def test_sessions_range_is_inclusive_and_ordered(nse: TradingCalendar) -> None:
    days = [s.date for s in nse.sessions(D(2024, 1, 18), D(2024, 1, 23))]
    assert days == [D(2024, 1, 18), D(2024, 1, 19), D(2024, 1, 20), D(2024, 1, 23)]
    frame = nse.sessions_frame(D(2024, 3, 1), D(2024, 3, 4))
    assert list(frame["date"]) == [D(2024, 3, 1), D(2024, 3, 2), D(2024, 3, 4)]
    assert list(frame["breaks"]) == [0, 1, 0]
    with pytest.raises(ValueError, match="before start"):
        nse.sessions(D(2024, 1, 5), D(2024, 1, 1))


# --- NYSE -----------------------------------------------------------------------------------


def test_nyse_day_after_thanksgiving_is_an_early_close(nyse: TradingCalendar) -> None:
    s = nyse.session(D(2013, 11, 29))
    assert s is not None
    assert s.kind == "early_close"
    assert _windows_local(s, ET) == [("09:30", "13:00")]
    assert len(nyse.bar_starts(s, "1m")) == 210
    # The last 1h bar is short: 12:30-13:00.
    assert nyse.bar_starts(s, "1h")[-1] == local("2013-11-29", "12:30", ET)
    assert not nyse.is_session(D(2013, 11, 28))  # Thanksgiving


def test_nyse_dst_shifts_the_utc_open(nyse: TradingCalendar) -> None:
    # DST began 2013-03-10 and ended 2013-11-03.
    opens = {
        d: nyse.session(d).open.strftime("%H:%M")  # type: ignore[union-attr]
        for d in (D(2013, 3, 8), D(2013, 3, 11), D(2013, 11, 1), D(2013, 11, 4))
    }
    assert opens == {
        D(2013, 3, 8): "14:30",
        D(2013, 3, 11): "13:30",
        D(2013, 11, 1): "13:30",
        D(2013, 11, 4): "14:30",
    }
    s = nyse.session(D(2013, 3, 11))
    assert s is not None
    assert len(nyse.bar_starts(s, "1m")) == 390


# --- 24x7 and names -------------------------------------------------------------------------


def test_24x7_has_one_utc_session_per_day() -> None:
    cal = get_calendar("CRYPTO")
    assert cal.name == "24x7"
    assert cal is get_calendar("24x7")
    s = cal.session(D(2019, 10, 12))  # a Saturday
    assert s is not None
    assert s.open == pd.Timestamp("2019-10-12", tz="UTC")
    assert s.close == pd.Timestamp("2019-10-13", tz="UTC")
    assert len(cal.bar_starts(s, "1m")) == 1440
    assert cal.bar_starts(s, "1d")[0] == pd.Timestamp("2019-10-12", tz="UTC")


@pytest.mark.parametrize(
    ("alias", "name", "tz"),
    [
        ("NSE", "NSE", IST),
        ("xnse", "NSE", IST),
        ("NFO", "NSE", IST),
        ("BSE", "NSE", IST),
        ("XBOM", "NSE", IST),
        ("NYSE", "NYSE", ET),
        ("XNYS", "NYSE", ET),
        ("us", "NYSE", ET),
        ("24x7", "24x7", "UTC"),
        ("crypto", "24x7", "UTC"),
    ],
)
def test_aliases(alias: str, name: str, tz: str) -> None:
    cal = get_calendar(alias)
    assert (cal.name, cal.tz.key) == (name, tz)
    assert calendar_names()[alias.upper()] == name


def test_unknown_calendar_lists_valid_names() -> None:
    with pytest.raises(ValueError, match=r"unknown calendar 'LSE'.*NSE.*NYSE"):
        get_calendar("LSE")


def test_calendars_are_cached() -> None:
    assert get_calendar("NSE") is get_calendar("xnse")


# --- vectorised masks and lookups -----------------------------------------------------------


def test_in_session_mask_excludes_breaks_and_non_sessions(nse: TradingCalendar) -> None:
    ts = pd.DatetimeIndex(
        [
            "2024-03-02 09:15",  # open
            "2024-03-02 09:59",  # last minute before the break
            "2024-03-02 10:00",  # in the break
            "2024-03-02 11:30",  # after the break
            "2024-03-02 12:30",  # close (exclusive)
            "2024-01-22 10:00",  # holiday
            "2024-01-02 09:14",  # before the open
            "2024-01-02 15:29",
            "2024-01-02 15:30",
        ],
        tz=IST,
    )
    mask = nse.in_session_mask(ts)
    assert mask.dtype == bool
    assert mask.tolist() == [True, True, False, True, False, False, False, True, False]
    # Series and UTC input give the same answer; NaT is False.
    series = pd.Series(ts.tz_convert("UTC")).astype("datetime64[ns, UTC]")
    assert nse.in_session_mask(series).tolist() == mask.tolist()
    with_nat = pd.DatetimeIndex([pd.NaT, ts[0]])
    assert nse.in_session_mask(with_nat).tolist() == [False, True]


def test_in_session_mask_rejects_naive_timestamps(nse: TradingCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        nse.in_session_mask(pd.DatetimeIndex(["2024-01-02 09:15"]))


def test_session_dates_mask_for_daily_bars(nse: TradingCalendar) -> None:
    ts = pd.DatetimeIndex(
        ["2024-01-19", "2024-01-20", "2024-01-21", "2024-01-22", "2024-01-23"], tz=IST
    )
    assert nse.session_dates_mask(ts).tolist() == [True, True, False, False, True]
    # Same instants given in UTC (the previous evening) still map to the IST date.
    assert nse.session_dates_mask(ts.tz_convert("UTC")).tolist() == [
        True,
        True,
        False,
        False,
        True,
    ]


def test_session_of(nse: TradingCalendar) -> None:
    in_break = local("2024-03-02", "10:30", IST)
    s = nse.session_of(in_break)
    assert s is not None
    assert s.date == D(2024, 3, 2)
    assert nse.session_of(local("2024-03-02", "12:30", IST)) is None
    assert nse.session_of(local("2024-01-22", "10:00", IST)) is None
    muhurat = nse.session_of(pd.Timestamp("2025-10-21 14:00", tz=IST))
    assert muhurat is not None
    assert muhurat.date == D(2025, 10, 21)


def test_bar_starts_rejects_multi_day_timeframes(nse: TradingCalendar) -> None:
    s = nse.session(D(2024, 1, 2))
    assert s is not None
    assert nse.bar_starts(s, "1d")[0] == pd.Timestamp("2024-01-02", tz=IST)
    with pytest.raises(ValueError, match="not supported"):
        nse.bar_starts(s, "2d")


def test_bar_grid_matches_bar_starts(nse: TradingCalendar) -> None:
    grid = nse.bar_grid(D(2024, 2, 28), D(2024, 3, 5), "15m")
    expected = np.concatenate(
        [nse.bar_starts(s, "15m").asi8 for s in nse.sessions(D(2024, 2, 28), D(2024, 3, 5))]
    )
    np.testing.assert_array_equal(grid.start, expected)
    assert np.all(grid.end - grid.start <= 15 * 60 * 10**9)
    assert np.all(grid.end > grid.start)


def test_packaged_nse_data_entries_are_all_sessions(nse: TradingCalendar) -> None:
    data = load_overrides(
        Path(__file__).resolve().parents[3] / "src/tronlab/data/calendar_data/nse.yaml"
    )
    assert data.calendar == "NSE"
    for sp in data.special_sessions:
        s = nse.session(sp.date)
        assert s is not None, sp.date
        assert s.uncertain == sp.uncertain
    for h in data.holidays:
        assert not nse.is_session(h.date)


# --- overrides ------------------------------------------------------------------------------


def _write(tmp_path: Path, text: str, name: str = "extra.yaml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_override_file_adds_a_holiday_and_a_special_session(
    tmp_path: Path, nse: TradingCalendar
) -> None:
    path = _write(
        tmp_path,
        """
        version: 1
        calendar: NSE
        holidays:
          - date: 2024-01-03
            note: test closure
        special_sessions:
          - date: 2024-01-06
            windows: [["10:00", "11:00"], ["12:00", "12:30"]]
            note: test Saturday session
            uncertain: true
          - date: 2024-01-04
            windows: [["09:15", "13:00"]]
            kind: early_close
        """,
    )
    cal = get_calendar("NSE", overrides=[path])
    assert cal is not nse
    assert not cal.is_session(D(2024, 1, 3))
    assert nse.is_session(D(2024, 1, 3))  # the cached base calendar is untouched
    sat = cal.session(D(2024, 1, 6))
    assert sat is not None
    assert (sat.kind, sat.note, sat.uncertain) == ("special", "test Saturday session", True)
    assert _windows_local(sat, IST) == [("10:00", "11:00"), ("12:00", "12:30")]
    assert len(cal.bar_starts(sat, "1m")) == 90
    early = cal.session(D(2024, 1, 4))
    assert early is not None
    assert early.kind == "early_close"
    assert early.close == local("2024-01-04", "13:00", IST)
    assert str(path.resolve()) in cal.sources
    # The packaged data still applies underneath.
    assert cal.is_session(D(2024, 3, 2))
    # Same file, same content -> the cached calendar; edited content -> a new one.
    assert get_calendar("NSE", overrides=[path]) is cal
    path.write_text(path.read_text().replace("2024-01-03", "2024-01-05"), encoding="utf-8")
    edited = get_calendar("NSE", overrides=[path])
    assert edited.is_session(D(2024, 1, 3))
    assert not edited.is_session(D(2024, 1, 5))


def test_later_override_wins_and_regular_hours_can_change(tmp_path: Path) -> None:
    first = _write(
        tmp_path,
        """
        version: 1
        holidays:
          - date: 2024-01-03
        """,
        "a.yaml",
    )
    second = _write(
        tmp_path,
        """
        version: 1
        regular_hours:
          - from: 2024-01-08
            open: "10:00"
            close: "15:00"
        special_sessions:
          - date: 2024-01-03
        """,
        "b.yaml",
    )
    cal = get_calendar("NSE", overrides=[first, second])
    s = cal.session(D(2024, 1, 3))  # re-opened by the later file, with regular hours
    assert s is not None
    assert _windows_local(s, IST) == [("09:15", "15:30")]
    later = cal.session(D(2024, 1, 8))
    assert later is not None
    assert _windows_local(later, IST) == [("10:00", "15:00")]


def test_nyse_override_special_session(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
        version: 1
        calendar: US
        special_sessions:
          - date: 2013-11-28
            windows: [["09:30", "12:00"]]
            kind: early_close
        """,
    )
    cal = get_calendar("NYSE", overrides=[path])
    s = cal.session(D(2013, 11, 28))
    assert s is not None
    assert s.close == local("2013-11-28", "12:00", ET)


@pytest.mark.parametrize(
    ("body", "pattern"),
    [
        ("holidays: []\n", r"version: must be 1"),
        (
            "version: 1\nholiday:\n  - date: 2024-01-03\n",
            r"<top level>: unknown key\(s\) \['holiday'\]",
        ),
        (
            "version: 1\nholidays:\n  - date: 2024-13-03\n",
            r"holidays\[0\]\.date: expected a date YYYY-MM-DD",
        ),
        (
            "version: 1\nspecial_sessions:\n  - date: 2024-01-06\n    windows: [[9:15, '10:00']]\n",
            r"special_sessions\[0\]\.windows\[0\]\[0\]: got the number 555.*quoted",
        ),
        (
            "version: 1\nspecial_sessions:\n  - date: 2024-01-06\n"
            "    windows: [['09:15', '11:00'], ['10:30', '12:00']]\n",
            r"special_sessions\[0\]\.windows\[1\]: window starting 10:30",
        ),
        (
            "version: 1\nspecial_sessions:\n  - date: 2024-01-06\n"
            "    windows: [['11:00', '10:00']]\n",
            r"windows\[0\]: close 10:00 is not after open 11:00",
        ),
        (
            "version: 1\nspecial_sessions:\n  - date: 2024-01-06\n    kind: muhurat\n",
            r"special_sessions\[0\]\.kind: must be one of",
        ),
        (
            "version: 1\nholidays:\n  - date: 2024-01-03\n"
            "special_sessions:\n  - date: 2024-01-03\n",
            r"special_sessions\[0\]\.date: 2024-01-03 is listed twice",
        ),
        ("version: 1\ncalendar: NYSE\n", r"calendar: file is for 'NYSE', but was applied to NSE"),
        ("version: 1\nholidays:\n  - date: 2031-01-01\n", r"outside the calendar's coverage"),
        ("version: 1\nholidays: [\n", r"invalid YAML"),
        (
            "version: 1\nregular_hours:\n  - open: '09:00'\n    close: '15:00'\n",
            r"missing key 'from'",
        ),
        (
            "version: 1\nholidays:\n  - date: 2024-01-03\n    uncertain: maybe\n",
            r"holidays\[0\]\.uncertain: must be true or false",
        ),
    ],
)
def test_malformed_override_files_give_clear_errors(
    tmp_path: Path, body: str, pattern: str
) -> None:
    path = _write(tmp_path, body, "bad.yaml")
    with pytest.raises(CalendarDataError, match=pattern) as info:
        get_calendar("NSE", overrides=[path])
    assert "bad.yaml" in str(info.value) or "NSE:" in str(info.value)


def test_missing_override_file(tmp_path: Path) -> None:
    with pytest.raises(CalendarDataError, match=r"nope\.yaml: cannot read"):
        get_calendar("NSE", overrides=[tmp_path / "nope.yaml"])
