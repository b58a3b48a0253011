"""Runs: :class:`RunRecord` and :class:`RunRepository` (``runs``), what was run, with
which configuration, and how it ended."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tronlab.storage.db import Clock, utc_now
from tronlab.storage.models import RUN_KINDS, RUN_STATUSES, RunRow
from tronlab.storage.repositories._common import RecordNotFound, _aware, _jsonable_dict


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A backtest, paper or live run."""

    id: str
    kind: str
    strategy: str
    config: dict[str, Any]
    status: str
    started_at: datetime
    ended_at: datetime | None = None
    metrics: dict[str, Any] | None = None
    error: str | None = None


def _run_record(row: RunRow) -> RunRecord:
    return RunRecord(
        id=row.id,
        kind=row.kind,
        strategy=row.strategy,
        config=row.config,
        status=row.status,
        started_at=row.started_at,
        ended_at=row.ended_at,
        metrics=row.metrics,
        error=row.error,
    )


def new_run_id(started: datetime) -> str:
    """``YYYYMMDD-HHMMSS-<8 random hex>``: sortable by start time, unique."""
    return f"{started:%Y%m%d-%H%M%S}-{secrets.token_hex(4)}"


class RunRepository:
    """Runs (``runs``): what was run, with which configuration, and how it ended."""

    def __init__(self, session: Session, clock: Clock = utc_now) -> None:
        self.session = session
        self._clock = clock

    def create(
        self,
        kind: str,
        strategy: str,
        config: Mapping[str, Any],
        *,
        run_id: str | None = None,
        started_at: datetime | None = None,
    ) -> RunRecord:
        """Record a new run in status ``running``.

        Parameters
        ----------
        kind
            ``backtest``, ``paper`` or ``live``.
        strategy
            Strategy name (or ``portfolio`` for several).
        config
            The full effective configuration (JSON-native after conversion: Decimals become
            strings).
        run_id
            Id to use; default ``YYYYMMDD-HHMMSS-<8 hex>`` from ``started_at``.
        started_at
            Start time, tz-aware; default the repository clock.
        """
        if kind not in RUN_KINDS:
            raise ValueError(f"run kind must be one of {', '.join(RUN_KINDS)}; got {kind!r}")
        started = _aware(started_at, "started_at") if started_at else self._clock()
        rid = run_id or new_run_id(started)
        row = RunRow(
            id=rid,
            kind=kind,
            strategy=strategy,
            config=_jsonable_dict(config, "config") or {},
            status="running",
            started_at=started,
        )
        self.session.add(row)
        self.session.flush()
        return _run_record(row)

    def finish(
        self,
        run_id: str,
        *,
        status: str = "completed",
        metrics: Mapping[str, Any] | None = None,
        error: str | None = None,
        ended_at: datetime | None = None,
    ) -> RunRecord:
        """Close a running run as ``completed``, ``failed`` or ``aborted``."""
        if status not in RUN_STATUSES or status == "running":
            raise ValueError(f"a run finishes as completed, failed or aborted; got {status!r}")
        row = self.session.get(RunRow, run_id)
        if row is None:
            raise RecordNotFound(f"run {run_id} not found")
        if row.status != "running":
            raise ValueError(f"run {run_id} already finished ({row.status})")
        row.status = status
        row.ended_at = _aware(ended_at, "ended_at") if ended_at else self._clock()
        row.metrics = _jsonable_dict(metrics, "metrics")
        row.error = error
        self.session.flush()
        return _run_record(row)

    def get(self, run_id: str) -> RunRecord | None:
        """The run with this id, or ``None``."""
        row = self.session.get(RunRow, run_id)
        return None if row is None else _run_record(row)

    def list(
        self,
        *,
        kind: str | None = None,
        strategy: str | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> list[RunRecord]:
        """Runs matching the filters, newest first."""
        stmt = select(RunRow).order_by(RunRow.started_at.desc(), RunRow.id.desc())
        stmt = self._filter(stmt, kind, strategy, status)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [_run_record(r) for r in self.session.scalars(stmt)]

    def count(
        self, *, kind: str | None = None, strategy: str | None = None, status: str | None = None
    ) -> int:
        """How many runs match (e.g. the number of trials behind a reported result)."""
        stmt = self._filter(select(func.count()).select_from(RunRow), kind, strategy, status)
        return int(self.session.scalar(stmt) or 0)

    @staticmethod
    def _filter(stmt: Any, kind: str | None, strategy: str | None, status: str | None) -> Any:
        if kind is not None:
            stmt = stmt.where(RunRow.kind == kind)
        if strategy is not None:
            stmt = stmt.where(RunRow.strategy == strategy)
        if status is not None:
            stmt = stmt.where(RunRow.status == status)
        return stmt
