"""Shared fixtures: ``database_url`` runs a test on SQLite and on a scratch PostgreSQL database.

PostgreSQL comes from ``TRONLAB_TEST_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``); each test gets its own database,
created there and dropped afterwards. An unreachable server skips the PostgreSQL cases
locally and fails them when ``CI=true``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from tronlab.storage.db import normalize_url

POSTGRES_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _postgres_admin_url() -> str:
    return os.environ.get("TRONLAB_TEST_POSTGRES_URL", POSTGRES_DEFAULT)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Engine]:
    """An AUTOCOMMIT engine on the server's admin database, or skip (fail in CI)."""
    url = normalize_url(_postgres_admin_url())
    engine = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        engine.dispose()
        reason = (
            f"PostgreSQL unreachable at {url.render_as_string(hide_password=True)} "
            f"(set TRONLAB_TEST_POSTGRES_URL): {getattr(exc, 'orig', exc)}"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty database: a SQLite file under ``tmp_path`` or a scratch PG database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db' / 'tronlab.db'}"
        return
    admin: Engine = request.getfixturevalue("postgres_server")
    name = f"tronlab_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield (
            normalize_url(_postgres_admin_url())
            .set(database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
