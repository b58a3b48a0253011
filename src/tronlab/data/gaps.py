"""Gap detection: compare a bar frame with the bars its trading calendar says should exist.

:func:`find_gaps` reports whole sessions without bars, sessions with some bars missing (the
missing bars collapsed into contiguous ``[start, end)`` ranges), bars outside any session, and
in-session bars that are not on the session's bar grid. It is vectorised over bars; only the
sessions that have gaps are visited in Python.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tronlab.data.bars import Timeframe
from tronlab.data.calendars import TradingCalendar

__all__ = ["GapReport", "SessionGap", "find_gaps"]

_NS = 1_000_000_000
_NS_PER_DAY = 86_400 * _NS


@dataclass(frozen=True)
class SessionGap:
    """A session with some (not all) expected bars missing.

    ``missing`` holds contiguous runs of missing bars as ``(first bar start, end)`` with an
    exclusive end (UTC); a run never spans a break.
    """

    date: datetime.date
    expected: int
    present: int
    missing: list[tuple[pd.Timestamp, pd.Timestamp]]

    @property
    def missing_bars(self) -> int:
        return self.expected - self.present

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "expected": self.expected,
            "present": self.present,
            "missing": [[s.isoformat(), e.isoformat()] for s, e in self.missing],
        }


@dataclass(frozen=True)
class GapReport:
    """The result of :func:`find_gaps` (``to_dict`` gives a JSON-friendly form).

    ``unexpected`` counts bars outside every trading window (outside sessions or in a break;
    for daily bars: on a date that is not a session); ``misaligned`` counts in-session bars that
    are not on the session's bar grid (for daily bars: not stamped 00:00 local). Totals count
    expected bars; ``bars_present`` counts the expected bars that were found.
    """

    calendar: str
    timeframe: str
    start: datetime.date | None
    end: datetime.date | None
    missing_sessions: list[datetime.date] = field(default_factory=list)
    partial_sessions: list[SessionGap] = field(default_factory=list)
    unexpected: int = 0
    misaligned: int = 0
    first_unexpected: pd.Timestamp | None = None
    sessions_expected: int = 0
    sessions_complete: int = 0
    bars_expected: int = 0
    bars_present: int = 0

    @property
    def bars_missing(self) -> int:
        return self.bars_expected - self.bars_present

    @property
    def is_clean(self) -> bool:
        """No missing, unexpected or misaligned bars."""
        return not (self.bars_missing or self.unexpected or self.misaligned)

    def to_dict(self) -> dict[str, Any]:
        return {
            "calendar": self.calendar,
            "timeframe": self.timeframe,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "missing_sessions": [d.isoformat() for d in self.missing_sessions],
            "partial_sessions": [g.to_dict() for g in self.partial_sessions],
            "unexpected": self.unexpected,
            "misaligned": self.misaligned,
            "first_unexpected": (
                self.first_unexpected.isoformat() if self.first_unexpected is not None else None
            ),
            "totals": {
                "sessions_expected": self.sessions_expected,
                "sessions_complete": self.sessions_complete,
                "sessions_partial": len(self.partial_sessions),
                "sessions_missing": len(self.missing_sessions),
                "bars_expected": self.bars_expected,
                "bars_present": self.bars_present,
                "bars_missing": self.bars_missing,
            },
        }


def find_gaps(
    bars: pd.DataFrame,
    calendar: TradingCalendar,
    timeframe: Timeframe | str,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> GapReport:
    """Compare ``bars`` with ``calendar``'s expected bars of ``timeframe``.

    The range checked is ``[start, end]`` (session dates, inclusive), by default the local
    dates of the first and last bar; bars dated outside it are ignored. For daily timeframes
    only whole missing sessions are reported. Timestamps must be tz-aware (bar starts).
    """
    tf = Timeframe.parse(timeframe)
    if not tf.is_intraday and tf.seconds != 86_400:
        raise ValueError(f"timeframe {tf}: only intraday timeframes and 1d are supported")
    if "timestamp" not in bars.columns:
        raise ValueError("bar frame lacks a 'timestamp' column")
    ts = pd.DatetimeIndex(bars["timestamp"])
    if ts.tz is None and len(ts):
        raise ValueError("bar timestamps must be timezone-aware")
    t = ts.tz_convert("UTC").as_unit("ns").asi8 if len(ts) else np.empty(0, dtype=np.int64)
    t = np.unique(t[~np.asarray(ts.isna(), dtype=bool)])
    days = calendar.local_days(t) if len(t) else np.empty(0, dtype=np.int64)

    if start is None or end is None:
        if not len(t):
            return GapReport(calendar.name, tf.label, start, end)
        start = start or _date(int(days.min()))
        end = end or _date(int(days.max()))
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    in_range = (days >= _day(start)) & (days <= _day(end))
    t, days = t[in_range], days[in_range]
    i0, i1 = calendar.positions(start, end)

    if tf.is_intraday:
        return _intraday(calendar, tf, start, end, t, i0, i1)
    return _daily(calendar, tf, start, end, t, days, i0, i1)


def _intraday(
    cal: TradingCalendar,
    tf: Timeframe,
    start: datetime.date,
    end: datetime.date,
    t: np.ndarray,
    i0: int,
    i1: int,
) -> GapReport:
    grid = cal.bar_grid(start, end, tf)
    loc = cal.locate(t)
    outside = ~loc.inside
    first_unexpected = _ts(int(t[outside][0])) if outside.any() else None
    if len(t):
        pos = np.minimum(np.searchsorted(t, grid.start), len(t) - 1)
        found = t[pos] == grid.start
    else:
        found = np.zeros(len(grid.start), dtype=bool)
    n_sess = i1 - i0
    expected = np.bincount(grid.session - i0, minlength=n_sess)
    present = np.bincount(grid.session[found] - i0, minlength=n_sess)
    has_bars = expected > 0
    missing_mask = has_bars & (present == 0)
    partial_mask = (present > 0) & (present < expected)
    dates = cal.session_dates(np.arange(i0, i1))

    partial: list[SessionGap] = []
    if partial_mask.any():
        miss = np.flatnonzero(~found)
        miss = miss[partial_mask[grid.session[miss] - i0]]
        # A run breaks where the next missing bar is not the time-contiguous grid neighbour.
        brk = np.flatnonzero(
            (grid.session[miss[1:]] != grid.session[miss[:-1]])
            | (grid.start[miss[1:]] != grid.end[miss[:-1]])
        )
        run_first = miss[np.concatenate([[0], brk + 1])]
        run_last = miss[np.concatenate([brk, [len(miss) - 1]])]
        run_sess = grid.session[run_first]
        run_start = pd.to_datetime(grid.start[run_first], unit="ns", utc=True)
        run_end = pd.to_datetime(grid.end[run_last], unit="ns", utc=True)
        bounds = np.searchsorted(run_sess, np.flatnonzero(partial_mask) + i0, side="left")
        bounds = np.append(bounds, len(run_sess))
        for n, k in enumerate(np.flatnonzero(partial_mask)):
            a, b = bounds[n], bounds[n + 1]
            partial.append(
                SessionGap(
                    date=_to_pydate(dates[k]),
                    expected=int(expected[k]),
                    present=int(present[k]),
                    missing=list(zip(run_start[a:b], run_end[a:b], strict=True)),
                )
            )
    return GapReport(
        calendar=cal.name,
        timeframe=tf.label,
        start=start,
        end=end,
        missing_sessions=[_to_pydate(d) for d in dates[missing_mask]],
        partial_sessions=partial,
        unexpected=int(outside.sum()),
        misaligned=int(loc.inside.sum() - found.sum()),
        first_unexpected=first_unexpected,
        sessions_expected=int(has_bars.sum()),
        sessions_complete=int((has_bars & (present == expected)).sum()),
        bars_expected=len(grid.start),
        bars_present=int(found.sum()),
    )


def _daily(
    cal: TradingCalendar,
    tf: Timeframe,
    start: datetime.date,
    end: datetime.date,
    t: np.ndarray,
    days: np.ndarray,
    i0: int,
    i1: int,
) -> GapReport:
    positions = np.arange(i0, i1)
    sess_days = cal.session_dates(positions).astype(np.int64)
    on_session = np.isin(days, sess_days)
    found = np.isin(sess_days, days)
    midnights = cal.session_midnights(positions)
    misaligned = int(on_session.sum() - np.isin(t, midnights).sum())
    first_unexpected = _ts(int(t[~on_session][0])) if (~on_session).any() else None
    return GapReport(
        calendar=cal.name,
        timeframe=tf.label,
        start=start,
        end=end,
        missing_sessions=[_date(int(d)) for d in sess_days[~found]],
        unexpected=int((~on_session).sum()),
        misaligned=misaligned,
        first_unexpected=first_unexpected,
        sessions_expected=len(sess_days),
        sessions_complete=int(found.sum()),
        bars_expected=len(sess_days),
        bars_present=int(found.sum()),
    )


def _day(d: datetime.date) -> int:
    return (d - datetime.date(1970, 1, 1)).days


def _date(day: int) -> datetime.date:
    return datetime.date(1970, 1, 1) + datetime.timedelta(days=day)


def _to_pydate(d: np.datetime64) -> datetime.date:
    return _date(int(d.astype("datetime64[D]").astype(np.int64)))


def _ts(ns: int) -> pd.Timestamp:
    return pd.Timestamp(ns, unit="ns", tz="UTC")
