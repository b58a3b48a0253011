"""Migrations and engine settings, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError, StatementError

from tronlab.storage import Database, make_engine, migrate, normalize_url
from tronlab.storage.models import InstrumentRow, RunRow, metadata

T = datetime.fromisoformat("2025-01-06T09:15:00+05:30")

TABLES = {
    "alembic_version",
    "audit_log",
    "daily_plans",
    "experiments",
    "feature_store",
    "fills",
    "instruments",
    "order_events",
    "orders",
    "position_snapshots",
    "risk_events",
    "run_artifacts",
    "risk_state",
    "runs",
}


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_round_trip(database_url: str) -> None:
    assert migrate.current(database_url) is None
    migrate.upgrade(database_url)
    assert migrate.current(database_url) == migrate.heads()[0]
    assert _tables(database_url) == TABLES

    migrate.downgrade(database_url, "base")
    assert migrate.current(database_url) is None
    assert _tables(database_url) <= {"alembic_version"}

    migrate.upgrade(database_url)
    assert migrate.current(database_url) == "0007"
    assert _tables(database_url) == TABLES


def test_migrated_schema_matches_orm_metadata(migrated_url: str) -> None:
    engine = make_engine(migrated_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            diff = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_heads_and_history() -> None:
    assert migrate.heads() == ["0007"]
    seventh, sixth, fifth, fourth, third, second, first = migrate.history()  # newest first
    assert first.revision == "0001"
    assert first.down_revision is None
    assert not first.is_head
    assert first.message == "Initial schema"
    assert (second.revision, second.down_revision, second.is_head) == ("0002", "0001", False)
    assert (third.revision, third.down_revision, third.is_head) == ("0003", "0002", False)
    assert (fourth.revision, fourth.down_revision, fourth.is_head) == ("0004", "0003", False)
    assert (fifth.revision, fifth.down_revision, fifth.is_head) == ("0005", "0004", False)
    assert (sixth.revision, sixth.down_revision, sixth.is_head) == ("0006", "0005", False)
    assert (seventh.revision, seventh.down_revision, seventh.is_head) == ("0007", "0006", True)


def test_current_does_not_create_a_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "tronlab.db"
    assert migrate.current(f"sqlite:///{path}") is None
    assert not path.exists()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql://u:p@h:5433/db", "postgresql+psycopg://u:p@h:5433/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_normalize_url(raw: str, expected: str) -> None:
    assert normalize_url(raw).render_as_string(hide_password=False) == expected


def test_sqlite_pragmas_are_on(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nested' / 'dir' / 'tronlab.db'}"
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    finally:
        engine.dispose()
    assert (tmp_path / "nested" / "dir" / "tronlab.db").exists()


def test_sqlite_transactions_cover_ddl(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 't.db'}")
    try:
        with engine.connect() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.rollback()
            assert "t" not in inspect(conn).get_table_names()
    finally:
        engine.dispose()


def _write(db: Database, *rows: object, sql: str | None = None) -> None:
    """Add ``rows`` (and run ``sql``) in one unit of work."""
    with db.unit_of_work() as uow:
        uow.session.add_all(rows)
        uow.session.flush()
        if sql is not None:
            uow.session.execute(text(sql))


def _run_row(kind: str = "backtest", started_at: datetime = T) -> RunRow:
    return RunRow(
        id="r1", kind=kind, strategy="orb", config={}, status="running", started_at=started_at
    )


def test_foreign_keys_are_enforced(db: Database) -> None:
    _write(db, _run_row())
    sql = (
        "INSERT INTO position_snapshots (run_id, ts, instrument_id, quantity, "
        "cost_basis, multiplier, realized_pnl, fees) VALUES "
        "('r1', '2025-01-06 03:45:00', 'NSE:NOPE', 1, 0, 1, 0, 0)"
    )
    with pytest.raises(IntegrityError, match=r"(?i)foreign key"):
        _write(db, sql=sql)


def test_check_constraints_are_enforced(db: Database) -> None:
    with pytest.raises(IntegrityError, match=r"(?i)check constraint"):
        _write(db, _run_row(kind="not-a-kind"))


def test_naive_datetimes_and_floats_are_refused(db: Database) -> None:
    with pytest.raises(StatementError, match="naive"):
        _write(db, _run_row(started_at=datetime(2025, 1, 6, 9, 15)))
    bad = InstrumentRow(
        id="NSE:X",
        venue="NSE",
        symbol="X",
        kind="EQ",
        currency="INR",
        tick_size=0.05,  # float
        lot_size=1,
        qty_step=Decimal(1),
        multiplier=Decimal(1),
        tradable=True,
        active=True,
        updated_at=T,
    )
    with pytest.raises(StatementError, match="Decimal"):
        _write(db, bad)
