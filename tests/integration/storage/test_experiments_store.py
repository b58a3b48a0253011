"""The experiments table and trial counting, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, inspect
from sqlalchemy.exc import IntegrityError

from tronlab.storage import Database, make_engine, migrate
from tronlab.storage.experiments import (
    ExperimentRepository,
    count_trials,
    get_experiment,
    list_experiments,
    save_experiment,
)
from tronlab.storage.models import RunRow
from tronlab.storage.repositories import RecordNotFound

STATS = {
    "test": {"n_obs": 20, "mean_diff": 0.0012, "mean_diff_ci": [-0.001, 0.003],
             "sharpe_diff_p": None, "verdict": "No significant difference at 5%"},
    "a": {"sharpe": 1.25}, "b": {"sharpe": 0.5},
}  # fmt: skip


def _runs(db: Database, *specs: tuple[str, str]) -> list[str]:
    ids = []
    with db.unit_of_work() as uow:
        for kind, strategy in specs:
            run = uow.runs.create(kind, strategy, {"symbols": ["SYNTH_RELI"]})
            uow.runs.finish(run.id, metrics={"net_pnl": 1.5})
            ids.append(run.id)
    return ids


def _save(db: Database, a: str | None, b: str | None, **kw: object) -> object:
    fields = {"a_config": {"strategy": "sma_cross", "params": {"fast": 5}},
              "b_config": {"strategy": "sma_cross", "params": {"fast": 10}},
              "a_run_id": a, "b_run_id": b, "stats": STATS, "verdict": "B wins", **kw}  # fmt: skip
    return save_experiment(db, "ab", **fields)


def test_save_get_and_list_round_trip(db: Database) -> None:
    a, b = _runs(db, ("backtest", "sma_cross"), ("backtest", "sma_cross"))
    first = _save(db, a, b)
    second = _save(db, b, a, verdict="A wins")
    got = get_experiment(db, first.id)  # type: ignore[attr-defined]
    assert got == first
    assert got.kind == "ab"
    assert (got.a_run_id, got.b_run_id) == (a, b)
    assert got.stats == STATS
    assert got.a_config["params"] == {"fast": 5}
    assert got.created_at.tzinfo is not None
    doc = got.to_dict()
    assert doc["experiment_id"] == got.id
    assert doc["a"] == {"config": got.a_config, "run_id": a}
    assert doc["verdict"] == "B wins"
    assert [e.id for e in list_experiments(db)] == [second.id, first.id]  # type: ignore[attr-defined]
    assert [e.id for e in list_experiments(db, kind="ab", limit=1)] == [second.id]  # type: ignore[attr-defined]


def test_bad_experiments_are_refused(db: Database) -> None:
    a, b = _runs(db, ("backtest", "sma_cross"), ("backtest", "sma_cross"))
    with pytest.raises(ValueError, match="experiment kind must be one of ab"):
        save_experiment(db, "abc", a_config={}, b_config={}, a_run_id=a, b_run_id=b,
                        stats={}, verdict="")  # fmt: skip
    with pytest.raises(ValueError, match="non-finite float"):
        _save(db, a, b, stats={"p": float("nan")})
    with pytest.raises(IntegrityError):
        _save(db, a, "no-such-run")
    with pytest.raises(RecordNotFound, match="experiment nope not found"):
        get_experiment(db, "nope")
    assert list_experiments(db) == []  # nothing half-written


def test_a_deleted_run_leaves_the_experiment_with_a_null_id(db: Database) -> None:
    a, b = _runs(db, ("backtest", "sma_cross"), ("backtest", "sma_cross"))
    exp = _save(db, a, b)
    with db.unit_of_work() as uow:
        uow.session.execute(delete(RunRow).where(RunRow.id == a))
    got = get_experiment(db, exp.id)  # type: ignore[attr-defined]
    assert (got.a_run_id, got.b_run_id) == (None, b)


def test_repository_takes_an_explicit_id_and_time(db: Database) -> None:
    t = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
    with db.unit_of_work() as uow:
        rec = ExperimentRepository(uow.session).create(
            "ab", a_config={}, b_config={}, a_run_id=None, b_run_id=None, stats={},
            verdict="v", experiment_id="exp-1", created_at=t,
        )  # fmt: skip
    assert rec.id == "exp-1"
    assert get_experiment(db, "exp-1").created_at == t
    with db.unit_of_work() as uow, pytest.raises(ValueError, match="timezone-aware"):
        ExperimentRepository(uow.session).create(
            "ab", a_config={}, b_config={}, a_run_id=None, b_run_id=None, stats={},
            verdict="v", created_at=datetime(2025, 3, 4),
        )  # fmt: skip


def test_count_trials_counts_stored_backtests_of_the_strategy(db: Database) -> None:
    assert count_trials(db, "sma_cross") == 0
    _runs(db, ("backtest", "sma_cross"), ("backtest", "sma_cross"), ("backtest", "vwap"),
          ("paper", "sma_cross"), ("backtest", "sma_cross"))  # fmt: skip
    assert count_trials(db, "sma_cross") == 3
    assert count_trials(db, "vwap") == 1
    assert count_trials(db, "orb") == 0


def test_migration_0007_creates_and_drops_the_table(database_url: str) -> None:
    migrate.upgrade(database_url, "0007")
    engine = make_engine(database_url)
    try:
        assert "experiments" in inspect(engine).get_table_names()
        cols = {c["name"] for c in inspect(engine).get_columns("experiments")}
        assert cols == {"id", "kind", "created_at", "a_config", "b_config", "a_run_id",
                        "b_run_id", "stats", "verdict"}  # fmt: skip
    finally:
        engine.dispose()
    migrate.downgrade(database_url, "0006")
    engine = make_engine(database_url)
    try:
        assert "experiments" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
