"""Session/calendar features (group ``session``) and cross-asset features (group ``cross``).

Session features
----------------
A *session* is a run of bars with the same ``bars.session`` id (a change of id starts a new
session). Its schedule comes from the bars' time zone ``bars.tz``:

* the trading calendar of that zone (:data:`TZ_CALENDARS`: ``Asia/Kolkata`` → NSE,
  ``America/New_York`` → NYSE, ``UTC`` → 24x7), packaged data only (no user overrides), for
  dates the calendar covers and trades on: early closes and special sessions (NSE's Muhurat
  hour) get their own hours;
* otherwise (a date outside the calendar's coverage, or one the calendar does not trade
  although there are bars) the zone's default regular hours :data:`DEFAULT_SESSION_HOURS`
  (NSE 09:15-15:30 IST, NYSE 09:30-16:00 ET, 24x7 00:00-24:00 UTC);
* a zone with neither: the session opens at its first bar's start and its close is unknown.

``minutes_since_open``
    Minutes from the session open to the bar's close (``end_ns``, the moment the value is
    known): 1 for the first 1-minute bar of a session, 375 for NSE's last one. Bars before
    the open (pre-open data) are negative.
``minutes_to_close``
    Minutes from the bar's close to the scheduled session close: 0 for the last bar of a full
    session (``minutes_since_open + minutes_to_close`` = session length). NaN when the zone
    has no schedule.
``day_of_week``
    Exchange-local weekday of the bar's start, 0 = Monday … 6 = Sunday.
``expiry_day``
    NSE index-derivatives weekly expiry: 1.0 when the bar's local date is one, else 0.0. The
    nominal expiry is the week's Tuesday from 2025-09-01 on and its Thursday before (a
    simplification: it ignores the monthly-only era, Bank Nifty's Wednesday expiries and
    one-off circulars); when that day is not a regular NSE trading day (a holiday, or a
    special session such as Muhurat trading) the expiry moves to the previous regular
    trading day (2024-08-15 Thu → 2024-08-14 Wed; 2025-10-21 Tue → 2025-10-20 Mon). Trading
    days come from :mod:`tronlab.data.calendars`; beyond its coverage (NSE data ends with
    ``exchange_calendars``' list) every weekday counts as one. NaN unless ``bars.tz`` is
    ``Asia/Kolkata``.
``or_pos_15``
    Position of the close inside the 15-minute opening range: ``(close - or_low) / (or_high -
    or_low)``, 0 at the range low, 1 at its high, outside [0, 1] after a breakout. The range
    spans the bars starting in ``[open, open + 15 min)``; it is complete once a bar closes at
    or after ``open + 15 min``, and NaN until then, for a session without bars in the window
    and for a range of zero width. Built from whole bars: with bars longer than 15 minutes it
    is the first bar's range.
``gap_prev_close``
    ``first open of the session / last close of the previous session (in the data) - 1``,
    carried through the session; NaN in the first session of the data.

``minutes_since_open``, ``minutes_to_close`` and ``or_pos_15`` are NaN for daily (or longer)
bars, which have no intraday clock.

**Memory.** A windowed evaluation must see the current session from its first bar and the
previous session's last bar. A session is at most one local day, so with bars of at least
one minute it holds at most 1,440 bars and :data:`SESSION_MEMORY` = 1,440 + 1 bars always
suffice (NSE 1m needs 376, NYSE 1m 391; the ``2 * ceil(session / bar) + 1`` rule of thumb
gives 751 and 781 for them). The clock-only features (``minutes_to_close``,
``day_of_week``, ``expiry_day``) need the bar itself (memory 1). Warm-ups are lower bounds
for these time-based features: ``or_pos_15`` first has a value 15 minutes into a session.

Cross-asset features
--------------------
They read series aligned to the bars in ``bars.extra``: ``extra["vix"]`` (a volatility index
close, e.g. India VIX) and ``extra["index"]`` (the benchmark index close). A feature whose
series is missing is all-NaN; NaN inside a series gives NaN wherever it enters a window.

``vix_level`` (the VIX close), ``vix_pct_250`` (percentile rank of the current VIX among the
last 250 values, itself included, ties averaged: in (0, 1]), ``vix_chg_5`` (5-bar change in
percent: ``100 * (vix / vix[t-5] - 1)``) and ``rs_index_20`` (relative strength: the 20-bar
return of the close minus the index's, ``close/close[t-20] - index/index[t-20]``).

Layering: a core-service module; it imports numpy, pandas, the standard library and the
trading calendars of :mod:`tronlab.data.calendars` (allowed by the import contracts).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from tronlab.features.registry import Array, Bars, register_many

if TYPE_CHECKING:
    from tronlab.data.calendars import TradingCalendar

__all__ = [
    "DEFAULT_SESSION_HOURS",
    "EXPIRY_TUESDAY_FROM",
    "OPENING_RANGE_MINUTES",
    "SESSION_MEMORY",
    "TZ_CALENDARS",
    "is_nse_expiry",
    "nse_expiry_for_week",
]

_NS_MIN = 60_000_000_000
_NS_DAY = 86_400_000_000_000
_DAILY_NS = 20 * 3_600_000_000_000  # bars at least this long have no intraday clock

#: Default regular session hours (local wall time, ``"24:00"`` = next midnight) by time zone,
#: used where the zone's calendar does not know the date.
DEFAULT_SESSION_HOURS: dict[str, tuple[str, str]] = {
    "Asia/Kolkata": ("09:15", "15:30"),
    "America/New_York": ("09:30", "16:00"),
    "UTC": ("00:00", "24:00"),
}
#: The trading calendar (``tronlab.data.calendars``) that gives each zone's sessions.
TZ_CALENDARS: dict[str, str] = {
    "Asia/Kolkata": "NSE",
    "America/New_York": "NYSE",
    "UTC": "24x7",
}
#: Bars a windowed evaluation of the session features needs (see the module docstring).
SESSION_MEMORY = 1440 + 1
#: Length of the opening range of ``or_pos_15``.
OPENING_RANGE_MINUTES = 15
#: First day of Tuesday NSE index expiries (Thursday before).
EXPIRY_TUESDAY_FROM = dt.date(2025, 9, 1)

_EPOCH = dt.date(1970, 1, 1)


# --------------------------------------------------------------------------------------------
# Schedules
# --------------------------------------------------------------------------------------------


def _minutes(text: str) -> int:
    hh, mm = text.split(":")
    return int(hh) * 60 + int(mm)


def _local_ns(day: int, minutes: int, tz: str) -> int:
    """UTC ns of local wall time ``day`` (days since 1970-01-01) + ``minutes`` in ``tz``."""
    d = _EPOCH + dt.timedelta(days=day + minutes // 1440)
    m = minutes % 1440
    wall = dt.datetime(d.year, d.month, d.day, m // 60, m % 60, tzinfo=ZoneInfo(tz))
    return int(wall.timestamp()) * 1_000_000_000


def _calendar(name: str) -> TradingCalendar:
    # imported here: loading the calendars (exchange_calendars) takes a moment
    from tronlab.data.calendars import get_calendar

    return get_calendar(name)


@functools.lru_cache(maxsize=1 << 16)
def _session_hours(tz: str, day: int) -> tuple[int, int] | None:
    """(open, close) in UTC ns of the session on local ``day``, or ``None`` (no schedule)."""
    cal_name = TZ_CALENDARS.get(tz)
    if cal_name is not None:
        cal = _calendar(cal_name)
        try:
            session = cal.session(_EPOCH + dt.timedelta(days=day))
        except ValueError:  # outside the calendar's coverage
            session = None
        if session is not None:
            return int(session.open.value), int(session.close.value)
    hours = DEFAULT_SESSION_HOURS.get(tz)
    if hours is None:
        return None
    return _local_ns(day, _minutes(hours[0]), tz), _local_ns(day, _minutes(hours[1]), tz)


@functools.lru_cache(maxsize=1 << 14)
def _nse_regular_day(day: dt.date) -> bool:
    """Whether NSE has a regular (not special) session on ``day``; weekdays beyond the
    calendar's coverage count as trading days."""
    cal = _calendar("NSE")
    try:
        session = cal.session(day)
    except ValueError:
        return day.weekday() < 5
    return session is not None and session.kind != "special"


def nse_expiry_for_week(day: dt.date) -> dt.date:
    """The NSE weekly index expiry of the (Monday-Sunday) week holding ``day``, rolled back
    to the previous regular trading day when the nominal day is not one."""
    monday = day - dt.timedelta(days=day.weekday())
    tuesday = monday + dt.timedelta(days=1)
    expiry = tuesday if tuesday >= EXPIRY_TUESDAY_FROM else monday + dt.timedelta(days=3)
    for _ in range(31):
        if _nse_regular_day(expiry):
            return expiry
        expiry -= dt.timedelta(days=1)
    return expiry  # pragma: no cover - never a month without trading


@functools.lru_cache(maxsize=1 << 14)
def is_nse_expiry(day: dt.date) -> bool:
    """Whether ``day`` is an NSE weekly index expiry day (see the module docstring)."""
    # a rolled-back expiry can fall into the previous week (Tuesday and Monday holidays)
    return day in (nse_expiry_for_week(day), nse_expiry_for_week(day + dt.timedelta(days=7)))


def _local_days(ns: Array, tz: str) -> Array:
    """Local date of each UTC-ns instant as int64 days since 1970-01-01."""
    if tz == "UTC":
        return np.asarray(ns, dtype=np.int64) // _NS_DAY
    local = pd.to_datetime(np.asarray(ns, dtype=np.int64), unit="ns", utc=True).tz_convert(tz)
    return np.asarray(local.tz_localize(None).asi8, dtype=np.int64) // _NS_DAY


def _segments(session: Array) -> tuple[Array, Array]:
    """Segment number of each bar (runs of equal session id) and each segment's first bar."""
    n = len(session)
    new = np.ones(n, dtype=bool)
    if n > 1:
        new[1:] = session[1:] != session[:-1]
    seg = np.cumsum(new) - 1
    return seg, np.flatnonzero(new)


# --------------------------------------------------------------------------------------------
# Session features
# --------------------------------------------------------------------------------------------


def _nan(n: int) -> Array:
    return np.full(n, np.nan)


def _session_clock(bars: Bars) -> dict[str, Array]:
    """``minutes_to_close``, ``day_of_week`` and ``expiry_day``: functions of the bar alone."""
    n = len(bars)
    start = np.asarray(bars.start_ns, dtype=np.int64)
    end = np.asarray(bars.end_ns, dtype=np.int64)
    days = _local_days(start, bars.tz)
    out = {
        "minutes_to_close": _nan(n),
        "day_of_week": ((days + 3) % 7).astype(np.float64),  # 1970-01-01 was a Thursday
        "expiry_day": _nan(n),
    }
    if n == 0:
        return out
    uniq, inv = np.unique(days, return_inverse=True)
    if bars.tz in DEFAULT_SESSION_HOURS or bars.tz in TZ_CALENDARS:
        hours = [_session_hours(bars.tz, int(d)) for d in uniq]
        known = np.array([h is not None for h in hours])[inv]
        close = np.array([h[1] if h else 0 for h in hours], dtype=np.int64)[inv]
        intraday = (end - start) < _DAILY_NS
        out["minutes_to_close"] = np.where(intraday & known, (close - end) / _NS_MIN, np.nan)
    if bars.tz == "Asia/Kolkata":
        flags = np.array(
            [is_nse_expiry(_EPOCH + dt.timedelta(days=int(d))) for d in uniq], dtype=np.float64
        )
        out["expiry_day"] = flags[inv]
    return out


def _session_history(bars: Bars) -> dict[str, Array]:
    """``minutes_since_open``, ``or_pos_15`` and ``gap_prev_close``: need the session so far
    and the previous session's last bar."""
    n = len(bars)
    out = {"minutes_since_open": _nan(n), "or_pos_15": _nan(n), "gap_prev_close": _nan(n)}
    if n == 0:
        return out
    start = np.asarray(bars.start_ns, dtype=np.int64)
    end = np.asarray(bars.end_ns, dtype=np.int64)
    seg, first = _segments(np.asarray(bars.session))
    nseg = len(first)

    # session open: the schedule of the first bar's local date, else the first bar's start
    first_days = _local_days(start[first], bars.tz)
    opens = start[first].copy()
    for k, d in enumerate(first_days):
        hours = _session_hours(bars.tz, int(d))
        if hours is not None:
            opens[k] = hours[0]
    open_ns = opens[seg]
    intraday = (end - start) < _DAILY_NS
    out["minutes_since_open"] = np.where(intraday, (end - open_ns) / _NS_MIN, np.nan)

    # opening range: bars starting in [open, open + 15 min), complete once one closes after it
    or_end = open_ns + OPENING_RANGE_MINUTES * _NS_MIN
    in_or = (start >= open_ns) & (start < or_end)
    or_hi = np.full(nseg, -np.inf)
    or_lo = np.full(nseg, np.inf)
    np.maximum.at(or_hi, seg[in_or], np.asarray(bars.high, dtype=np.float64)[in_or])
    np.minimum.at(or_lo, seg[in_or], np.asarray(bars.low, dtype=np.float64)[in_or])
    width = (or_hi - or_lo)[seg]
    seen = np.zeros(nseg, dtype=bool)
    seen[seg[in_or]] = True
    # the range is complete at bar t when t closes at/after its end; every range bar is then
    # at or before t (bars are sorted and do not overlap), so this uses no later bar
    ready = intraday & seen[seg] & (end >= or_end) & (width > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        pos = (np.asarray(bars.close, dtype=np.float64) - or_lo[seg]) / width
    out["or_pos_15"] = np.where(ready, pos, np.nan)

    # gap: first open of the session over the previous session's last close
    if nseg > 1:
        prev_close = np.asarray(bars.close, dtype=np.float64)[first[1:] - 1]
        first_open = np.asarray(bars.open, dtype=np.float64)[first[1:]]
        with np.errstate(invalid="ignore", divide="ignore"):
            gaps = np.r_[np.nan, first_open / prev_close - 1.0]
        out["gap_prev_close"] = gaps[seg]
    return out


# --------------------------------------------------------------------------------------------
# Cross-asset features
# --------------------------------------------------------------------------------------------


def _series(extra: Mapping[str, Array], key: str, n: int) -> Array | None:
    values = extra.get(key)
    if values is None:
        return None
    arr = np.asarray(values, dtype=np.float64)
    if len(arr) != n:
        raise ValueError(f"extra series {key!r} has {len(arr)} values for {n} bars")
    return arr


def _shift_return(x: Array, k: int) -> Array:
    """``x[t] / x[t-k] - 1`` (NaN for the first ``k``)."""
    out = np.full(len(x), np.nan)
    if len(x) > k:
        with np.errstate(invalid="ignore", divide="ignore"):
            out[k:] = x[k:] / x[:-k] - 1.0
    return out


def _vix(bars: Bars) -> dict[str, Array]:
    n = len(bars)
    vix = _series(bars.extra, "vix", n)
    if vix is None:
        return {"vix_level": _nan(n), "vix_pct_250": _nan(n), "vix_chg_5": _nan(n)}
    pct = pd.Series(vix).rolling(250, min_periods=250).rank(pct=True).to_numpy(dtype=np.float64)
    return {
        "vix_level": vix.copy(),
        "vix_pct_250": pct,
        "vix_chg_5": 100.0 * _shift_return(vix, 5),
    }


def _relative_strength(bars: Bars) -> dict[str, Array]:
    n = len(bars)
    index = _series(bars.extra, "index", n)
    if index is None:
        return {"rs_index_20": _nan(n)}
    close = np.asarray(bars.close, dtype=np.float64)
    return {"rs_index_20": _shift_return(close, 20) - _shift_return(index, 20)}


# --------------------------------------------------------------------------------------------
# Registration
# --------------------------------------------------------------------------------------------

_SCHEDULE_NOTE = (
    " Session hours from the calendar of bars.tz (NSE, NYSE, 24x7), else "
    "DEFAULT_SESSION_HOURS (see tronlab.features.context)."
)

register_many(
    [
        dict(
            name="minutes_to_close",
            group="session",
            inputs=("end_ns",),
            window=0,
            warmup=1,
            memory=1,
            description="Minutes from the bar's close to the scheduled session close (0 at "
            "the last bar of a full session; NaN when bars.tz has no schedule, and for daily "
            "bars)." + _SCHEDULE_NOTE,
        ),
        dict(
            name="day_of_week",
            group="session",
            inputs=("start_ns",),
            window=0,
            warmup=1,
            memory=1,
            description="Exchange-local weekday of the bar's start, 0 = Monday ... 6 = Sunday.",
        ),
        dict(
            name="expiry_day",
            group="session",
            inputs=("start_ns",),
            window=0,
            warmup=1,
            memory=1,
            description="1.0 on NSE weekly index-derivatives expiry days, else 0.0: Tuesday "
            "from 2025-09-01, Thursday before, moved to the previous regular NSE trading day "
            "when that day is a holiday or special session. NaN unless bars.tz is "
            "Asia/Kolkata.",
        ),
    ],
    _session_clock,
)

register_many(
    [
        dict(
            name="minutes_since_open",
            group="session",
            inputs=("start_ns", "end_ns", "session"),
            window=0,
            warmup=1,
            memory=SESSION_MEMORY,
            description="Minutes from the session open to the bar's close (1 at the first 1m "
            "bar); the open of a zone without a schedule is the session's first bar start. "
            "NaN for daily bars." + _SCHEDULE_NOTE,
        ),
        dict(
            name="or_pos_15",
            group="session",
            inputs=("high", "low", "close", "start_ns", "end_ns", "session"),
            window=0,
            warmup=1,
            memory=SESSION_MEMORY,
            description="Position of the close in the 15-minute opening range: (close - "
            "or_low) / (or_high - or_low) over the bars starting in [open, open + 15 min); "
            "NaN until the range is complete, for a zero-width range and for daily bars.",
        ),
        dict(
            name="gap_prev_close",
            group="session",
            inputs=("open", "close", "session"),
            window=0,
            warmup=2,
            memory=SESSION_MEMORY,
            description="Opening gap: first open of the session / last close of the previous "
            "session - 1, carried through the session (NaN in the first session).",
        ),
    ],
    _session_history,
)

register_many(
    [
        dict(
            name="vix_level",
            group="cross",
            inputs=("vix",),
            window=1,
            warmup=1,
            memory=1,
            description="Volatility index close, extra['vix'] (e.g. India VIX); all-NaN when "
            "the series is missing.",
        ),
        dict(
            name="vix_pct_250",
            group="cross",
            inputs=("vix",),
            window=250,
            warmup=250,
            memory=250,
            description="Percentile rank of the VIX among its last 250 values (itself "
            "included, ties averaged), in (0, 1]; all-NaN without extra['vix'].",
        ),
        dict(
            name="vix_chg_5",
            group="cross",
            inputs=("vix",),
            window=5,
            warmup=6,
            memory=6,
            description="5-bar VIX change in percent: 100 * (vix / vix[t-5] - 1); all-NaN "
            "without extra['vix'].",
        ),
    ],
    _vix,
)

register_many(
    [
        dict(
            name="rs_index_20",
            group="cross",
            inputs=("close", "index"),
            window=20,
            warmup=21,
            memory=21,
            description="Relative strength vs the index: close/close[t-20] - "
            "index/index[t-20] (extra['index'] = index close); all-NaN without it.",
        ),
    ],
    _relative_strength,
)
