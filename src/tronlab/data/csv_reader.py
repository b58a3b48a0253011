"""Turning a CSV file into string records with exact physical line numbers, and parsing fields.

:func:`read_records` decodes the file (UTF-8, optional BOM) and returns its header and data
records as :class:`Records`: one pyarrow string column per header field, plus each record's
starting line (header = line 1 when it is the first line) and verbatim text. Files without
quoting and with ``\\n`` or ``\\r\\n`` line ends take a fast pyarrow path whose line numbers
follow from the newline positions; anything else (quotes, lone ``\\r``, ragged rows) goes
through the :mod:`csv` module. Blank lines are skipped but still counted.

:func:`parse_timestamps` and :func:`parse_numbers` turn a string column into UTC nanoseconds
or float64 values with masks of the empty and unreadable fields; the checks that word these
masks as issues live in :mod:`tronlab.data.row_checks`.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

__all__ = [
    "REQUIRED_COLUMNS",
    "CsvFormatError",
    "ParsedTimestamps",
    "Records",
    "parse_numbers",
    "parse_timestamps",
    "read_records",
]

REQUIRED_COLUMNS: tuple[str, ...] = ("timestamp", "open", "high", "low", "close", "volume")

_OFFSET_RE = r"(?P<offset>Z|[+-]\d{2}:?\d{2})$"


class CsvFormatError(ValueError):
    """The file as a whole cannot be read (encoding, header, CSV syntax)."""


# ---------------------------------------------------------------------- raw CSV records


@dataclass
class Records:
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


def read_records(path: Path) -> Records:
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


def _fast_records(path: Path, data: bytes) -> Records | None:
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

    return Records(
        header=header,
        header_line=h + 1,
        header_raw=header_raw,
        columns=columns,
        lengths=np.full(body.size, len(header), dtype=np.int64),
        start=body.astype(np.int64) + 1,
        raw=raw,
    )


def _csv_records(path: Path, text: str) -> Records:
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

    return Records(
        header=header,
        header_line=header_line,
        header_raw=lines[header_line - 1].rstrip("\r\n"),
        columns=columns,
        lengths=lengths,
        start=start_arr,
        raw=raw,
    )


# ---------------------------------------------------------------------- field parsing


@dataclass
class ParsedTimestamps:
    """A timestamp column parsed to UTC, with a mask per outcome (one entry per record)."""

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


def parse_timestamps(arr: pa.Array, tz: str | None) -> ParsedTimestamps:
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
    return ParsedTimestamps(ns, ok, missing, bad, naive_no_tz, offsets, has_naive)


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


def parse_numbers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
