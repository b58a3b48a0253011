"""Experiments (``experiments``): comparisons of stored runs, such as ``tronlab ab``'s
A/B tests, with their statistics and verdict; and the trial count behind a result.

Trials: every stored backtest run counts as one trial of its strategy (A/B arms, walk-forward
windows stored with a recorder and plain ``tronlab backtest`` runs alike), so
:func:`count_trials` is what a deflated Sharpe ratio should be deflated by.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tronlab.storage.db import Clock, Database, utc_now
from tronlab.storage.models import ExperimentRow
from tronlab.storage.repositories import RecordNotFound
from tronlab.storage.repositories._common import _aware, _jsonable_dict
from tronlab.storage.repositories.runs import new_run_id

__all__ = [
    "EXPERIMENT_KINDS",
    "ExperimentRecord",
    "ExperimentRepository",
    "count_trials",
    "get_experiment",
    "list_experiments",
    "save_experiment",
]

#: What an experiment compares: ``ab`` is two configurations on the same data.
EXPERIMENT_KINDS = ("ab",)


@dataclass(frozen=True, slots=True)
class ExperimentRecord:
    """One stored experiment."""

    id: str
    kind: str
    created_at: datetime
    a_config: dict[str, Any]
    b_config: dict[str, Any]
    a_run_id: str | None
    b_run_id: str | None
    stats: dict[str, Any]
    verdict: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-native form (the shape of ``tronlab ab --json``)."""
        return {
            "experiment_id": self.id,
            "kind": self.kind,
            "created_at": self.created_at.isoformat(),
            "a": {"config": self.a_config, "run_id": self.a_run_id},
            "b": {"config": self.b_config, "run_id": self.b_run_id},
            "stats": self.stats,
            "verdict": self.verdict,
        }


def _record(row: ExperimentRow) -> ExperimentRecord:
    return ExperimentRecord(
        id=row.id,
        kind=row.kind,
        created_at=row.created_at,
        a_config=row.a_config,
        b_config=row.b_config,
        a_run_id=row.a_run_id,
        b_run_id=row.b_run_id,
        stats=row.stats,
        verdict=row.verdict,
    )


class ExperimentRepository:
    """Experiments (``experiments``), inside the caller's session (it never commits)."""

    def __init__(self, session: Session, clock: Clock = utc_now) -> None:
        self.session = session
        self._clock = clock

    def create(
        self,
        kind: str,
        *,
        a_config: Mapping[str, Any],
        b_config: Mapping[str, Any],
        a_run_id: str | None,
        b_run_id: str | None,
        stats: Mapping[str, Any],
        verdict: str,
        experiment_id: str | None = None,
        created_at: datetime | None = None,
    ) -> ExperimentRecord:
        """Record an experiment; ``stats`` must be JSON-native with finite numbers (store
        an undefined statistic as ``None``), the run ids must name stored runs."""
        if kind not in EXPERIMENT_KINDS:
            raise ValueError(
                f"experiment kind must be one of {', '.join(EXPERIMENT_KINDS)}; got {kind!r}"
            )
        created = _aware(created_at, "created_at") if created_at else self._clock()
        row = ExperimentRow(
            id=experiment_id or new_run_id(created),
            kind=kind,
            created_at=created,
            a_config=_jsonable_dict(a_config, "a_config") or {},
            b_config=_jsonable_dict(b_config, "b_config") or {},
            a_run_id=a_run_id,
            b_run_id=b_run_id,
            stats=_jsonable_dict(stats, "stats") or {},
            verdict=verdict,
        )
        self.session.add(row)
        self.session.flush()
        return _record(row)

    def get(self, experiment_id: str) -> ExperimentRecord | None:
        """The experiment with this id, or ``None``."""
        row = self.session.get(ExperimentRow, experiment_id)
        return None if row is None else _record(row)

    def list(self, *, kind: str | None = None, limit: int | None = None) -> list[ExperimentRecord]:
        """Experiments, newest first."""
        stmt = select(ExperimentRow).order_by(
            ExperimentRow.created_at.desc(), ExperimentRow.id.desc()
        )
        if kind is not None:
            stmt = stmt.where(ExperimentRow.kind == kind)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [_record(r) for r in self.session.scalars(stmt)]


def save_experiment(db: Database, kind: str, **fields: Any) -> ExperimentRecord:
    """Store an experiment in its own transaction (see :meth:`ExperimentRepository.create`)."""
    with db.unit_of_work() as uow:
        return ExperimentRepository(uow.session, db.clock).create(kind, **fields)


def get_experiment(db: Database, experiment_id: str) -> ExperimentRecord:
    """An experiment by id; raises :class:`RecordNotFound`."""
    with db.unit_of_work() as uow:
        found = ExperimentRepository(uow.session, db.clock).get(experiment_id)
    if found is None:
        raise RecordNotFound(f"experiment {experiment_id} not found")
    return found


def list_experiments(
    db: Database, *, kind: str | None = None, limit: int = 50
) -> list[ExperimentRecord]:
    with db.unit_of_work() as uow:
        return ExperimentRepository(uow.session, db.clock).list(kind=kind, limit=limit)


def count_trials(db: Database, strategy: str) -> int:
    """How many backtest runs of ``strategy`` are stored: the trials behind any one of its
    results (at least the run being reported, once it is stored)."""
    with db.unit_of_work() as uow:
        return uow.runs.count(kind="backtest", strategy=strategy)
