"""Experiments: A/B comparisons of stored runs with their statistics and verdict

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10 09:00:00

``tronlab ab`` runs two configurations on the same data, stores both as ordinary backtest
runs and records the comparison here: both configurations, both run ids (set to NULL if a
run is deleted), the paired statistics as a JSON document and the verdict sentence.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("a_config", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("b_config", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("a_run_id", sa.String(length=64), nullable=True),
        sa.Column("b_run_id", sa.String(length=64), nullable=True),
        sa.Column("stats", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("verdict", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["a_run_id"],
            ["runs.id"],
            name=op.f("fk_experiments_a_run_id_runs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["b_run_id"],
            ["runs.id"],
            name=op.f("fk_experiments_b_run_id_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiments")),
    )
    op.create_index(
        "ix_experiments_kind_created_at", "experiments", ["kind", "created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_experiments_kind_created_at", table_name="experiments")
    op.drop_table("experiments")
