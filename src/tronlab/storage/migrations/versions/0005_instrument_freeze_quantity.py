"""Instruments keep their freeze quantity (the largest whole-lot quantity per order)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 06:45:00

NSE publishes freeze limits for F&O contracts; an order above one is rejected by the exchange
(or sliced). The instrument master carries it, so it is stored with the instrument.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("instruments") as batch:
        batch.add_column(sa.Column("freeze_quantity", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("instruments") as batch:
        batch.drop_column("freeze_quantity")
