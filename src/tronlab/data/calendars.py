"""Trading calendars: sessions, breaks and special days for NSE, NYSE and 24x7 markets.

The regular schedule comes from the maintained ``exchange_calendars`` library (``XBOM`` for
NSE: NSE and BSE share their holiday list; ``XNYS`` for NYSE, including its early closes). What
that library lacks (NSE's Muhurat, budget-day and DR-site sessions, NSE's pre-2010 hours, a few
NSE/BSE holiday differences) is kept as data in ``calendar_data/<calendar>.yaml`` next to this
module; users add more with ``get_calendar(name, overrides=[path, ...])``. The YAML schema is
documented at the top of ``calendar_data/nse.yaml`` and enforced by :func:`load_overrides`.

Internally a calendar is a sorted table of sessions held in NumPy arrays (UTC nanoseconds), so
membership tests and bar grids are vectorised; :class:`Session` objects are made on demand.

Conventions: all instants are tz-aware UTC ``pd.Timestamp`` values; session ``close`` and break
ends are exclusive; a *trading window* is a session minus its breaks. Dates outside a
calendar's coverage (:attr:`TradingCalendar.first_date` .. :attr:`TradingCalendar.last_date`)
raise ``ValueError`` rather than guessing: NSE holiday data ends where ``exchange_calendars``'s
``XBOM`` list ends.

The code is split by concept: this module holds the calendar itself (:class:`Session`,
:class:`TradingCalendar`, :func:`get_calendar` with its names and cache);
:mod:`tronlab.data.calendar_overrides` the YAML override schema and its validation;
:mod:`tronlab.data.calendar_schedule` the calendar specs, ``exchange_calendars`` base tables and
how override layers are applied; :mod:`tronlab.data.calendar_time` the UTC-ns/day arithmetic.
The override schema's public names are re-exported here, so callers keep importing from
this module.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from tronlab.data.bars import Timeframe
from tronlab.data.calendar_overrides import (
    SESSION_KINDS,
    CalendarDataError,
    CalendarOverrides,
    HolidayOverride,
    HoursPeriod,
    SpecialSession,
    load_overrides,
    parse_overrides,
    parse_overrides_text,
)
from tronlab.data.calendar_schedule import SPECS, base_table, build_session_table
from tronlab.data.calendar_time import (
    MIN_INT,
    NS,
    as_date,
    day_number,
    day_to_date,
    local_to_utc_ns,
    to_utc_ns,
    utc_ts,
)

__all__ = [
    "SESSION_KINDS",
    "BarGrid",
    "CalendarDataError",
    "CalendarOverrides",
    "HolidayOverride",
    "HoursPeriod",
    "Location",
    "Session",
    "SpecialSession",
    "TradingCalendar",
    "calendar_names",
    "get_calendar",
    "load_overrides",
    "parse_overrides",
]


# --------------------------------------------------------------------------------------------
# Sessions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Session:
    """One trading session (a trading date) of a calendar.

    ``open``/``close`` are tz-aware UTC; ``close`` is exclusive (NSE 15:30 IST: the last 1m bar
    starts 15:29). ``breaks`` are ``[start, end)`` no-trading intervals inside the session.
    ``kind`` is ``"regular"``, ``"early_close"`` or ``"special"``; ``uncertain`` marks sessions
    whose hours come from a secondary or missing source (see ``note``).
    """

    date: datetime.date
    open: pd.Timestamp
    close: pd.Timestamp
    breaks: tuple[tuple[pd.Timestamp, pd.Timestamp], ...] = ()
    kind: str = "regular"
    note: str = ""
    uncertain: bool = False

    @property
    def windows(self) -> tuple[tuple[pd.Timestamp, pd.Timestamp], ...]:
        """The trading windows ``[start, end)``: the session minus its breaks."""
        edges: list[pd.Timestamp] = [self.open]
        for b0, b1 in self.breaks:
            edges += [b0, b1]
        edges.append(self.close)
        return tuple((edges[i], edges[i + 1]) for i in range(0, len(edges), 2))

    @property
    def trading_time(self) -> pd.Timedelta:
        """Time open for trading (session length minus breaks)."""
        return sum((e - s for s, e in self.windows), pd.Timedelta(0))


class BarGrid(NamedTuple):
    """Expected bars of a timeframe over a run of sessions (vectorised form of ``bar_starts``).

    ``start``/``end`` are int64 UTC nanoseconds (``end`` exclusive, clipped to the window end,
    so a short last bar such as NSE 1h 15:15-15:30 ends at the close); ``session`` is the
    position of each bar's session in the calendar (see :meth:`TradingCalendar.session_dates`).
    """

    start: np.ndarray
    end: np.ndarray
    session: np.ndarray


class Location(NamedTuple):
    """Where timestamps fall (from :meth:`TradingCalendar.locate`); arrays align with the input.

    ``inside`` is True inside a trading window; ``session`` is the session position (-1 where
    not inside); ``window_start``/``window_end`` are int64 UTC ns (undefined where not inside).
    """

    inside: np.ndarray
    session: np.ndarray
    window_start: np.ndarray
    window_end: np.ndarray


# --------------------------------------------------------------------------------------------
# Calendar names and loading
# --------------------------------------------------------------------------------------------


_ALIASES: dict[str, str] = {
    "NSE": "NSE", "XNSE": "NSE", "NFO": "NSE", "BSE": "NSE", "XBOM": "NSE",
    "NYSE": "NYSE", "XNYS": "NYSE", "US": "NYSE",
    "24X7": "24x7", "CRYPTO": "24x7",
}  # fmt: skip


def calendar_names() -> dict[str, str]:
    """Accepted names (upper case) and the calendar each resolves to."""
    return dict(_ALIASES)


def _canonical(name: str) -> str:
    key = str(name).strip().upper()
    if key not in _ALIASES:
        valid = ", ".join(sorted({*_ALIASES, "24x7"} - {"24X7"}))
        raise ValueError(f"unknown calendar {name!r}; valid names: {valid}")
    return _ALIASES[key]


def get_calendar(name: str, overrides: Sequence[Path | str] = ()) -> TradingCalendar:
    """The trading calendar ``name`` ("NSE", "NYSE", "24x7" or an alias), with overrides.

    ``overrides`` are YAML files applied in order after the packaged data (a later file wins
    for the same date). Calendars are cached; the cache key holds each override file's path
    and content, so an edited file is picked up.
    """
    canonical = _canonical(name)
    files: list[tuple[str, str]] = []
    for path in overrides:
        p = Path(path)
        try:
            files.append((str(p.resolve()), p.read_text(encoding="utf-8")))
        except OSError as exc:
            raise CalendarDataError(f"{p}: cannot read calendar override file: {exc}") from exc
    return _cached_calendar(canonical, tuple(files))


@functools.lru_cache(maxsize=32)
def _cached_calendar(canonical: str, files: tuple[tuple[str, str], ...]) -> TradingCalendar:
    spec = SPECS[canonical]
    layers: list[CalendarOverrides] = []
    packaged = _packaged_text(spec.data_file)
    if packaged is not None:
        layers.append(
            parse_overrides_text(packaged, f"tronlab/data/calendar_data/{spec.data_file}")
        )
    layers += [parse_overrides_text(text, source) for source, text in files]
    for layer in layers:
        if layer.calendar is not None and _canonical(layer.calendar) != canonical:
            raise CalendarDataError(
                f"{layer.source}: calendar: file is for {layer.calendar!r}, "
                f"but was applied to {canonical}"
            )
    return TradingCalendar(*build_session_table(spec, base_table(canonical), layers))


def _packaged_text(filename: str | None) -> str | None:
    if filename is None:
        return None
    ref = resources.files("tronlab.data").joinpath("calendar_data", filename)
    return ref.read_text(encoding="utf-8") if ref.is_file() else None


# --------------------------------------------------------------------------------------------
# The calendar
# --------------------------------------------------------------------------------------------


class TradingCalendar:
    """Sessions of one market. Obtain instances with :func:`get_calendar`.

    Attributes: ``name`` ("NSE" | "NYSE" | "24x7"), ``tz`` (exchange ``ZoneInfo``),
    ``first_date``/``last_date`` (coverage; other dates raise ``ValueError``) and ``sources``
    (the override files applied, in order).
    """

    name: str
    tz: ZoneInfo

    def __init__(
        self,
        name: str,
        tz: str,
        first_date: datetime.date,
        last_date: datetime.date,
        dates: np.ndarray,
        opens: np.ndarray,
        closes: np.ndarray,
        kinds: np.ndarray,
        notes: np.ndarray,
        uncertain: np.ndarray,
        win_start: np.ndarray,
        win_end: np.ndarray,
        win_offsets: np.ndarray,
        sources: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self.tz = ZoneInfo(tz)
        self._tzname = tz
        self.first_date = first_date
        self.last_date = last_date
        self.sources = sources
        self._dates = dates
        self._open = opens
        self._close = closes
        self._kind = kinds
        self._note = notes
        self._uncertain = uncertain
        self._win_start = win_start
        self._win_end = win_end
        self._win_off = win_offsets  # windows of session i: win_off[i]:win_off[i+1]
        self._win_sess = np.repeat(np.arange(len(dates), dtype=np.int64), np.diff(win_offsets))
        self._lo_ns = int(local_to_utc_ns(np.array([day_number(first_date)]), np.array([0]), tz)[0])
        self._hi_ns = int(
            local_to_utc_ns(np.array([day_number(last_date) + 1]), np.array([0]), tz)[0]
        )
        self._validate()

    def __repr__(self) -> str:
        extra = f", overrides={list(self.sources)}" if self.sources else ""
        return (
            f"TradingCalendar({self.name!r}, tz={self._tzname!r}, "
            f"{self.first_date}..{self.last_date}, {len(self._dates)} sessions{extra})"
        )

    def _validate(self) -> None:
        if not len(self._dates):
            raise CalendarDataError(f"{self.name}: the calendar has no sessions")
        if len(self._dates) and np.any(np.diff(self._dates) <= 0):
            raise CalendarDataError(f"{self.name}: session dates are not strictly increasing")
        bad = np.flatnonzero(self._close <= self._open)
        if len(bad):
            raise CalendarDataError(f"{self.name}: session {self._date_at(bad[0])} is empty")
        overlap = np.flatnonzero(self._close[:-1] > self._open[1:])
        if len(overlap):
            raise CalendarDataError(
                f"{self.name}: session {self._date_at(overlap[0])} overlaps the next one"
            )

    # ---- low-level helpers -------------------------------------------------------------------

    def _date_at(self, pos: int) -> datetime.date:
        return day_to_date(int(self._dates[pos]))

    def _check_day(self, day: datetime.date) -> int:
        if not self.first_date <= day <= self.last_date:
            raise ValueError(
                f"{day} is outside the {self.name} calendar's coverage "
                f"{self.first_date}..{self.last_date}"
            )
        return day_number(day)

    def _positions(self, start: Any, end: Any) -> tuple[int, int]:
        """Session positions ``[i0, i1)`` for the inclusive date range."""
        d0, d1 = self._check_day(as_date(start)), self._check_day(as_date(end))
        if d1 < d0:
            raise ValueError(f"end {as_date(end)} is before start {as_date(start)}")
        i0 = int(np.searchsorted(self._dates, d0, side="left"))
        i1 = int(np.searchsorted(self._dates, d1, side="right"))
        return i0, i1

    def _make_session(self, i: int) -> Session:
        w0, w1 = int(self._win_off[i]), int(self._win_off[i + 1])
        breaks = tuple(
            (utc_ts(int(self._win_end[k])), utc_ts(int(self._win_start[k + 1])))
            for k in range(w0, w1 - 1)
        )
        return Session(
            date=self._date_at(i),
            open=utc_ts(int(self._open[i])),
            close=utc_ts(int(self._close[i])),
            breaks=breaks,
            kind=str(self._kind[i]),
            note=str(self._note[i]),
            uncertain=bool(self._uncertain[i]),
        )

    def _check_range_ns(self, t: np.ndarray) -> None:
        valid = t[t != MIN_INT]
        if len(valid) and (valid.min() < self._lo_ns or valid.max() >= self._hi_ns):
            bad = valid[(valid < self._lo_ns) | (valid >= self._hi_ns)][0]
            raise ValueError(
                f"timestamp {utc_ts(int(bad))} is outside the {self.name} calendar's coverage "
                f"{self.first_date}..{self.last_date}"
            )

    # ---- public API --------------------------------------------------------------------------

    def sessions(self, start: datetime.date, end: datetime.date) -> list[Session]:
        """Sessions whose date lies in ``[start, end]`` (inclusive), in order."""
        i0, i1 = self._positions(start, end)
        return [self._make_session(i) for i in range(i0, i1)]

    def session(self, day: datetime.date) -> Session | None:
        """The session on ``day``, or ``None`` when the exchange does not trade that day."""
        d = self._check_day(as_date(day))
        i = int(np.searchsorted(self._dates, d))
        if i < len(self._dates) and self._dates[i] == d:
            return self._make_session(i)
        return None

    def is_session(self, day: datetime.date) -> bool:
        """Whether the exchange trades on ``day``."""
        d = self._check_day(as_date(day))
        i = int(np.searchsorted(self._dates, d))
        return bool(i < len(self._dates) and self._dates[i] == d)

    def session_of(self, ts: Any) -> Session | None:
        """The session whose ``[open, close)`` holds ``ts`` (breaks included), else ``None``."""
        t = to_utc_ns(ts)
        self._check_range_ns(t)
        i = int(np.searchsorted(self._open, t[0], side="right")) - 1
        if i >= 0 and t[0] < self._close[i]:
            return self._make_session(i)
        return None

    def bar_starts(self, session: Session, timeframe: Timeframe | str) -> pd.DatetimeIndex:
        """Expected bar starts (UTC) of ``session``: anchored at the open, restarting after each
        break, never inside a break; the last bar of a window may be short.

        A ``1d`` timeframe gives the single daily stamp: the session date 00:00 local, in UTC.
        """
        tf = Timeframe.parse(timeframe)
        if not tf.is_intraday:
            _require_daily(tf)
            midnight = local_to_utc_ns(
                np.array([day_number(session.date)]), np.array([0]), self._tzname
            )
            return pd.DatetimeIndex(pd.to_datetime(midnight, unit="ns", utc=True))
        step = tf.seconds * NS
        parts = [
            np.arange(int(s.as_unit("ns").value), int(e.as_unit("ns").value), step, dtype=np.int64)
            for s, e in session.windows
        ]
        arr = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
        return pd.DatetimeIndex(pd.to_datetime(arr, unit="ns", utc=True))

    def bar_grid(
        self, start: datetime.date, end: datetime.date, timeframe: Timeframe | str
    ) -> BarGrid:
        """All expected intraday bars of the sessions dated ``[start, end]`` (vectorised)."""
        tf = Timeframe.parse(timeframe)
        if not tf.is_intraday:
            raise ValueError("bar_grid is for intraday timeframes; use sessions() for daily bars")
        i0, i1 = self._positions(start, end)
        return self._grid(i0, i1, tf.seconds * NS)

    def _grid(self, i0: int, i1: int, step: int) -> BarGrid:
        w0, w1 = int(self._win_off[i0]), int(self._win_off[i1])
        ws, we = self._win_start[w0:w1], self._win_end[w0:w1]
        counts = -((ws - we) // step)  # ceil((we - ws) / step)
        rep = np.repeat(np.arange(len(ws)), counts)
        first = np.repeat(np.cumsum(counts) - counts, counts)
        starts = ws[rep] + (np.arange(int(counts.sum()), dtype=np.int64) - first) * step
        ends = np.minimum(starts + step, we[rep])
        return BarGrid(starts, ends, self._win_sess[w0:w1][rep])

    def in_session_mask(self, timestamps: Any) -> np.ndarray:
        """Boolean array: which (intraday bar) timestamps lie in a trading window.

        False outside sessions and inside breaks; NaT gives False.
        """
        return self.locate(timestamps).inside

    def session_dates_mask(self, timestamps: Any) -> np.ndarray:
        """Boolean array for daily bars: whether each timestamp's local date is a session."""
        days = self.local_days(timestamps)
        ok = days != MIN_INT
        if ok.any():
            self._check_day(day_to_date(int(days[ok].min())))
            self._check_day(day_to_date(int(days[ok].max())))
        return np.asarray(np.isin(days, self._dates) & ok, dtype=bool)

    # ---- vectorised helpers for tronlab.data (gaps, resample) --------------------------------

    def locate(self, timestamps: Any) -> Location:
        """Trading window and session position of each timestamp (vectorised)."""
        t = to_utc_ns(timestamps)
        self._check_range_ns(t)
        k = np.searchsorted(self._win_start, t, side="right") - 1
        kk = np.maximum(k, 0)
        inside = (k >= 0) & (t < self._win_end[kk])
        session = np.where(inside, self._win_sess[kk], -1)
        return Location(inside, session, self._win_start[kk], self._win_end[kk])

    def local_days(self, timestamps: Any) -> np.ndarray:
        """Local (exchange time zone) date of each timestamp as int64 days since 1970-01-01."""
        t = to_utc_ns(timestamps)
        nat = t == MIN_INT
        local = pd.to_datetime(np.where(nat, 0, t), unit="ns", utc=True)
        if self._tzname != "UTC":
            local = local.tz_convert(self._tzname)
        days = np.asarray(local.tz_localize(None).values.astype("datetime64[D]").astype(np.int64))
        return np.where(nat, MIN_INT, days)

    def positions(self, start: datetime.date, end: datetime.date) -> tuple[int, int]:
        """Session positions ``[i0, i1)`` covering the inclusive date range."""
        return self._positions(start, end)

    def session_dates(self, positions: Any) -> np.ndarray:
        """Session dates (``datetime64[D]``) at the given session positions."""
        return self._dates[np.asarray(positions, dtype=np.int64)].astype("datetime64[D]")

    def session_midnights(self, positions: Any) -> np.ndarray:
        """UTC ns of 00:00 local on the session dates at ``positions`` (daily bar stamps)."""
        days = self._dates[np.asarray(positions, dtype=np.int64)]
        return local_to_utc_ns(days, np.zeros(len(days), dtype=np.int64), self._tzname)

    def sessions_frame(self, start: datetime.date, end: datetime.date) -> pd.DataFrame:
        """The sessions dated ``[start, end]`` as a table (one row per session)."""
        i0, i1 = self._positions(start, end)
        n_breaks = np.diff(self._win_off[i0 : i1 + 1]) - 1
        return pd.DataFrame(
            {
                "date": [day_to_date(int(d)) for d in self._dates[i0:i1]],
                "open": pd.to_datetime(self._open[i0:i1], unit="ns", utc=True),
                "close": pd.to_datetime(self._close[i0:i1], unit="ns", utc=True),
                "breaks": n_breaks,
                "kind": self._kind[i0:i1].astype(str),
                "note": self._note[i0:i1].astype(str),
                "uncertain": self._uncertain[i0:i1],
            }
        )


def _require_daily(tf: Timeframe) -> None:
    if tf.seconds != 86_400:
        raise ValueError(
            f"timeframe {tf} is not supported: sessions define intraday bars and 1d only"
        )
