"""BarStore: merge semantics, range reads, listings, coverage, atomicity, symbol validation."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from tronlab.data import store as store_mod
from tronlab.data.bars import BAR_COLUMNS, normalize_bars
from tronlab.data.store import BarStore, SeriesNotFound, normalize_symbol


def bars(start: str, n: int, freq: str = "1min", base: float = 100.0) -> pd.DataFrame:
    ts = pd.date_range(start, periods=n, freq=freq)
    ts = ts.tz_localize("UTC") if ts.tz is None else ts.tz_convert("UTC")
    close = base + np.arange(n, dtype=float)
    return pd.DataFrame(
        {
            "timestamp": ts,
            "open": close - 0.5,
            "high": close + 1.0,
            "low": close - 1.0,
            "close": close,
            "volume": np.full(n, 10.0),
        }
    )


@pytest.fixture
def store(tmp_path: Path) -> BarStore:
    return BarStore(tmp_path / "bars")


# ---------------------------------------------------------------------- write / merge


def test_write_then_read_round_trips_a_canonical_frame(store: BarStore) -> None:
    df = bars("2024-01-02 03:45", 5)
    res = store.write("NIFTY50", "1m", df.iloc[::-1], calendar="NSE", source="a.csv")
    assert (res.inserted, res.replaced, res.unchanged, res.rows) == (5, 0, 0, 5)
    out = store.read("NIFTY50", "1m")
    assert list(out.columns) == list(BAR_COLUMNS)
    assert str(out["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert all(out[c].dtype == np.float64 for c in BAR_COLUMNS[1:])
    pd.testing.assert_frame_equal(out, normalize_bars(df))


def test_hive_layout_and_sidecar(store: BarStore) -> None:
    store.write("nifty50", "1m", bars("2024-01-02 03:45", 2), calendar="NSE", source="x.csv")
    folder = store.root / "timeframe=1m" / "symbol=NIFTY50"
    assert (folder / "bars.parquet").is_file()
    meta = json.loads((folder / "_series.json").read_text())
    assert meta["calendar"] == "NSE"
    assert meta["tz"] == "Asia/Kolkata"
    assert meta["sources"] == ["x.csv"]


def test_merge_counts_inserted_replaced_unchanged(store: BarStore) -> None:
    store.write("AAPL", "1m", bars("2024-01-02 14:30", 5))
    new = bars("2024-01-02 14:33", 4)  # 14:33..14:36: two overlap, two new
    new.loc[0, "close"] = 999.0  # 14:33 overlaps with a different close -> replaced
    new.loc[1, ["open", "high", "low", "close"]] = [103.5, 105.0, 103.0, 104.0]  # 14:34 same
    res = store.write("AAPL", "1m", new)
    assert (res.inserted, res.replaced, res.unchanged, res.rows) == (2, 1, 1, 7)
    out = store.read("AAPL", "1m")
    assert out["timestamp"].is_monotonic_increasing
    assert out["timestamp"].is_unique
    assert out.loc[3, "close"] == 999.0
    assert out.loc[0, "close"] == 100.0


def test_rewriting_identical_bars_changes_nothing(store: BarStore) -> None:
    df = bars("2024-01-02 14:30", 3)
    df.loc[1, "volume"] = np.nan  # NaN equals NaN for the comparison
    store.write("AAPL", "1m", df)
    before = (store.root / "timeframe=1m/symbol=AAPL/bars.parquet").stat().st_mtime_ns
    res = store.write("AAPL", "1m", df)
    assert (res.inserted, res.replaced, res.unchanged) == (0, 0, 3)
    assert not res.changed
    after = (store.root / "timeframe=1m/symbol=AAPL/bars.parquet").stat().st_mtime_ns
    assert before == after


def test_write_rejects_duplicate_timestamps_in_input(store: BarStore) -> None:
    df = pd.concat([bars("2024-01-02 14:30", 2), bars("2024-01-02 14:31", 1)])
    with pytest.raises(ValueError, match="duplicate timestamp"):
        store.write("AAPL", "1m", df)


def test_write_rejects_naive_timestamps(store: BarStore) -> None:
    df = bars("2024-01-02 14:30", 2)
    df["timestamp"] = df["timestamp"].dt.tz_localize(None)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.write("AAPL", "1m", df)


def test_calendar_conflict_is_refused(store: BarStore) -> None:
    store.write("X", "1d", bars("2024-01-02", 2, "1D"), calendar="NSE")
    with pytest.raises(ValueError, match="stored with calendar NSE"):
        store.write("X", "1d", bars("2024-01-04", 1, "1D"), calendar="NYSE")
    # omitting the calendar keeps the stored one
    store.write("X", "1d", bars("2024-01-04", 1, "1D"))
    assert store.info("X", "1d").calendar == "NSE"


def test_empty_write_to_a_new_series_creates_nothing(store: BarStore) -> None:
    res = store.write("AAPL", "1m", bars("2024-01-02", 0))
    assert (res.inserted, res.rows) == (0, 0)
    assert not store.exists("AAPL", "1m")
    assert store.symbols() == []


# ---------------------------------------------------------------------- reads


def test_range_read_is_half_open_and_accepts_any_zone(store: BarStore) -> None:
    store.write("AAPL", "1m", bars("2024-01-02 14:30", 10))
    ny = ZoneInfo("America/New_York")
    out = store.read(
        "AAPL",
        "1m",
        start=datetime(2024, 1, 2, 9, 32, tzinfo=ny),  # 14:32 UTC
        end=pd.Timestamp("2024-01-02T14:35:00Z"),
    )
    assert [t.strftime("%H:%M") for t in out["timestamp"]] == ["14:32", "14:33", "14:34"]
    # naive bounds are UTC
    out = store.read("AAPL", "1m", start=datetime(2024, 1, 2, 14, 38))
    assert len(out) == 2
    out = store.read("AAPL", "1m", end="2024-01-02T14:31:00")
    assert len(out) == 1
    # an empty range gives an empty canonical frame
    out = store.read("AAPL", "1m", start="2025-01-01T00:00Z")
    assert out.empty
    assert list(out.columns) == list(BAR_COLUMNS)
    assert str(out["timestamp"].dtype) == "datetime64[ns, UTC]"


def test_date_bounds_are_local_midnight_of_the_series_calendar(store: BarStore) -> None:
    # NSE daily bars are stamped 00:00 IST = 18:30 UTC the day before
    daily = bars("2024-01-01 18:30", 5, "1D")  # 2024-01-02 .. 2024-01-06 IST
    store.write("NIFTY50", "1d", daily, calendar="NSE")
    out = store.read("NIFTY50", "1d", start=date(2024, 1, 3), end="2024-01-05")
    local = out["timestamp"].dt.tz_convert("Asia/Kolkata").dt.strftime("%Y-%m-%d")
    assert list(local) == ["2024-01-03", "2024-01-04"]


def test_missing_series_raises_series_not_found_listing_what_exists(store: BarStore) -> None:
    store.write("AAPL", "1m", bars("2024-01-02 14:30", 1))
    store.write("AAPL", "1d", bars("2024-01-02", 1, "1D"))
    with pytest.raises(SeriesNotFound) as exc_info:
        store.read("MSFT", "1m")
    err = exc_info.value
    assert isinstance(err, KeyError)
    assert str(err) == "no bars stored for MSFT 1m; the store holds: AAPL 1m, AAPL 1d"
    assert err.available == [("AAPL", "1m"), ("AAPL", "1d")]
    with pytest.raises(SeriesNotFound, match="the store holds: AAPL 1m"):
        store.info("AAPL", "5m")
    with pytest.raises(SeriesNotFound, match="the store is empty"):
        BarStore(store.root / "nothing").read("AAPL", "1m")


# ---------------------------------------------------------------------- listings, coverage, info


def test_symbols_and_timeframes(store: BarStore) -> None:
    store.write("NIFTY50", "1d", bars("2024-01-02", 1, "1D"))
    store.write("NIFTY50", "15m", bars("2024-01-02 03:45", 1))
    store.write("NIFTY50", "1m", bars("2024-01-02 03:45", 1))
    store.write("123", "1m", bars("2024-01-02 03:45", 1))  # must stay a string
    store.write("M&M", "5m", bars("2024-01-02 03:45", 1))
    assert store.symbols() == ["123", "M&M", "NIFTY50"]
    assert store.symbols("1m") == ["123", "NIFTY50"]
    assert store.symbols(timeframe="1h") == []
    assert store.timeframes("nifty50") == ["1m", "15m", "1d"]
    assert store.timeframes("ZZZ") == []


def test_coverage_one_row_per_series(store: BarStore) -> None:
    assert list(store.coverage().columns) == [
        "symbol", "timeframe", "first", "last", "rows", "days", "calendar"
    ]  # fmt: skip
    assert store.coverage().empty
    # NSE daily: 00:00 IST stamps fall on the previous UTC date but are one local day each
    store.write("NIFTY50", "1d", bars("2024-01-01 18:30", 3, "1D"), calendar="NSE")
    # NYSE extended hours: 19:00-19:59 ET on 2024-01-02 is 00:00-00:59 UTC on 2024-01-03
    store.write("SPY", "1m", bars("2024-01-02 23:30", 60), calendar="NYSE")
    store.write("BTC", "1m", bars("2024-01-02 23:30", 60))  # no calendar: UTC days
    cov = store.coverage()
    assert list(cov["symbol"]) == ["BTC", "NIFTY50", "SPY"]
    row = cov.set_index("symbol").loc["NIFTY50"]
    assert (row["timeframe"], row["rows"], row["days"], row["calendar"]) == ("1d", 3, 3, "NSE")
    assert row["first"] == pd.Timestamp("2024-01-01T18:30Z")
    assert row["last"] == pd.Timestamp("2024-01-03T18:30Z")
    spy = cov.set_index("symbol").loc["SPY"]
    assert (spy["rows"], spy["days"]) == (60, 1)
    btc = cov.set_index("symbol").loc["BTC"]
    assert (btc["rows"], btc["days"]) == (60, 2)
    assert pd.isna(btc["calendar"])
    assert str(cov["first"].dtype) == "datetime64[ns, UTC]"
    assert cov["rows"].dtype == np.int64


def test_info_accumulates_sources(store: BarStore) -> None:
    store.write("AAPL", "1m", bars("2024-01-02 14:30", 3), calendar="NYSE", source="a.csv")
    store.write("AAPL", "1m", bars("2024-01-02 14:33", 2), source="b.csv")
    store.write("AAPL", "1m", bars("2024-01-02 14:33", 2), source="b.csv")
    info = store.info("aapl", "1m")
    assert info.symbol == "AAPL"
    assert info.calendar == "NYSE"
    assert info.rows == 5
    assert info.first == pd.Timestamp("2024-01-02T14:30Z")
    assert info.last == pd.Timestamp("2024-01-02T14:34Z")
    assert info.sources == ("a.csv", "b.csv")


def test_delete(store: BarStore) -> None:
    store.write("AAPL", "1m", bars("2024-01-02 14:30", 3))
    store.write("AAPL", "1d", bars("2024-01-02", 1, "1D"))
    assert store.delete("aapl", "1m") is True
    assert store.delete("AAPL", "1m") is False
    assert store.timeframes("AAPL") == ["1d"]
    assert not (store.root / "timeframe=1m").exists()
    with pytest.raises(SeriesNotFound):
        store.read("AAPL", "1m")


# ---------------------------------------------------------------------- atomicity


def test_failed_write_leaves_the_old_file_intact(
    store: BarStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.write("AAPL", "1m", bars("2024-01-02 14:30", 3), source="a.csv")
    folder = store.root / "timeframe=1m" / "symbol=AAPL"
    before = (folder / "bars.parquet").read_bytes()

    def broken_write_table(table: object, where: object, **kwargs: object) -> None:
        where.write(b"PAR1 half a file")  # type: ignore[attr-defined]
        raise OSError("disk full")

    monkeypatch.setattr(store_mod.pq, "write_table", broken_write_table)
    with pytest.raises(OSError, match="disk full"):
        store.write("AAPL", "1m", bars("2024-01-02 14:33", 5), source="b.csv")
    monkeypatch.undo()

    assert (folder / "bars.parquet").read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["_series.json", "bars.parquet"]
    assert len(store.read("AAPL", "1m")) == 3
    assert store.info("AAPL", "1m").sources == ("a.csv",)


def test_failed_rename_leaves_the_old_file_intact(
    store: BarStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.write("AAPL", "1m", bars("2024-01-02 14:30", 3))

    def broken_replace(src: object, dst: object) -> None:
        raise OSError("rename failed")

    monkeypatch.setattr(store_mod.os, "replace", broken_replace)
    with pytest.raises(OSError, match="rename failed"):
        store.write("AAPL", "1m", bars("2024-01-02 14:33", 5))
    monkeypatch.undo()
    folder = store.root / "timeframe=1m" / "symbol=AAPL"
    assert sorted(p.name for p in folder.iterdir()) == ["_series.json", "bars.parquet"]
    assert len(store.read("AAPL", "1m")) == 3


# ---------------------------------------------------------------------- symbols


@pytest.mark.parametrize(
    ("given", "expected"),
    [("nifty50", "NIFTY50"), (" M&M ", "M&M"), ("BRK.B", "BRK.B"), ("NIFTY-I", "NIFTY-I"),
     ("BANK_NIFTY", "BANK_NIFTY"), ("123", "123")],
)  # fmt: skip
def test_valid_symbols_are_upper_cased(given: str, expected: str) -> None:
    assert normalize_symbol(given) == expected


@pytest.mark.parametrize("bad", ["", "  ", "A B", "A/B", "../X", "..", "NIFTY$", "É", "X" * 65])
def test_invalid_symbols_are_refused(store: BarStore, bad: str) -> None:
    with pytest.raises(ValueError, match="invalid symbol"):
        normalize_symbol(bad)
    with pytest.raises(ValueError, match="invalid symbol"):
        store.write(bad, "1m", bars("2024-01-02", 1))
    with pytest.raises(ValueError, match="invalid symbol"):
        store.read(bad, "1m")


def test_invalid_timeframe_is_refused(store: BarStore) -> None:
    with pytest.raises(ValueError, match="invalid timeframe"):
        store.write("AAPL", "1x", bars("2024-01-02", 1))
