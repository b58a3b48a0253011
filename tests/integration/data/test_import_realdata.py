"""Import every real bar file of ../shared/data (nse/, us/) and check the documented quality facts.

The expected counts were verified independently of the importer, by reading the files with
pandas (see the README of the data folder for the facts themselves).
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tronlab.data.calendars import get_calendar
from tronlab.data.importing import FileImport, ImportReport, import_csv_files, read_bar_csv
from tronlab.data.store import BarStore

pytestmark = pytest.mark.realdata

REPO = Path(__file__).resolve().parents[3]
DATA = Path(os.environ.get("TRONLAB_SHARED_DATA", REPO.parent / "shared" / "data"))
if not (DATA / "nse").is_dir() or not (DATA / "us").is_dir():
    pytest.skip(f"shared market data not found at {DATA}", allow_module_level=True)

NSE_FILES = sorted((DATA / "nse").glob("*.csv"))
US_FILES = sorted((DATA / "us").glob("*.csv"))
BAR_HEADER = ["timestamp", "open", "high", "low", "close", "volume"]
EXTENDED = {"SPY_1m_2013-10-04_2013-10-11.csv", "AAPL_1m_2014-06-05_2014-06-09.csv"}

# Every issue the import reports, per file; files not listed report none.
# PRICE_JUMP (warning, > 25 % move from the previous close) in the NSE equity daily files are
# the unadjusted splits and bonuses; in the US daily files real 2008-09 moves (BAC, C, WFC...);
# in INDIAVIX the volatility index's own jumps.
EXPECTED_ISSUES: dict[str, dict[str, int]] = {
    "NIFTY50_1m_2024-01-01_2024-04-30.csv": {"OUTSIDE_SESSION": 167},
    "BANKNIFTY_1m_2024-01-01_2024-04-30.csv": {"OUTSIDE_SESSION": 167},
    "NIFTY50_1m_2009-01-01_2009-06-30.csv": {"OUTSIDE_SESSION": 116},
    "BANKNIFTY_15m_2018-01-01_2021-12-31.csv": {"OHLC_INCONSISTENT": 509},
    "INDIAVIX_1d_2016-01-01_2023-03-31.csv": {
        "OHLC_INCONSISTENT": 2,
        "ZERO_PRICE": 2,
        "PRICE_JUMP": 7,
    },
    "AAPL_1m_2014-06-05_2014-06-09.csv": {"PRICE_JUMP": 1},
    "ASIANPAINT_1d_2000-01-03_2021-04-30.csv": {"PRICE_JUMP": 3},
    "AXISBANK_1d_2000-01-03_2021-04-30.csv": {"PRICE_JUMP": 2},
    "BAJFINANCE_1d_2000-01-03_2021-04-30.csv": {"PRICE_JUMP": 1},
    "BHARTIARTL_1d_2002-02-18_2021-04-30.csv": {"PRICE_JUMP": 2},
    "HCLTECH_1d_2000-01-11_2021-04-30.csv": {"PRICE_JUMP": 4},
    "HDFCBANK_1d_2000-01-03_2021-04-30.csv": {"PRICE_JUMP": 3},
    "HINDUNILVR_1d_2000-01-03_2021-04-30.csv": {"PRICE_JUMP": 1},
    "ICICIBANK_1d_2000-01-03_2021-04-30.csv": {"PRICE_JUMP": 1},
    "INFY_1d_2000-01-03_2021-04-30.csv": {"PRICE_JUMP": 7},
    "ITC_1d_2000-01-03_2021-04-30.csv": {"PRICE_JUMP": 3},
    "KOTAKBANK_1d_2000-01-03_2021-04-30.csv": {"PRICE_JUMP": 5},
    "LT_1d_2004-06-23_2021-04-30.csv": {"PRICE_JUMP": 4},
    "ONGC_1d_2000-01-03_2021-04-30.csv": {"PRICE_JUMP": 3},
    "RELIANCE_1d_2000-01-03_2021-04-30.csv": {"PRICE_JUMP": 3},
    "SBIN_1d_2000-01-03_2021-04-30.csv": {"PRICE_JUMP": 2},
    "SUNPHARMA_1d_2000-01-03_2021-04-30.csv": {"PRICE_JUMP": 5},
    "TATAMOTORS_1d_2000-01-03_2021-04-30.csv": {"PRICE_JUMP": 1},
    "TATASTEEL_1d_2000-01-03_2021-04-30.csv": {"PRICE_JUMP": 1},
    "TCS_1d_2004-08-25_2021-04-30.csv": {"PRICE_JUMP": 3},
    "TITAN_1d_2000-01-03_2021-04-30.csv": {"PRICE_JUMP": 2},
    "WIPRO_1d_2000-01-03_2021-04-30.csv": {"PRICE_JUMP": 4},
    "AMZN_1d_2005-01-03_2017-11-10.csv": {"PRICE_JUMP": 2},
    "BAC_1d_2005-01-03_2017-11-10.csv": {"PRICE_JUMP": 10},
    "C_1d_2005-01-03_2017-11-10.csv": {"PRICE_JUMP": 8},
    "JPM_1d_2005-01-03_2017-11-10.csv": {"PRICE_JUMP": 1},
    "WFC_1d_2005-01-03_2017-11-10.csv": {"PRICE_JUMP": 3},
}


@dataclass
class Imported:
    store: BarStore
    report: ImportReport
    quarantine: Path
    by_name: dict[str, FileImport]


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Imported:
    root = tmp_path_factory.mktemp("realdata")
    store = BarStore(root / "store")
    quarantine = root / "quarantine"
    regular = [p for p in NSE_FILES + US_FILES if p.name not in EXTENDED]
    extended = [p for p in US_FILES if p.name in EXTENDED]
    first = import_csv_files(store, regular, on_error="quarantine", quarantine_dir=quarantine)
    second = import_csv_files(
        store, extended, session="extended", on_error="quarantine", quarantine_dir=quarantine
    )
    report = ImportReport(first.files + second.files, "quarantine")
    return Imported(store, report, quarantine, {Path(f.path).name: f for f in report.files})


def _data_rows(path: Path) -> int:
    with open(path, newline="", encoding="utf-8") as fh:
        return sum(1 for row in csv.reader(fh) if row) - 1


def test_every_file_is_imported_and_every_row_accounted_for(imported: Imported) -> None:
    assert len(imported.report.files) == len(NSE_FILES) + len(US_FILES) == 80
    assert imported.report.ok
    for f in imported.report.files:
        assert f.status in ("ok", "partial"), (f.path, f.error)
        assert f.rows == _data_rows(Path(f.path)), f.path
        listed = {i.line for i in f.issues if i.is_error}
        assert f.imported + len(listed) == f.rows, f.path
        assert f.inserted + f.replaced + f.unchanged == f.imported, f.path
    assert imported.report.rows == 453_321  # sum of `wc -l` - 1 over the 80 files
    rows_by_name = {n: f.rows for n, f in imported.by_name.items()}
    assert rows_by_name["NIFTY50_1m_2024-01-01_2024-04-30.csv"] == 29522
    assert rows_by_name["NIFTY50_1m_2009-01-01_2009-06-30.csv"] == 38968
    assert rows_by_name["BANKNIFTY_15m_2018-01-01_2021-12-31.csv"] == 24475
    assert rows_by_name["INDIAVIX_1d_2016-01-01_2023-03-31.csv"] == 1794


def test_issue_counts_per_file(imported: Imported) -> None:
    actual = {name: f.issues_by_code() for name, f in imported.by_name.items()}
    expected = {name: EXPECTED_ISSUES.get(name, {}) for name in actual}
    assert actual == expected


def test_quarantine_files_hold_exactly_the_bad_rows(imported: Imported) -> None:
    written = sorted(p.name for p in imported.quarantine.iterdir())
    bad = sorted(f"{Path(f.path).stem}.quarantine.csv" for f in imported.report.files if f.bad_rows)
    assert written == bad
    assert len(written) == 5
    for f in imported.report.files:
        if not f.bad_rows:
            continue
        with open(f.quarantine_file or "", newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        assert rows[0] == [*BAR_HEADER, "line", "code", "message"]
        assert len(rows) - 1 == f.bad_rows
        assert sorted(int(r[6]) for r in rows[1:]) == sorted(
            {i.line for i in f.issues if i.is_error}
        )


@pytest.mark.parametrize("symbol", ["NIFTY50", "BANKNIFTY"])
def test_flat_bars_after_the_2024_01_20_special_session(imported: Imported, symbol: str) -> None:
    f = imported.by_name[f"{symbol}_1m_2024-01-01_2024-04-30.csv"]
    out = [i for i in f.issues if i.code == "OUTSIDE_SESSION"]
    assert len(out) == 167
    # lines 6002..6168: 2024-01-20 15:30 .. 18:16 IST, one bar a minute, flat (o=h=l=c) but
    # for the 15:33 bar, whose low steps down to the level the rest repeat
    assert [i.line for i in out] == list(range(6002, 6169))
    stamps = pd.to_datetime([i.raw.split(",")[0] for i in out]).tz_convert("Asia/Kolkata")
    assert stamps[0] == pd.Timestamp("2024-01-20 15:30", tz="Asia/Kolkata")
    assert stamps[-1] == pd.Timestamp("2024-01-20 18:16", tz="Asia/Kolkata")
    not_flat = [i.raw[11:16] for i in out if len(set(i.raw.split(",")[1:5])) > 1]
    assert not_flat == ["15:33"]
    # the special sessions themselves are in session and imported
    day = imported.store.read(symbol, "1m", start="2024-01-20", end="2024-01-21")
    assert len(day) == 375
    assert day["timestamp"].iloc[-1] == pd.Timestamp("2024-01-20 15:29", tz="Asia/Kolkata")
    dr = imported.store.read(symbol, "1m", start="2024-03-02", end="2024-03-03")
    assert len(dr) == 105
    local = dr["timestamp"].dt.tz_convert("Asia/Kolkata").dt.strftime("%H:%M")
    assert (local.iloc[0], local.iloc[44], local.iloc[45], local.iloc[-1]) == (
        "09:15",
        "09:59",
        "11:30",
        "12:29",
    )
    year = imported.store.read(symbol, "1m", start="2024-01-01", end="2024-05-01")
    assert len(year) == 29522 - 167


def test_muhurat_session_2025_10_21_is_accepted(imported: Imported) -> None:
    bars = imported.store.read("RELIANCE", "5m", start="2025-10-21", end="2025-10-22")
    local = bars["timestamp"].dt.tz_convert("Asia/Kolkata").dt.strftime("%H:%M")
    assert list(local) == [f"{h:02d}:{m:02d}" for h in (13, 14) for m in range(0, 60, 5)][9:21]
    assert imported.by_name["RELIANCE_5m_2025-08-25_2025-12-03.csv"].issues == []


def test_2009_session_hours(imported: Imported) -> None:
    f = imported.by_name["NIFTY50_1m_2009-01-01_2009-06-30.csv"]
    out = [i for i in f.issues if i.code == "OUTSIDE_SESSION"]
    assert len(out) == 116
    # the 09:55-15:30 session of 2009 is known: the 09:55 opens are in session and the only
    # bars outside it are the 15:30 ones (bars start at 15:30 = the exclusive close)
    assert {i.raw[11:16] for i in out} == {"15:30"}
    bars = imported.store.read("NIFTY50", "1m", start="2009-01-01", end="2009-07-01")
    assert len(bars) == 38968 - 116
    local = bars["timestamp"].dt.tz_convert("Asia/Kolkata")
    first_bar = local.groupby(local.dt.date).min().dt.strftime("%H:%M")
    assert Counter(first_bar) == {"09:55": 116, "10:04": 1}
    assert local.dt.strftime("%H:%M").max() == "15:29"


def test_banknifty_15m_ohlc_violations(imported: Imported) -> None:
    name = "BANKNIFTY_15m_2018-01-01_2021-12-31.csv"
    f = imported.by_name[name]
    df = pd.read_csv(DATA / "nse" / name)
    o, h, lo, c = df["open"], df["high"], df["low"], df["close"]
    bad = (lo > np.minimum(o, c)) | (h < np.maximum(o, c)) | (lo > h)
    expected_lines = sorted((np.flatnonzero(bad) + 2).tolist())
    assert len(expected_lines) == 509
    assert [i.line for i in f.issues if i.code == "OHLC_INCONSISTENT"] == expected_lines
    assert f.imported == 24475 - 509
    # 2020-02-01 (Budget Saturday) is a session
    sat = imported.store.read("BANKNIFTY", "15m", start="2020-02-01", end="2020-02-02")
    assert len(sat) > 0


def test_indiavix_daily_zero_rows(imported: Imported) -> None:
    f = imported.by_name["INDIAVIX_1d_2016-01-01_2023-03-31.csv"]
    errors = [(i.line, str(i.code)) for i in f.issues if i.is_error]
    assert errors == [
        (1269, "ZERO_PRICE"),
        (1269, "OHLC_INCONSISTENT"),
        (1299, "ZERO_PRICE"),
        (1299, "OHLC_INCONSISTENT"),
    ]
    first_error = next(i for i in f.issues if i.is_error)
    assert first_error.raw == "2021-02-12T00:00:00+05:30,0.0,0.0,0.0,23.045,0"


def test_weekend_dates_in_daily_files_are_known_special_sessions(imported: Imported) -> None:
    nse = get_calendar("NSE")
    for path in NSE_FILES + US_FILES:
        if "_1d_" not in path.name:
            continue
        f = imported.by_name[path.name]
        stamps = pd.to_datetime(pd.read_csv(path, usecols=["timestamp"])["timestamp"], utc=True)
        tz = "Asia/Kolkata" if path.parent.name == "nse" else "America/New_York"
        days = {d for d in stamps.dt.tz_convert(tz).dt.date if d.weekday() >= 5}
        flagged = {i.line for i in f.issues if i.code == "NOT_A_SESSION"}
        unknown = {d for d in days if path.parent.name != "nse" or not nse.is_session(d)}
        assert len(flagged) == len(unknown) == 0, path.name
        if path.parent.name == "nse":
            assert all(nse.session(d).kind == "special" for d in days)  # type: ignore[union-attr]
    vix_days = {
        "2016-10-30": "Sun",
        "2019-10-27": "Sun",
        "2020-02-01": "Sat",
        "2020-11-14": "Sat",
    }
    vix = imported.store.read("INDIAVIX", "1d")
    local = set(vix["timestamp"].dt.tz_convert("Asia/Kolkata").dt.strftime("%Y-%m-%d"))
    assert set(vix_days) <= local


def test_a_weekend_date_unknown_to_the_calendar_is_not_a_session(tmp_path: Path) -> None:
    overrides = tmp_path / "forget-budget-day.yaml"
    overrides.write_text("version: 1\ncalendar: NSE\nholidays:\n  - date: 2020-02-01\n")
    cal = get_calendar("NSE", overrides=[overrides])
    parsed = read_bar_csv(
        DATA / "nse" / "INDIAVIX_1d_2016-01-01_2023-03-31.csv", timeframe="1d", calendar=cal
    )
    not_session = [(i.line, i.message) for i in parsed.issues if i.code == "NOT_A_SESSION"]
    assert not_session == [(1011, "2020-02-01 (Sat) is not a NSE session")]


@pytest.mark.parametrize(
    ("name", "pre_post"),
    [("SPY_1m_2013-10-04_2013-10-11.csv", 2499), ("AAPL_1m_2014-06-05_2014-06-09.csv", 1133)],
)
def test_us_extended_hours(imported: Imported, name: str, pre_post: int) -> None:
    f = imported.by_name[name]
    assert f.imported == f.rows
    # under the regular session exactly the bars before 09:30 or from 16:00 ET are outside
    regular = read_bar_csv(DATA / "us" / name, timeframe="1m")
    outside = [i for i in regular.issues if i.code == "OUTSIDE_SESSION"]
    assert len(outside) == pre_post
    minutes = {int(i.raw[11:13]) * 60 + int(i.raw[14:16]) for i in outside}
    assert all(m < 9 * 60 + 30 or m >= 16 * 60 for m in minutes)


def test_aapl_split_is_a_price_jump_warning(imported: Imported) -> None:
    f = imported.by_name["AAPL_1m_2014-06-05_2014-06-09.csv"]
    assert f.status == "ok"
    assert f.imported == 2303
    (jump,) = f.issues
    assert (jump.line, str(jump.code), jump.severity) == (1471, "PRICE_JUMP", "warning")
    assert jump.raw.startswith("2014-06-09T04:00:00-04:00,645.57,645.57,92.23,92.42")
    assert "-85.7%" in jump.message


def test_coverage_after_import(imported: Imported) -> None:
    cov = imported.store.coverage().set_index(["symbol", "timeframe"])
    assert len(cov) == 78  # NIFTY50 1m and INDIAVIX 1m each merge two files
    row = cov.loc[("BANKNIFTY", "15m")]
    assert (row["rows"], row["days"], row["calendar"]) == (24475 - 509, 979, "NSE")
    assert cov.loc[("NIFTY50", "1m"), "days"] == 79 + 117
    assert cov.loc[("SPY", "1m"), "days"] == 6
    assert cov.loc[("AAPL", "1d"), "calendar"] == "NYSE"


def test_a_29k_row_minute_file_imports(tmp_path: Path) -> None:
    # (speed belongs in benchmarks/, not in assertions here)
    path = DATA / "nse" / "NIFTY50_1m_2024-01-01_2024-04-30.csv"
    store = BarStore(tmp_path / "store")
    report = import_csv_files(store, [path], on_error="skip")
    assert report.files[0].imported == 29522 - 167
