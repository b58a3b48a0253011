"""Engines, sessions and units of work for SQLite (embedded default) and PostgreSQL.

SQLite connections get WAL journaling, enforced foreign keys, a busy timeout and
``synchronous=NORMAL``; SQLAlchemy (not the ``sqlite3`` module) emits ``BEGIN`` so reads are
repeatable and DDL is transactional. PostgreSQL goes through psycopg 3.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from tronlab.storage import jsonutil

if TYPE_CHECKING:
    from tronlab.storage.repositories import (
        AuditLog,
        DailyPlanRepository,
        InstrumentRepository,
        OrderRepository,
        PositionSnapshotRepository,
        RiskEventRepository,
        RiskStateRepository,
        RunRepository,
    )

#: Milliseconds a SQLite connection waits for a lock before raising "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 5000

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Wall-clock time in UTC (the default clock of repositories)."""
    return datetime.now(UTC)


def normalize_url(url: str | URL) -> URL:
    """Parse ``url``; PostgreSQL URLs without a driver (``postgres://``, ``postgresql://``)
    are pointed at psycopg 3 (``postgresql+psycopg://``)."""
    text = url.render_as_string(hide_password=False) if isinstance(url, URL) else url
    if text.startswith("postgres://"):
        text = "postgresql://" + text[len("postgres://") :]
    parsed = make_url(text)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def sqlite_path(url: URL) -> Path | None:
    """The database file of a SQLite URL, or ``None`` for in-memory databases."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def make_engine(url: str | URL, *, echo: bool = False, foreign_keys: bool = True) -> Engine:
    """Create an engine for ``url`` with tronlab's connection settings.

    Parameters
    ----------
    url
        SQLAlchemy URL. ``sqlite:///path.db`` (the parent directory is created) or
        ``postgresql://`` / ``postgres://`` / ``postgresql+psycopg://``.
    echo
        Log every SQL statement.
    foreign_keys
        SQLite only: enforce foreign keys (``PRAGMA foreign_keys=ON``). Migrations turn this
        off so batch table rebuilds do not cascade; everything else leaves it on.

    Returns
    -------
    Engine
        A pooled engine; JSON columns serialise Decimals, datetimes and enums faithfully.
    """
    parsed = normalize_url(url)
    kwargs: dict[str, Any] = {"echo": echo, "json_serializer": jsonutil.dumps}
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(parsed)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, **kwargs)
        _install_sqlite_hooks(engine, foreign_keys=foreign_keys)
        return engine
    kwargs["pool_pre_ping"] = True
    return create_engine(parsed, **kwargs)


def _install_sqlite_hooks(engine: Engine, *, foreign_keys: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN (see "begin" below) instead of the sqlite3 module, which
        # skips it for SELECT and DDL.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


class UnitOfWork:
    """One transaction with every repository bound to it.

    Commits on a clean exit, rolls back on an exception; :meth:`commit` may also be called
    inside the block to make progress durable early.

    Examples
    --------
    >>> with UnitOfWork(factory) as uow:  # doctest: +SKIP
    ...     uow.orders.save(order, run_id=run.id)
    ...     uow.audit.append("engine", "order.submit", "order", str(order.client_order_id))
    """

    def __init__(self, factory: sessionmaker[Session], *, clock: Clock = utc_now) -> None:
        self._factory = factory
        self._clock = clock
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is not active: use it in a `with` block")
        return self._session

    def __enter__(self) -> UnitOfWork:
        from tronlab.storage import repositories as repos

        session = self._factory()
        self._session = session
        self.instruments: InstrumentRepository = repos.InstrumentRepository(session, self._clock)
        self.runs: RunRepository = repos.RunRepository(session, self._clock)
        self.orders: OrderRepository = repos.OrderRepository(session, self._clock)
        self.positions: PositionSnapshotRepository = repos.PositionSnapshotRepository(
            session, self._clock
        )
        self.risk_events: RiskEventRepository = repos.RiskEventRepository(session, self._clock)
        self.risk_state: RiskStateRepository = repos.RiskStateRepository(session, self._clock)
        self.daily_plans: DailyPlanRepository = repos.DailyPlanRepository(session, self._clock)
        self.audit: AuditLog = repos.AuditLog(session, self._clock)
        return self

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            if exc_type is None:
                session.commit()
            else:
                session.rollback()
        finally:
            session.close()
            self._session = None


class Database:
    """An engine and its session factory: the handle the rest of the system holds.

    Parameters
    ----------
    url
        Database URL (see :func:`make_engine`).
    echo
        Log SQL.
    clock
        Time source for rows stamped by the repositories (injected in backtests).
    """

    def __init__(self, url: str | URL, *, echo: bool = False, clock: Clock = utc_now) -> None:
        self.engine = make_engine(url, echo=echo)
        self.sessions = session_factory(self.engine)
        self.clock = clock

    def unit_of_work(self) -> UnitOfWork:
        """A new :class:`UnitOfWork` (use it in a ``with`` block)."""
        return UnitOfWork(self.sessions, clock=self.clock)

    def session(self) -> Session:
        """A bare session; the caller commits and closes it."""
        return self.sessions()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
