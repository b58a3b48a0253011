"""Risk state: the kill switch and each session's governor state, by key

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 06:10:00

``risk_state`` holds small JSON documents by key: ``kill_switch`` (set by
``tronlab risk kill``, read by every running session) and ``run:<run id>`` (a session's
governor state: today's PnL, entry counts, locks), written after every change so a
restarted session resumes with the same state.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "risk_state",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("state", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_risk_state")),
    )


def downgrade() -> None:
    op.drop_table("risk_state")
