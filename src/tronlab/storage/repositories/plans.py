"""Daily plans: :class:`DailyPlanRecord` and :class:`DailyPlanRepository`
(``daily_plans``), versioned per day and exchange; the latest version wins."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tronlab.storage.db import Clock, utc_now
from tronlab.storage.models import DailyPlanRow
from tronlab.storage.repositories._common import _aware, _jsonable_dict


@dataclass(frozen=True, slots=True)
class DailyPlanRecord:
    """One version of a day's plan for an exchange."""

    id: int
    plan_date: date
    exchange: str
    plan: dict[str, Any]
    created_at: datetime


def _plan_record(row: DailyPlanRow) -> DailyPlanRecord:
    return DailyPlanRecord(
        id=row.id,
        plan_date=row.plan_date,
        exchange=row.exchange,
        plan=row.plan,
        created_at=row.created_at,
    )


class DailyPlanRepository:
    """Daily plans (``daily_plans``); a revision is a new row and the latest one wins."""

    def __init__(self, session: Session, clock: Clock = utc_now) -> None:
        self.session = session
        self._clock = clock

    def save(
        self,
        plan_date: date,
        exchange: str,
        plan: Mapping[str, Any],
        *,
        created_at: datetime | None = None,
    ) -> DailyPlanRecord:
        """Store a (new version of the) plan for ``plan_date`` on ``exchange``."""
        if isinstance(plan_date, datetime) or not isinstance(plan_date, date):
            raise TypeError("plan_date must be a date")
        row = DailyPlanRow(
            plan_date=plan_date,
            exchange=exchange,
            plan=_jsonable_dict(plan, "plan") or {},
            created_at=_aware(created_at, "created_at") if created_at else self._clock(),
        )
        self.session.add(row)
        self.session.flush()
        return _plan_record(row)

    def latest(self, plan_date: date, exchange: str) -> DailyPlanRecord | None:
        """The newest version of the plan, or ``None``."""
        stmt = (
            select(DailyPlanRow)
            .where(DailyPlanRow.plan_date == plan_date, DailyPlanRow.exchange == exchange)
            .order_by(DailyPlanRow.created_at.desc(), DailyPlanRow.id.desc())
            .limit(1)
        )
        row = self.session.scalars(stmt).first()
        return None if row is None else _plan_record(row)

    def list(
        self,
        *,
        exchange: str | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> list[DailyPlanRecord]:
        """Every stored version in the date range (inclusive), oldest first."""
        stmt = select(DailyPlanRow).order_by(
            DailyPlanRow.plan_date, DailyPlanRow.created_at, DailyPlanRow.id
        )
        if exchange is not None:
            stmt = stmt.where(DailyPlanRow.exchange == exchange)
        if since is not None:
            stmt = stmt.where(DailyPlanRow.plan_date >= since)
        if until is not None:
            stmt = stmt.where(DailyPlanRow.plan_date <= until)
        return [_plan_record(r) for r in self.session.scalars(stmt)]
