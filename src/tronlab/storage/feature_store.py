"""The feature store's database side: one ``feature_store`` row per cached feature frame.

The frames themselves are Parquet files written by :mod:`tronlab.features.store`; these
functions record, find and list them by key (symbol, timeframe, bar range, feature set,
set version, code version). Recording an existing key updates its row (path, size, time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from tronlab.storage.db import Database
from tronlab.storage.models import FeatureStoreRow
from tronlab.storage.repositories._common import _aware

__all__ = ["FeatureStoreRecord", "find", "list", "record"]


@dataclass(frozen=True, slots=True)
class FeatureStoreRecord:
    """A cached feature frame as the database knows it."""

    id: int
    symbol: str
    timeframe: str
    start: datetime
    end: datetime
    feature_set: str
    set_version: str
    code_version: str
    path: str
    rows: int
    columns: int
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "symbol": self.symbol,
            "timeframe": self.timeframe,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "feature_set": self.feature_set,
            "set_version": self.set_version,
            "code_version": self.code_version,
            "path": self.path,
            "rows": self.rows,
            "columns": self.columns,
            "created_at": self.created_at.isoformat(),
        }


def _record(row: FeatureStoreRow) -> FeatureStoreRecord:
    return FeatureStoreRecord(
        id=row.id,
        symbol=row.symbol,
        timeframe=row.timeframe,
        start=row.start,
        end=row.end,
        feature_set=row.feature_set,
        set_version=row.set_version,
        code_version=row.code_version,
        path=row.path,
        rows=row.rows,
        columns=row.columns,
        created_at=row.created_at,
    )


def _key_query(
    symbol: str,
    timeframe: str,
    start: datetime,
    end: datetime,
    feature_set: str,
    set_version: str,
    code_version: str,
) -> Any:
    return select(FeatureStoreRow).where(
        FeatureStoreRow.symbol == symbol,
        FeatureStoreRow.timeframe == timeframe,
        FeatureStoreRow.start == _aware(start, "start"),
        FeatureStoreRow.end == _aware(end, "end"),
        FeatureStoreRow.feature_set == feature_set,
        FeatureStoreRow.set_version == set_version,
        FeatureStoreRow.code_version == code_version,
    )


def record(
    db: Database,
    *,
    symbol: str,
    timeframe: str,
    start: datetime,
    end: datetime,
    feature_set: str,
    set_version: str,
    code_version: str,
    path: str,
    rows: int,
    columns: int,
) -> FeatureStoreRecord:
    """Insert the row of a cached frame, or update it (path, rows, columns, created_at) when
    its key is already recorded. ``start``/``end`` must be timezone-aware."""
    if rows < 0 or columns < 0:
        raise ValueError("rows and columns must be >= 0")
    key = (symbol, timeframe, start, end, feature_set, set_version, code_version)
    with db.unit_of_work() as uow:
        row = uow.session.scalars(_key_query(*key)).one_or_none()
        now = db.clock()
        if row is None:
            row = FeatureStoreRow(
                symbol=symbol,
                timeframe=timeframe,
                start=_aware(start, "start"),
                end=_aware(end, "end"),
                feature_set=feature_set,
                set_version=set_version,
                code_version=code_version,
                path=str(path),
                rows=int(rows),
                columns=int(columns),
                created_at=now,
            )
            uow.session.add(row)
        else:
            row.path = str(path)
            row.rows = int(rows)
            row.columns = int(columns)
            row.created_at = now
        uow.session.flush()
        return _record(row)


def find(
    db: Database,
    *,
    symbol: str,
    timeframe: str,
    start: datetime,
    end: datetime,
    feature_set: str,
    set_version: str,
    code_version: str,
) -> FeatureStoreRecord | None:
    """The row of exactly this key, or ``None``."""
    with db.unit_of_work() as uow:
        row = uow.session.scalars(
            _key_query(symbol, timeframe, start, end, feature_set, set_version, code_version)
        ).one_or_none()
        return None if row is None else _record(row)


def list(
    db: Database,
    *,
    symbol: str | None = None,
    timeframe: str | None = None,
    feature_set: str | None = None,
    limit: int | None = 100,
) -> Sequence[FeatureStoreRecord]:
    """Recorded frames, newest first, optionally filtered."""
    query = select(FeatureStoreRow)
    if symbol is not None:
        query = query.where(FeatureStoreRow.symbol == symbol)
    if timeframe is not None:
        query = query.where(FeatureStoreRow.timeframe == timeframe)
    if feature_set is not None:
        query = query.where(FeatureStoreRow.feature_set == feature_set)
    query = query.order_by(FeatureStoreRow.created_at.desc(), FeatureStoreRow.id.desc())
    if limit is not None:
        query = query.limit(limit)
    with db.unit_of_work() as uow:
        return tuple(_record(row) for row in uow.session.scalars(query))
