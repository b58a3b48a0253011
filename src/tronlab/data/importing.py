"""CSV bar import into a :class:`~tronlab.data.store.BarStore` under an error policy.

:func:`import_csv_files` validates many ``timestamp,open,high,low,close,volume`` files with
:func:`~tronlab.data.bar_csv.read_bar_csv` (which checks every row, see
:class:`~tronlab.data.validation.IssueCode`, and reports each issue with the physical line
number in the file, header = line 1) and writes them under an error policy: ``reject`` (a file
with any bad row imports nothing), ``skip`` (import the good rows, list the bad) or
``quarantine`` (as skip, and copy the bad rows verbatim with ``line,code,message`` columns to
``<quarantine_dir>/<stem>.quarantine.csv``). Every data row is either imported or listed as an
issue. Also here: :func:`infer_symbol_timeframe` (the file-name convention) and the
:class:`FileImport`/:class:`ImportReport` outcomes.

This module is the public entry point of CSV import: it re-exports :func:`read_bar_csv`,
:class:`ParsedCsv`, :class:`CsvFormatError`, :class:`CalendarAmbiguous` and the constants of
the modules that implement reading (:mod:`tronlab.data.csv_reader`, :mod:`tronlab.data.bar_csv`).
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tronlab.data.bar_csv import (
    DEFAULT_JUMP_THRESHOLD,
    CalendarAmbiguous,
    ParsedCsv,
    check_tz,
    read_bar_csv,
    resolve_calendar,
)
from tronlab.data.bars import Timeframe
from tronlab.data.csv_reader import REQUIRED_COLUMNS, CsvFormatError
from tronlab.data.store import BarStore, normalize_symbol
from tronlab.data.validation import SESSION_MODES, CalendarLike, RowIssue, Severity

__all__ = [
    "DEFAULT_JUMP_THRESHOLD",
    "REQUIRED_COLUMNS",
    "CalendarAmbiguous",
    "CsvFormatError",
    "FileImport",
    "ImportReport",
    "OnError",
    "ParsedCsv",
    "Progress",
    "RowIssue",
    "import_csv_files",
    "infer_symbol_timeframe",
    "read_bar_csv",
]

OnError = Literal["reject", "skip", "quarantine"]
Progress = Callable[[int, int], None]

_NAME_RE = re.compile(
    r"^(?P<symbol>.+?)_(?P<tf>\d+[mhdMHD])(?:_(?P<first>\d{4}-?\d{2}-?\d{2})_(?P<last>\d{4}-?\d{2}-?\d{2}))?$"
)


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
    check_tz(tz)
    if calendar is not None:
        calendar = resolve_calendar(calendar, calendar_overrides)
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
