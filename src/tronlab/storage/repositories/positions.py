"""Position snapshots: :class:`PositionSnapshotRepository` (``position_snapshots``),
positions as they stood at points in time."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tronlab.model import InstrumentId, Position
from tronlab.storage.db import Clock, utc_now
from tronlab.storage.models import PositionSnapshotRow
from tronlab.storage.repositories._common import _aware


class PositionSnapshotRepository:
    """Positions as they stood at points in time (``position_snapshots``)."""

    def __init__(self, session: Session, clock: Clock = utc_now) -> None:
        self.session = session
        self._clock = clock

    def record(self, run_id: str, ts: datetime, positions: Iterable[Position]) -> int:
        """Store one snapshot row per position at ``ts``; return how many were written.

        Every instrument must already be in ``instruments``.
        """
        when = _aware(ts, "ts")
        rows = [
            PositionSnapshotRow(
                run_id=run_id,
                ts=when,
                instrument_id=str(p.instrument_id),
                quantity=p.quantity,
                avg_price=None if p.is_flat else p.avg_price,
                cost_basis=p.cost_basis,
                multiplier=p.multiplier,
                realized_pnl=p.realized_pnl,
                unrealized_pnl=None if p.last_price is None else p.unrealized_pnl,
                fees=p.fees,
                mark_price=p.last_price,
            )
            for p in positions
        ]
        self.session.add_all(rows)
        self.session.flush()
        return len(rows)

    def at(self, run_id: str, ts: datetime | None = None) -> dict[InstrumentId, Position]:
        """The positions of the latest snapshot at or before ``ts`` (default: the latest)."""
        latest = select(func.max(PositionSnapshotRow.ts)).where(
            PositionSnapshotRow.run_id == run_id
        )
        if ts is not None:
            latest = latest.where(PositionSnapshotRow.ts <= _aware(ts, "ts"))
        when = self.session.scalar(latest)
        if when is None:
            return {}
        stmt = (
            select(PositionSnapshotRow)
            .where(PositionSnapshotRow.run_id == run_id, PositionSnapshotRow.ts == when)
            .order_by(PositionSnapshotRow.instrument_id)
        )
        out: dict[InstrumentId, Position] = {}
        for row in self.session.scalars(stmt):
            iid = InstrumentId.parse(row.instrument_id)
            out[iid] = Position(
                instrument_id=iid,
                multiplier=row.multiplier,
                quantity=row.quantity,
                cost_basis=row.cost_basis,
                realized_pnl=row.realized_pnl,
                fees=row.fees,
                last_price=row.mark_price,
            )
        return out
