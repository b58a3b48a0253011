"""Reading and validating one bar CSV file: :func:`read_bar_csv` and its result :class:`ParsedCsv`.

:func:`read_bar_csv` reads a ``timestamp,open,high,low,close,volume`` file into records
(:mod:`tronlab.data.csv_reader`), checks the header, runs every row check
(:mod:`tronlab.data.row_checks`), infers the exchange calendar from the UTC offsets or ``tz``
when none is named, and returns the good rows as a canonical bar frame plus the issues, each
with the physical line number in the file (header = line 1). Also here: resolving calendar
names and checking time zone names, which :mod:`tronlab.data.importing` reuses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from tronlab.data.bars import Timeframe, empty_bars
from tronlab.data.csv_reader import (
    REQUIRED_COLUMNS,
    CsvFormatError,
    ParsedTimestamps,
    read_records,
)
from tronlab.data.row_checks import (
    IssueCollector,
    calendar_checks,
    jump_warnings,
    sequence_checks,
    timestamp_checks,
    value_checks,
)
from tronlab.data.validation import SESSION_MODES, CalendarLike, IssueCode, RowIssue, Severity

__all__ = [
    "DEFAULT_JUMP_THRESHOLD",
    "CalendarAmbiguous",
    "ParsedCsv",
    "check_tz",
    "read_bar_csv",
    "resolve_calendar",
]

DEFAULT_JUMP_THRESHOLD = 0.25

# UTC offsets that identify a calendar when the caller names none.
_OFFSET_CALENDAR = {"+05:30": "NSE", "-05:00": "NYSE", "-04:00": "NYSE", "+00:00": "24x7"}
_TZ_CALENDAR = {
    "asia/kolkata": "NSE",
    "asia/calcutta": "NSE",
    "america/new_york": "NYSE",
    "us/eastern": "NYSE",
    "utc": "24x7",
    "etc/utc": "24x7",
}


class CalendarAmbiguous(CsvFormatError):
    """The exchange calendar cannot be inferred from the file's UTC offsets."""


@dataclass
class ParsedCsv:
    """The result of :func:`read_bar_csv`.

    ``bars`` holds the rows without errors (canonical bar frame, sorted, unique timestamps);
    ``issues`` lists every finding in line order (errors exclude the row, warnings do not,
    infos concern the file); ``rows`` counts data rows (blank lines and the header excluded).
    """

    path: Path
    timeframe: str
    calendar: str | None
    session: str
    rows: int
    bars: pd.DataFrame
    issues: list[RowIssue]
    header: str = ""

    @property
    def errors(self) -> list[RowIssue]:
        return [i for i in self.issues if i.severity == Severity.ERROR]

    @property
    def warnings(self) -> list[RowIssue]:
        return [i for i in self.issues if i.severity == Severity.WARNING]

    @property
    def bad_lines(self) -> list[int]:
        """Lines of the rows not imported because of an error, ascending."""
        return sorted({i.line for i in self.issues if i.severity == Severity.ERROR})

    def issues_by_code(self) -> dict[str, int]:
        return dict(sorted(Counter(str(i.code) for i in self.issues).items()))


# ---------------------------------------------------------------------- read one file


def read_bar_csv(
    path: Path | str,
    *,
    timeframe: Timeframe | str,
    tz: str | None = None,
    calendar: CalendarLike | str | None = None,
    session: str = "regular",
    jump_threshold: float | None = DEFAULT_JUMP_THRESHOLD,
    calendar_overrides: Sequence[Path | str] = (),
) -> ParsedCsv:
    """Read and validate a bar CSV (``timestamp,open,high,low,close,volume``).

    Parameters
    ----------
    timeframe
        Bar length of the file (``1m``, ``15m``, ``1d``...).
    tz
        Time zone for timestamps without a UTC offset (e.g. ``Asia/Kolkata``); without it such
        rows are ``NAIVE_TIMESTAMP`` errors. Timestamps with an offset ignore it.
    calendar
        ``"NSE"``, ``"NYSE"``, ``"24x7"`` or a calendar object; inferred when omitted from the
        UTC offsets (+05:30 NSE, -05:00/-04:00 NYSE, +00:00 24x7) or ``tz``.
    session
        ``regular`` (calendar sessions), ``extended`` (also NYSE 04:00-20:00 ET, NSE
        09:00-16:00 IST on session days) or ``any`` (no session checks).
    jump_threshold
        Warn (``PRICE_JUMP``) when a bar opens or closes more than this fraction away from the
        previous close; ``None`` disables.
    calendar_overrides
        Calendar override YAML files applied when the calendar is given or inferred by name.

    Raises
    ------
    ValueError
        Unknown time zone, session mode or calendar name.
    CsvFormatError
        The file cannot be read as a bar CSV at all (its subclass ``CalendarAmbiguous`` when
        the calendar must be named).
    """
    path = Path(path)
    tf = Timeframe.parse(timeframe)
    if session not in SESSION_MODES:
        raise ValueError(f"session must be one of {SESSION_MODES}, not {session!r}")
    check_tz(tz)

    rec = read_records(path)
    file = str(path)
    names = [h.strip().lower() for h in rec.header]
    missing_cols = [c for c in REQUIRED_COLUMNS if c not in names]
    dup_cols = sorted({c for c in REQUIRED_COLUMNS if names.count(c) > 1})
    if missing_cols or dup_cols:
        problem = f"lacks {missing_cols}" if missing_cols else f"repeats {dup_cols}"
        raise CsvFormatError(
            f"{path} line {rec.header_line}: the header {problem}; expected "
            f"{','.join(REQUIRED_COLUMNS)} (extra columns are ignored)"
        )
    issues = IssueCollector(file, rec)
    extra = [h for h, n in zip(rec.header, names, strict=True) if n not in REQUIRED_COLUMNS]
    if extra:
        issues.file_level.append(
            RowIssue(
                file,
                rec.header_line,
                IssueCode.EXTRA_COLUMNS,
                f"ignored extra column(s): {', '.join(extra)}",
                rec.header_raw,
                Severity.INFO,
            )
        )
    cal = resolve_calendar(calendar, calendar_overrides) if calendar is not None else None
    if rec.n == 0:
        name = str(cal.name) if cal is not None else None
        return ParsedCsv(
            path, tf.label, name, session, 0, empty_bars(), issues.build(), rec.header_raw
        )

    wrong = np.flatnonzero(rec.lengths != len(names))
    issues.add(
        IssueCode.FIELD_COUNT,
        wrong,
        [f"expected {len(names)} fields, found {rec.lengths[i]}" for i in wrong.tolist()],
    )
    col = {c: pc.utf8_trim_whitespace(rec.columns[names.index(c)]) for c in REQUIRED_COLUMNS}

    ts_text = col["timestamp"]
    times = timestamp_checks(issues, ts_text, tz)
    o, h, lo, cl, vol = value_checks(issues, col)
    sequence_checks(issues, times, ts_text, np.column_stack([o, h, lo, cl, vol]))

    # --- calendar: infer it, then alignment and session checks
    if cal is None:
        try:
            inferred = _infer_calendar(path, times, tz)
        except CalendarAmbiguous:
            if session != "any":
                raise
            inferred = None  # no session checks wanted; the series is stored without calendar
        if inferred is not None:
            cal = resolve_calendar(inferred, calendar_overrides)
    if cal is not None:
        calendar_checks(issues, times, tf, cal, session)

    # --- the good rows, then warnings about them
    good = np.flatnonzero(~issues.error_rows)
    bars = pd.DataFrame(
        {
            "timestamp": pd.DatetimeIndex(times.ns[good].view("datetime64[ns]")).tz_localize("UTC"),
            "open": o[good],
            "high": h[good],
            "low": lo[good],
            "close": cl[good],
            "volume": vol[good],
        }
    )
    if jump_threshold is not None:
        jump_warnings(issues, good, o[good], cl[good], jump_threshold)
    name = str(cal.name) if cal is not None else None
    return ParsedCsv(path, tf.label, name, session, rec.n, bars, issues.build(), rec.header_raw)


# ---------------------------------------------------------------------- calendar and time zone


def resolve_calendar(cal: CalendarLike | str, overrides: Sequence[Path | str] = ()) -> CalendarLike:
    if not isinstance(cal, str):
        return cal
    from tronlab.data.calendars import get_calendar

    calendar: CalendarLike = get_calendar(cal, [Path(p) for p in overrides])
    return calendar


def check_tz(tz: str | None) -> None:
    if tz is None:
        return
    try:
        pd.Timestamp("2000-01-01").tz_localize(tz)
    except Exception as exc:  # zoneinfo and dateutil raise different types
        raise ValueError(
            f"unknown time zone {tz!r} (use an IANA name such as Asia/Kolkata)"
        ) from exc


def _infer_calendar(path: Path, times: ParsedTimestamps, tz: str | None) -> str | None:
    found = sorted(times.offsets)
    names = {_OFFSET_CALENDAR.get(o) for o in found}
    if times.has_naive and tz is not None:
        names.add(_TZ_CALENDAR.get(tz.lower()))
        found.append(f"tz={tz}")
    if not names:
        return None
    if len(names) == 1 and None not in names:
        return names.pop()
    raise CalendarAmbiguous(
        f"{path}: cannot infer the exchange calendar from the timestamps ({', '.join(found)}); "
        "name it with calendar= (--calendar NSE | NYSE | 24x7)"
    )
