"""Fixtures for storage tests: a migrated database on each backend."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tronlab.storage import Database, migrate

T0 = datetime(2025, 1, 6, 3, 45, tzinfo=UTC)


class StepClock:
    """A clock that advances one second per reading (deterministic row timestamps)."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def migrated_url(database_url: str) -> str:
    migrate.upgrade(database_url)
    return database_url


@pytest.fixture
def db(migrated_url: str) -> Iterator[Database]:
    database = Database(migrated_url, clock=StepClock())
    yield database
    database.dispose()
