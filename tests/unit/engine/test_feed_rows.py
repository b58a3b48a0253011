"""MergedFeed.rows: the bars of each series, as the replay visits them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tronlab.engine import feed as feed_mod
from tronlab.engine.feed import BarSeries, MergedFeed, SeriesKey


def _frame(n: int, start: str, step: str, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100 + np.cumsum(rng.normal(0, 0.1, n)).round(2)
    return pd.DataFrame(
        {
            "timestamp": pd.date_range(start, periods=n, freq=step, tz="UTC"),
            "open": close,
            "high": close + 0.05,
            "low": close - 0.05,
            "close": close,
            "volume": rng.integers(1, 1000, n).astype(float),
        }
    )


def _expected(feed: MergedFeed) -> list[tuple[int, tuple]]:
    cols = ("start_ns", "end_ns", "open", "high", "low", "close", "volume", "session")
    out = []
    for sid, row in feed.events():
        s = feed.series[sid]
        out.append((sid, tuple(getattr(s, c)[row].item() for c in cols)))
    return out


def _replayed(feed: MergedFeed) -> list[tuple[int, tuple]]:
    rows = [feed.rows(i) for i in range(len(feed.series))]
    return [(sid, next(rows[sid])) for sid, _ in feed.events()]


@pytest.mark.parametrize("chunk", [3, 8192])
def test_rows_follow_the_events(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(feed_mod, "_CHUNK", chunk)  # chunk borders inside the data too
    one = BarSeries(SeriesKey("A", "1m"), _frame(50, "2024-01-02 09:15", "1min", 1), None)
    five = BarSeries(SeriesKey("A", "5m"), _frame(10, "2024-01-02 09:15", "5min", 2), None)
    other = BarSeries(SeriesKey("B", "1m"), _frame(40, "2024-01-02 09:20", "1min", 3), None)
    for series in ([one], [one, five, other]):
        feed = MergedFeed(series)
        replayed = _replayed(feed)
        assert replayed == _expected(feed)
        assert len(replayed) == len(feed) == sum(len(s) for s in series)
        # Python values, as the lists the loop used to index
        assert all(type(v) is int for v in replayed[0][1][:2] + replayed[0][1][7:])
        assert all(type(v) is float for v in replayed[0][1][2:7])


def test_single_series_feed_is_the_sorted_one() -> None:
    a = BarSeries(SeriesKey("A", "1m"), _frame(30, "2024-01-02 09:15", "1min", 4), None)
    fast = MergedFeed([a])
    assert list(fast.events()) == [(0, r) for r in range(30)]
    assert fast.first_ns == a.end_ns[0]
    assert fast.last_ns == a.end_ns[-1]


def test_rows_of_a_series_whose_ends_go_back() -> None:
    """Ends that decrease (never produced by the loader, but possible in a hand-made series)
    are visited in end order; rows() follows that order."""
    a = BarSeries(SeriesKey("A", "1m"), _frame(20, "2024-01-02 09:15", "1min", 5), None)
    b = BarSeries(SeriesKey("B", "1m"), _frame(20, "2024-01-02 09:15", "1min", 6), None)
    ends = a.end_ns.copy()
    ends[5], ends[6] = ends[6], ends[5]
    ends.setflags(write=False)
    a.end_ns = ends
    feed = MergedFeed([a, b])
    visited = [row for sid, row in feed.events() if sid == 0]
    assert visited != sorted(visited)  # the out-of-order rows are really visited so
    assert _replayed(feed) == _expected(feed)
