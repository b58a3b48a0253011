"""Run the packaged Alembic migrations programmatically (no ``alembic.ini`` needed).

Examples
--------
>>> upgrade("sqlite:///tronlab.db")  # doctest: +SKIP
>>> current("sqlite:///tronlab.db")  # doctest: +SKIP
'0001'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from tronlab.storage.db import make_engine, normalize_url, sqlite_path

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


@dataclass(frozen=True)
class Revision:
    """One migration script."""

    revision: str
    down_revision: str | None
    message: str
    is_head: bool


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations (and ``url``, if given)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # Passed as an attribute, not an ini option, so '%' in passwords needs no escaping.
        cfg.attributes["url"] = normalize_url(url).render_as_string(hide_password=False)
    return cfg


def _run(url: str, action: str, revision: str) -> None:
    cfg = alembic_config(url)
    engine = make_engine(url, foreign_keys=False)
    try:
        with engine.connect() as connection:
            cfg.attributes["connection"] = connection
            if action == "upgrade":
                command.upgrade(cfg, revision)
            else:
                command.downgrade(cfg, revision)
    finally:
        engine.dispose()


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` up to ``revision`` (default: the latest)."""
    _run(url, "upgrade", revision)


def downgrade(url: str, revision: str) -> None:
    """Migrate the database at ``url`` down to ``revision`` (``"base"`` drops every table)."""
    _run(url, "downgrade", revision)


def current(url: str) -> str | None:
    """The revision the database at ``url`` is at, or ``None`` when it was never migrated."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(parsed)
        if path is not None and not path.exists():
            return None  # do not create a database file just to look at it
    engine = make_engine(parsed)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def heads() -> list[str]:
    """The head revision(s) of the packaged migrations."""
    return list(ScriptDirectory.from_config(alembic_config()).get_heads())


def history() -> list[Revision]:
    """Every packaged migration, newest first."""
    script = ScriptDirectory.from_config(alembic_config())
    head_set = set(script.get_heads())
    out: list[Revision] = []
    for rev in script.walk_revisions():
        down = rev.down_revision
        out.append(
            Revision(
                revision=rev.revision,
                down_revision=down if isinstance(down, str) or down is None else ",".join(down),
                message=(rev.doc or "").strip(),
                is_head=rev.revision in head_set,
            )
        )
    return out


def is_up_to_date(url: str) -> bool:
    """Whether the database at ``url`` is at the (single) head revision."""
    return current(url) in set(heads())
