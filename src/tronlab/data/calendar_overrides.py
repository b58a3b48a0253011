"""Calendar override data: the YAML schema, its dataclasses, parsing and validation.

An override file adds to or corrects a calendar's regular schedule: regular-hours periods,
holidays and special sessions (schema documented at the top of ``calendar_data/nse.yaml``).
:func:`load_overrides` reads and validates one file; :func:`parse_overrides` validates data
already loaded. Errors are :class:`CalendarDataError` naming the file, key and reason. How the
parsed layers are applied to a calendar lives in :mod:`tronlab.data.calendar_schedule`.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "SESSION_KINDS",
    "CalendarDataError",
    "CalendarOverrides",
    "HolidayOverride",
    "HoursPeriod",
    "SpecialSession",
    "load_overrides",
    "parse_overrides",
    "parse_overrides_text",
]

SESSION_KINDS: tuple[str, ...] = ("regular", "early_close", "special")


class CalendarDataError(ValueError):
    """A calendar override file is unreadable or breaks the schema (file, key and reason)."""


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
    return parse_overrides_text(text, str(p))


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as strings, so a bad date is reported with its key."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_overrides_text(text: str, source: str) -> CalendarOverrides:
    """Parse and validate override YAML ``text``; errors name ``source``."""
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
