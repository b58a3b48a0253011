"""Where a calendar's sessions come from: calendar specs, base tables and override layers.

:data:`SPECS` describes each calendar (time zone, ``exchange_calendars`` code, coverage, packaged
override file). :func:`base_table` reads the regular schedule from ``exchange_calendars`` (or
makes the 24x7 one); :func:`build_session_table` applies override layers (regular hours,
holidays, special sessions; a later layer wins per date) and returns the sorted session and
trading-window arrays a :class:`~tronlab.data.calendars.TradingCalendar` is made from.
"""

from __future__ import annotations

import datetime
import functools
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from tronlab.data.calendar_overrides import (
    CalendarDataError,
    CalendarOverrides,
    HolidayOverride,
    HoursPeriod,
    SpecialSession,
)
from tronlab.data.calendar_time import NS_PER_DAY, day_number, local_to_utc_ns, seconds_of_day

__all__ = [
    "SPECS",
    "BaseTable",
    "CalendarSpec",
    "SessionTable",
    "base_table",
    "build_session_table",
]

# --------------------------------------------------------------------------------------------
# Calendar specs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarSpec:
    """How one calendar is made: time zone, ``exchange_calendars`` code (``None``: 24x7),
    coverage and packaged override file under ``calendar_data/``."""

    name: str
    tz: str
    xcal: str | None
    first: datetime.date
    last: datetime.date
    data_file: str | None


SPECS: dict[str, CalendarSpec] = {
    # XBOM's holiday list is recorded 1997..2026 (exchange_calendars 4.13); the bounds are
    # clipped to whatever the installed version supports.
    "NSE": CalendarSpec(
        "NSE",
        "Asia/Kolkata",
        "XBOM",
        datetime.date(1997, 1, 1),
        datetime.date(2040, 12, 31),
        "nse.yaml",
    ),
    "NYSE": CalendarSpec(
        "NYSE",
        "America/New_York",
        "XNYS",
        datetime.date(1970, 1, 1),
        datetime.date(2040, 12, 31),
        "nyse.yaml",
    ),
    "24x7": CalendarSpec(
        "24x7", "UTC", None, datetime.date(1970, 1, 1), datetime.date(2100, 12, 31), None
    ),
}


# --------------------------------------------------------------------------------------------
# Base tables
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BaseTable:
    """A calendar's regular schedule before overrides, from ``exchange_calendars``."""

    first: datetime.date
    last: datetime.date
    dates: np.ndarray  # int64 days since epoch
    open: np.ndarray  # int64 UTC ns
    close: np.ndarray
    kind: np.ndarray  # object
    note: np.ndarray  # object
    periods: tuple[HoursPeriod, ...]  # the base calendar's own regular hours


@functools.lru_cache(maxsize=8)
def base_table(canonical: str) -> BaseTable:
    """The (cached) base schedule of the calendar named ``canonical`` in :data:`SPECS`."""
    spec = SPECS[canonical]
    if spec.xcal is None:
        days = np.arange(day_number(spec.first), day_number(spec.last) + 1, dtype=np.int64)
        n = len(days)
        return BaseTable(
            spec.first, spec.last, days, days * NS_PER_DAY, (days + 1) * NS_PER_DAY,
            np.full(n, "regular", dtype=object), np.full(n, "", dtype=object),
            (HoursPeriod(None, datetime.time(0, 0), datetime.time(0, 0)),),
        )  # fmt: skip
    import exchange_calendars as xcals

    with warnings.catch_warnings():
        # exchange_calendars 4.x triggers pandas-3 deprecation warnings internally.
        warnings.simplefilter("ignore")
        cls = type(xcals.get_calendar(spec.xcal))
        first, last = spec.first, spec.last
        bmin = getattr(cls, "bound_min", None)
        bmax = getattr(cls, "bound_max", None)
        if callable(bmin) and bmin() is not None:
            first = max(first, pd.Timestamp(bmin()).date())
        if callable(bmax) and bmax() is not None:
            last = min(last, pd.Timestamp(bmax()).date())
        cal = xcals.get_calendar(spec.xcal, start=first.isoformat(), end=last.isoformat())
        sched = cal.schedule
        if sched["break_start"].notna().any():
            raise NotImplementedError(f"{spec.xcal} has lunch breaks; not supported yet")
        dates = np.asarray(sched.index.values.astype("datetime64[D]").astype(np.int64))
        opens = pd.DatetimeIndex(sched["open"]).as_unit("ns").asi8.copy()
        closes = pd.DatetimeIndex(sched["close"]).as_unit("ns").asi8.copy()
        kind = np.full(len(dates), "regular", dtype=object)
        note = np.full(len(dates), "", dtype=object)
        early = np.isin(dates, _days_of(cal.early_closes))
        kind[early] = "early_close"
        note[early] = f"early close ({spec.xcal}, exchange_calendars)"
        late = np.isin(dates, _days_of(cal.late_opens))
        kind[late] = "special"
        note[late] = f"late open ({spec.xcal}, exchange_calendars)"
        periods = _periods_from_xcals(cal.open_times, cal.close_times)
    return BaseTable(first, last, dates, opens, closes, kind, note, periods)


def _days_of(index: Iterable[Any]) -> np.ndarray:
    idx = pd.DatetimeIndex(list(index))
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    return np.asarray(idx.values.astype("datetime64[D]").astype(np.int64))


def _periods_from_xcals(open_times: Any, close_times: Any) -> tuple[HoursPeriod, ...]:
    def as_date(d: Any) -> datetime.date | None:
        return None if d is None else pd.Timestamp(d).date()

    opens = [(as_date(d), t) for d, t in open_times]
    closes = [(as_date(d), t) for d, t in close_times]
    starts = sorted({d for d, _ in opens + closes}, key=lambda d: (d is not None, d))

    def at(
        table: list[tuple[datetime.date | None, datetime.time]], d: datetime.date | None
    ) -> datetime.time:
        chosen = table[0][1]
        for s, t in table:
            if s is None or (d is not None and s <= d):
                chosen = t
        return chosen

    return tuple(HoursPeriod(d, at(opens, d), at(closes, d), "exchange_calendars") for d in starts)


# --------------------------------------------------------------------------------------------
# Applying override layers
# --------------------------------------------------------------------------------------------


class SessionTable(NamedTuple):
    """A calendar's sessions as arrays, in :class:`~tronlab.data.calendars.TradingCalendar`'s
    constructor order (``TradingCalendar(*table)``).

    Dates are int64 days since 1970-01-01, instants int64 UTC ns; the trading windows of
    session ``i`` are ``win_start/win_end[win_offsets[i]:win_offsets[i + 1]]``.
    """

    name: str
    tz: str
    first_date: datetime.date
    last_date: datetime.date
    dates: np.ndarray
    opens: np.ndarray
    closes: np.ndarray
    kinds: np.ndarray
    notes: np.ndarray
    uncertain: np.ndarray
    win_start: np.ndarray
    win_end: np.ndarray
    win_offsets: np.ndarray
    sources: tuple[str, ...]


def build_session_table(
    spec: CalendarSpec, base: BaseTable, layers: Sequence[CalendarOverrides]
) -> SessionTable:
    """The sessions of ``spec``: ``base`` with the override ``layers`` applied in order.

    Raises :class:`CalendarDataError` for override dates outside the calendar's coverage.
    """
    tz = spec.tz
    # Regular hours: the base calendar's, then each layer's periods on top (later wins).
    merged: dict[datetime.date | None, HoursPeriod] = {p.start: p for p in base.periods}
    for layer in layers:
        merged.update({p.start: p for p in layer.regular_hours})
    periods = sorted(merged.values(), key=lambda p: (p.start is not None, p.start))
    p_start = np.array(
        [np.iinfo(np.int64).min if p.start is None else day_number(p.start) for p in periods]
    )
    p_open = np.array([seconds_of_day(p.open) for p in periods], dtype=np.int64)
    p_close = np.array([seconds_of_day(p.close) for p in periods], dtype=np.int64)
    if spec.xcal is None:  # 24x7: the whole UTC day, whatever the periods say
        p_open[:] = 0
        p_close[:] = 86_400

    def hours(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        j = np.searchsorted(p_start, days, side="right") - 1
        return (
            local_to_utc_ns(days, p_open[j], tz),
            local_to_utc_ns(days, p_close[j], tz),
        )

    dates = base.dates.copy()
    opens, closes = base.open.copy(), base.close.copy()
    kinds, notes = base.kind.copy(), base.note.copy()
    if len(layers) and spec.xcal is not None:
        reg_open, reg_close = hours(dates)
        regular = kinds == "regular"
        early = kinds == "early_close"
        opens[regular | early] = reg_open[regular | early]
        closes[regular] = reg_close[regular]

    # Holidays and special sessions: per date, the last layer that mentions it wins.
    actions: dict[int, HolidayOverride | SpecialSession] = {}
    for layer in layers:
        for h in layer.holidays:
            actions[day_number(h.date)] = h
        for s in layer.special_sessions:
            actions[day_number(s.date)] = s
    lo, hi = day_number(base.first), day_number(base.last)
    outside = [
        f"{a.date} ({_layer_source(layers, a)})" for d, a in actions.items() if not lo <= d <= hi
    ]
    if outside:
        raise CalendarDataError(
            f"{spec.name}: override dates outside the calendar's coverage "
            f"{base.first}..{base.last}: {', '.join(outside)}"
        )
    touched = np.array(sorted(actions), dtype=np.int64)
    keep = ~np.isin(dates, touched)
    dates, opens, closes = dates[keep], opens[keep], closes[keep]
    kinds, notes = kinds[keep], notes[keep]
    uncertain = np.zeros(len(dates), dtype=bool)
    counts = np.ones(len(dates), dtype=np.int64)
    win_start, win_end = opens.copy(), closes.copy()

    rows: list[tuple[int, np.ndarray, np.ndarray, SpecialSession]] = []
    for day, action in actions.items():
        if isinstance(action, HolidayOverride):
            continue
        if action.windows is None:
            ws, we = hours(np.array([day], dtype=np.int64))
        else:
            d = np.full(len(action.windows), day, dtype=np.int64)
            ws = local_to_utc_ns(d, np.array([seconds_of_day(w[0]) for w in action.windows]), tz)
            we = local_to_utc_ns(d, np.array([seconds_of_day(w[1]) for w in action.windows]), tz)
        rows.append((day, ws, we, action))
    if rows:
        dates = np.concatenate([dates, np.array([r[0] for r in rows], dtype=np.int64)])
        opens = np.concatenate([opens, np.array([r[1][0] for r in rows], dtype=np.int64)])
        closes = np.concatenate([closes, np.array([r[2][-1] for r in rows], dtype=np.int64)])
        kinds = np.concatenate([kinds, np.array([r[3].kind for r in rows], dtype=object)])
        notes = np.concatenate([notes, np.array([r[3].note for r in rows], dtype=object)])
        uncertain = np.concatenate([uncertain, np.array([r[3].uncertain for r in rows])])
        counts = np.concatenate([counts, np.array([len(r[1]) for r in rows])])
        win_start = np.concatenate([win_start, *[r[1] for r in rows]])
        win_end = np.concatenate([win_end, *[r[2] for r in rows]])
    order = np.argsort(dates, kind="stable")
    dates, opens, closes = dates[order], opens[order], closes[order]
    kinds, notes, uncertain, counts = (
        kinds[order],
        notes[order],
        uncertain[order],
        counts[order],
    )
    # Sessions do not overlap (checked in TradingCalendar.__init__), so time order is session order.
    w_order = np.argsort(win_start, kind="stable")
    win_start, win_end = win_start[w_order], win_end[w_order]
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return SessionTable(
        spec.name, tz, base.first, base.last, dates, opens, closes, kinds, notes,
        uncertain, win_start, win_end, offsets, tuple(layer.source for layer in layers),
    )  # fmt: skip


def _layer_source(layers: Sequence[CalendarOverrides], action: object) -> str:
    for layer in layers:
        if action in layer.holidays or action in layer.special_sessions:
            return layer.source
    return "?"
