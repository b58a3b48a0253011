"""CSV import: exact line numbers and codes per bad row, error policies, name inference."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from tronlab.data.bars import BAR_COLUMNS
from tronlab.data.calendars import get_calendar
from tronlab.data.importing import (
    CalendarAmbiguous,
    CsvFormatError,
    import_csv_files,
    infer_symbol_timeframe,
    read_bar_csv,
)
from tronlab.data.store import BarStore, SeriesNotFound
from tronlab.data.validation import IssueCode as C
from tronlab.data.validation import Severity

HEADER = "timestamp,open,high,low,close,volume"


def write(path: Path, *lines: str, newline: str = "\n") -> Path:
    path.write_bytes((newline.join(lines) + newline).encode("utf-8"))
    return path


def codes(parsed_issues: list) -> list[tuple[int, str]]:
    return [(i.line, str(i.code)) for i in parsed_issues]


# One row per kind of problem (line numbers in the comments), NSE 1m bars on Tue 2024-01-02.
BAD_ROWS = [
    HEADER,  # 1
    "2024-01-02T09:15:00+05:30,100,101,99,100.5,10",  # 2 ok
    "2024-01-02T09:16:00+05:30,100,101,99,,10",  # 3 close empty
    "yesterday,100,101,99,100,10",  # 4
    "2024-01-02T09:17:00+05:30,abc,101,99,100,10",  # 5
    "2024-01-02T09:18:00+05:30,-1,101,-2,100,10",  # 6
    "2024-01-02T09:19:00+05:30,100,101,99,100,-5",  # 7
    "2024-01-02T09:20:00+05:30,100,99.5,98,100.5,10",  # 8 high below open and close
    "2024-01-02T09:20:00+05:30,100,101,99,100,10",  # 9 same time as line 8
    "2024-01-02T09:19:30+05:30,100,101,99,100,10",  # 10 before 09:20, and off the 1m grid
    "2024-01-02T09:21:00,100,101,99,100,10",  # 11 no offset
    "2024-01-02T09:22:00+05:30,0,101,99,100,10",  # 12 zero open (also below low)
    "2024-01-02T09:23:00+05:30,100,101,99,100",  # 13 five fields
    "2024-01-02T09:24:00+05:30,100,101,99,100.25,7",  # 14 ok
    "2024-01-02T15:30:00+05:30,100,101,99,100,10",  # 15 at the 15:30 close
]
BAD_ROWS_EXPECTED = [
    (3, C.MISSING_VALUE),
    (4, C.BAD_TIMESTAMP),
    (5, C.BAD_NUMBER),
    (6, C.NEGATIVE_PRICE),
    (7, C.NEGATIVE_VOLUME),
    (8, C.OHLC_INCONSISTENT),
    (9, C.DUPLICATE_TIMESTAMP),
    (10, C.OUT_OF_ORDER),
    (10, C.MISALIGNED),
    (11, C.NAIVE_TIMESTAMP),
    (12, C.ZERO_PRICE),
    (12, C.OHLC_INCONSISTENT),
    (13, C.FIELD_COUNT),
    (13, C.MISSING_VALUE),
    (15, C.OUTSIDE_SESSION),
]


def test_every_kind_of_bad_row_is_reported_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path / "x.csv", *BAD_ROWS)
    parsed = read_bar_csv(path, timeframe="1m")
    assert parsed.rows == 14
    assert parsed.calendar == "NSE"
    assert codes(parsed.issues) == [(line, str(code)) for line, code in BAD_ROWS_EXPECTED]
    assert all(i.severity == Severity.ERROR for i in parsed.issues)
    assert parsed.bad_lines == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15]
    # the good rows, as a canonical frame
    assert list(parsed.bars.columns) == list(BAR_COLUMNS)
    assert str(parsed.bars["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert list(parsed.bars["timestamp"]) == [
        pd.Timestamp("2024-01-02T03:45Z"),
        pd.Timestamp("2024-01-02T03:54Z"),
    ]
    assert list(parsed.bars["close"]) == [100.5, 100.25]
    by_line = {(i.line, str(i.code)): i for i in parsed.issues}
    assert by_line[(3, "MISSING_VALUE")].message == "close is empty"
    assert by_line[(5, "BAD_NUMBER")].message == "open 'abc' is not a finite number"
    assert by_line[(6, "NEGATIVE_PRICE")].message == "negative price: open -1.0, low -2.0"
    assert by_line[(8, "OHLC_INCONSISTENT")].message == (
        "high 99.5 < open 100.0; high 99.5 < close 100.5"
    )
    assert by_line[(9, "DUPLICATE_TIMESTAMP")].message == (
        "timestamp 2024-01-02T09:20:00+05:30 already on line 8 (different values)"
    )
    assert by_line[(10, "OUT_OF_ORDER")].message == (
        "timestamp 2024-01-02T09:19:30+05:30 is earlier than 2024-01-02T09:20:00+05:30 on line 8"
    )
    assert by_line[(13, "FIELD_COUNT")].message == "expected 6 fields, found 5"
    assert by_line[(15, "OUTSIDE_SESSION")].message == (
        "bar at 2024-01-02 15:30 NSE time is outside the regular session"
    )
    assert by_line[(4, "BAD_TIMESTAMP")].raw == "yesterday,100,101,99,100,10"
    assert all(i.file == str(path) for i in parsed.issues)


def test_fast_and_csv_module_paths_agree(tmp_path: Path) -> None:
    # without the ragged line 13 the file takes the fast path; with a quoted field, csv's path
    rows = [r for r in BAD_ROWS if r != BAD_ROWS[12]]
    fast = read_bar_csv(write(tmp_path / "fast.csv", *rows), timeframe="1m")
    quoted = [rows[0], rows[1].replace(",100,", ',"100",', 1), *rows[2:]]
    slow = read_bar_csv(write(tmp_path / "slow.csv", *quoted), timeframe="1m")
    expected = [(ln, str(c)) for ln, c in BAD_ROWS_EXPECTED if ln != 13]
    expected = [(ln - 1 if ln > 13 else ln, c) for ln, c in expected]
    assert codes(fast.issues) == expected
    assert codes(slow.issues) == expected
    pd.testing.assert_frame_equal(fast.bars, slow.bars)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("quoted", [False, True])
def test_line_numbers_count_blank_lines_and_quoted_newlines(
    tmp_path: Path, newline: str, quoted: bool
) -> None:
    third = (
        '2024-01-02T09:17:00+05:30,"1\n00",101,99,100,10'
        if quoted
        else "2024-01-02T09:17:00+05:30,1x,101,99,100,10"
    )
    lines = [
        HEADER,  # 1
        "",  # 2
        "2024-01-02T09:15:00+05:30,100,101,99,100.5,10",  # 3
        "",  # 4
        "   ",  # 5 whitespace only: blank
        third,  # 6 (and 7 when quoted)
        "2024-01-02T09:18:00+05:30,100,101,99,100,-1",  # 7 or 8
        "",
    ]
    path = write(tmp_path / "x.csv", *lines, newline=newline)
    parsed = read_bar_csv(path, timeframe="1m")
    last = 8 if quoted else 7
    assert parsed.rows == 3
    assert codes(parsed.issues) == [(6, "BAD_NUMBER"), (last, "NEGATIVE_VOLUME")]
    assert parsed.issues[0].raw == third  # verbatim, the quoted line break included
    assert parsed.issues[1].raw == "2024-01-02T09:18:00+05:30,100,101,99,100,-1"
    assert len(parsed.bars) == 1


def test_header_after_leading_blank_lines_and_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(
        b"\xef\xbb\xbf\n\nTimestamp, Open ,High,Low,Close,Volume\n"
        b"2024-01-02T09:15:00+05:30,100,101,99,100.5,10\n"
        b"2024-01-02T09:16:00+05:30,100,101,99,100.5,-3\n"
    )
    parsed = read_bar_csv(path, timeframe="1m")
    assert codes(parsed.issues) == [(5, "NEGATIVE_VOLUME")]


def test_extra_columns_are_reported_once_as_info(tmp_path: Path) -> None:
    path = write(
        tmp_path / "x.csv",
        f"{HEADER},oi,note",
        "2024-01-02T09:15:00+05:30,100,101,99,100.5,10,5,a",
        "2024-01-02T09:16:00+05:30,100,101,99,100.5,10,6,b",
    )
    parsed = read_bar_csv(path, timeframe="1m")
    assert codes(parsed.issues) == [(1, "EXTRA_COLUMNS")]
    assert parsed.issues[0].severity == Severity.INFO
    assert parsed.issues[0].message == "ignored extra column(s): oi, note"
    assert parsed.bad_lines == []
    assert len(parsed.bars) == 2


def test_missing_header_columns_fail_the_file(tmp_path: Path) -> None:
    path = write(
        tmp_path / "x.csv", "timestamp,open,high,low,close", "2024-01-02T09:15:00Z,1,1,1,1"
    )
    with pytest.raises(CsvFormatError, match=r"line 1: the header lacks \['volume'\]"):
        read_bar_csv(path, timeframe="1m")
    with pytest.raises(CsvFormatError, match="empty file"):
        read_bar_csv(write(tmp_path / "empty.csv", "", ""), timeframe="1m")


def test_header_only_file_has_no_rows(tmp_path: Path) -> None:
    parsed = read_bar_csv(write(tmp_path / "x.csv", HEADER), timeframe="1m", calendar="NSE")
    assert parsed.rows == 0
    assert parsed.issues == []
    assert parsed.bars.empty
    assert parsed.calendar == "NSE"


# ---------------------------------------------------------------------- naive timestamps


NAIVE = [
    HEADER,
    "2024-01-02 09:15:00,100,101,99,100.5,10",
    "2024-01-02T09:16:00,100,101,99,100.5,10",
]


def test_naive_timestamps_need_tz(tmp_path: Path) -> None:
    path = write(tmp_path / "x.csv", *NAIVE)
    parsed = read_bar_csv(path, timeframe="1m")
    assert codes(parsed.issues) == [(2, "NAIVE_TIMESTAMP"), (3, "NAIVE_TIMESTAMP")]
    assert "--tz Asia/Kolkata" in parsed.issues[0].message
    assert parsed.bars.empty


def test_naive_timestamps_with_tz(tmp_path: Path) -> None:
    path = write(tmp_path / "x.csv", *NAIVE)
    parsed = read_bar_csv(path, timeframe="1m", tz="Asia/Kolkata")
    assert parsed.issues == []
    assert parsed.calendar == "NSE"  # inferred from the zone
    assert list(parsed.bars["timestamp"]) == [
        pd.Timestamp("2024-01-02T03:45Z"),
        pd.Timestamp("2024-01-02T03:46Z"),
    ]


def test_nonexistent_and_ambiguous_local_times_are_bad(tmp_path: Path) -> None:
    path = write(
        tmp_path / "x.csv",
        HEADER,
        "2024-03-10T01:59:00,1,1,1,1,1",
        "2024-03-10T02:30:00,1,1,1,1,1",  # skipped by the spring-forward change
        "2024-11-03T01:30:00,1,1,1,1,1",  # happens twice
        "2024-11-03T03:00:00,1,1,1,1,1",
    )
    parsed = read_bar_csv(path, timeframe="1m", tz="America/New_York", session="any")
    assert codes(parsed.issues) == [(3, "BAD_TIMESTAMP"), (4, "BAD_TIMESTAMP")]
    assert parsed.calendar == "NYSE"
    assert list(parsed.bars["timestamp"]) == [
        pd.Timestamp("2024-03-10T06:59Z"),
        pd.Timestamp("2024-11-03T08:00Z"),
    ]


def test_offsets_win_over_tz(tmp_path: Path) -> None:
    path = write(tmp_path / "x.csv", HEADER, "2024-01-02T09:15:00+05:30,1,1,1,1,1")
    parsed = read_bar_csv(path, timeframe="1m", tz="America/New_York", session="any")
    assert parsed.bars["timestamp"].iloc[0] == pd.Timestamp("2024-01-02T03:45Z")


def test_unknown_tz_fails_fast(tmp_path: Path) -> None:
    path = write(tmp_path / "x.csv", *NAIVE)
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        read_bar_csv(path, timeframe="1m", tz="Mars/Olympus")
    with pytest.raises(ValueError, match="unknown time zone"):
        import_csv_files(BarStore(tmp_path / "s"), [path], symbol="X", timeframe="1m", tz="Mars")
    with pytest.raises(ValueError, match="unknown calendar"):
        import_csv_files(
            BarStore(tmp_path / "s"), [path], symbol="X", timeframe="1m", calendar="LSE"
        )


# ---------------------------------------------------------------------- calendars and sessions


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2024-01-02T09:15:00+05:30", "NSE"),
        ("2024-01-02T09:30:00-05:00", "NYSE"),
        ("2024-07-02T09:30:00-04:00", "NYSE"),
        ("2024-01-02T09:30:00+00:00", "24x7"),
        ("2024-01-02T09:30:00Z", "24x7"),
    ],
)
def test_calendar_is_inferred_from_offsets(tmp_path: Path, stamp: str, expected: str) -> None:
    parsed = read_bar_csv(write(tmp_path / "x.csv", HEADER, f"{stamp},1,1,1,1,1"), timeframe="1m")
    assert parsed.calendar == expected
    assert parsed.issues == []


def test_ambiguous_offsets_ask_for_a_calendar(tmp_path: Path) -> None:
    path = write(
        tmp_path / "x.csv",
        HEADER,
        "2024-01-02T09:15:00+05:30,1,1,1,1,1",
        "2024-01-02T09:30:00-05:00,1,1,1,1,1",
    )
    with pytest.raises(CalendarAmbiguous, match=r"\+05:30, -05:00.*--calendar"):
        read_bar_csv(path, timeframe="1m")
    single = write(tmp_path / "y.csv", HEADER, "2024-01-02T09:15:00+01:00,1,1,1,1,1")
    with pytest.raises(CalendarAmbiguous, match=r"\+01:00"):
        read_bar_csv(single, timeframe="1m")
    # without session checks no calendar is needed
    parsed = read_bar_csv(path, timeframe="1m", session="any")
    assert parsed.calendar is None
    assert parsed.issues == []
    # naming one settles it
    parsed = read_bar_csv(single, timeframe="1m", calendar="24x7")
    assert parsed.calendar == "24x7"


def test_daily_bars_on_non_sessions_and_off_midnight(tmp_path: Path) -> None:
    path = write(
        tmp_path / "x.csv",
        HEADER,
        "2024-01-05T00:00:00+05:30,1,1,1,1,1",  # Friday
        "2024-01-07T00:00:00+05:30,1,1,1,1,1",  # Sunday
        "2024-01-08T09:15:00+05:30,1,1,1,1,1",  # not at 00:00 IST
        "2024-01-20T00:00:00+05:30,1,1,1,1,1",  # special Saturday session
        "2024-01-22T00:00:00+05:30,1,1,1,1,1",  # holiday
    )
    parsed = read_bar_csv(path, timeframe="1d")
    assert codes(parsed.issues) == [(3, "NOT_A_SESSION"), (4, "MISALIGNED"), (6, "NOT_A_SESSION")]
    assert parsed.issues[0].message == "2024-01-07 (Sun) is not a NSE session"
    assert len(parsed.bars) == 2
    assert codes(read_bar_csv(path, timeframe="1d", session="any").issues) == [(4, "MISALIGNED")]


def test_intraday_special_sessions_and_breaks(tmp_path: Path) -> None:
    path = write(
        tmp_path / "x.csv",
        HEADER,
        "2024-01-20T09:15:00+05:30,1,1,1,1,1",  # special Saturday
        "2024-01-20T15:29:00+05:30,1,1,1,1,1",
        "2024-01-20T15:30:00+05:30,1,1,1,1,1",  # after its close
        "2024-03-02T09:59:00+05:30,1,1,1,1,1",  # DR session, first window
        "2024-03-02T10:30:00+05:30,1,1,1,1,1",  # in its break
        "2024-03-02T11:30:00+05:30,1,1,1,1,1",  # second window
        "2024-03-03T10:00:00+05:30,1,1,1,1,1",  # Sunday
    )
    parsed = read_bar_csv(path, timeframe="1m")
    assert codes(parsed.issues) == [
        (4, "OUTSIDE_SESSION"),
        (6, "OUTSIDE_SESSION"),
        (8, "OUTSIDE_SESSION"),
    ]


def test_extended_and_any_sessions(tmp_path: Path) -> None:
    path = write(
        tmp_path / "x.csv",
        HEADER,
        "2024-01-02T03:59:00-05:00,1,1,1,1,1",  # before pre-market
        "2024-01-02T04:00:00-05:00,1,1,1,1,1",  # pre-market
        "2024-01-02T09:30:00-05:00,1,1,1,1,1",  # regular
        "2024-01-02T19:59:00-05:00,1,1,1,1,1",  # post-market
        "2024-01-02T20:00:00-05:00,1,1,1,1,1",  # after post-market
        "2024-01-06T10:00:00-05:00,1,1,1,1,1",  # Saturday
    )
    regular = read_bar_csv(path, timeframe="1m")
    assert [ln for ln, _ in codes(regular.issues)] == [2, 3, 5, 6, 7]
    extended = read_bar_csv(path, timeframe="1m", session="extended")
    assert codes(extended.issues) == [(2, "OUTSIDE_SESSION"), (6, "OUTSIDE_SESSION"),
                                      (7, "OUTSIDE_SESSION")]  # fmt: skip
    assert read_bar_csv(path, timeframe="1m", session="any").issues == []
    with pytest.raises(ValueError, match="session must be one of"):
        read_bar_csv(path, timeframe="1m", session="pre")


def test_grid_alignment_accepts_clock_and_session_grids(tmp_path: Path) -> None:
    path = write(
        tmp_path / "x.csv",
        HEADER,
        "2024-01-02T09:15:00+05:30,1,1,1,1,1",  # session open
        "2024-01-02T10:00:00+05:30,1,1,1,1,1",  # on the clock hour
        "2024-01-02T10:15:00+05:30,1,1,1,1,1",  # open + 1h
        "2024-01-02T10:20:00+05:30,1,1,1,1,1",  # neither
    )
    parsed = read_bar_csv(path, timeframe="1h")
    assert codes(parsed.issues) == [(5, "MISALIGNED")]
    assert parsed.issues[0].message == "2024-01-02 10:20:00 NSE time is off the 1h grid"
    fifteen = read_bar_csv(path, timeframe="15m")
    assert codes(fifteen.issues) == [(5, "MISALIGNED")]


def test_calendar_object_with_overrides(tmp_path: Path) -> None:
    overrides = tmp_path / "nse-extra.yaml"
    overrides.write_text(
        'version: 1\ncalendar: NSE\nholidays:\n  - date: 2024-01-02\n    note: "test"\n'
    )
    cal = get_calendar("NSE", overrides=[overrides])
    path = write(tmp_path / "x.csv", HEADER, "2024-01-02T00:00:00+05:30,1,1,1,1,1")
    assert codes(read_bar_csv(path, timeframe="1d", calendar=cal).issues) == [(2, "NOT_A_SESSION")]
    assert read_bar_csv(path, timeframe="1d").issues == []
    # overrides also apply to a calendar given by name or inferred
    assert codes(read_bar_csv(path, timeframe="1d", calendar_overrides=[overrides]).issues) == [
        (2, "NOT_A_SESSION")
    ]
    named = tmp_path / "NIFTY50_1d_2024-01-02_2024-01-02.csv"
    named.write_bytes(path.read_bytes())
    report = import_csv_files(
        BarStore(tmp_path / "store"), [named], calendar="NSE", calendar_overrides=[overrides]
    )
    assert report.files[0].issues_by_code() == {"NOT_A_SESSION": 1}


def test_dates_outside_the_calendar_coverage_are_flagged(tmp_path: Path) -> None:
    path = write(
        tmp_path / "x.csv",
        HEADER,
        "1990-01-02T00:00:00+05:30,1,1,1,1,1",
        "2024-01-02T00:00:00+05:30,1,1,1,1,1",
    )
    parsed = read_bar_csv(path, timeframe="1d")
    assert codes(parsed.issues) == [(2, "NOT_A_SESSION")]
    assert "coverage" in parsed.issues[0].message
    assert read_bar_csv(path, timeframe="1d", session="any").issues == []


# ---------------------------------------------------------------------- warnings


def test_price_jump_is_a_warning_and_the_row_is_kept(tmp_path: Path) -> None:
    path = write(
        tmp_path / "x.csv",
        HEADER,
        "2014-06-06T15:59:00-04:00,645,646,644,645.5,100",
        "2014-06-09T09:30:00-04:00,92.7,93,92,92.9,100",  # 7:1 split
        "2014-06-09T09:31:00-04:00,92.9,93,92,92.8,100",
    )
    parsed = read_bar_csv(path, timeframe="1m")
    assert codes(parsed.issues) == [(3, "PRICE_JUMP")]
    issue = parsed.issues[0]
    assert issue.severity == Severity.WARNING
    assert issue.message.startswith("close-to-open move -85.6% from the previous close 645.5")
    assert len(parsed.bars) == 3
    assert read_bar_csv(path, timeframe="1m", jump_threshold=None).issues == []
    assert read_bar_csv(path, timeframe="1m", jump_threshold=0.9).issues == []


# ---------------------------------------------------------------------- file names


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("NIFTY50_1m_2024-01-01_2024-04-30.csv", ("NIFTY50", "1m")),
        ("BANK_NIFTY_15m_2018-01-01_2021-12-31.csv", ("BANK_NIFTY", "15m")),
        ("NIFTY23JUN_OPT_1m_2023-06-05_2023-06-05.csv", ("NIFTY23JUN_OPT", "1m")),
        ("aapl_1d.csv", ("AAPL", "1d")),
        ("M&M_1h_20240101_20240131.csv", ("M&M", "1h")),
    ],
)
def test_symbol_and_timeframe_from_file_name(name: str, expected: tuple[str, str]) -> None:
    assert infer_symbol_timeframe(Path("/data") / name) == expected


@pytest.mark.parametrize("name", ["prices.csv", "NIFTY50.csv", "NIFTY50_1w_2024.csv", "_1m.csv"])
def test_file_name_without_the_convention(name: str) -> None:
    with pytest.raises(ValueError, match=r"--symbol, --timeframe"):
        infer_symbol_timeframe(name)


# ---------------------------------------------------------------------- import_csv_files


GOOD_AND_BAD = [
    HEADER,
    "2024-01-02T09:15:00+05:30,100,101,99,100.5,10",
    "2024-01-02T09:16:00+05:30,100,99,98,100.5,10",
    "2024-01-02T09:17:00+05:30,0,101,99,100,10",
    '2024-01-02T09:18:00+05:30,"1',
    '00",101,99,100,10',
    "2024-01-02T09:19:00+05:30,100.5,101,99,100.75,12",
]


@pytest.fixture
def store(tmp_path: Path) -> BarStore:
    return BarStore(tmp_path / "store")


def test_reject_imports_nothing_from_a_file_with_errors(tmp_path: Path, store: BarStore) -> None:
    bad = write(tmp_path / "NIFTY50_1m_2024-01-02_2024-01-02.csv", *GOOD_AND_BAD)
    good = write(tmp_path / "BANKNIFTY_1m_2024-01-02_2024-01-02.csv", *GOOD_AND_BAD[:2])
    report = import_csv_files(store, [bad, good])
    assert not report.ok
    first, second = report.files
    assert (first.status, first.rows, first.imported, first.bad_rows) == ("failed", 5, 0, 3)
    assert first.issues_by_code() == {"BAD_NUMBER": 1, "OHLC_INCONSISTENT": 2, "ZERO_PRICE": 1}
    assert "3 of 5 rows have errors; nothing imported" in (first.error or "")
    with pytest.raises(SeriesNotFound):
        store.read("NIFTY50", "1m")
    assert (second.status, second.imported, second.inserted) == ("ok", 1, 1)
    assert store.info("BANKNIFTY", "1m").sources == ("BANKNIFTY_1m_2024-01-02_2024-01-02.csv",)
    data = report.to_dict()
    json.dumps(data)  # JSON-friendly
    assert data["ok"] is False
    assert data["totals"]["failed"] == 1
    assert [i["line"] for i in data["files"][0]["issues"]] == [3, 4, 4, 5]


def test_skip_imports_good_rows_and_lists_the_bad(tmp_path: Path, store: BarStore) -> None:
    path = write(tmp_path / "NIFTY50_1m_2024-01-02_2024-01-02.csv", *GOOD_AND_BAD)
    report = import_csv_files(store, [path], on_error="skip")
    assert report.ok
    f = report.files[0]
    assert (f.status, f.rows, f.imported, f.bad_rows, f.inserted) == ("partial", 5, 2, 3, 2)
    assert f.imported + f.bad_rows == f.rows
    assert f.quarantine_file is None
    assert f.calendar == "NSE"
    out = store.read("NIFTY50", "1m")
    assert list(out["close"]) == [100.5, 100.75]
    assert store.info("NIFTY50", "1m").calendar == "NSE"


def test_quarantine_writes_bad_rows_verbatim(tmp_path: Path, store: BarStore) -> None:
    path = write(tmp_path / "NIFTY50_1m_2024-01-02_2024-01-02.csv", *GOOD_AND_BAD)
    qdir = tmp_path / "quarantine"
    report = import_csv_files(store, [path], on_error="quarantine", quarantine_dir=qdir)
    f = report.files[0]
    assert (f.status, f.imported, f.bad_rows) == ("partial", 2, 3)
    qfile = qdir / "NIFTY50_1m_2024-01-02_2024-01-02.quarantine.csv"
    assert f.quarantine_file == str(qfile)
    assert qfile.read_text(encoding="utf-8") == (
        "timestamp,open,high,low,close,volume,line,code,message\n"
        "2024-01-02T09:16:00+05:30,100,99,98,100.5,10,3,OHLC_INCONSISTENT,"
        "high 99.0 < open 100.0; high 99.0 < close 100.5\n"
        "2024-01-02T09:17:00+05:30,0,101,99,100,10,4,ZERO_PRICE;OHLC_INCONSISTENT,"
        "zero price: open 0.0; low 99.0 > open 0.0\n"
        '2024-01-02T09:18:00+05:30,"1\n00",101,99,100,10,5,BAD_NUMBER,'
        "open '1\\n00' is not a finite number\n"
    )
    with open(qfile, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert [len(r) for r in rows] == [9, 9, 9, 9]
    assert [r[6] for r in rows[1:]] == ["3", "4", "5"]


def test_quarantine_needs_a_folder(tmp_path: Path, store: BarStore) -> None:
    path = write(tmp_path / "NIFTY50_1m_2024-01-02_2024-01-02.csv", *GOOD_AND_BAD)
    with pytest.raises(ValueError, match="quarantine_dir"):
        import_csv_files(store, [path], on_error="quarantine")
    with pytest.raises(ValueError, match="on_error"):
        import_csv_files(store, [path], on_error="ignore")  # type: ignore[arg-type]


def test_names_are_checked_before_anything_is_imported(tmp_path: Path, store: BarStore) -> None:
    good = write(tmp_path / "NIFTY50_1m_2024-01-02_2024-01-02.csv", *GOOD_AND_BAD[:2])
    odd = write(tmp_path / "export.csv", *GOOD_AND_BAD[:2])
    with pytest.raises(ValueError, match=r"'export\.csv'"):
        import_csv_files(store, [good, odd])
    assert store.symbols() == []
    report = import_csv_files(store, [odd], symbol="nifty50", timeframe="1m")
    assert report.files[0].symbol == "NIFTY50"
    assert len(store.read("NIFTY50", "1m")) == 1
    with pytest.raises(ValueError, match="invalid symbol"):
        import_csv_files(store, [odd], symbol="NIFTY 50", timeframe="1m")


def test_reimport_counts_unchanged_and_replaced(tmp_path: Path, store: BarStore) -> None:
    rows = [HEADER, *(f"2024-01-02T09:{m:02d}:00+05:30,100,101,99,100,{m}" for m in range(15, 20))]
    path = write(tmp_path / "NIFTY50_1m_2024-01-02_2024-01-02.csv", *rows)
    first = import_csv_files(store, [path]).files[0]
    assert (first.inserted, first.replaced, first.unchanged) == (5, 0, 0)
    again = import_csv_files(store, [path]).files[0]
    assert (again.inserted, again.replaced, again.unchanged) == (0, 0, 5)
    rows[2] = "2024-01-02T09:16:00+05:30,100,101,99,100.5,16"
    rows.append("2024-01-02T09:20:00+05:30,100,101,99,100,20")
    write(path, *rows)
    third = import_csv_files(store, [path]).files[0]
    assert (third.inserted, third.replaced, third.unchanged) == (1, 1, 4)
    assert len(store.read("NIFTY50", "1m")) == 6


def test_unreadable_file_fails_alone(tmp_path: Path, store: BarStore) -> None:
    broken = write(tmp_path / "AAA_1m_2024-01-02_2024-01-02.csv", "time,price", "x,1")
    ambiguous = write(
        tmp_path / "BBB_1m_2024-01-02_2024-01-02.csv",
        HEADER,
        "2024-01-02T09:15:00+01:00,1,1,1,1,1",
    )
    good = write(tmp_path / "CCC_1m_2024-01-02_2024-01-02.csv", *GOOD_AND_BAD[:2])
    report = import_csv_files(store, [broken, ambiguous, good], on_error="skip")
    assert [f.status for f in report.files] == ["failed", "failed", "ok"]
    assert "the header lacks" in (report.files[0].error or "")
    assert "--calendar" in (report.files[1].error or "")
    assert store.symbols() == ["CCC"]
    assert not report.ok


def test_progress_and_totals(tmp_path: Path, store: BarStore) -> None:
    a = write(tmp_path / "AAA_1m_2024-01-02_2024-01-02.csv", *GOOD_AND_BAD[:2])
    b = write(tmp_path / "BBB_1m_2024-01-02_2024-01-02.csv", *GOOD_AND_BAD)
    calls: list[tuple[int, int]] = []
    report = import_csv_files(
        store, [a, b], on_error="skip", progress=lambda done, total: calls.append((done, total))
    )
    assert calls == [(1, 7), (7, 7)]  # rows estimated from line counts
    totals = report.to_dict(max_issues=1)["totals"]
    assert (totals["rows"], totals["imported"], totals["bad_rows"]) == (6, 3, 3)
    assert totals["issues_by_code"] == {"BAD_NUMBER": 1, "OHLC_INCONSISTENT": 2, "ZERO_PRICE": 1}
    file_b = report.to_dict(max_issues=1)["files"][1]
    assert (file_b["issues_shown"], file_b["issues_total"]) == (1, 4)
    assert file_b["issues"][0]["line"] == 3
