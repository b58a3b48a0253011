"""The feature store: computed feature frames cached as Parquet files (no database here).

A cached frame is identified by a :class:`FeatureKey`: symbol, timeframe, the first and last
bar it covers (``start``/``end``, UTC, both inclusive), the feature-set name, the feature-set
version (:func:`feature_set_version`: a hash of the features' names, descriptions and
warm-ups, so editing a definition's documented meaning invalidates the cache) and a code
version string the caller passes in (:func:`code_version` hashes the source of the modules
that compute the features). Each key maps to one file::

    root/symbol=SYNTH_RELI/timeframe=1m/<feature set>/<start>_<end>_<key digest>.parquet

The file holds ``timestamp`` (UTC) and one float64 column per feature, in the set's order;
its Parquet metadata (``tronlab.features``) repeats the key and a fingerprint of the input
bars (every column of the bar frame passed in, extra series included). A file whose
fingerprint differs from the bars at hand (revised data) is recomputed and replaced, so a
cache hit always equals a fresh computation.

Writes are atomic: a temporary file in the same folder, fsync, then a rename over the final
name; a crash leaves either the old file or the new one, never a torn one. Concurrent writers
of the same key are not coordinated (the last rename wins; both wrote the same content).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tronlab.features.registry import Bars, Feature, select

__all__ = [
    "FeatureKey",
    "FeatureSet",
    "FeatureStore",
    "StoreResult",
    "bars_fingerprint",
    "code_version",
    "compute_frame",
    "feature_set_version",
]

META_KEY = b"tronlab.features"
_SAFE = re.compile(r"[^A-Za-z0-9_.&-]+")

ComputeFn = Callable[[pd.DataFrame, Sequence[Feature]], pd.DataFrame]
Progress = Callable[[str, int, int], None]


def feature_set_version(features: Sequence[Feature]) -> str:
    """``sha256:`` + 16 hex digits over each feature's name, description and warm-up, in
    order."""
    doc = [[f.name, f.description, int(f.warmup)] for f in features]
    text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]


def code_version(features: Sequence[Feature]) -> str:
    """The tronlab version plus a hash of the source files of the modules whose functions
    compute ``features`` (and of the registry): changes when that code changes, and only
    then."""
    import tronlab

    modules = {"tronlab.features.registry"} | {f.compute.__module__ for f in features}
    h = hashlib.sha256()
    for name in sorted(modules):
        module = sys.modules.get(name)
        file = getattr(module, "__file__", None)
        h.update(name.encode() + b"\0")
        if file:
            try:
                h.update(Path(file).read_bytes())
            except OSError:  # pragma: no cover - a module without readable source
                h.update(b"?")
    return f"{tronlab.__version__}+src.{h.hexdigest()[:12]}"


@dataclass(frozen=True)
class FeatureSet:
    """Named, ordered features; :attr:`version` identifies their definitions."""

    name: str
    features: tuple[Feature, ...]

    @classmethod
    def resolve(
        cls, spec: FeatureSet | str | Sequence[str] | Sequence[Feature], name: str | None = None
    ) -> FeatureSet:
        """From a set name (``all``, ``alpha158``, ``ta``, ``session``), a feature name, a list
        of names or of :class:`Feature` objects (named ``custom`` unless ``name`` is given).
        ``ValueError`` for unknown names."""
        if isinstance(spec, FeatureSet):
            return spec if name is None else cls(name, spec.features)
        if isinstance(spec, str):
            return cls(name or spec, tuple(select(spec)))
        items: list[Any] = list(spec)
        feats: tuple[Feature, ...] = (
            tuple(items)
            if all(isinstance(f, Feature) for f in items)
            else tuple(select([str(n) for n in items]))
        )
        return cls(name or "custom", feats)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.features]

    @property
    def version(self) -> str:
        return feature_set_version(self.features)


@dataclass(frozen=True)
class FeatureKey:
    """What identifies one cached frame (see the module docstring)."""

    symbol: str
    timeframe: str
    start: pd.Timestamp
    end: pd.Timestamp
    feature_set: str
    set_version: str
    code_version: str

    def to_dict(self) -> dict[str, str]:
        return {
            "symbol": self.symbol,
            "timeframe": self.timeframe,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "feature_set": self.feature_set,
            "set_version": self.set_version,
            "code_version": self.code_version,
        }

    @property
    def digest(self) -> str:
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class StoreResult:
    """A frame from :meth:`FeatureStore.fetch`: whether the cache served it, where it lives."""

    frame: pd.DataFrame
    hit: bool
    key: FeatureKey
    path: Path
    seconds: float

    @property
    def rows(self) -> int:
        return len(self.frame)

    @property
    def columns(self) -> int:
        """Feature columns (``timestamp`` not counted)."""
        return len(self.frame.columns) - 1


def _utc(value: Any) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        raise ValueError(f"invalid time {value!r}")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def bars_fingerprint(bars_df: pd.DataFrame) -> str:
    """``sha256:`` over every column of ``bars_df`` (names, dtypes and values)."""
    h = hashlib.sha256()
    for col in bars_df.columns:
        series = bars_df[col]
        h.update(f"{col}\0{series.dtype}\0".encode())
        if isinstance(series.dtype, pd.DatetimeTZDtype) or series.dtype.kind == "M":
            values = pd.DatetimeIndex(series).as_unit("ns").asi8
        else:
            values = series.to_numpy()
        arr = np.ascontiguousarray(values)
        h.update(arr.tobytes() if arr.dtype != object else repr(arr.tolist()).encode())
    return "sha256:" + h.hexdigest()


def compute_frame(
    bars: Bars,
    features: Sequence[Feature],
    timestamps: Any = None,
    *,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Batch values of ``features`` as a frame (``timestamp`` first when given), computed
    group by group (each group function runs once); ``progress(group, done, total)`` is
    called after each feature group."""
    groups: dict[str, list[Feature]] = {}
    for f in features:
        groups.setdefault(f.group, []).append(f)
    wanted = {f.name for f in features}
    values: dict[str, np.ndarray] = {}
    done: set[int] = set()
    for i, (group, feats) in enumerate(groups.items(), 1):
        for f in feats:
            if id(f.compute) in done:
                continue
            done.add(id(f.compute))
            for name, arr in f.compute(bars).items():
                if name in wanted:
                    values[name] = np.asarray(arr, dtype=np.float64)
        if progress is not None:
            progress(group, i, len(groups))
    data: dict[str, Any] = {}
    if timestamps is not None:
        data["timestamp"] = pd.DatetimeIndex(timestamps).tz_convert("UTC").as_unit("ns")
    for f in features:
        data[f.name] = values[f.name]
    return pd.DataFrame(data, index=pd.RangeIndex(len(bars)))


class FeatureStore:
    """Feature frames cached under ``root`` (see the module docstring)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"FeatureStore({str(self.root)!r})"

    # ------------------------------------------------------------------ keys and paths

    def key(
        self,
        symbol: str,
        timeframe: str,
        bars_df: pd.DataFrame,
        feature_set: FeatureSet,
        *,
        code_version: str,
        start: Any = None,
        end: Any = None,
    ) -> FeatureKey:
        """The key of ``bars_df``'s features; ``start``/``end`` default to its first/last
        timestamp."""
        if start is None or end is None:
            if len(bars_df) == 0:
                raise ValueError("no bars: cannot compute features of an empty series")
            ts = pd.DatetimeIndex(bars_df["timestamp"])
            start = ts[0] if start is None else start
            end = ts[-1] if end is None else end
        return FeatureKey(
            symbol=symbol,
            timeframe=timeframe,
            start=_utc(start),
            end=_utc(end),
            feature_set=feature_set.name,
            set_version=feature_set.version,
            code_version=code_version,
        )

    def path_for(self, key: FeatureKey) -> Path:
        fmt = "%Y%m%dT%H%M%S"
        name = f"{key.start:{fmt}}_{key.end:{fmt}}_{key.digest[:16]}.parquet"
        return (
            self.root
            / f"symbol={_SAFE.sub('_', key.symbol)}"
            / f"timeframe={_SAFE.sub('_', key.timeframe)}"
            / (_SAFE.sub("_", key.feature_set) or "_")
            / name
        )

    # ------------------------------------------------------------------ read and write

    @staticmethod
    def read_meta(path: Path) -> dict[str, Any] | None:
        """The ``tronlab.features`` metadata of a cached file, or ``None`` if unreadable."""
        try:
            meta = pq.read_schema(path).metadata or {}
            doc: dict[str, Any] = json.loads(meta[META_KEY])
        except (OSError, KeyError, ValueError, pa.ArrowException):
            return None
        return doc

    def read(self, key: FeatureKey, fingerprint: str | None = None) -> pd.DataFrame | None:
        """The cached frame of ``key``, or ``None`` when absent, unreadable, of another key or
        (when ``fingerprint`` is given) computed from other bars."""
        path = self.path_for(key)
        if not path.exists():
            return None
        meta = self.read_meta(path)
        if meta is None or meta.get("key") != key.to_dict():
            return None
        if fingerprint is not None and meta.get("bars") != fingerprint:
            return None
        try:
            table = pq.read_table(path)
        except (OSError, pa.ArrowException):
            return None
        frame: pd.DataFrame = table.to_pandas()
        frame["timestamp"] = pd.DatetimeIndex(frame["timestamp"]).tz_convert("UTC").as_unit("ns")
        return frame

    def write(self, key: FeatureKey, frame: pd.DataFrame, fingerprint: str = "") -> Path:
        """Store ``frame`` (``timestamp`` + float features) under ``key`` atomically."""
        if "timestamp" not in frame.columns:
            raise ValueError("a feature frame needs a 'timestamp' column")
        final = self.path_for(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        out = frame.reset_index(drop=True)
        table = pa.Table.from_pandas(out, preserve_index=False)
        meta = {
            "key": key.to_dict(),
            "bars": fingerprint,
            "rows": len(out),
            "columns": [str(c) for c in out.columns if c != "timestamp"],
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        table = table.replace_schema_metadata(
            {**(table.schema.metadata or {}), META_KEY: json.dumps(meta).encode()}
        )
        tmp = final.with_name(f".{final.name}.{uuid.uuid4().hex}.tmp")
        try:
            with open(tmp, "wb") as fh:
                pq.write_table(table, fh, compression="zstd")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        return final

    # ------------------------------------------------------------------ the cache

    def fetch(
        self,
        symbol: str,
        timeframe: str,
        bars_df: pd.DataFrame,
        feature_set: FeatureSet | str | Sequence[str] | Sequence[Feature],
        *,
        code_version: str,
        compute_fn: ComputeFn,
        start: Any = None,
        end: Any = None,
        refresh: bool = False,
    ) -> StoreResult:
        """The features of ``bars_df`` from the cache, or computed with
        ``compute_fn(bars_df, features)`` and stored.

        ``compute_fn`` returns one row per output bar: the feature columns, plus
        ``timestamp`` unless it returns exactly one row per row of ``bars_df`` (the bars'
        timestamps are used then). It may return fewer rows (e.g. drop a warm-up prefix that
        ``bars_df`` carries before ``start``). ``refresh`` recomputes even on a hit.
        """
        t0 = time.perf_counter()
        fs = FeatureSet.resolve(feature_set)
        key = self.key(
            symbol, timeframe, bars_df, fs, code_version=code_version, start=start, end=end
        )
        fingerprint = bars_fingerprint(bars_df)
        if not refresh:
            cached = self.read(key, fingerprint)
            if cached is not None:
                return StoreResult(cached, True, key, self.path_for(key), time.perf_counter() - t0)
        frame = self._normalise(compute_fn(bars_df, fs.features), bars_df, fs)
        path = self.write(key, frame, fingerprint)
        return StoreResult(frame, False, key, path, time.perf_counter() - t0)

    def get_or_compute(
        self,
        symbol: str,
        timeframe: str,
        bars_df: pd.DataFrame,
        feature_set: FeatureSet | str | Sequence[str] | Sequence[Feature],
        *,
        code_version: str,
        compute_fn: ComputeFn,
        start: Any = None,
        end: Any = None,
    ) -> tuple[pd.DataFrame, bool]:
        """``(frame, hit)``: :meth:`fetch` without the details."""
        result = self.fetch(
            symbol,
            timeframe,
            bars_df,
            feature_set,
            code_version=code_version,
            compute_fn=compute_fn,
            start=start,
            end=end,
        )
        return result.frame, result.hit

    @staticmethod
    def _normalise(frame: pd.DataFrame, bars_df: pd.DataFrame, fs: FeatureSet) -> pd.DataFrame:
        missing = [n for n in fs.names if n not in frame.columns]
        if missing:
            raise ValueError(f"compute_fn did not return {', '.join(missing)}")
        if "timestamp" in frame.columns:
            ts = pd.DatetimeIndex(frame["timestamp"])
        elif len(frame) == len(bars_df):
            ts = pd.DatetimeIndex(bars_df["timestamp"])
        else:
            raise ValueError("compute_fn dropped rows but returned no 'timestamp' column")
        out: dict[str, Any] = {"timestamp": ts.tz_convert("UTC").as_unit("ns")}
        out.update({n: frame[n].to_numpy(dtype=np.float64) for n in fs.names})
        return pd.DataFrame(out)

    def entries(self) -> list[dict[str, Any]]:
        """Metadata of every cached file (key, rows, columns, created_at and its path)."""
        found = []
        for path in sorted(self.root.glob("symbol=*/timeframe=*/*/*.parquet")):
            meta = self.read_meta(path)
            if meta is not None:
                found.append({**meta, "path": str(path)})
        return found
