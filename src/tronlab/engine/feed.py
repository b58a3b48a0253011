"""Bar feeds: many symbols and timeframes merged into one deterministic stream of closed bars.

A bar becomes an event when it **closes**: its event time is its end (start + timeframe, or the
session close for a short last bar of a session). Events are ordered by event time, then by
timeframe (shorter first, so a 1m bar closing at 10:15 is seen before the 15m bar that ends
with it), then by symbol: the same inputs always give the same order.

The series are held as read-only numpy arrays; :class:`BarSeries.upto` gives the closed-bar
history of a series as views, so a strategy can never see a bar that has not closed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date
from itertools import chain, repeat

import numpy as np
import pandas as pd

from tronlab.data.bars import Timeframe
from tronlab.data.calendars import TradingCalendar
from tronlab.data.store import BarStore
from tronlab.strategy.bars import History


@dataclass(frozen=True)
class SeriesKey:
    symbol: str
    timeframe: str

    def __str__(self) -> str:
        return f"{self.symbol} {self.timeframe}"


class BarSeries:
    """One symbol at one timeframe as read-only arrays (times in int64 ns UTC)."""

    __slots__ = (
        "close",
        "end_ns",
        "high",
        "key",
        "low",
        "open",
        "session",
        "start_ns",
        "timeframe",
        "volume",
    )

    key: SeriesKey
    timeframe: Timeframe
    start_ns: np.ndarray
    end_ns: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    session: np.ndarray

    def __init__(
        self, key: SeriesKey, bars: pd.DataFrame, calendar: TradingCalendar | None
    ) -> None:
        self.key = key
        self.timeframe = Timeframe.parse(key.timeframe)
        ts = pd.DatetimeIndex(bars["timestamp"]).as_unit("ns")
        if ts.tz is None:
            raise ValueError(f"{key}: bar timestamps must be timezone-aware")
        if len(ts) > 1 and not (ts[1:] > ts[:-1]).all():
            raise ValueError(f"{key}: bar timestamps must be strictly increasing")
        self.start_ns = _ro(ts.asi8.astype(np.int64, copy=True))
        self.end_ns = _ro(_bar_ends(ts, self.timeframe, calendar))
        for name in ("open", "high", "low", "close", "volume"):
            setattr(self, name, _ro(bars[name].to_numpy(dtype=np.float64, copy=True)))
        local = ts.tz_convert(calendar.tz) if calendar is not None else ts
        if _is_utc(local.tz):  # the day number straight from the ns (what normalize gives)
            days = local.asi8 // _DAY_NS
        else:
            days = local.normalize().tz_localize(None).asi8 // _DAY_NS
        self.session = _ro(days.astype(np.int64))

    def __len__(self) -> int:
        return len(self.start_ns)

    def upto(self, index: int) -> History:
        """The closed bars ``0..index`` (views, no copy)."""
        stop = index + 1
        return History(
            self.start_ns[:stop],
            self.open[:stop],
            self.high[:stop],
            self.low[:stop],
            self.close[:stop],
            self.volume[:stop],
        )

    def fingerprint_parts(self) -> tuple[bytes, ...]:
        return (
            self.start_ns.tobytes(),
            self.open.tobytes(),
            self.high.tobytes(),
            self.low.tobytes(),
            self.close.tobytes(),
            self.volume.tobytes(),
        )


class MergedFeed:
    """Replays a set of series in event order; see the module docstring for the order."""

    def __init__(self, series: Sequence[BarSeries]) -> None:
        if not series:
            raise ValueError("a feed needs at least one series")
        keys = [s.key for s in series]
        if len(set(keys)) != len(keys):
            raise ValueError(f"duplicate series in feed: {keys}")
        self.series = list(series)
        # Rows of one series are visited in row order exactly when its ends never decrease
        # (the order below ranks a series' rows by end, then by row).
        self._ordered = [_non_decreasing(s.end_ns) for s in series]
        if len(series) == 1 and self._ordered[0]:  # one series in time order: no sort needed
            n = len(series[0])
            self._sid = np.zeros(n, dtype=np.int64)
            self._row = np.arange(n, dtype=np.int64)
            self._end = series[0].end_ns
            return
        sid = np.concatenate([np.full(len(s), n, dtype=np.int64) for n, s in enumerate(series)])
        row = np.concatenate([np.arange(len(s), dtype=np.int64) for s in series])
        end = np.concatenate([s.end_ns for s in series])
        tf = np.concatenate([np.full(len(s), s.timeframe.seconds) for s in series])
        rank = {k: r for r, k in enumerate(sorted(keys, key=lambda k: (k.symbol, k.timeframe)))}
        sym = np.concatenate([np.full(len(s), rank[s.key]) for s in series])
        order = np.lexsort((row, sym, tf, end))  # last key is primary
        self._sid = sid[order]
        self._row = row[order]
        self._end = end[order]

    def __len__(self) -> int:
        return len(self._sid)

    def events(self) -> Iterator[tuple[int, int]]:
        """``(series index, row index)`` pairs in event order."""
        if len(self.series) == 1 and self._ordered[0]:
            return zip(repeat(0), range(len(self._row)))
        return zip(self._sid.tolist(), self._row.tolist(), strict=True)

    def rows(self, index: int) -> Iterator[Row]:
        """The bars of series ``index`` as :data:`Row` tuples, in the order :meth:`events`
        visits them; converted to Python values a chunk at a time, as the replay needs them
        (fast to step through, and never the whole series in Python objects at once)."""
        s = self.series[index]
        visit = None if self._ordered[index] else self._row[self._sid == index]
        return chain.from_iterable(_row_chunks(s, visit))

    @property
    def first_ns(self) -> int:
        return int(self._end[0])

    @property
    def last_ns(self) -> int:
        return int(self._end[-1])


#: One bar as the replay reads it: start_ns, end_ns, open, high, low, close, volume, session.
Row = tuple[int, int, float, float, float, float, float, int]
_CHUNK = 8192


def _row_chunks(s: BarSeries, visit: np.ndarray | None) -> Iterator[Iterator[Row]]:
    columns = (s.start_ns, s.end_ns, s.open, s.high, s.low, s.close, s.volume, s.session)
    n = len(s) if visit is None else len(visit)
    for i in range(0, n, _CHUNK):
        part = slice(i, i + _CHUNK) if visit is None else visit[i : i + _CHUNK]
        yield zip(*(c[part].tolist() for c in columns), strict=True)


def _non_decreasing(a: np.ndarray) -> bool:
    return len(a) < 2 or bool((a[1:] >= a[:-1]).all())


def load_series(
    store: BarStore,
    symbols: Sequence[str],
    timeframes: Sequence[str],
    calendars: dict[str, TradingCalendar | None],
    start: date | str | None = None,
    end: date | str | None = None,
) -> list[BarSeries]:
    """Read every (symbol, timeframe) from the store for ``[start, end)``."""
    out: list[BarSeries] = []
    for symbol in symbols:
        for tf in timeframes:
            bars = store.read(symbol, tf, start=start, end=end)
            if bars.empty:
                raise ValueError(f"no bars for {symbol} {tf} between {start} and {end}")
            out.append(BarSeries(SeriesKey(symbol.upper(), tf), bars, calendars.get(symbol)))
    return out


def _bar_ends(ts: pd.DatetimeIndex, tf: Timeframe, cal: TradingCalendar | None) -> np.ndarray:
    """Bar end = start + timeframe, cut at the session close (NSE 15:15 1h bar ends 15:30)."""
    ends = ts.asi8 + tf.seconds * 1_000_000_000
    if cal is None or not tf.is_intraday or len(ts) == 0:
        return np.asarray(ends, dtype=np.int64)
    first = ts[0].tz_convert(cal.tz).date()
    last = ts[-1].tz_convert(cal.tz).date()
    sessions = cal.sessions(first, last)
    if not sessions:
        return np.asarray(ends, dtype=np.int64)
    opens = np.array([s.open.value for s in sessions], dtype=np.int64)
    closes = np.array([s.close.value for s in sessions], dtype=np.int64)
    pos = np.searchsorted(opens, ts.asi8, side="right") - 1
    inside = pos >= 0
    cap = np.where(inside, closes[np.clip(pos, 0, None)], np.iinfo(np.int64).max)
    capped = np.where(inside & (ts.asi8 < cap), np.minimum(ends, cap), ends)
    return np.asarray(capped, dtype=np.int64)


_DAY_NS = 86_400_000_000_000


def _is_utc(tz: object) -> bool:
    """Whether ``tz`` is UTC itself (no offset, ever), in any of the spellings pandas keeps."""
    return tz is UTC or str(tz) in ("UTC", "Etc/UTC", "utc")


def _ro(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a
