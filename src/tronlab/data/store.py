"""The bar store: Parquet files partitioned by timeframe and symbol, queried with DuckDB.

Layout (hive partitioning, one series per folder)::

    root/timeframe=1m/symbol=NIFTY50/bars.parquet    bars, sorted by timestamp
    root/timeframe=1m/symbol=NIFTY50/_series.json    calendar, time zone, imported sources

Writes go through pyarrow: the series is merged in memory, written to a temporary file in the
same folder and renamed over the old file, so a failed write leaves the old data intact.
Reads, listings and coverage are DuckDB queries over the Parquet files.

One writer per series at a time: writes are serialised within a process; concurrent writers in
different processes are not coordinated (the last rename wins, never a torn file).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tronlab.data.bars import BAR_COLUMNS, PRICE_COLUMNS, Timeframe, empty_bars, normalize_bars

__all__ = [
    "BarStore",
    "SeriesInfo",
    "SeriesNotFound",
    "WriteResult",
    "normalize_symbol",
]

DATA_FILE = "bars.parquet"
META_FILE = "_series.json"
_VALUE_COLUMNS: tuple[str, ...] = (*PRICE_COLUMNS, "volume")
_SYMBOL_RE = re.compile(r"^[A-Z0-9_.&-]+$")
_MAX_SYMBOL_LEN = 64
_DATE_ONLY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ROW_GROUP_SIZE = 128 * 1024
_HIVE_TYPES = "{'timeframe': VARCHAR, 'symbol': VARCHAR}"
_PATH_RE = re.compile(r"timeframe=([^/\\]+)[/\\]symbol=([^/\\]+)[/\\]" + re.escape(DATA_FILE) + "$")

# Time zones of the calendars every install knows; other names are resolved via calendars.py.
_KNOWN_CALENDAR_TZ = {"NSE": "Asia/Kolkata", "NYSE": "America/New_York", "24X7": "UTC"}

_SELECT_BARS = f"SELECT {', '.join(BAR_COLUMNS)} FROM read_parquet($path)"  # noqa: S608
# Values travel as bound parameters; the only interpolated text is these constants.
_COVERAGE_SQL = f"""
    SELECT b.symbol, b.timeframe,
           min(b.timestamp) AS first, max(b.timestamp) AS last,
           count(*) AS rows,
           count(DISTINCT CAST(timezone(m.tz, b.timestamp) AS DATE)) AS days,
           any_value(m.calendar) AS calendar
    FROM read_parquet($glob, hive_partitioning = true, hive_types = {_HIVE_TYPES}) AS b
    JOIN series_meta AS m ON m.symbol = b.symbol AND m.timeframe = b.timeframe
    GROUP BY b.symbol, b.timeframe
"""  # noqa: S608

_SCHEMA = pa.schema(
    [
        pa.field("timestamp", pa.timestamp("us", tz="UTC"), nullable=False),
        *(pa.field(c, pa.float64()) for c in _VALUE_COLUMNS),
    ]
)

TimeLike = str | date | datetime | pd.Timestamp | np.datetime64


def normalize_symbol(symbol: str) -> str:
    """``symbol`` upper-cased; ``ValueError`` unless it matches ``[A-Z0-9_.&-]+``."""
    if not isinstance(symbol, str):
        raise TypeError(f"symbol must be a str, not {type(symbol).__name__}")
    sym = symbol.strip().upper()
    if not sym or len(sym) > _MAX_SYMBOL_LEN or not _SYMBOL_RE.match(sym) or set(sym) == {"."}:
        raise ValueError(
            f"invalid symbol {symbol!r}: use 1-{_MAX_SYMBOL_LEN} characters from A-Z 0-9 _ . & -"
        )
    return sym


class SeriesNotFound(KeyError):
    """The store holds no bars for the requested (symbol, timeframe)."""

    def __init__(self, symbol: str, timeframe: str, available: list[tuple[str, str]]) -> None:
        self.symbol = symbol
        self.timeframe = timeframe
        self.available = available
        if available:
            shown = ", ".join(f"{s} {tf}" for s, tf in available[:20])
            more = f" (+{len(available) - 20} more)" if len(available) > 20 else ""
            listing = f"the store holds: {shown}{more}"
        else:
            listing = "the store is empty"
        self.message = f"no bars stored for {symbol} {timeframe}; {listing}"
        super().__init__(self.message)

    def __str__(self) -> str:  # KeyError would repr() the message
        return self.message


@dataclass(frozen=True)
class WriteResult:
    """What a :meth:`BarStore.write` changed. ``rows`` is the series length afterwards."""

    symbol: str
    timeframe: str
    inserted: int
    replaced: int
    unchanged: int
    rows: int

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.replaced)


@dataclass(frozen=True)
class SeriesInfo:
    """Metadata and extent of one stored series."""

    symbol: str
    timeframe: str
    calendar: str | None
    rows: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    sources: tuple[str, ...] = field(default_factory=tuple)
    path: Path | None = None


class BarStore:
    """Bars per (symbol, timeframe) in Parquet under ``root``; see the module docstring."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._lock = threading.RLock()
        self._con: duckdb.DuckDBPyConnection | None = None

    def __repr__(self) -> str:
        return f"BarStore({str(self.root)!r})"

    # ------------------------------------------------------------------ paths and DuckDB

    def _series_dir(self, symbol: str, timeframe: str) -> Path:
        return self.root / f"timeframe={timeframe}" / f"symbol={symbol}"

    def _glob(self, timeframe: str = "*", symbol: str = "*") -> str:
        return str(self.root / f"timeframe={timeframe}" / f"symbol={symbol}" / DATA_FILE)

    @contextmanager
    def _cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._lock:
            if self._con is None:
                self._con = duckdb.connect(":memory:")
            cur = self._con.cursor()
        try:
            cur.execute("SET TimeZone = 'UTC'")
            yield cur
        finally:
            cur.close()

    def _series_list(self, timeframe: str = "*", symbol: str = "*") -> list[tuple[str, str]]:
        """(symbol, timeframe) of every stored series matching the filters, via DuckDB's glob."""
        with self._cursor() as cur:
            files = cur.execute(
                "SELECT file FROM glob(?)", [self._glob(timeframe, symbol)]
            ).fetchall()
        out = []
        for (file,) in files:
            m = _PATH_RE.search(file)
            if m:
                out.append((m.group(2), m.group(1)))
        return sorted(out, key=lambda st: (st[0], Timeframe.parse(st[1]).seconds))

    @staticmethod
    def _keys(symbol: str, timeframe: Timeframe | str) -> tuple[str, str]:
        return normalize_symbol(symbol), Timeframe.parse(timeframe).label

    # ------------------------------------------------------------------ metadata sidecar

    def _read_meta(self, symbol: str, timeframe: str) -> dict[str, Any]:
        path = self._series_dir(symbol, timeframe) / META_FILE
        try:
            meta: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return meta

    def _write_meta(self, symbol: str, timeframe: str, meta: dict[str, Any]) -> None:
        final = self._series_dir(symbol, timeframe) / META_FILE
        tmp = final.with_name(f".{META_FILE}.{uuid.uuid4().hex}.tmp")
        try:
            tmp.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)

    # ------------------------------------------------------------------ writes

    def write(
        self,
        symbol: str,
        timeframe: Timeframe | str,
        bars: pd.DataFrame,
        *,
        calendar: str | None = None,
        source: str | None = None,
    ) -> WriteResult:
        """Merge ``bars`` into the series by timestamp and persist it atomically.

        New timestamps are inserted; a timestamp already stored with identical values is
        ``unchanged``; one stored with different values is ``replaced`` by the new row.
        ``calendar`` (e.g. ``"NSE"``) and ``source`` (a file name) are kept in the series'
        sidecar. Raises ``ValueError`` for duplicate or missing timestamps in ``bars`` or a
        calendar that contradicts the stored one.
        """
        sym, tf = self._keys(symbol, timeframe)
        new = normalize_bars(bars)
        if new["timestamp"].isna().any():
            raise ValueError("bars contain missing timestamps")
        new = new.sort_values("timestamp", kind="stable").reset_index(drop=True)
        new_ts = _ts_ns(new["timestamp"])
        dup = np.flatnonzero(new_ts[1:] == new_ts[:-1])
        if dup.size:
            raise ValueError(
                f"bars contain {dup.size} duplicate timestamp(s), first "
                f"{new['timestamp'].iloc[dup[0]].isoformat()}"
            )
        cal_name = calendar.strip() if calendar else None
        tz = _calendar_tz(cal_name) if cal_name else None

        with self._lock:
            folder = self._series_dir(sym, tf)
            data_path = folder / DATA_FILE
            meta = self._read_meta(sym, tf) if data_path.exists() else {}
            old_cal = meta.get("calendar")
            if cal_name and old_cal and old_cal.upper() != cal_name.upper():
                raise ValueError(
                    f"{sym} {tf} is stored with calendar {old_cal}, not {cal_name}; "
                    "delete the series first to change its calendar"
                )
            old = _read_parquet_bars(data_path) if data_path.exists() else empty_bars()
            merged, inserted, replaced, unchanged = _merge(old, new)

            if not data_path.exists() and len(new) == 0:
                return WriteResult(sym, tf, 0, 0, 0, 0)
            folder.mkdir(parents=True, exist_ok=True)
            if inserted or replaced or not data_path.exists():
                _atomic_write_parquet(merged, data_path)

            sources = list(meta.get("sources", []))
            if source and source not in sources:
                sources.append(source)
            new_meta = {
                "symbol": sym,
                "timeframe": tf,
                "calendar": old_cal or cal_name,
                "tz": meta.get("tz") or tz,
                "sources": sources,
                "created_at": meta.get("created_at") or _now_iso(),
                "updated_at": _now_iso() if (inserted or replaced) else meta.get("updated_at"),
            }
            if new_meta != meta:
                self._write_meta(sym, tf, new_meta)
        return WriteResult(sym, tf, inserted, replaced, unchanged, len(merged))

    def delete(self, symbol: str, timeframe: Timeframe | str) -> bool:
        """Remove a series; return whether it existed."""
        sym, tf = self._keys(symbol, timeframe)
        with self._lock:
            folder = self._series_dir(sym, tf)
            if not folder.exists():
                return False
            shutil.rmtree(folder)
            parent = folder.parent
            if parent.exists() and not any(parent.iterdir()):
                parent.rmdir()
            return True

    # ------------------------------------------------------------------ reads

    def exists(self, symbol: str, timeframe: Timeframe | str) -> bool:
        sym, tf = self._keys(symbol, timeframe)
        return (self._series_dir(sym, tf) / DATA_FILE).exists()

    def read(
        self,
        symbol: str,
        timeframe: Timeframe | str,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
    ) -> pd.DataFrame:
        """Bars with ``start <= timestamp < end`` as a canonical bar frame.

        ``start``/``end`` may be tz-aware (any zone) or naive (taken as UTC); a ``date`` or a
        ``"YYYY-MM-DD"`` string means 00:00 of that day in the series' exchange time zone.
        Raises :class:`SeriesNotFound` when the series does not exist.
        """
        sym, tf = self._keys(symbol, timeframe)
        path = self._series_dir(sym, tf) / DATA_FILE
        if not path.exists():
            raise SeriesNotFound(sym, tf, self._series_list())
        tz = self._read_meta(sym, tf).get("tz") or "UTC"
        lo = _to_utc(start, tz) if start is not None else None
        hi = _to_utc(end, tz) if end is not None else None
        sql = _SELECT_BARS
        params: dict[str, object] = {"path": str(path)}
        where = []
        if lo is not None:
            where.append("timestamp >= $lo::TIMESTAMPTZ")
            params["lo"] = lo.isoformat()
        if hi is not None:
            where.append("timestamp < $hi::TIMESTAMPTZ")
            params["hi"] = hi.isoformat()
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY timestamp"
        with self._cursor() as cur:
            table = cur.sql(sql, params=params).to_arrow_table()
        return _arrow_to_bars(table)

    def symbols(self, timeframe: Timeframe | str | None = None) -> list[str]:
        """Sorted symbols stored (for ``timeframe`` when given)."""
        tf = Timeframe.parse(timeframe).label if timeframe is not None else "*"
        return sorted({s for s, _ in self._series_list(timeframe=tf)})

    def timeframes(self, symbol: str) -> list[str]:
        """Timeframe labels stored for ``symbol``, shortest first."""
        sym = normalize_symbol(symbol)
        return [tf for _, tf in self._series_list(symbol=sym)]

    def coverage(self) -> pd.DataFrame:
        """One row per series: symbol, timeframe, first, last, rows, days, calendar.

        ``days`` counts distinct local dates (in the series' calendar time zone) with bars.
        """
        series = self._series_list()
        columns = ["symbol", "timeframe", "first", "last", "rows", "days", "calendar"]
        if not series:
            return pd.DataFrame(
                {
                    "symbol": pd.Series([], dtype=object),
                    "timeframe": pd.Series([], dtype=object),
                    "first": pd.Series([], dtype="datetime64[ns, UTC]"),
                    "last": pd.Series([], dtype="datetime64[ns, UTC]"),
                    "rows": pd.Series([], dtype="int64"),
                    "days": pd.Series([], dtype="int64"),
                    "calendar": pd.Series([], dtype=object),
                }
            )[columns]
        metas = [self._read_meta(s, tf) for s, tf in series]
        meta_table = pa.table(
            {
                "symbol": [s for s, _ in series],
                "timeframe": [tf for _, tf in series],
                "calendar": [m.get("calendar") for m in metas],
                "tz": [m.get("tz") or "UTC" for m in metas],
            },
            schema=pa.schema(
                [(name, pa.string()) for name in ("symbol", "timeframe", "calendar", "tz")]
            ),
        )
        with self._cursor() as cur:
            cur.register("series_meta", meta_table)
            table = cur.sql(_COVERAGE_SQL, params={"glob": self._glob()}).to_arrow_table()
        df = table.to_pandas()
        for c in ("first", "last"):
            df[c] = pd.to_datetime(df[c], utc=True).astype("datetime64[ns, UTC]")
        for c in ("rows", "days"):
            df[c] = df[c].astype("int64")
        for c in ("symbol", "timeframe", "calendar"):
            df[c] = df[c].astype(object)
        df["_tf"] = [Timeframe.parse(t).seconds for t in df["timeframe"]]
        df = df.sort_values(["symbol", "_tf"], kind="stable").drop(columns="_tf")
        out: pd.DataFrame = df[columns].reset_index(drop=True)
        return out

    def info(self, symbol: str, timeframe: Timeframe | str) -> SeriesInfo:
        """Calendar, row count, extent and imported source files of one series."""
        sym, tf = self._keys(symbol, timeframe)
        path = self._series_dir(sym, tf) / DATA_FILE
        if not path.exists():
            raise SeriesNotFound(sym, tf, self._series_list())
        meta = self._read_meta(sym, tf)
        sql = (
            "SELECT count(*) AS n, min(timestamp) AS first, max(timestamp) AS last "
            "FROM read_parquet($path)"
        )
        with self._cursor() as cur:
            # via Arrow: fetching TIMESTAMPTZ as Python objects would need pytz
            row = cur.sql(sql, params={"path": str(path)}).to_arrow_table().to_pylist()[0]
        return SeriesInfo(
            symbol=sym,
            timeframe=tf,
            calendar=meta.get("calendar"),
            rows=int(row["n"]),
            first=_as_utc_timestamp(row["first"]),
            last=_as_utc_timestamp(row["last"]),
            sources=tuple(meta.get("sources", ())),
            path=path,
        )


# ---------------------------------------------------------------------- helpers


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _calendar_tz(name: str) -> str:
    tz = _KNOWN_CALENDAR_TZ.get(name.upper())
    if tz is not None:
        return tz
    from tronlab.data.calendars import get_calendar  # only for unusual names

    return str(get_calendar(name).tz)


def _ts_ns(ts: pd.Series) -> np.ndarray:
    """int64 ns since the epoch (UTC) of a tz-aware timestamp column."""
    return np.asarray(pd.DatetimeIndex(ts).as_unit("ns").asi8)


def _as_utc_timestamp(value: object) -> pd.Timestamp | None:
    if value is None:
        return None
    ts = pd.Timestamp(value)  # type: ignore[arg-type]
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _to_utc(value: TimeLike, tz: str) -> pd.Timestamp:
    if isinstance(value, date) and not isinstance(value, datetime):
        return pd.Timestamp(value).tz_localize(tz).tz_convert("UTC")
    if isinstance(value, str) and _DATE_ONLY_RE.match(value.strip()):
        return pd.Timestamp(value.strip()).tz_localize(tz).tz_convert("UTC")
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        raise ValueError(f"invalid time bound {value!r}")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _arrow_to_bars(table: pa.Table) -> pd.DataFrame:
    if table.num_rows == 0:
        return empty_bars()
    df = table.to_pandas()
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True)
    return normalize_bars(df)


def _read_parquet_bars(path: Path) -> pd.DataFrame:
    return _arrow_to_bars(pq.read_table(path, columns=list(BAR_COLUMNS)))


def _merge(old: pd.DataFrame, new: pd.DataFrame) -> tuple[pd.DataFrame, int, int, int]:
    """Merge ``new`` into ``old`` (both sorted, unique timestamps); new rows win."""
    if len(old) == 0:
        return new, len(new), 0, 0
    old_ts, new_ts = _ts_ns(old["timestamp"]), _ts_ns(new["timestamp"])
    pos = pd.Index(old_ts).get_indexer(new_ts)
    matched = pos >= 0
    a = old[list(_VALUE_COLUMNS)].to_numpy()[pos[matched]]
    b = new[list(_VALUE_COLUMNS)].to_numpy()[matched]
    same = ((a == b) | (np.isnan(a) & np.isnan(b))).all(axis=1)
    unchanged = int(same.sum())
    replaced = int(matched.sum()) - unchanged
    inserted = int((~matched).sum())
    if inserted == 0 and replaced == 0:
        return old, 0, 0, unchanged
    keep_old = ~np.isin(old_ts, new_ts)
    merged = pd.concat([old[keep_old], new], ignore_index=True)
    merged = merged.sort_values("timestamp", kind="stable").reset_index(drop=True)
    return merged, inserted, replaced, unchanged


def _atomic_write_parquet(bars: pd.DataFrame, final: Path) -> None:
    table = pa.Table.from_pandas(bars[list(BAR_COLUMNS)], schema=_SCHEMA, preserve_index=False)
    tmp = final.with_name(f".{final.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb") as fh:
            pq.write_table(table, fh, compression="zstd", row_group_size=_ROW_GROUP_SIZE)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
