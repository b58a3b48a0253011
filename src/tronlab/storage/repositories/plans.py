"""Daily plans: :class:`DailyPlanRecord` and :class:`DailyPlanRepository`
(``daily_plans``), one per day, exchange, regime symbol and plan name."""

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
    """A day's stored plan for an exchange, regime symbol and plan name."""

    id: int
    plan_date: date
    exchange: str
    plan: dict[str, Any]
    created_at: datetime
    symbol: str = ""
    name: str = "default"
    regime: str | None = None


def _plan_record(row: DailyPlanRow) -> DailyPlanRecord:
    return DailyPlanRecord(
        id=row.id,
        plan_date=row.plan_date,
        exchange=row.exchange,
        plan=row.plan,
        created_at=row.created_at,
        symbol=row.symbol,
        name=row.name,
        regime=row.regime,
    )


class DailyPlanRepository:
    """Daily plans (``daily_plans``): one per (date, exchange, symbol, name); saving the same
    key again replaces the plan."""

    def __init__(self, session: Session, clock: Clock = utc_now) -> None:
        self.session = session
        self._clock = clock

    def save(
        self,
        plan_date: date,
        exchange: str,
        plan: Mapping[str, Any],
        *,
        symbol: str = "",
        name: str = "default",
        regime: str | None = None,
        created_at: datetime | None = None,
    ) -> DailyPlanRecord:
        """Store the plan for ``plan_date`` (replacing the one stored under the same key)."""
        if isinstance(plan_date, datetime) or not isinstance(plan_date, date):
            raise TypeError("plan_date must be a date")
        doc = _jsonable_dict(plan, "plan") or {}
        stamp = _aware(created_at, "created_at") if created_at else self._clock()
        row = self._row(plan_date, exchange, symbol, name)
        if row is None:
            row = DailyPlanRow(plan_date=plan_date, exchange=exchange, symbol=symbol, name=name)
            self.session.add(row)
        row.plan = doc
        row.regime = regime
        row.created_at = stamp
        self.session.flush()
        return _plan_record(row)

    def get(
        self, plan_date: date, exchange: str, *, symbol: str = "", name: str = "default"
    ) -> DailyPlanRecord | None:
        """The plan stored under this key, or ``None``."""
        row = self._row(plan_date, exchange, symbol, name)
        return None if row is None else _plan_record(row)

    def _row(self, plan_date: date, exchange: str, symbol: str, name: str) -> DailyPlanRow | None:
        stmt = select(DailyPlanRow).where(
            DailyPlanRow.plan_date == plan_date,
            DailyPlanRow.exchange == exchange,
            DailyPlanRow.symbol == symbol,
            DailyPlanRow.name == name,
        )
        return self.session.scalars(stmt).first()

    def latest(self, plan_date: date, exchange: str) -> DailyPlanRecord | None:
        """The most recently saved plan of the day on ``exchange`` (any symbol and name)."""
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
        symbol: str | None = None,
        name: str | None = None,
        regime: str | None = None,
    ) -> list[DailyPlanRecord]:
        """Stored plans in the date range (inclusive), by date, then symbol and name."""
        stmt = select(DailyPlanRow).order_by(
            DailyPlanRow.plan_date, DailyPlanRow.exchange, DailyPlanRow.symbol, DailyPlanRow.name
        )
        if exchange is not None:
            stmt = stmt.where(DailyPlanRow.exchange == exchange)
        if since is not None:
            stmt = stmt.where(DailyPlanRow.plan_date >= since)
        if until is not None:
            stmt = stmt.where(DailyPlanRow.plan_date <= until)
        if symbol is not None:
            stmt = stmt.where(DailyPlanRow.symbol == symbol)
        if name is not None:
            stmt = stmt.where(DailyPlanRow.name == name)
        if regime is not None:
            stmt = stmt.where(DailyPlanRow.regime == regime)
        return [_plan_record(r) for r in self.session.scalars(stmt)]
