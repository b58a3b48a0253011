"""CSV bar import with row-level validation.

:func:`read_bar_csv` parses one ``timestamp,open,high,low,close,volume`` file, checks every row
(see :class:`~tronlab.data.validation.IssueCode`) and returns the good rows as a canonical bar
frame plus the issues, each with the physical line number in the file (header = line 1).
:func:`import_csv_files` writes many files into a :class:`~tronlab.data.store.BarStore` under
an error policy: ``reject`` (a file with any bad row imports nothing), ``skip`` (import the good
rows, list the bad) or ``quarantine`` (as skip, and copy the bad rows verbatim with
``line,code,message`` columns to ``<quarantine_dir>/<stem>.quarantine.csv``). Every data row is
either imported or listed as an issue.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from tronlab.data.bars import PRICE_COLUMNS, Timeframe, empty_bars
from tronlab.data.store import BarStore, normalize_symbol
from tronlab.data.validation import (
    SESSION_MODES,
    CalendarLike,
    IssueCode,
    RowIssue,
    Severity,
    daily_misaligned,
    duplicate_and_order,
    intraday_misaligned,
    ohlc_inconsistent,
    outside_session,
    price_jumps,
)

__all__ = [
    "REQUIRED_COLUMNS",
    "CalendarAmbiguous",
    "CsvFormatError",
    "FileImport",
    "ImportReport",
    "ParsedCsv",
    "RowIssue",
    "import_csv_files",
    "infer_symbol_timeframe",
    "read_bar_csv",
]

REQUIRED_COLUMNS: tuple[str, ...] = ("timestamp", "open", "high", "low", "close", "volume")
OnError = Literal["reject", "skip", "quarantine"]
Progress = Callable[[int, int], None]
DEFAULT_JUMP_THRESHOLD = 0.25

_OFFSET_RE = r"(?P<offset>Z|[+-]\d{2}:?\d{2})$"
_NAME_RE = re.compile(
    r"^(?P<symbol>.+?)_(?P<tf>\d+[mhdMHD])(?:_(?P<first>\d{4}-?\d{2}-?\d{2})_(?P<last>\d{4}-?\d{2}-?\d{2}))?$"
)
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


class CsvFormatError(ValueError):
    """The file as a whole cannot be read (encoding, header, CSV syntax)."""


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


# ---------------------------------------------------------------------- raw CSV records


@dataclass
class _Records:
    """Data records of a CSV file as string columns, with their physical line numbers."""

    header: list[str]
    header_line: int
    header_raw: str
    columns: list[pa.Array]  # one string array per header column (short rows padded with "")
    lengths: np.ndarray  # number of fields each record had
    start: np.ndarray  # physical line (1-based) where each record starts
    raw: Callable[[int], str]  # the record's text, verbatim, without the line ending

    @property
    def n(self) -> int:
        return int(self.start.shape[0])


def _read_records(path: Path) -> _Records:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CsvFormatError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CsvFormatError(f"{path}: not UTF-8 text ({exc})") from exc
    # Fast path: no quoting and only \n or \r\n line ends, so one record is one line and the
    # line numbers follow from the newline positions; anything else goes through csv.
    if b'"' not in data and (b"\r" not in data or data.count(b"\r") == data.count(b"\r\n")):
        rec = _fast_records(path, data)
        if rec is not None:
            return rec
    return _csv_records(path, text)


def _no_header(path: Path) -> CsvFormatError:
    return CsvFormatError(f"{path}: empty file (expected a header {','.join(REQUIRED_COLUMNS)})")


def _fast_records(path: Path, data: bytes) -> _Records | None:
    buf = np.frombuffer(data, dtype=np.uint8)
    nl = np.flatnonzero(buf == ord("\n"))
    starts = np.concatenate(([0], nl + 1))
    ends = np.concatenate((nl, [buf.size]))
    if starts[-1] == buf.size:  # the file ends with a newline
        starts, ends = starts[:-1], ends[:-1]
    has_cr = (ends > starts) & (buf[np.maximum(ends - 1, 0)] == ord("\r"))
    ends = ends - has_cr
    nonblank = np.flatnonzero(ends > starts)
    if nonblank.size == 0:
        raise _no_header(path)
    comma_pos = np.flatnonzero(buf == ord(","))
    commas = np.searchsorted(comma_pos, ends) - np.searchsorted(comma_pos, starts)
    h = int(nonblank[0])
    header_raw = data[starts[h] : ends[h]].decode("utf-8")
    header = header_raw.split(",")
    body = nonblank[1:]
    if np.any(commas[body] != len(header) - 1):
        return None  # ragged rows or whitespace-only lines: let csv sort them out
    names = [f"c{i}" for i in range(len(header))]
    if body.size:
        try:
            table = pacsv.read_csv(
                io.BytesIO(data[starts[body[0]] :]),
                read_options=pacsv.ReadOptions(column_names=names),
                parse_options=pacsv.ParseOptions(
                    quote_char=False, newlines_in_values=False, ignore_empty_lines=True
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        except pa.ArrowInvalid:
            return None
        if table.num_rows != body.size:
            return None
        columns = [table.column(i).combine_chunks() for i in range(len(names))]
    else:
        columns = [pa.array([], type=pa.string()) for _ in names]

    def raw(i: int) -> str:
        k = int(body[i])
        return data[starts[k] : ends[k]].decode("utf-8")

    return _Records(
        header=header,
        header_line=h + 1,
        header_raw=header_raw,
        columns=columns,
        lengths=np.full(body.size, len(header), dtype=np.int64),
        start=body.astype(np.int64) + 1,
        raw=raw,
    )


def _csv_records(path: Path, text: str) -> _Records:
    # newline="" splits on \n, \r\n and \r and keeps the endings, as csv expects
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(lines)
    header: list[str] | None = None
    header_line = 0
    rows: list[list[str]] = []
    starts: list[int] = []
    ends: list[int] = []
    prev_end = 0
    try:
        for row in reader:
            start, prev_end = prev_end + 1, reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            if header is None:
                header, header_line = row, start
                continue
            rows.append(row)
            starts.append(start)
            ends.append(prev_end)
    except csv.Error as exc:
        raise CsvFormatError(f"{path} line {reader.line_num}: {exc}") from exc
    if header is None:
        raise _no_header(path)
    width = len(header)
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    for i in np.flatnonzero(lengths != width).tolist():
        rows[i] = (rows[i] + [""] * width)[:width]
    if rows:
        columns = [pa.array(col, type=pa.string()) for col in zip(*rows, strict=True)]
    else:
        columns = [pa.array([], type=pa.string()) for _ in range(width)]
    start_arr = np.asarray(starts, dtype=np.int64)
    end_arr = np.asarray(ends, dtype=np.int64)

    def raw(i: int) -> str:
        return "".join(lines[start_arr[i] - 1 : end_arr[i]]).rstrip("\r\n")

    return _Records(
        header=header,
        header_line=header_line,
        header_raw=lines[header_line - 1].rstrip("\r\n"),
        columns=columns,
        lengths=lengths,
        start=start_arr,
        raw=raw,
    )


# ---------------------------------------------------------------------- issue collection


class _Issues:
    """Collects issues as (row indices, code, messages); builds RowIssue objects at the end."""

    def __init__(self, file: str, rec: _Records) -> None:
        self.file = file
        self.rec = rec
        self.parts: list[tuple[np.ndarray, IssueCode, Sequence[str]]] = []
        self.error_rows = np.zeros(rec.n, dtype=bool)
        self.file_level: list[RowIssue] = []

    def add(self, code: IssueCode, where: np.ndarray, messages: Sequence[str] | str) -> None:
        """Record ``code`` for the rows in ``where`` (a boolean mask or row indices)."""
        idx = np.flatnonzero(where) if where.dtype == bool else np.asarray(where, dtype=np.int64)
        if idx.size == 0:
            return
        msgs = [messages] * idx.size if isinstance(messages, str) else messages
        if len(msgs) != idx.size:
            raise AssertionError(f"{code}: {idx.size} rows but {len(msgs)} messages")
        self.parts.append((idx, code, msgs))
        if code.severity == Severity.ERROR:
            self.error_rows[idx] = True

    def build(self) -> list[RowIssue]:
        """Issues in line order (and check order within a line), file-level ones first."""
        if not self.parts:
            return list(self.file_level)
        idx = np.concatenate([p[0] for p in self.parts])
        order = np.lexsort((np.arange(idx.size), idx))
        codes = [code for p in self.parts for code in [p[1]] * p[0].size]
        msgs = [m for p in self.parts for m in p[2]]
        raw_cache: dict[int, str] = {}
        out = list(self.file_level)
        for k in order.tolist():
            i = int(idx[k])
            raw = raw_cache.get(i)
            if raw is None:
                raw = raw_cache[i] = self.rec.raw(i)
            code = codes[k]
            out.append(
                RowIssue(self.file, int(self.rec.start[i]), code, msgs[k], raw, code.severity)
            )
        return out


# ---------------------------------------------------------------------- parsing helpers


@dataclass
class _Times:
    ns: np.ndarray  # int64 UTC ns, valid where ok
    ok: np.ndarray
    missing: np.ndarray
    bad: np.ndarray  # present but unreadable (or a nonexistent/ambiguous local time)
    naive_no_tz: np.ndarray  # readable but without offset, and no tz given
    offsets: set[str]  # normalised UTC offsets seen, e.g. {"+05:30"}
    has_naive: bool


def _norm_offset(off: str) -> str:
    if off == "Z":
        return "+00:00"
    return off if ":" in off else f"{off[:3]}:{off[3:]}"


def _parse_timestamps(arr: pa.Array, tz: str | None) -> _Times:
    n = len(arr)
    ns = np.zeros(n, dtype=np.int64)
    ok = np.zeros(n, dtype=bool)
    bad = np.zeros(n, dtype=bool)
    naive_no_tz = np.zeros(n, dtype=bool)
    missing = _np_bool(pc.equal(arr, ""))
    found = pc.extract_regex(arr, _OFFSET_RE)
    aware = _np_bool(found.is_valid())
    offsets = {
        _norm_offset(str(o))
        for o in pc.unique(pc.struct_field(found.filter(found.is_valid()), [0])).to_pylist()
    }
    if aware.any():
        idx = np.flatnonzero(aware)
        text = arr.filter(pa.array(aware)).to_numpy(zero_copy_only=False)
        parsed = pd.DatetimeIndex(pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce"))
        good = np.asarray(parsed.notna())
        ns[idx[good]] = parsed[good].as_unit("ns").asi8
        ok[idx[good]] = True
        bad[idx[~good]] = True
    naive = ~missing & ~aware
    has_naive = False
    if naive.any():
        idx = np.flatnonzero(naive)
        parsed_naive = _to_naive_datetimes(
            arr.filter(pa.array(naive)).to_numpy(zero_copy_only=False)
        )
        good = np.asarray(parsed_naive.notna())
        bad[idx[~good]] = True
        has_naive = bool(good.any())
        if tz is None:
            naive_no_tz[idx[good]] = True
        else:
            local = parsed_naive[good].tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
            loc_ok = np.asarray(local.notna())
            sel = idx[good]
            ns[sel[loc_ok]] = local[loc_ok].tz_convert("UTC").as_unit("ns").asi8
            ok[sel[loc_ok]] = True
            bad[sel[~loc_ok]] = True
    return _Times(ns, ok, missing, bad, naive_no_tz, offsets, has_naive)


def _to_naive_datetimes(text: np.ndarray) -> pd.DatetimeIndex:
    try:
        out = pd.DatetimeIndex(pd.to_datetime(text, format="ISO8601", errors="coerce"))
        if out.tz is None:
            return out
    except (ValueError, TypeError):
        pass
    # an offset spelling the offset pattern does not know (e.g. "-05"): treat as unreadable
    return pd.DatetimeIndex(np.full(len(text), np.datetime64("NaT"), dtype="datetime64[ns]"))


def _np_bool(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=bool)


def _parse_numbers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """float64 values, empty-field mask and unreadable-or-non-finite mask."""
    missing = _np_bool(pc.equal(arr, ""))
    try:
        values = np.asarray(pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        coerced = pd.to_numeric(arr.to_numpy(zero_copy_only=False), errors="coerce")
        values = np.asarray(coerced, dtype=np.float64)
        values[missing] = np.nan
    bad = ~missing & ~np.isfinite(values)
    return values, missing, bad


def _texts(arr: pa.Array, idx: np.ndarray) -> list[str]:
    return [str(v) for v in arr.take(pa.array(idx, type=pa.int64())).to_pylist()]


def _fmt(x: float) -> str:
    return repr(float(x))


def _resolve_calendar(
    cal: CalendarLike | str, overrides: Sequence[Path | str] = ()
) -> CalendarLike:
    if not isinstance(cal, str):
        return cal
    from tronlab.data.calendars import get_calendar

    calendar: CalendarLike = get_calendar(cal, [Path(p) for p in overrides])
    return calendar


def _check_tz(tz: str | None) -> None:
    if tz is None:
        return
    try:
        pd.Timestamp("2000-01-01").tz_localize(tz)
    except Exception as exc:  # zoneinfo and dateutil raise different types
        raise ValueError(
            f"unknown time zone {tz!r} (use an IANA name such as Asia/Kolkata)"
        ) from exc


def _infer_calendar(path: Path, times: _Times, tz: str | None) -> str | None:
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


def _covered(cal: CalendarLike, ts: pd.DatetimeIndex) -> np.ndarray:
    """Timestamps whose local date is within the calendar's coverage (its checks raise outside)."""
    first, last = getattr(cal, "first_date", None), getattr(cal, "last_date", None)
    if first is None or last is None:
        return np.ones(len(ts), dtype=bool)
    days = ts.tz_convert(cal.tz).tz_localize(None).to_numpy().astype("datetime64[D]")
    return np.asarray((days >= np.datetime64(first, "D")) & (days <= np.datetime64(last, "D")))


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
    _check_tz(tz)

    rec = _read_records(path)
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
    issues = _Issues(file, rec)
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
    cal = _resolve_calendar(calendar, calendar_overrides) if calendar is not None else None
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
    times = _timestamp_checks(issues, ts_text, tz)
    o, h, lo, cl, vol = _value_checks(issues, col)
    _sequence_checks(issues, times, ts_text, np.column_stack([o, h, lo, cl, vol]))

    # --- calendar: infer it, then alignment and session checks
    if cal is None:
        try:
            inferred = _infer_calendar(path, times, tz)
        except CalendarAmbiguous:
            if session != "any":
                raise
            inferred = None  # no session checks wanted; the series is stored without calendar
        if inferred is not None:
            cal = _resolve_calendar(inferred, calendar_overrides)
    if cal is not None:
        _calendar_checks(issues, times, tf, cal, session)

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
        _jump_warnings(issues, good, o[good], cl[good], jump_threshold)
    name = str(cal.name) if cal is not None else None
    return ParsedCsv(path, tf.label, name, session, rec.n, bars, issues.build(), rec.header_raw)


def _timestamp_checks(issues: _Issues, text: pa.Array, tz: str | None) -> _Times:
    times = _parse_timestamps(text, tz)
    issues.add(IssueCode.MISSING_VALUE, times.missing, "timestamp is empty")
    bad_idx = np.flatnonzero(times.bad)
    hint = f" in {tz} (or a nonexistent/ambiguous local time there)" if tz else ""
    issues.add(
        IssueCode.BAD_TIMESTAMP,
        bad_idx,
        [f"cannot read {t!r} as an ISO-8601 time{hint}" for t in _texts(text, bad_idx)],
    )
    issues.add(
        IssueCode.NAIVE_TIMESTAMP,
        times.naive_no_tz,
        "timestamp has no UTC offset; give its time zone with tz= (--tz Asia/Kolkata)",
    )
    return times


def _value_checks(issues: _Issues, col: dict[str, pa.Array]) -> list[np.ndarray]:
    """Parse and check open, high, low, close, volume; return them as float64 arrays."""
    values: list[np.ndarray] = []
    for c in (*PRICE_COLUMNS, "volume"):
        v, miss, bad = _parse_numbers(col[c])
        values.append(v)
        issues.add(IssueCode.MISSING_VALUE, miss, f"{c} is empty")
        bad_idx = np.flatnonzero(bad)
        issues.add(
            IssueCode.BAD_NUMBER,
            bad_idx,
            [f"{c} {t!r} is not a finite number" for t in _texts(col[c], bad_idx)],
        )
    o, h, lo, cl, vol = values
    prices = np.column_stack([o, h, lo, cl])
    with np.errstate(invalid="ignore"):
        neg = np.asarray((prices < 0).any(axis=1), dtype=bool)
        zero = np.asarray((prices == 0).any(axis=1), dtype=bool)
        neg_vol = np.asarray(vol < 0, dtype=bool)
    issues.add(IssueCode.NEGATIVE_PRICE, neg, _price_messages(prices, neg, "negative"))
    issues.add(IssueCode.ZERO_PRICE, zero, _price_messages(prices, zero, "zero"))
    issues.add(
        IssueCode.NEGATIVE_VOLUME,
        neg_vol,
        [f"volume {_fmt(vol[i])} is negative" for i in np.flatnonzero(neg_vol).tolist()],
    )
    ohlc_bad, ohlc_msgs = ohlc_inconsistent(o, h, lo, cl)
    issues.add(IssueCode.OHLC_INCONSISTENT, ohlc_bad, ohlc_msgs)
    return values


def _sequence_checks(issues: _Issues, times: _Times, text: pa.Array, values: np.ndarray) -> None:
    """Duplicate and out-of-order timestamps, among rows with a readable timestamp."""
    start = issues.rec.start
    dup, dup_first, ooo, ooo_ref = duplicate_and_order(times.ns, times.ok)
    if dup.any():
        idx = np.flatnonzero(dup)
        ref = dup_first[idx]
        a, b = values[idx], values[ref]
        identical = ((a == b) | (np.isnan(a) & np.isnan(b))).all(axis=1)
        issues.add(
            IssueCode.DUPLICATE_TIMESTAMP,
            idx,
            [
                f"timestamp {t} already on line {int(start[r])}"
                + (" (identical row)" if same else " (different values)")
                for t, r, same in zip(
                    _texts(text, idx), ref.tolist(), identical.tolist(), strict=True
                )
            ],
        )
    if ooo.any():
        idx = np.flatnonzero(ooo)
        ref = ooo_ref[idx]
        issues.add(
            IssueCode.OUT_OF_ORDER,
            idx,
            [
                f"timestamp {t} is earlier than {t0} on line {int(start[r])}"
                for t, t0, r in zip(_texts(text, idx), _texts(text, ref), ref.tolist(), strict=True)
            ],
        )


def _jump_warnings(
    issues: _Issues, good: np.ndarray, o: np.ndarray, cl: np.ndarray, threshold: float
) -> None:
    """PRICE_JUMP warnings over the imported rows (``o``/``cl`` are theirs, in time order)."""
    if good.size < 2:
        return
    jumps, move, gap = price_jumps(o, cl, threshold)
    k = np.flatnonzero(jumps)
    start = issues.rec.start
    issues.add(
        IssueCode.PRICE_JUMP,
        good[k],
        [
            f"{'close-to-open' if g else 'close-to-close'} move {m:+.1%} from the previous "
            f"close {_fmt(cl[j - 1])} (line {int(start[good[j - 1]])}) exceeds "
            f"{threshold:.0%}: split, bad tick or real gap?"
            for j, m, g in zip(k.tolist(), move[k].tolist(), gap[k].tolist(), strict=True)
        ],
    )


def _calendar_checks(
    issues: _Issues, times: _Times, tf: Timeframe, cal: CalendarLike, session: str
) -> None:
    rows = np.flatnonzero(times.ok)
    if rows.size == 0:
        return
    ts = pd.DatetimeIndex(times.ns[rows].view("datetime64[ns]")).tz_localize("UTC")
    covered = _covered(cal, ts)
    if not covered.all():
        if session != "any":
            first, last = getattr(cal, "first_date", "?"), getattr(cal, "last_date", "?")
            issues.add(
                IssueCode.OUTSIDE_SESSION if tf.is_intraday else IssueCode.NOT_A_SESSION,
                rows[~covered],
                f"date outside the {cal.name} calendar's coverage {first}..{last}; "
                "import with session='any' (--session any) to skip session checks",
            )
        rows, ts = rows[covered], ts[covered]
    local = ts.tz_convert(cal.tz)
    if tf.is_intraday:
        mis = intraday_misaligned(ts, tf, cal.tz, cal)
        issues.add(
            IssueCode.MISALIGNED,
            rows[mis],
            [f"{t:%Y-%m-%d %H:%M:%S} {cal.name} time is off the {tf} grid" for t in local[mis]],
        )
        if session != "any":
            out = outside_session(ts, cal, session)
            issues.add(
                IssueCode.OUTSIDE_SESSION,
                rows[out],
                [
                    f"bar at {t:%Y-%m-%d %H:%M} {cal.name} time is outside the {session} session"
                    for t in local[out]
                ],
            )
    else:
        mis = daily_misaligned(ts, cal.tz)
        issues.add(
            IssueCode.MISALIGNED,
            rows[mis],
            [
                f"daily bar stamped {t:%H:%M} {cal.name} time; daily bars are stamped 00:00 local"
                for t in local[mis]
            ],
        )
        if session != "any":
            not_session = ~np.asarray(cal.session_dates_mask(ts), dtype=bool)
            issues.add(
                IssueCode.NOT_A_SESSION,
                rows[not_session],
                [f"{t:%Y-%m-%d (%a)} is not a {cal.name} session" for t in local[not_session]],
            )


def _price_messages(prices: np.ndarray, mask: np.ndarray, word: str) -> list[str]:
    out = []
    for i in np.flatnonzero(mask).tolist():
        row = prices[i]
        hit = row < 0 if word == "negative" else row == 0
        cols = [f"{n} {_fmt(v)}" for n, v, f in zip(PRICE_COLUMNS, row, hit, strict=True) if f]
        out.append(f"{word} price: {', '.join(cols)}")
    return out


# ---------------------------------------------------------------------- file names


def infer_symbol_timeframe(path: Path | str) -> tuple[str, str]:
    """``(SYMBOL, timeframe)`` from a file named ``SYMBOL_TIMEFRAME[_FIRST_LAST].csv``.

    Raises ``ValueError`` when the name does not follow the convention.
    """
    stem = Path(path).stem
    m = _NAME_RE.match(stem)
    if not m:
        raise ValueError(
            f"cannot infer symbol and timeframe from the file name {Path(path).name!r} "
            "(expected SYMBOL_TIMEFRAME_FIRST_LAST.csv, "
            "e.g. NIFTY50_1m_2024-01-01_2024-04-30.csv); "
            "give them with symbol= and timeframe= (--symbol, --timeframe)"
        )
    return normalize_symbol(m.group("symbol")), Timeframe.parse(m.group("tf")).label


# ---------------------------------------------------------------------- import many files


@dataclass
class FileImport:
    """Outcome of importing one file (see :meth:`to_dict`).

    ``status``: ``ok`` (every row imported), ``partial`` (bad rows skipped or quarantined),
    ``failed`` (nothing imported: rejected for bad rows, or the file could not be read).
    """

    path: str
    symbol: str | None
    timeframe: str | None
    calendar: str | None = None
    status: str = "failed"
    rows: int = 0
    imported: int = 0
    bad_rows: int = 0
    inserted: int = 0
    replaced: int = 0
    unchanged: int = 0
    issues: list[RowIssue] = field(default_factory=list)
    error: str | None = None
    quarantine_file: str | None = None
    seconds: float = 0.0

    def issues_by_code(self) -> dict[str, int]:
        return dict(sorted(Counter(str(i.code) for i in self.issues).items()))

    def to_dict(self, max_issues: int = 20) -> dict[str, Any]:
        return {
            "path": self.path,
            "symbol": self.symbol,
            "timeframe": self.timeframe,
            "calendar": self.calendar,
            "status": self.status,
            "rows": self.rows,
            "imported": self.imported,
            "bad_rows": self.bad_rows,
            "inserted": self.inserted,
            "replaced": self.replaced,
            "unchanged": self.unchanged,
            "issues_by_code": self.issues_by_code(),
            "issues": [i.to_dict() for i in self.issues[:max_issues]],
            "issues_shown": min(len(self.issues), max_issues),
            "issues_total": len(self.issues),
            "error": self.error,
            "quarantine_file": self.quarantine_file,
            "seconds": round(self.seconds, 4),
        }


@dataclass
class ImportReport:
    """Outcome of :func:`import_csv_files`; ``ok`` is False when any file failed."""

    files: list[FileImport]
    on_error: str

    @property
    def ok(self) -> bool:
        return all(f.status != "failed" for f in self.files)

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    @property
    def imported(self) -> int:
        return sum(f.imported for f in self.files)

    def to_dict(self, max_issues: int = 20) -> dict[str, Any]:
        totals: Counter[str] = Counter()
        for f in self.files:
            totals.update(f.issues_by_code())
        return {
            "ok": self.ok,
            "on_error": self.on_error,
            "files": [f.to_dict(max_issues) for f in self.files],
            "totals": {
                "files": len(self.files),
                "failed": sum(f.status == "failed" for f in self.files),
                "rows": self.rows,
                "imported": self.imported,
                "bad_rows": sum(f.bad_rows for f in self.files),
                "inserted": sum(f.inserted for f in self.files),
                "replaced": sum(f.replaced for f in self.files),
                "unchanged": sum(f.unchanged for f in self.files),
                "issues_by_code": dict(sorted(totals.items())),
            },
        }


def import_csv_files(
    store: BarStore,
    paths: Iterable[Path | str],
    *,
    symbol: str | None = None,
    timeframe: Timeframe | str | None = None,
    tz: str | None = None,
    calendar: CalendarLike | str | None = None,
    session: str = "regular",
    on_error: OnError = "reject",
    quarantine_dir: Path | str | None = None,
    progress: Progress | None = None,
    jump_threshold: float | None = DEFAULT_JUMP_THRESHOLD,
    calendar_overrides: Sequence[Path | str] = (),
) -> ImportReport:
    """Validate and import bar CSV files into ``store``; see the module docstring.

    ``symbol``/``timeframe`` default to the file-name convention; a name that does not follow
    it, an unknown time zone or calendar, raise ``ValueError`` before anything is imported.
    Problems with one file (unreadable, ambiguous calendar, bad rows under ``reject``) mark
    that file ``failed`` and the import goes on with the next. ``progress(done_rows,
    total_rows)`` is called after each file. The other arguments are :func:`read_bar_csv`'s.
    """
    if on_error not in ("reject", "skip", "quarantine"):
        raise ValueError(f"on_error must be reject, skip or quarantine, not {on_error!r}")
    if session not in SESSION_MODES:
        raise ValueError(f"session must be one of {SESSION_MODES}, not {session!r}")
    qdir = Path(quarantine_dir) if quarantine_dir is not None else None
    if on_error == "quarantine" and qdir is None:
        raise ValueError("on_error='quarantine' needs quarantine_dir")
    _check_tz(tz)
    if calendar is not None:
        calendar = _resolve_calendar(calendar, calendar_overrides)
    options: dict[str, Any] = {
        "tz": tz,
        "calendar": calendar,
        "session": session,
        "jump_threshold": jump_threshold,
        "calendar_overrides": tuple(calendar_overrides),
    }
    files = [Path(p) for p in paths]
    targets: list[tuple[str, str]] = []
    for p in files:
        if symbol is not None and timeframe is not None:
            targets.append((normalize_symbol(symbol), Timeframe.parse(timeframe).label))
            continue
        name_sym, name_tf = infer_symbol_timeframe(p)
        targets.append(
            (
                normalize_symbol(symbol) if symbol is not None else name_sym,
                Timeframe.parse(timeframe).label if timeframe is not None else name_tf,
            )
        )

    sizes = [_estimate_rows(p) for p in files]
    total, done = sum(sizes), 0
    results: list[FileImport] = []
    for p, (sym, tf), size in zip(files, targets, sizes, strict=True):
        results.append(_import_one(store, p, sym, tf, on_error, qdir, options))
        done += size
        if progress is not None:
            progress(done, total)
    return ImportReport(results, on_error)


def _estimate_rows(path: Path) -> int:
    try:
        with open(path, "rb") as fh:
            count = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
    except OSError:
        return 0
    return max(count - 1, 0)


def _import_one(
    store: BarStore,
    path: Path,
    symbol: str,
    timeframe: str,
    on_error: str,
    qdir: Path | None,
    options: dict[str, Any],
) -> FileImport:
    t0 = time.perf_counter()
    res = FileImport(path=str(path), symbol=symbol, timeframe=timeframe)
    try:
        parsed = read_bar_csv(path, timeframe=timeframe, **options)
    except (ValueError, OSError) as exc:  # CsvFormatError, or a broken calendar override file
        res.error = str(exc)
        res.seconds = time.perf_counter() - t0
        return res
    res.calendar = parsed.calendar
    res.rows = parsed.rows
    res.issues = parsed.issues
    bad = parsed.bad_lines
    res.bad_rows = len(bad)
    if bad and on_error == "reject":
        res.status = "failed"
        res.error = (
            f"{len(bad)} of {parsed.rows} rows have errors; nothing imported "
            "(use skip or quarantine to import the good rows)"
        )
        res.seconds = time.perf_counter() - t0
        return res
    if bad and on_error == "quarantine" and qdir is not None:
        res.quarantine_file = str(_write_quarantine(qdir, path, parsed))
    try:
        written = store.write(
            symbol, timeframe, parsed.bars, calendar=parsed.calendar, source=path.name
        )
    except (ValueError, OSError) as exc:
        res.status = "failed"
        res.error = f"store write failed: {exc}"
        res.seconds = time.perf_counter() - t0
        return res
    res.imported = len(parsed.bars)
    res.inserted, res.replaced, res.unchanged = (
        written.inserted,
        written.replaced,
        written.unchanged,
    )
    res.status = "partial" if bad else "ok"
    res.seconds = time.perf_counter() - t0
    return res


def _write_quarantine(qdir: Path, path: Path, parsed: ParsedCsv) -> Path:
    """Bad rows verbatim, plus ``line,code,message``; codes/messages of one row joined by ``;``."""
    qdir.mkdir(parents=True, exist_ok=True)
    target = qdir / f"{path.stem}.quarantine.csv"
    by_line: dict[int, tuple[str, list[str], list[str]]] = {}
    for issue in parsed.issues:
        if issue.severity != Severity.ERROR:
            continue
        entry = by_line.setdefault(issue.line, (issue.raw, [], []))
        entry[1].append(str(issue.code))
        entry[2].append(issue.message)
    buf = io.StringIO()
    tail = csv.writer(buf, lineterminator="")

    def suffix(values: list[object]) -> str:
        buf.seek(0)
        buf.truncate()
        tail.writerow(values)
        return buf.getvalue()

    out = [parsed.header + "," + suffix(["line", "code", "message"])]
    for line in sorted(by_line):
        raw, codes, messages = by_line[line]
        out.append(raw + "," + suffix([line, ";".join(codes), "; ".join(messages)]))
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text("\n".join(out) + "\n", encoding="utf-8", newline="")
    tmp.replace(target)
    return target
