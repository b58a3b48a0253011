"""Daily plans in the database: :class:`PlanStore` saves, reads and lists
:class:`~tronlab.strategy.plan.DailyPlan` objects (table ``daily_plans``, one plan per date,
exchange, regime symbol and plan name; saving the same key again replaces it).

The plans a stored run made (``tronlab backtest -s auto``) are kept under the plan name
``STRATEGY@RUN_ID`` (:func:`run_plan_name`, :meth:`PlanStore.save_run`,
:meth:`PlanStore.for_run`), so they never replace the live ``default`` plans.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from tronlab.storage.db import Database
from tronlab.storage.repositories import DailyPlanRecord
from tronlab.strategy.plan import DailyPlan

DEFAULT_EXCHANGE = "NSE"


def plan_from_record(record: DailyPlanRecord) -> DailyPlan:
    return DailyPlan.from_dict(record.plan)


def run_plan_name(strategy: str, run_id: str) -> str:
    """The plan name of the plans run ``run_id`` of ``strategy`` made: ``auto@RUN_ID``."""
    if not strategy or not run_id:
        raise ValueError("a run's plans need its strategy name and run id")
    return f"{strategy}@{run_id}"


class PlanStore:
    """Daily plans of one database (each call is its own unit of work)."""

    def __init__(self, db: Database, exchange: str = DEFAULT_EXCHANGE) -> None:
        self.db = db
        self.exchange = exchange

    def save(self, plan: DailyPlan) -> DailyPlanRecord:
        """Store ``plan`` under (its date, the exchange, its symbol, its name)."""
        return self.save_many([plan])[0]

    def save_many(self, plans: Iterable[DailyPlan]) -> list[DailyPlanRecord]:
        """Store several plans in one transaction (a backtest's plans, say)."""
        with self.db.unit_of_work() as uow:
            return [
                uow.daily_plans.save(
                    p.date,
                    self.exchange,
                    p.to_dict(),
                    symbol=p.symbol,
                    name=p.name,
                    regime=p.regime,
                )
                for p in plans
            ]

    def save_run(
        self, strategy: str, run_id: str, plans: Iterable[DailyPlan]
    ) -> list[DailyPlanRecord]:
        """Store the plans a run made under its plan name (:func:`run_plan_name`)."""
        name = run_plan_name(strategy, run_id)
        return self.save_many(replace(p, name=name) for p in plans)

    def for_run(self, strategy: str, run_id: str) -> list[DailyPlan]:
        """The plans run ``run_id`` of ``strategy`` made, oldest first (on any exchange)."""
        with self.db.unit_of_work() as uow:
            records = uow.daily_plans.list(name=run_plan_name(strategy, run_id))
        return [plan_from_record(r) for r in records]

    def get(self, day: date, symbol: str, name: str = "default") -> DailyPlan | None:
        with self.db.unit_of_work() as uow:
            record = uow.daily_plans.get(day, self.exchange, symbol=symbol, name=name)
        return None if record is None else plan_from_record(record)

    def list(
        self,
        *,
        since: date | None = None,
        until: date | None = None,
        symbol: str | None = None,
        name: str | None = None,
        regime: str | None = None,
    ) -> list[DailyPlan]:
        """Stored plans in ``[since, until]`` (inclusive), oldest first."""
        with self.db.unit_of_work() as uow:
            records = uow.daily_plans.list(
                exchange=self.exchange,
                since=since,
                until=until,
                symbol=symbol,
                name=name,
                regime=regime,
            )
        return [plan_from_record(r) for r in records]
