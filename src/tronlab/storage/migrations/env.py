"""Alembic environment for tronlab.

The database URL comes, in order, from the connection or URL that
:mod:`tronlab.storage.migrate` passes in ``config.attributes``, ``-x url=...`` on the alembic
command line, ``sqlalchemy.url`` in ``alembic.ini``, and finally the tronlab settings
(``TRONLAB_DATABASE_URL`` / the home directory's SQLite file).
"""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

from tronlab.storage.db import make_engine, normalize_url
from tronlab.storage.models import metadata
from tronlab.storage.types import ExactDecimal, UtcDateTime

config = context.config
if config.config_file_name is not None:  # the alembic CLI with alembic.ini
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    url = config.attributes.get("url")
    if not url:
        url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        url = config.get_main_option("sqlalchemy.url")
    if not url:
        from tronlab.config import load_settings

        url = load_settings().settings.database_url
    return normalize_url(url).render_as_string(hide_password=False)


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render tronlab's column types as plain SQLAlchemy types, so migrations stand alone."""
    if type_ == "type" and isinstance(obj, ExactDecimal):
        return 'sa.Numeric().with_variant(sa.Text(), "sqlite")'
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=metadata,
        compare_type=True,
        render_item=_render_item,
        **kwargs,
    )


def run_migrations_offline() -> None:
    url = _url()
    _configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    # SQLite DDL is transactional once SQLAlchemy emits BEGIN (see tronlab.storage.db), so a
    # failed migration leaves nothing half done on either backend.
    _configure(connection=connection, render_as_batch=sqlite, transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            # Foreign keys are off during migrations (batch rebuilds); check them before commit.
            problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise RuntimeError(f"migration left foreign key violations: {problems[:5]}")


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url(), foreign_keys=False)
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
