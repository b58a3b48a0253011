"""Initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-21 14:40:51

Tables: instruments, runs, orders, order events, fills, position snapshots, daily plans,
risk events and the hash-chained audit log.

Drafted with ``alembic revision --autogenerate`` and edited by hand. Column types are spelled
out (not imported from ``tronlab.storage.types``) so this file never changes meaning:
decimals are ``NUMERIC`` on PostgreSQL and ``TEXT`` on SQLite (exact digits), timestamps
``TIMESTAMP WITH TIME ZONE`` (UTC text on SQLite).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _dec() -> sa.types.TypeEngine[Any]:
    return sa.Numeric().with_variant(sa.Text(), "sqlite")


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _json() -> sa.JSON:
    return sa.JSON(none_as_null=True)


def upgrade() -> None:
    op.create_table(
        "instruments",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("venue", sa.String(length=16), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("tick_size", _dec(), nullable=False),
        sa.Column("lot_size", sa.Integer(), nullable=False),
        sa.Column("qty_step", _dec(), nullable=False),
        sa.Column("multiplier", _dec(), nullable=False),
        sa.Column("underlying", sa.String(length=64), nullable=True),
        sa.Column("expiry", sa.Date(), nullable=True),
        sa.Column("strike", _dec(), nullable=True),
        sa.Column("option_right", sa.String(length=1), nullable=True),
        sa.Column("tradable", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.CheckConstraint("lot_size >= 1", name=op.f("ck_instruments_lot_size_positive")),
        sa.CheckConstraint(
            "option_right IS NULL OR option_right IN ('C', 'P')",
            name=op.f("ck_instruments_option_right_valid"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instruments")),
        sa.UniqueConstraint("venue", "symbol", name=op.f("uq_instruments_venue_symbol")),
    )
    op.create_index("ix_instruments_underlying_expiry", "instruments", ["underlying", "expiry"])

    op.create_table(
        "runs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("strategy", sa.String(length=128), nullable=False),
        sa.Column("config", _json(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", _ts(), nullable=False),
        sa.Column("ended_at", _ts(), nullable=True),
        sa.Column("metrics", _json(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('backtest', 'paper', 'live')", name=op.f("ck_runs_kind_valid")
        ),
        sa.CheckConstraint(
            "status IN ('running', 'completed', 'failed', 'aborted')",
            name=op.f("ck_runs_status_valid"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_index("ix_runs_kind_started_at", "runs", ["kind", "started_at"])
    op.create_index("ix_runs_strategy_started_at", "runs", ["strategy", "started_at"])

    op.create_table(
        "orders",
        sa.Column("client_order_id", sa.String(length=32), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("instrument_id", sa.String(length=64), nullable=False),
        sa.Column("instrument_spec", _json(), nullable=False),
        sa.Column("broker_order_id", sa.String(length=64), nullable=True),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("order_type", sa.String(length=16), nullable=False),
        sa.Column("quantity", _dec(), nullable=False),
        sa.Column("limit_price", _dec(), nullable=True),
        sa.Column("stop_price", _dec(), nullable=True),
        sa.Column("tif", sa.String(length=8), nullable=False),
        sa.Column("product", sa.String(length=8), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("filled_quantity", _dec(), nullable=False),
        sa.Column("avg_fill_price", _dec(), nullable=True),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("strategy_id", sa.String(length=128), nullable=False),
        sa.Column("signal_id", sa.String(length=128), nullable=True),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("reduce_only", sa.Boolean(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.CheckConstraint("side IN ('BUY', 'SELL')", name=op.f("ck_orders_side_valid")),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_orders_instrument_id_instruments"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_orders_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("client_order_id", name=op.f("pk_orders")),
    )
    op.create_index("ix_orders_run_id_created_at", "orders", ["run_id", "created_at"])
    op.create_index("ix_orders_status_created_at", "orders", ["status", "created_at"])
    op.create_index("ix_orders_instrument_id", "orders", ["instrument_id"])
    op.create_index("ix_orders_strategy_id", "orders", ["strategy_id"])
    op.create_index("ix_orders_broker_order_id", "orders", ["broker_order_id"])

    op.create_table(
        "fills",
        sa.Column("client_order_id", sa.String(length=32), nullable=False),
        sa.Column("fill_id", sa.String(length=64), nullable=False),
        sa.Column("instrument_id", sa.String(length=64), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("quantity", _dec(), nullable=False),
        sa.Column("price", _dec(), nullable=False),
        sa.Column("fee", _dec(), nullable=False),
        sa.Column("broker_order_id", sa.String(length=64), nullable=True),
        sa.Column("ts", _ts(), nullable=False),
        sa.CheckConstraint("side IN ('BUY', 'SELL')", name=op.f("ck_fills_side_valid")),
        sa.ForeignKeyConstraint(
            ["client_order_id"],
            ["orders.client_order_id"],
            name=op.f("fk_fills_client_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_fills_instrument_id_instruments"),
        ),
        sa.PrimaryKeyConstraint("client_order_id", "fill_id", name=op.f("pk_fills")),
    )
    op.create_index("ix_fills_ts", "fills", ["ts"])
    op.create_index("ix_fills_instrument_id_ts", "fills", ["instrument_id", "ts"])

    op.create_table(
        "order_events",
        sa.Column("client_order_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("previous_status", sa.String(length=24), nullable=False),
        sa.Column("reason_code", sa.String(length=64), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("fill_id", sa.String(length=64), nullable=True),
        sa.Column("payload", _json(), nullable=True),
        sa.Column("ts", _ts(), nullable=False),
        sa.CheckConstraint("seq >= 1", name=op.f("ck_order_events_seq_positive")),
        sa.ForeignKeyConstraint(
            ["client_order_id", "fill_id"],
            ["fills.client_order_id", "fills.fill_id"],
            name=op.f("fk_order_events_client_order_id_fill_id_fills"),
        ),
        sa.ForeignKeyConstraint(
            ["client_order_id"],
            ["orders.client_order_id"],
            name=op.f("fk_order_events_client_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("client_order_id", "seq", name=op.f("pk_order_events")),
    )
    op.create_index("ix_order_events_ts", "order_events", ["ts"])

    op.create_table(
        "position_snapshots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("ts", _ts(), nullable=False),
        sa.Column("instrument_id", sa.String(length=64), nullable=False),
        sa.Column("quantity", _dec(), nullable=False),
        sa.Column("avg_price", _dec(), nullable=True),
        sa.Column("cost_basis", _dec(), nullable=False),
        sa.Column("multiplier", _dec(), nullable=False),
        sa.Column("realized_pnl", _dec(), nullable=False),
        sa.Column("unrealized_pnl", _dec(), nullable=True),
        sa.Column("fees", _dec(), nullable=False),
        sa.Column("mark_price", _dec(), nullable=True),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_position_snapshots_instrument_id_instruments"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
            name=op.f("fk_position_snapshots_run_id_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_position_snapshots")),
        sa.UniqueConstraint(
            "run_id",
            "ts",
            "instrument_id",
            name=op.f("uq_position_snapshots_run_id_ts_instrument_id"),
        ),
    )
    op.create_index(
        "ix_position_snapshots_instrument_id_ts", "position_snapshots", ["instrument_id", "ts"]
    )

    op.create_table(
        "daily_plans",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_date", sa.Date(), nullable=False),
        sa.Column("exchange", sa.String(length=16), nullable=False),
        sa.Column("plan", _json(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_daily_plans")),
    )
    op.create_index(
        "ix_daily_plans_plan_date_exchange_created_at",
        "daily_plans",
        ["plan_date", "exchange", "created_at"],
    )

    op.create_table(
        "risk_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ts", _ts(), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.String(length=8), nullable=False),
        sa.Column("reason_code", sa.String(length=64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("client_order_id", sa.String(length=32), nullable=True),
        sa.Column("payload", _json(), nullable=True),
        sa.CheckConstraint(
            "decision IN ('approve', 'resize', 'deny')",
            name=op.f("ck_risk_events_decision_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_risk_events_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_events")),
    )
    op.create_index("ix_risk_events_run_id_ts", "risk_events", ["run_id", "ts"])
    op.create_index("ix_risk_events_ts", "risk_events", ["ts"])
    op.create_index("ix_risk_events_client_order_id", "risk_events", ["client_order_id"])

    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("ts", _ts(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.String(length=128), nullable=True),
        sa.Column("payload", _json(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("seq >= 1", name=op.f("ck_audit_log_seq_positive")),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_log_hash")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_audit_log_prev_hash")),
    )
    op.create_index("ix_audit_log_entity_entity_id", "audit_log", ["entity", "entity_id"])
    op.create_index("ix_audit_log_ts", "audit_log", ["ts"])


def downgrade() -> None:
    # Children before parents; dropping a table drops its indexes.
    for table in (
        "audit_log",
        "risk_events",
        "daily_plans",
        "position_snapshots",
        "order_events",
        "fills",
        "orders",
        "runs",
        "instruments",
    ):
        op.drop_table(table)
