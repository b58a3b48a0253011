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
"""

from __future__ import annotations

import datetime
import functools
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import yaml

from tronlab.data.bars import Timeframe

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

SESSION_KINDS: tuple[str, ...] = ("regular", "early_close", "special")

_NS = 1_000_000_000
_NS_PER_DAY = 86_400 * _NS
_MIN_INT = np.iinfo(np.int64).min


class CalendarDataError(ValueError):
    """A calendar override file is unreadable or breaks the schema (file, key and reason)."""


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
# Override data (YAML)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HoursPeriod:
    """Regular (normal-market) hours in force from ``start`` (``None``: from the beginning)."""

    start: datetime.date | None
    open: datetime.time
    close: datetime.time
    note: str = ""


@dataclass(frozen=True)
class HolidayOverride:
    """A date on which the exchange does not trade."""

    date: datetime.date
    note: str = ""
    uncertain: bool = False


@dataclass(frozen=True)
class SpecialSession:
    """A session replacing the day's schedule (or added on a non-trading day).

    ``windows`` are local ``(open, close)`` times; ``None`` means the regular hours of that date.
    """

    date: datetime.date
    windows: tuple[tuple[datetime.time, datetime.time], ...] | None
    kind: str = "special"
    note: str = ""
    uncertain: bool = False


@dataclass(frozen=True)
class CalendarOverrides:
    """The parsed content of one override file."""

    source: str
    calendar: str | None
    regular_hours: tuple[HoursPeriod, ...] = ()
    holidays: tuple[HolidayOverride, ...] = ()
    special_sessions: tuple[SpecialSession, ...] = ()


_TOP_KEYS = {"version", "calendar", "regular_hours", "holidays", "special_sessions"}
_HOURS_KEYS = {"from", "open", "close", "note"}
_HOLIDAY_KEYS = {"date", "note", "uncertain"}
_SPECIAL_KEYS = {"date", "windows", "kind", "note", "uncertain"}
_TIME_RE = re.compile(r"^(\d{2}):(\d{2})$")


def load_overrides(path: Path | str) -> CalendarOverrides:
    """Read and validate one override YAML file (schema: top of ``calendar_data/nse.yaml``)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise CalendarDataError(f"{p}: cannot read calendar override file: {exc}") from exc
    return _parse_text(text, str(p))


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as strings, so a bad date is reported with its key."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _parse_text(text: str, source: str) -> CalendarOverrides:
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise CalendarDataError(f"{source}: invalid YAML: {exc}") from exc
    return parse_overrides(data, source)


def parse_overrides(data: Any, source: str = "<overrides>") -> CalendarOverrides:
    """Validate already-loaded override data (a mapping); errors name ``source`` and the key."""

    def fail(where: str, why: str) -> CalendarDataError:
        return CalendarDataError(f"{source}: {where}: {why}")

    if not isinstance(data, dict):
        raise fail("<top level>", f"expected a mapping with keys {sorted(_TOP_KEYS)}")
    _check_keys(data, _TOP_KEYS, "<top level>", fail)
    if data.get("version") != 1:
        raise fail("version", f"must be 1 (got {data.get('version')!r})")
    cal = data.get("calendar")
    if cal is not None and not isinstance(cal, str):
        raise fail("calendar", "must be a calendar name such as NSE or NYSE")

    hours: list[HoursPeriod] = []
    seen_from: set[datetime.date | None] = set()
    for i, item in enumerate(_as_list(data, "regular_hours", fail)):
        where = f"regular_hours[{i}]"
        if not isinstance(item, dict):
            raise fail(where, "expected a mapping with from, open, close, note")
        _check_keys(item, _HOURS_KEYS, where, fail)
        if "from" not in item:
            raise fail(where, "missing key 'from' (a date, or null for 'since the beginning')")
        start = None if item["from"] is None else _date(item["from"], f"{where}.from", fail)
        if start in seen_from:
            raise fail(f"{where}.from", f"duplicate period start {start}")
        seen_from.add(start)
        o = _time(item.get("open"), f"{where}.open", fail)
        c = _time(item.get("close"), f"{where}.close", fail)
        if c <= o:
            raise fail(where, f"close {c:%H:%M} is not after open {o:%H:%M}")
        hours.append(HoursPeriod(start, o, c, _note(item, where, fail)))

    seen: dict[datetime.date, str] = {}
    holidays: list[HolidayOverride] = []
    for i, item in enumerate(_as_list(data, "holidays", fail)):
        where = f"holidays[{i}]"
        if not isinstance(item, dict):
            raise fail(where, "expected a mapping with date, note, uncertain")
        _check_keys(item, _HOLIDAY_KEYS, where, fail)
        day = _date(item.get("date"), f"{where}.date", fail)
        if day in seen:
            raise fail(f"{where}.date", f"{day} is listed twice in this file (also {seen[day]})")
        seen[day] = where
        holidays.append(HolidayOverride(day, _note(item, where, fail), _flag(item, where, fail)))

    specials: list[SpecialSession] = []
    for i, item in enumerate(_as_list(data, "special_sessions", fail)):
        where = f"special_sessions[{i}]"
        if not isinstance(item, dict):
            raise fail(where, "expected a mapping with date, windows, kind, note, uncertain")
        _check_keys(item, _SPECIAL_KEYS, where, fail)
        day = _date(item.get("date"), f"{where}.date", fail)
        if day in seen:
            raise fail(f"{where}.date", f"{day} is listed twice in this file (also {seen[day]})")
        seen[day] = where
        kind = item.get("kind", "special")
        if kind not in SESSION_KINDS:
            raise fail(f"{where}.kind", f"must be one of {list(SESSION_KINDS)} (got {kind!r})")
        windows = _windows(item.get("windows"), f"{where}.windows", fail)
        specials.append(
            SpecialSession(day, windows, kind, _note(item, where, fail), _flag(item, where, fail))
        )
    return CalendarOverrides(source, cal, tuple(hours), tuple(holidays), tuple(specials))


def _check_keys(item: dict[Any, Any], allowed: set[str], where: str, fail: Any) -> None:
    unknown = sorted(str(k) for k in item if k not in allowed)
    if unknown:
        raise fail(where, f"unknown key(s) {unknown}; allowed: {sorted(allowed)}")


def _as_list(data: dict[str, Any], key: str, fail: Any) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise fail(key, "must be a list")
    return value


def _date(value: Any, where: str, fail: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        raise fail(where, f"expected a date YYYY-MM-DD, got a date-time {value}")
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise fail(where, f"expected a date YYYY-MM-DD, got {value!r}")


def _time(value: Any, where: str, fail: Any) -> datetime.time:
    if isinstance(value, int) and not isinstance(value, bool):
        raise fail(
            where,
            f'got the number {value}: write local times as quoted strings such as "09:15" '
            "(YAML reads unquoted 9:15 as a base-60 number)",
        )
    m = _TIME_RE.match(value) if isinstance(value, str) else None
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise fail(where, f'expected a local time "HH:MM" (00:00-23:59), got {value!r}')
    return datetime.time(int(m.group(1)), int(m.group(2)))


def _note(item: dict[str, Any], where: str, fail: Any) -> str:
    note = item.get("note", "")
    if note is None:
        return ""
    if not isinstance(note, str):
        raise fail(f"{where}.note", "must be a string")
    return note.strip()


def _flag(item: dict[str, Any], where: str, fail: Any) -> bool:
    value = item.get("uncertain", False)
    if not isinstance(value, bool):
        raise fail(f"{where}.uncertain", f"must be true or false (got {value!r})")
    return value


def _windows(
    value: Any, where: str, fail: Any
) -> tuple[tuple[datetime.time, datetime.time], ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        raise fail(where, 'expected a non-empty list of ["HH:MM", "HH:MM"] pairs')
    out: list[tuple[datetime.time, datetime.time]] = []
    for j, pair in enumerate(value):
        w = f"{where}[{j}]"
        if not isinstance(pair, list) or len(pair) != 2:
            raise fail(w, f'expected ["open", "close"], got {pair!r}')
        o, c = _time(pair[0], f"{w}[0]", fail), _time(pair[1], f"{w}[1]", fail)
        if c <= o:
            raise fail(w, f"close {c:%H:%M} is not after open {o:%H:%M}")
        if out and o <= out[-1][1]:
            raise fail(
                w,
                f"window starting {o:%H:%M} does not start after the previous one ends "
                f"({out[-1][1]:%H:%M}); windows must be in order and separated by a break",
            )
        out.append((o, c))
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Calendar specs and names
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    name: str
    tz: str
    xcal: str | None
    first: datetime.date
    last: datetime.date
    data_file: str | None


_SPECS: dict[str, _Spec] = {
    # XBOM's holiday list is recorded 1997..2026 (exchange_calendars 4.13); the bounds are
    # clipped to whatever the installed version supports.
    "NSE": _Spec(
        "NSE",
        "Asia/Kolkata",
        "XBOM",
        datetime.date(1997, 1, 1),
        datetime.date(2040, 12, 31),
        "nse.yaml",
    ),
    "NYSE": _Spec(
        "NYSE",
        "America/New_York",
        "XNYS",
        datetime.date(1970, 1, 1),
        datetime.date(2040, 12, 31),
        "nyse.yaml",
    ),
    "24x7": _Spec(
        "24x7", "UTC", None, datetime.date(1970, 1, 1), datetime.date(2100, 12, 31), None
    ),
}

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
    spec = _SPECS[canonical]
    layers: list[CalendarOverrides] = []
    packaged = _packaged_text(spec.data_file)
    if packaged is not None:
        layers.append(_parse_text(packaged, f"tronlab/data/calendar_data/{spec.data_file}"))
    layers += [_parse_text(text, source) for source, text in files]
    for layer in layers:
        if layer.calendar is not None and _canonical(layer.calendar) != canonical:
            raise CalendarDataError(
                f"{layer.source}: calendar: file is for {layer.calendar!r}, "
                f"but was applied to {canonical}"
            )
    return TradingCalendar._build(spec, _base_table(canonical), layers)


def _packaged_text(filename: str | None) -> str | None:
    if filename is None:
        return None
    ref = resources.files("tronlab.data").joinpath("calendar_data", filename)
    return ref.read_text(encoding="utf-8") if ref.is_file() else None


# --------------------------------------------------------------------------------------------
# Base tables
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Base:
    first: datetime.date
    last: datetime.date
    dates: np.ndarray  # int64 days since epoch
    open: np.ndarray  # int64 UTC ns
    close: np.ndarray
    kind: np.ndarray  # object
    note: np.ndarray  # object
    periods: tuple[HoursPeriod, ...]  # the base calendar's own regular hours


@functools.lru_cache(maxsize=8)
def _base_table(canonical: str) -> _Base:
    spec = _SPECS[canonical]
    if spec.xcal is None:
        days = np.arange(_day(spec.first), _day(spec.last) + 1, dtype=np.int64)
        n = len(days)
        return _Base(
            spec.first, spec.last, days, days * _NS_PER_DAY, (days + 1) * _NS_PER_DAY,
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
    return _Base(first, last, dates, opens, closes, kind, note, periods)


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


def _day(d: datetime.date) -> int:
    return int(np.datetime64(d, "D").astype(np.int64))


def _to_date(day: int) -> datetime.date:
    return datetime.date(1970, 1, 1) + datetime.timedelta(days=int(day))


def _as_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        raise TypeError(f"expected a date, got a datetime {value!r}; pass .date()")
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        return datetime.date.fromisoformat(value)
    if isinstance(value, np.datetime64):
        return _to_date(int(value.astype("datetime64[D]").astype(np.int64)))
    raise TypeError(f"expected a date, got {type(value).__name__}")


def _local_to_utc_ns(days: np.ndarray, seconds: np.ndarray, tz: str) -> np.ndarray:
    """UTC ns of local wall times ``day + seconds`` in ``tz`` (vectorised)."""
    if len(days) == 0:
        return np.empty(0, dtype=np.int64)
    naive = days.astype(np.int64) * _NS_PER_DAY + seconds.astype(np.int64) * _NS
    if tz == "UTC":
        return naive
    idx = pd.DatetimeIndex(naive.view("datetime64[ns]")).tz_localize(
        tz, ambiguous="raise", nonexistent="raise"
    )
    return idx.as_unit("ns").asi8.copy()


def _secs(t: datetime.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def _to_utc_ns(timestamps: Any) -> np.ndarray:
    """int64 UTC ns of tz-aware timestamps (NaT -> int64 min); naive input raises.

    An int64 NumPy array is taken as UTC nanoseconds already.
    """
    if isinstance(timestamps, np.ndarray) and timestamps.dtype == np.int64:
        return timestamps
    if isinstance(timestamps, pd.Timestamp | datetime.datetime | str):
        timestamps = [timestamps]
    idx = (
        pd.DatetimeIndex(timestamps) if not isinstance(timestamps, pd.DatetimeIndex) else timestamps
    )
    if idx.tz is None:
        if len(idx) == 0:
            return np.empty(0, dtype=np.int64)
        raise ValueError("timestamps must be timezone-aware (UTC or exchange-local)")
    return idx.tz_convert("UTC").as_unit("ns").asi8


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
        self._lo_ns = int(_local_to_utc_ns(np.array([_day(first_date)]), np.array([0]), tz)[0])
        self._hi_ns = int(_local_to_utc_ns(np.array([_day(last_date) + 1]), np.array([0]), tz)[0])
        self._validate()

    def __repr__(self) -> str:
        extra = f", overrides={list(self.sources)}" if self.sources else ""
        return (
            f"TradingCalendar({self.name!r}, tz={self._tzname!r}, "
            f"{self.first_date}..{self.last_date}, {len(self._dates)} sessions{extra})"
        )

    # ---- construction ------------------------------------------------------------------------

    @classmethod
    def _build(
        cls, spec: _Spec, base: _Base, layers: Sequence[CalendarOverrides]
    ) -> TradingCalendar:
        tz = spec.tz
        # Regular hours: the base calendar's, then each layer's periods on top (later wins).
        merged: dict[datetime.date | None, HoursPeriod] = {p.start: p for p in base.periods}
        for layer in layers:
            merged.update({p.start: p for p in layer.regular_hours})
        periods = sorted(merged.values(), key=lambda p: (p.start is not None, p.start))
        p_start = np.array(
            [np.iinfo(np.int64).min if p.start is None else _day(p.start) for p in periods]
        )
        p_open = np.array([_secs(p.open) for p in periods], dtype=np.int64)
        p_close = np.array([_secs(p.close) for p in periods], dtype=np.int64)
        if spec.xcal is None:  # 24x7: the whole UTC day, whatever the periods say
            p_open[:] = 0
            p_close[:] = 86_400

        def hours(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            j = np.searchsorted(p_start, days, side="right") - 1
            return (
                _local_to_utc_ns(days, p_open[j], tz),
                _local_to_utc_ns(days, p_close[j], tz),
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
                actions[_day(h.date)] = h
            for s in layer.special_sessions:
                actions[_day(s.date)] = s
        lo, hi = _day(base.first), _day(base.last)
        outside = [
            f"{a.date} ({_layer_source(layers, a)})"
            for d, a in actions.items()
            if not lo <= d <= hi
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
                ws = _local_to_utc_ns(d, np.array([_secs(w[0]) for w in action.windows]), tz)
                we = _local_to_utc_ns(d, np.array([_secs(w[1]) for w in action.windows]), tz)
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
        # Sessions do not overlap (checked in __init__), so time order is session order.
        w_order = np.argsort(win_start, kind="stable")
        win_start, win_end = win_start[w_order], win_end[w_order]
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return cls(
            spec.name, tz, base.first, base.last, dates, opens, closes, kinds, notes,
            uncertain, win_start, win_end, offsets, tuple(layer.source for layer in layers),
        )  # fmt: skip

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
        return _to_date(int(self._dates[pos]))

    def _check_day(self, day: datetime.date) -> int:
        if not self.first_date <= day <= self.last_date:
            raise ValueError(
                f"{day} is outside the {self.name} calendar's coverage "
                f"{self.first_date}..{self.last_date}"
            )
        return _day(day)

    def _positions(self, start: Any, end: Any) -> tuple[int, int]:
        """Session positions ``[i0, i1)`` for the inclusive date range."""
        d0, d1 = self._check_day(_as_date(start)), self._check_day(_as_date(end))
        if d1 < d0:
            raise ValueError(f"end {_as_date(end)} is before start {_as_date(start)}")
        i0 = int(np.searchsorted(self._dates, d0, side="left"))
        i1 = int(np.searchsorted(self._dates, d1, side="right"))
        return i0, i1

    def _make_session(self, i: int) -> Session:
        w0, w1 = int(self._win_off[i]), int(self._win_off[i + 1])
        breaks = tuple(
            (_ts(int(self._win_end[k])), _ts(int(self._win_start[k + 1])))
            for k in range(w0, w1 - 1)
        )
        return Session(
            date=self._date_at(i),
            open=_ts(int(self._open[i])),
            close=_ts(int(self._close[i])),
            breaks=breaks,
            kind=str(self._kind[i]),
            note=str(self._note[i]),
            uncertain=bool(self._uncertain[i]),
        )

    def _check_range_ns(self, t: np.ndarray) -> None:
        valid = t[t != _MIN_INT]
        if len(valid) and (valid.min() < self._lo_ns or valid.max() >= self._hi_ns):
            bad = valid[(valid < self._lo_ns) | (valid >= self._hi_ns)][0]
            raise ValueError(
                f"timestamp {_ts(int(bad))} is outside the {self.name} calendar's coverage "
                f"{self.first_date}..{self.last_date}"
            )

    # ---- public API --------------------------------------------------------------------------

    def sessions(self, start: datetime.date, end: datetime.date) -> list[Session]:
        """Sessions whose date lies in ``[start, end]`` (inclusive), in order."""
        i0, i1 = self._positions(start, end)
        return [self._make_session(i) for i in range(i0, i1)]

    def session(self, day: datetime.date) -> Session | None:
        """The session on ``day``, or ``None`` when the exchange does not trade that day."""
        d = self._check_day(_as_date(day))
        i = int(np.searchsorted(self._dates, d))
        if i < len(self._dates) and self._dates[i] == d:
            return self._make_session(i)
        return None

    def is_session(self, day: datetime.date) -> bool:
        """Whether the exchange trades on ``day``."""
        d = self._check_day(_as_date(day))
        i = int(np.searchsorted(self._dates, d))
        return bool(i < len(self._dates) and self._dates[i] == d)

    def session_of(self, ts: Any) -> Session | None:
        """The session whose ``[open, close)`` holds ``ts`` (breaks included), else ``None``."""
        t = _to_utc_ns(ts)
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
            midnight = _local_to_utc_ns(np.array([_day(session.date)]), np.array([0]), self._tzname)
            return pd.DatetimeIndex(pd.to_datetime(midnight, unit="ns", utc=True))
        step = tf.seconds * _NS
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
        return self._grid(i0, i1, tf.seconds * _NS)

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
        ok = days != _MIN_INT
        if ok.any():
            self._check_day(_to_date(int(days[ok].min())))
            self._check_day(_to_date(int(days[ok].max())))
        return np.asarray(np.isin(days, self._dates) & ok, dtype=bool)

    # ---- vectorised helpers for tronlab.data (gaps, resample) --------------------------------

    def locate(self, timestamps: Any) -> Location:
        """Trading window and session position of each timestamp (vectorised)."""
        t = _to_utc_ns(timestamps)
        self._check_range_ns(t)
        k = np.searchsorted(self._win_start, t, side="right") - 1
        kk = np.maximum(k, 0)
        inside = (k >= 0) & (t < self._win_end[kk])
        session = np.where(inside, self._win_sess[kk], -1)
        return Location(inside, session, self._win_start[kk], self._win_end[kk])

    def local_days(self, timestamps: Any) -> np.ndarray:
        """Local (exchange time zone) date of each timestamp as int64 days since 1970-01-01."""
        t = _to_utc_ns(timestamps)
        nat = t == _MIN_INT
        local = pd.to_datetime(np.where(nat, 0, t), unit="ns", utc=True)
        if self._tzname != "UTC":
            local = local.tz_convert(self._tzname)
        days = np.asarray(local.tz_localize(None).values.astype("datetime64[D]").astype(np.int64))
        return np.where(nat, _MIN_INT, days)

    def positions(self, start: datetime.date, end: datetime.date) -> tuple[int, int]:
        """Session positions ``[i0, i1)`` covering the inclusive date range."""
        return self._positions(start, end)

    def session_dates(self, positions: Any) -> np.ndarray:
        """Session dates (``datetime64[D]``) at the given session positions."""
        return self._dates[np.asarray(positions, dtype=np.int64)].astype("datetime64[D]")

    def session_midnights(self, positions: Any) -> np.ndarray:
        """UTC ns of 00:00 local on the session dates at ``positions`` (daily bar stamps)."""
        days = self._dates[np.asarray(positions, dtype=np.int64)]
        return _local_to_utc_ns(days, np.zeros(len(days), dtype=np.int64), self._tzname)

    def sessions_frame(self, start: datetime.date, end: datetime.date) -> pd.DataFrame:
        """The sessions dated ``[start, end]`` as a table (one row per session)."""
        i0, i1 = self._positions(start, end)
        n_breaks = np.diff(self._win_off[i0 : i1 + 1]) - 1
        return pd.DataFrame(
            {
                "date": [_to_date(int(d)) for d in self._dates[i0:i1]],
                "open": pd.to_datetime(self._open[i0:i1], unit="ns", utc=True),
                "close": pd.to_datetime(self._close[i0:i1], unit="ns", utc=True),
                "breaks": n_breaks,
                "kind": self._kind[i0:i1].astype(str),
                "note": self._note[i0:i1].astype(str),
                "uncertain": self._uncertain[i0:i1],
            }
        )


def _layer_source(layers: Sequence[CalendarOverrides], action: object) -> str:
    for layer in layers:
        if action in layer.holidays or action in layer.special_sessions:
            return layer.source
    return "?"


def _ts(ns: int) -> pd.Timestamp:
    return pd.Timestamp(ns, unit="ns", tz="UTC")


def _require_daily(tf: Timeframe) -> None:
    if tf.seconds != 86_400:
        raise ValueError(
            f"timeframe {tf} is not supported: sessions define intraday bars and 1d only"
        )
