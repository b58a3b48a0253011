"""Daily plans: one per date, exchange, regime symbol and plan name

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-12 09:00:00

The regime selector (``tronlab plan``, the ``auto`` strategy) stores one plan per day for a
regime symbol (the index it read) and a plan name (the regime table's name); saving the
same key again replaces the plan. ``daily_plans`` gains ``symbol``, ``name`` and ``regime``
(indexed, for "which days were trending?"), and the key becomes unique. Rows written before
(revisions of a day's plan per exchange, the latest winning) keep only their latest
revision, with ``symbol`` '' and ``name`` 'default', and their ``regime`` read from the plan
document when it has one.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNIQUE = "uq_daily_plans_plan_date_exchange_symbol_name"
_OLD_INDEX = "ix_daily_plans_plan_date_exchange_created_at"


def upgrade() -> None:
    # Keep the latest revision of each (plan_date, exchange): created_at, then id, decides.
    op.execute(
        "DELETE FROM daily_plans WHERE EXISTS (SELECT 1 FROM daily_plans AS newer "
        "WHERE newer.plan_date = daily_plans.plan_date "
        "AND newer.exchange = daily_plans.exchange "
        "AND (newer.created_at > daily_plans.created_at "
        "OR (newer.created_at = daily_plans.created_at AND newer.id > daily_plans.id)))"
    )
    with op.batch_alter_table("daily_plans") as batch:
        batch.add_column(sa.Column("symbol", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("name", sa.String(64), nullable=False, server_default="default"))
        batch.add_column(sa.Column("regime", sa.String(32), nullable=True))
        batch.drop_index(_OLD_INDEX)
        batch.create_unique_constraint(_UNIQUE, ["plan_date", "exchange", "symbol", "name"])
        batch.create_index("ix_daily_plans_regime", ["regime"])
    with op.batch_alter_table("daily_plans") as batch:  # the defaults served the old rows only
        batch.alter_column("symbol", server_default=None)
        batch.alter_column("name", server_default=None)
    _backfill_regime()


def _backfill_regime() -> None:
    plans = sa.table(
        "daily_plans",
        sa.column("id", sa.Integer()),
        sa.column("plan", sa.JSON()),
        sa.column("regime", sa.String(32)),
    )
    bind = op.get_bind()
    for row_id, doc in bind.execute(sa.select(plans.c.id, plans.c.plan)).all():
        regime = doc.get("regime") if isinstance(doc, dict) else None
        if isinstance(regime, str) and regime:
            bind.execute(plans.update().where(plans.c.id == row_id).values(regime=regime[:32]))


def downgrade() -> None:
    with op.batch_alter_table("daily_plans") as batch:
        batch.drop_index("ix_daily_plans_regime")
        batch.drop_constraint(_UNIQUE, type_="unique")
        batch.drop_column("regime")
        batch.drop_column("name")
        batch.drop_column("symbol")
        batch.create_index(_OLD_INDEX, ["plan_date", "exchange", "created_at"])
