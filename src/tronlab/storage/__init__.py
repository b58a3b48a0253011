"""Persistence: SQLAlchemy engines and ORM rows, Alembic migrations, and repositories that
translate between rows and domain objects. The only package with SQL in it."""

from tronlab.storage.db import (
    Database,
    UnitOfWork,
    make_engine,
    normalize_url,
    session_factory,
    session_scope,
    utc_now,
)

__all__ = [
    "Database",
    "UnitOfWork",
    "make_engine",
    "normalize_url",
    "session_factory",
    "session_scope",
    "utc_now",
]
