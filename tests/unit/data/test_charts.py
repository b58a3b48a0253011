from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from tronlab.data.bars import Timeframe
from tronlab.data.charts import (
    Attempt,
    BarSource,
    ChartDataService,
    CsvDirectorySource,
    NoDataError,
    SourceRefused,
    StoreSource,
    available_sources,
    create_source,
    register_source,
)
from tronlab.data.store import BarStore
from tronlab.data.synthetic import SyntheticMarket, generate_market

SYMBOL = "SYNTH_RELI"


@pytest.fixture(scope="module")
def market() -> SyntheticMarket:
    return generate_market(seed=21, days=10)


def _window(market: SyntheticMarket) -> tuple[datetime, datetime]:
    """The whole market: from the first open to the last close."""
    return market.sessions[0].open.to_pydatetime(), market.sessions[-1].close.to_pydatetime()


class FakeFeed:
    """A hand-written stand-in for an online provider: serves a fixed frame, counts calls."""

    def __init__(self, name: str, bars: pd.DataFrame | None) -> None:
        self.name = name
        self.bars = bars
        self.calls = 0

    def fetch(
        self, symbol: str, timeframe: Timeframe, start: datetime | None, end: datetime | None
    ) -> pd.DataFrame | None:
        self.calls += 1
        if self.bars is None or symbol != SYMBOL:
            return None
        return self.bars


class BrokenFeed:
    name = "broken"

    def fetch(
        self, symbol: str, timeframe: Timeframe, start: datetime | None, end: datetime | None
    ) -> pd.DataFrame | None:
        raise ConnectionError("provider down")


def test_sources_satisfy_the_protocol(tmp_path: Path) -> None:
    assert isinstance(StoreSource(BarStore(tmp_path)), BarSource)
    assert isinstance(CsvDirectorySource(tmp_path), BarSource)
    assert isinstance(FakeFeed("x", None), BarSource)


def test_falls_back_in_order_and_records_attempts(tmp_path: Path, market: SyntheticMarket) -> None:
    empty, feed = FakeFeed("empty", None), FakeFeed("feed", market.bars[SYMBOL])
    service = ChartDataService([empty, BrokenFeed(), feed], BarStore(tmp_path / "cache"))
    start, end = _window(market)
    got = service.get_bars(SYMBOL, "1m", start, end)
    assert got.source == "feed"
    assert not got.cached
    assert got.complete
    assert got.stored
    assert [a.source for a in got.attempts] == ["cache", "empty", "broken", "feed"]
    assert [a.code for a in got.attempts] == ["no_data", "no_data", "error", "served"]
    assert "ConnectionError: provider down" in got.attempts[2].outcome
    assert got.attempts[3] == Attempt("feed", f"served: {len(market.bars[SYMBOL])} bars")
    source, outcome = got.attempts[0]  # attempts unpack as (source, outcome)
    assert (source, outcome.split(":")[0]) == ("cache", "no_data")
    pd.testing.assert_frame_equal(got.bars, market.bars[SYMBOL])
    assert (empty.calls, feed.calls) == (1, 1)


def test_fetched_bars_are_cached_and_served_from_the_store_next(
    tmp_path: Path, market: SyntheticMarket
) -> None:
    cache = BarStore(tmp_path / "cache")
    feed = FakeFeed("feed", market.bars[SYMBOL])
    service = ChartDataService([feed], cache)
    start, end = _window(market)
    first = service.get_bars(SYMBOL, "1m", start, end)
    assert (first.source, first.cached) == ("feed", False)
    pd.testing.assert_frame_equal(cache.read(SYMBOL, "1m"), market.bars[SYMBOL])
    assert "feed" in cache.info(SYMBOL, "1m").sources

    second = service.get_bars(SYMBOL, "1m", start, end)
    assert (second.source, second.cached, second.stored) == ("cache", True, False)
    assert [a.code for a in second.attempts] == ["served"]
    assert feed.calls == 1
    pd.testing.assert_frame_equal(second.bars, first.bars)

    # A fresh service over the same store (a restart) is served by the store too.
    again = ChartDataService([feed], BarStore(tmp_path / "cache")).get_bars(
        SYMBOL, "1m", start, end
    )
    assert again.cached
    assert feed.calls == 1


def test_bars_are_trimmed_to_the_half_open_range(tmp_path: Path, market: SyntheticMarket) -> None:
    bars = market.bars[SYMBOL]
    start, end = bars["timestamp"].iloc[100], bars["timestamp"].iloc[200]
    service = ChartDataService([FakeFeed("feed", bars)], None)
    got = service.get_bars(SYMBOL, Timeframe.parse("1m"), start.to_pydatetime(), end)
    assert len(got.bars) == 100
    assert got.bars["timestamp"].iloc[0] == start
    assert got.bars["timestamp"].iloc[-1] < end
    assert not got.stored  # no cache configured


def test_store_source_serves_without_copying(tmp_path: Path, market: SyntheticMarket) -> None:
    archive = BarStore(tmp_path / "archive")
    archive.write(SYMBOL, "1m", market.bars[SYMBOL], calendar="NSE")
    cache = BarStore(tmp_path / "cache")
    service = ChartDataService([StoreSource(archive, name="archive")], cache)
    got = service.get_bars(SYMBOL, "1m", *_window(market))
    assert (got.source, got.cached, got.stored) == ("archive", False, False)
    assert cache.symbols() == []


def test_source_not_covering_the_range_is_skipped(tmp_path: Path, market: SyntheticMarket) -> None:
    bars = market.bars[SYMBOL]
    cache = BarStore(tmp_path / "cache")
    half = len(bars) // 2
    cache.write(SYMBOL, "1m", bars.iloc[:half])  # the cache holds only the first half
    feed = FakeFeed("feed", bars)
    got = ChartDataService([feed], cache).get_bars(SYMBOL, "1m", *_window(market))
    assert got.source == "feed"
    assert got.attempts[0].source == "cache"
    assert got.attempts[0].code == "not_covering"
    assert "before end" in got.attempts[0].reason
    assert len(got.bars) == len(bars)
    # The fetched bars were merged into the cache, which now covers the range.
    assert ChartDataService([feed], cache).get_bars(SYMBOL, "1m", *_window(market)).cached


def test_hole_inside_the_range_is_not_coverage(tmp_path: Path, market: SyntheticMarket) -> None:
    bars = market.bars[SYMBOL]
    day = bars["timestamp"].dt.tz_convert("Asia/Kolkata").dt.date
    days = sorted(set(day))
    holed = bars[~day.isin(days[3:8])]  # drop five sessions (a week) in the middle
    got = ChartDataService([FakeFeed("holey", holed), FakeFeed("full", bars)], None).get_bars(
        SYMBOL, "1m", *_window(market)
    )
    assert got.source == "full"
    assert got.attempts[0].code == "not_covering"
    assert "no bars between" in got.attempts[0].reason


def test_weekend_edges_are_within_slack(market: SyntheticMarket) -> None:
    start, end = _window(market)
    got = ChartDataService([FakeFeed("feed", market.bars[SYMBOL])], None).get_bars(
        SYMBOL, "1m", start - timedelta(days=2), end + timedelta(days=2)
    )
    assert got.complete
    assert got.source == "feed"


def test_widest_partial_answer_when_nothing_covers(tmp_path: Path, market: SyntheticMarket) -> None:
    bars = market.bars[SYMBOL]
    small, larger = FakeFeed("small", bars.iloc[:400]), FakeFeed("larger", bars.iloc[:2000])
    cache = BarStore(tmp_path / "cache")
    start, end = _window(market)
    got = ChartDataService([small, larger], cache).get_bars(
        SYMBOL, "1m", start, end + timedelta(days=30)
    )
    assert not got.complete
    assert got.source == "larger"
    assert len(got.bars) == 2000
    assert [a.code for a in got.attempts] == ["no_data", "not_covering", "not_covering", "partial"]
    assert got.stored  # what was fetched is still worth caching


def test_no_data_error_lists_every_attempt(tmp_path: Path) -> None:
    service = ChartDataService(
        [FakeFeed("empty", None), BrokenFeed(), CsvDirectorySource(tmp_path / "missing")],
        BarStore(tmp_path / "cache"),
    )
    start = datetime(2025, 12, 1, tzinfo=UTC)
    with pytest.raises(NoDataError) as info:
        service.get_bars("SYNTH_NONE", "5m", start, start + timedelta(days=3))
    err = info.value
    assert err.symbol == "SYNTH_NONE"
    assert err.timeframe == Timeframe.parse("5m")
    assert [a.source for a in err.attempts] == ["cache", "empty", "broken", "csv"]
    assert [a.code for a in err.attempts] == ["no_data", "no_data", "error", "unavailable"]
    text = str(err)
    assert "SYNTH_NONE 5m" in text
    for needle in ("cache: no_data", "empty: no_data", "provider down", "does not exist"):
        assert needle in text
    assert isinstance(err, LookupError)


def test_rejects_naive_or_inverted_ranges(market: SyntheticMarket) -> None:
    service = ChartDataService([FakeFeed("feed", market.bars[SYMBOL])], None)
    with pytest.raises(ValueError, match="timezone-aware"):
        service.get_bars(SYMBOL, "1m", datetime(2025, 12, 1), None)
    start, end = _window(market)
    with pytest.raises(ValueError, match="before end"):
        service.get_bars(SYMBOL, "1m", end, start)


def test_open_ended_request_returns_everything(market: SyntheticMarket) -> None:
    got = ChartDataService([FakeFeed("feed", market.bars[SYMBOL])], None).get_bars(SYMBOL, "1m")
    assert len(got.bars) == len(market.bars[SYMBOL])
    assert got.complete


# --- CSV directory source ---------------------------------------------------------------------


def test_csv_directory_source_serves_and_caches(tmp_path: Path, market: SyntheticMarket) -> None:
    market.write_csv(tmp_path / "csv")
    cache = BarStore(tmp_path / "cache")
    csv = CsvDirectorySource(tmp_path / "csv")
    service = ChartDataService([csv], cache, calendar="NSE")
    start, end = _window(market)
    got = service.get_bars("SYNTH_NIFTY", "1m", start, end)
    assert (got.source, got.cached, got.stored) == ("csv", False, True)
    pd.testing.assert_frame_equal(got.bars, market.bars["SYNTH_NIFTY"])
    assert service.get_bars("SYNTH_NIFTY", "1m", start, end).cached
    assert cache.info("SYNTH_NIFTY", "1m").calendar == "NSE"
    assert csv.files("SYNTH_NIFTY", Timeframe.parse("5m")) == []


def test_cached_csv_series_keeps_the_calendar_it_was_validated_on(
    tmp_path: Path, market: SyntheticMarket
) -> None:
    market.write_csv(tmp_path / "csv")
    cache = BarStore(tmp_path / "cache")
    service = ChartDataService([CsvDirectorySource(tmp_path / "csv")], cache)  # no calendar given
    service.get_bars("SYNTH_NIFTY", "1m")
    assert cache.info("SYNTH_NIFTY", "1m").calendar == "NSE"  # inferred from +05:30


def test_csv_file_outside_the_range_is_not_read(tmp_path: Path, market: SyntheticMarket) -> None:
    paths = market.write_csv(tmp_path)
    path = next(p for p in paths if p.name.startswith(f"{SYMBOL}_"))
    path.write_text("garbage\n")  # would be refused if it were read
    csv = CsvDirectorySource(tmp_path)
    assert csv.fetch(SYMBOL, Timeframe.parse("1m"), datetime(2026, 2, 1, tzinfo=UTC), None) is None
    assert csv.fetch(SYMBOL, Timeframe.parse("1m"), None, datetime(2020, 1, 1, tzinfo=UTC)) is None


def _corrupt(path: Path, line: int) -> None:
    lines = path.read_text().splitlines()
    fields = lines[line - 1].split(",")
    fields[2] = "not-a-price"  # high
    lines[line - 1] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")


def test_csv_file_with_bad_rows_is_refused(tmp_path: Path, market: SyntheticMarket) -> None:
    paths = market.write_csv(tmp_path / "csv")
    bad = next(p for p in paths if p.name.startswith(f"{SYMBOL}_"))
    _corrupt(bad, line=5)
    feed = FakeFeed("feed", market.bars[SYMBOL])
    service = ChartDataService([CsvDirectorySource(tmp_path / "csv"), feed], None)
    got = service.get_bars(SYMBOL, "1m", *_window(market))
    assert got.source == "feed"
    refusal = got.attempts[0]
    assert refusal.source == "csv"
    assert refusal.code == "refused"
    assert bad.name in refusal.reason
    assert "1 invalid row" in refusal.reason
    assert "line 5" in refusal.reason
    assert "allow_issues" in refusal.reason

    with pytest.raises(SourceRefused, match="line 5"):
        CsvDirectorySource(tmp_path / "csv").fetch(SYMBOL, Timeframe.parse("1m"), None, None)


def test_csv_bad_rows_allowed_when_configured(tmp_path: Path, market: SyntheticMarket) -> None:
    paths = market.write_csv(tmp_path / "csv")
    bad = next(p for p in paths if p.name.startswith(f"{SYMBOL}_"))
    _corrupt(bad, line=5)  # the 4th data row
    csv = CsvDirectorySource(tmp_path / "csv", allow_issues=True)
    got = ChartDataService([csv], None).get_bars(SYMBOL, "1m", *_window(market))
    assert got.source == "csv"
    expected = market.bars[SYMBOL].drop(index=3).reset_index(drop=True)
    pd.testing.assert_frame_equal(got.bars, expected)


def test_csv_unreadable_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / f"{SYMBOL}_1m_2025-12-01_2025-12-05.csv").write_text("nope,nothing\n1,2\n")
    with pytest.raises(SourceRefused, match="cannot be read"):
        CsvDirectorySource(tmp_path).fetch(SYMBOL, Timeframe.parse("1m"), None, None)
    assert (
        CsvDirectorySource(tmp_path, allow_issues=True).fetch(
            SYMBOL, Timeframe.parse("1m"), None, None
        )
        is None
    )


# --- registry ---------------------------------------------------------------------------------


def test_builtin_sources_are_registered(tmp_path: Path) -> None:
    assert {"store", "csv"} <= set(available_sources())
    store = create_source("store", root=tmp_path / "s")
    assert isinstance(store, StoreSource)
    assert store.name == "store"
    csv = create_source("csv", directory=tmp_path, name="shared")
    assert isinstance(csv, CsvDirectorySource)
    assert csv.name == "shared"


def test_register_custom_source() -> None:
    register_source("fake-feed-test", lambda **kw: FakeFeed(kw.get("name", "fake"), None))
    try:
        source = create_source("fake-feed-test", name="online")
        assert source.name == "online"
        with pytest.raises(ValueError, match="already registered"):
            register_source("fake-feed-test", lambda **kw: FakeFeed("x", None))
        register_source("fake-feed-test", lambda **kw: FakeFeed("y", None), replace=True)
        assert create_source("fake-feed-test").name == "y"
    finally:
        from tronlab.data import charts

        charts._REGISTRY.pop("fake-feed-test", None)


def test_unknown_source_suggests_a_name() -> None:
    with pytest.raises(KeyError, match="did you mean 'store'"):
        create_source("stor")
