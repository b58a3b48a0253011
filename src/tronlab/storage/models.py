"""The relational schema: SQLAlchemy 2.0 typed ORM rows.

These are persistence rows, not domain objects; :mod:`tronlab.storage.repositories`
translates between the two. Money, prices and quantities are :class:`ExactDecimal`
(never floats); timestamps are :class:`UtcDateTime` (tz-aware UTC); free-form documents are
``JSON`` holding JSON-native values only (Decimals as strings, see
:func:`tronlab.storage.jsonutil.to_jsonable`).

Every schema change goes through an Alembic migration in ``storage/migrations/versions``;
the tests check that the migrated schema and this metadata do not differ.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from tronlab.storage.types import ExactDecimal, UtcDateTime

#: Deterministic constraint names, so migrations can address constraints on every backend.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

RUN_KINDS = ("backtest", "paper", "live")
RUN_STATUSES = ("running", "completed", "failed", "aborted")
RISK_DECISIONS = ("approve", "resize", "deny")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    """Declarative base carrying the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        Decimal: ExactDecimal(),
        datetime: UtcDateTime(),
        dict[str, Any]: JSON(none_as_null=True),
    }


class InstrumentRow(Base):
    """An instrument definition (``id`` is ``VENUE:SYMBOL``)."""

    __tablename__ = "instruments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    venue: Mapped[str] = mapped_column(String(16))
    symbol: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))
    currency: Mapped[str] = mapped_column(String(8))
    tick_size: Mapped[Decimal]
    lot_size: Mapped[int] = mapped_column(Integer)
    qty_step: Mapped[Decimal]
    multiplier: Mapped[Decimal]
    underlying: Mapped[str | None] = mapped_column(String(64))
    expiry: Mapped[date | None] = mapped_column(Date)
    strike: Mapped[Decimal | None]
    option_right: Mapped[str | None] = mapped_column(String(1))
    freeze_quantity: Mapped[int | None] = mapped_column(Integer)
    tradable: Mapped[bool] = mapped_column(Boolean)
    active: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("venue", "symbol"),
        Index("ix_instruments_underlying_expiry", "underlying", "expiry"),
        CheckConstraint("lot_size >= 1", name="lot_size_positive"),
        CheckConstraint(
            "option_right IS NULL OR option_right IN ('C', 'P')", name="option_right_valid"
        ),
    )


class RunRow(Base):
    """A backtest, paper or live run: its configuration, outcome and metrics."""

    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    strategy: Mapped[str] = mapped_column(String(128))
    config: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    metrics: Mapped[dict[str, Any] | None]
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_runs_kind_started_at", "kind", "started_at"),
        Index("ix_runs_strategy_started_at", "strategy", "started_at"),
        CheckConstraint(_in("kind", RUN_KINDS), name="kind_valid"),
        CheckConstraint(_in("status", RUN_STATUSES), name="status_valid"),
    )


class RunArtifactRow(Base):
    """A named result document of a run (equity curve, trades): gzip-compressed JSON."""

    __tablename__ = "run_artifacts"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class OrderRow(Base):
    """An order's current state; its history lives in ``order_events`` and ``fills``.

    ``instrument_spec`` freezes the instrument's rules as they were when the order was
    placed, so an order still loads after a lot-size or tick-size revision.
    """

    __tablename__ = "orders"

    client_order_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    run_id: Mapped[str | None] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    instrument_id: Mapped[str] = mapped_column(ForeignKey("instruments.id"))
    instrument_spec: Mapped[dict[str, Any]]
    broker_order_id: Mapped[str | None] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(String(4))
    order_type: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[Decimal]
    limit_price: Mapped[Decimal | None]
    stop_price: Mapped[Decimal | None]
    tif: Mapped[str] = mapped_column(String(8))
    product: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(24))
    filled_quantity: Mapped[Decimal]
    avg_fill_price: Mapped[Decimal | None]
    reject_reason: Mapped[str | None] = mapped_column(Text)
    strategy_id: Mapped[str] = mapped_column(String(128))
    signal_id: Mapped[str | None] = mapped_column(String(128))
    rationale: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float | None] = mapped_column(Float)
    reduce_only: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    events: Mapped[list[OrderEventRow]] = relationship(
        back_populates="order",
        order_by="OrderEventRow.seq",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    fills: Mapped[list[FillRow]] = relationship(
        back_populates="order",
        order_by="(FillRow.ts, FillRow.fill_id)",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __table_args__ = (
        Index("ix_orders_run_id_created_at", "run_id", "created_at"),
        Index("ix_orders_status_created_at", "status", "created_at"),
        Index("ix_orders_instrument_id", "instrument_id"),
        Index("ix_orders_strategy_id", "strategy_id"),
        Index("ix_orders_broker_order_id", "broker_order_id"),
        CheckConstraint("side IN ('BUY', 'SELL')", name="side_valid"),
    )


class FillRow(Base):
    """One execution of an order. ``fill_id`` is unique within its order."""

    __tablename__ = "fills"

    client_order_id: Mapped[str] = mapped_column(
        ForeignKey("orders.client_order_id", ondelete="CASCADE"), primary_key=True
    )
    fill_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    instrument_id: Mapped[str] = mapped_column(ForeignKey("instruments.id"))
    side: Mapped[str] = mapped_column(String(4))
    quantity: Mapped[Decimal]
    price: Mapped[Decimal]
    fee: Mapped[Decimal]
    broker_order_id: Mapped[str | None] = mapped_column(String(64))
    ts: Mapped[datetime]

    order: Mapped[OrderRow] = relationship(back_populates="fills")

    __table_args__ = (
        Index("ix_fills_ts", "ts"),
        Index("ix_fills_instrument_id_ts", "instrument_id", "ts"),
        CheckConstraint("side IN ('BUY', 'SELL')", name="side_valid"),
    )


class OrderEventRow(Base):
    """One entry of an order's event history (``seq`` is 1-based within the order)."""

    __tablename__ = "order_events"

    client_order_id: Mapped[str] = mapped_column(
        ForeignKey("orders.client_order_id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24))
    previous_status: Mapped[str] = mapped_column(String(24))
    reason_code: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))
    fill_id: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any] | None]
    ts: Mapped[datetime]

    order: Mapped[OrderRow] = relationship(back_populates="events")

    __table_args__ = (
        ForeignKeyConstraint(
            ["client_order_id", "fill_id"], ["fills.client_order_id", "fills.fill_id"]
        ),
        Index("ix_order_events_ts", "ts"),
        CheckConstraint("seq >= 1", name="seq_positive"),
    )


class PositionSnapshotRow(Base):
    """A position as it stood at ``ts`` within a run (PnL in the instrument currency)."""

    __tablename__ = "position_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    ts: Mapped[datetime]
    instrument_id: Mapped[str] = mapped_column(ForeignKey("instruments.id"))
    quantity: Mapped[Decimal]
    avg_price: Mapped[Decimal | None]
    cost_basis: Mapped[Decimal]
    multiplier: Mapped[Decimal]
    realized_pnl: Mapped[Decimal]
    unrealized_pnl: Mapped[Decimal | None]
    fees: Mapped[Decimal]
    mark_price: Mapped[Decimal | None]

    __table_args__ = (
        UniqueConstraint("run_id", "ts", "instrument_id"),
        Index("ix_position_snapshots_instrument_id_ts", "instrument_id", "ts"),
    )


class DailyPlanRow(Base):
    """A day's trading plan: one per date, exchange, regime symbol and plan name (the regime
    table's name); saving the same key again replaces it."""

    __tablename__ = "daily_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_date: Mapped[date] = mapped_column(Date)
    exchange: Mapped[str] = mapped_column(String(16))
    symbol: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    regime: Mapped[str | None] = mapped_column(String(32))
    plan: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("plan_date", "exchange", "symbol", "name"),
        Index("ix_daily_plans_regime", "regime"),
    )


class RiskStateRow(Base):
    """A small JSON document of risk state by key (``kill_switch``, ``run:<id>``)."""

    __tablename__ = "risk_state"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    state: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


class RiskEventRow(Base):
    """A risk governor decision (approve, resize or deny) with its reason code."""

    __tablename__ = "risk_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ts: Mapped[datetime]
    run_id: Mapped[str | None] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(8))
    reason_code: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    # Not a foreign key: a denied intent never becomes an order.
    client_order_id: Mapped[str | None] = mapped_column(String(32))
    payload: Mapped[dict[str, Any] | None]

    __table_args__ = (
        Index("ix_risk_events_run_id_ts", "run_id", "ts"),
        Index("ix_risk_events_ts", "ts"),
        Index("ix_risk_events_client_order_id", "client_order_id"),
        CheckConstraint(_in("decision", RISK_DECISIONS), name="decision_valid"),
    )


class AuditLogRow(Base):
    """Append-only audit trail; each row's ``hash`` covers its content and ``prev_hash``.

    ``prev_hash`` is unique, so the chain cannot fork even under concurrent writers.
    """

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    ts: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(128))
    payload: Mapped[dict[str, Any] | None]
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    __table_args__ = (
        Index("ix_audit_log_entity_entity_id", "entity", "entity_id"),
        Index("ix_audit_log_ts", "ts"),
        CheckConstraint("seq >= 1", name="seq_positive"),
    )


metadata = Base.metadata

__all__ = [
    "NAMING_CONVENTION",
    "RISK_DECISIONS",
    "RUN_KINDS",
    "RUN_STATUSES",
    "AuditLogRow",
    "Base",
    "DailyPlanRow",
    "FillRow",
    "InstrumentRow",
    "OrderEventRow",
    "OrderRow",
    "PositionSnapshotRow",
    "RiskEventRow",
    "RunRow",
    "metadata",
]


#: The columns that identify a cached feature frame (unique together).
FEATURE_STORE_KEY = (
    "symbol", "timeframe", "start", "end", "feature_set", "set_version", "code_version",
)  # fmt: skip


class FeatureStoreRow(Base):
    """A cached feature frame (a Parquet file of :mod:`tronlab.features.store`) by its key:
    symbol, timeframe, bar range, feature set and version, code version."""

    __tablename__ = "feature_store"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    symbol: Mapped[str] = mapped_column(String(64))
    timeframe: Mapped[str] = mapped_column(String(16))
    start: Mapped[datetime]
    end: Mapped[datetime]
    feature_set: Mapped[str] = mapped_column(String(64))
    set_version: Mapped[str] = mapped_column(String(64))
    code_version: Mapped[str] = mapped_column(String(128))
    path: Mapped[str] = mapped_column(Text)
    rows: Mapped[int] = mapped_column(Integer)
    columns: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint(*FEATURE_STORE_KEY, name="uq_feature_store_key"),
        Index("ix_feature_store_symbol_timeframe", "symbol", "timeframe"),
    )


class ExperimentRow(Base):
    """A comparison of stored runs with its statistics and verdict (``kind`` ``ab``: two
    configurations on the same data; the runs are ordinary ``runs`` rows)."""

    __tablename__ = "experiments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    a_config: Mapped[dict[str, Any]]
    b_config: Mapped[dict[str, Any]]
    a_run_id: Mapped[str | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    b_run_id: Mapped[str | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    stats: Mapped[dict[str, Any]]
    verdict: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_experiments_kind_created_at", "kind", "created_at"),)
