"""Feature store: one row per cached feature frame

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-09 09:00:00

``feature_store`` records the feature frames ``tronlab features compute`` cached as Parquet
files (:mod:`tronlab.features.store`): which symbol, timeframe and bar range, which feature
set at which definition version, computed by which code version, where the file is and its
size. The key (symbol .. code_version) is unique; recomputing a key updates its row.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feature_store",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("timeframe", sa.String(length=16), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("feature_set", sa.String(length=64), nullable=False),
        sa.Column("set_version", sa.String(length=64), nullable=False),
        sa.Column("code_version", sa.String(length=128), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("columns", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feature_store")),
        sa.UniqueConstraint(
            "symbol",
            "timeframe",
            "start",
            "end",
            "feature_set",
            "set_version",
            "code_version",
            name=op.f("uq_feature_store_key"),
        ),
    )
    op.create_index(
        "ix_feature_store_symbol_timeframe", "feature_store", ["symbol", "timeframe"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_feature_store_symbol_timeframe", table_name="feature_store")
    op.drop_table("feature_store")
