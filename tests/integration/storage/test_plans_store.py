"""Daily plans in the database (SQLite and PostgreSQL): save/get/list, one plan per key,
and migration 0006 on a database holding plans of the old shape."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tronlab.storage import Database, make_engine, migrate
from tronlab.storage.models import DailyPlanRow
from tronlab.storage.plans import PlanStore
from tronlab.strategy.plan import DailyPlan, PlannedStrategy

DAY = date(2025, 12, 1)
T0 = datetime(2025, 12, 1, 3, 0, tzinfo=UTC)


def _plan(day: date = DAY, *, regime: str = "trending_calm", name: str = "default",
          symbol: str = "NIFTY", adx: float = 31.5) -> DailyPlan:  # fmt: skip
    chosen = (
        (PlannedStrategy("orb", "orb", {"range_minutes": 15}, 0.4),)
        if regime != "stand_aside"
        else ()
    )
    return DailyPlan(
        date=day,
        symbol=symbol,
        regime=regime,
        direction="long" if chosen else "both",
        strategies=chosen,
        inputs={"adx": adx, "vix": 12.5, "gap_pct": None, "vol_source": "vix"},
        explanation=f"{day} {symbol}: {regime}",
        name=name,
    )


def test_save_get_list_round_trip(db: Database) -> None:
    store = PlanStore(db)
    plans = [_plan(DAY + timedelta(days=i), regime=r)
             for i, r in enumerate(["trending_calm", "stand_aside", "ranging_calm"])]  # fmt: skip
    records = store.save_many(plans)
    assert [r.regime for r in records] == ["trending_calm", "stand_aside", "ranging_calm"]
    assert store.get(DAY, "NIFTY") == plans[0]
    assert store.get(DAY, "NIFTY", "other") is None
    assert store.get(DAY, "BANKNIFTY") is None
    assert store.list() == plans
    assert store.list(since=DAY + timedelta(days=1)) == plans[1:]
    assert store.list(until=DAY) == plans[:1]
    assert store.list(regime="stand_aside") == [plans[1]]
    assert PlanStore(db, exchange="NYSE").list() == []


def test_one_plan_per_date_symbol_and_name(db: Database) -> None:
    store = PlanStore(db)
    store.save(_plan(adx=20.0))
    store.save(_plan(adx=40.0))  # the same key: replaces
    store.save(_plan(name="aggressive"))
    store.save(_plan(symbol="BANKNIFTY"))
    assert store.get(DAY, "NIFTY").inputs["adx"] == 40.0
    assert len(store.list()) == 3
    assert {(p.symbol, p.name) for p in store.list()} == {
        ("NIFTY", "default"), ("NIFTY", "aggressive"), ("BANKNIFTY", "default"),
    }  # fmt: skip
    # the database itself refuses a second row for a key
    duplicate = DailyPlanRow(
        plan_date=DAY, exchange="NSE", symbol="NIFTY", name="default", regime=None, plan={},
        created_at=T0,
    )  # fmt: skip

    def insert() -> None:
        with db.unit_of_work() as uow:
            uow.session.add(duplicate)
            uow.session.flush()

    with pytest.raises(IntegrityError):
        insert()


def test_migration_0006_keeps_the_latest_old_revision(database_url: str) -> None:
    migrate.upgrade(database_url, "0005")
    engine = make_engine(database_url)
    rows = [
        (DAY, "NSE", {"regime": "trend"}, "2025-12-01 03:00:00+00:00"),
        (DAY, "NSE", {"regime": "range"}, "2025-12-01 03:30:00+00:00"),  # the latest: kept
        (DAY, "US", ["not", "a", "mapping"], "2025-12-01 03:00:00+00:00"),
    ]
    try:
        with engine.begin() as conn:
            for day, exchange, doc, created in rows:
                conn.execute(
                    text("INSERT INTO daily_plans (plan_date, exchange, plan, created_at) "
                         "VALUES (:d, :e, :p, :c)"),
                    {"d": day, "e": exchange, "p": json.dumps(doc), "c": created},
                )  # fmt: skip
        migrate.upgrade(database_url)
        with engine.connect() as conn:
            got = conn.execute(
                text("SELECT exchange, symbol, name, regime FROM daily_plans ORDER BY exchange")
            ).all()
        assert [tuple(r) for r in got] == [
            ("NSE", "", "default", "range"),
            ("US", "", "default", None),
        ]
        migrate.downgrade(database_url, "0005")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM daily_plans")).scalar() == 2
    finally:
        engine.dispose()


def test_a_runs_plans_under_their_own_name(db: Database) -> None:
    from tronlab.storage.plans import run_plan_name

    store = PlanStore(db)
    store.save(_plan())  # the live plan of the day stays
    made = [_plan(DAY + timedelta(days=i)) for i in range(2)]
    store.save_run("auto", "20251201-x", made)
    PlanStore(db, exchange="XNYS").save_run("auto", "20251202-y", [_plan(symbol="SPY")])
    assert run_plan_name("auto", "20251201-x") == "auto@20251201-x"
    got = store.for_run("auto", "20251201-x")
    assert [p.date for p in got] == [p.date for p in made]
    assert {p.name for p in got} == {"auto@20251201-x"}
    assert store.get(DAY, "NIFTY") == _plan()  # not replaced by the run's plan of that day
    assert [p.symbol for p in store.for_run("auto", "20251202-y")] == ["SPY"]  # any exchange
    assert store.for_run("auto", "nope") == []
    with pytest.raises(ValueError, match="strategy name and run id"):
        run_plan_name("", "x")
