"""Risk decisions: :class:`RiskEventRecord` and :class:`RiskEventRepository`
(``risk_events``), every approve, resize and deny with its reason."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tronlab.model import ClientOrderId
from tronlab.storage.db import Clock, utc_now
from tronlab.storage.models import RISK_DECISIONS, RiskEventRow, RiskStateRow
from tronlab.storage.repositories._common import _aware, _jsonable_dict


@dataclass(frozen=True, slots=True)
class RiskEventRecord:
    """A stored risk governor decision."""

    id: int
    ts: datetime
    rule: str
    decision: str
    reason_code: str
    message: str
    run_id: str | None = None
    client_order_id: str | None = None
    payload: dict[str, Any] | None = None


def _risk_record(row: RiskEventRow) -> RiskEventRecord:
    return RiskEventRecord(
        id=row.id,
        ts=row.ts,
        rule=row.rule,
        decision=row.decision,
        reason_code=row.reason_code,
        message=row.message,
        run_id=row.run_id,
        client_order_id=row.client_order_id,
        payload=row.payload,
    )


class RiskEventRepository:
    """Risk decisions (``risk_events``): every approve, resize and deny with its reason."""

    def __init__(self, session: Session, clock: Clock = utc_now) -> None:
        self.session = session
        self._clock = clock

    def record(
        self,
        *,
        rule: str,
        decision: str,
        reason_code: str,
        message: str = "",
        run_id: str | None = None,
        client_order_id: ClientOrderId | str | None = None,
        payload: Mapping[str, Any] | None = None,
        ts: datetime | None = None,
    ) -> RiskEventRecord:
        """Store one decision. ``decision`` is ``approve``, ``resize`` or ``deny``."""
        decision = str(decision).lower()
        if decision not in RISK_DECISIONS:
            raise ValueError(f"decision must be one of {', '.join(RISK_DECISIONS)}")
        row = RiskEventRow(
            ts=_aware(ts, "ts") if ts else self._clock(),
            run_id=run_id,
            rule=rule,
            decision=decision,
            reason_code=reason_code,
            message=message,
            client_order_id=None if client_order_id is None else str(client_order_id),
            payload=_jsonable_dict(payload, "payload"),
        )
        self.session.add(row)
        self.session.flush()
        return _risk_record(row)

    def list(
        self,
        *,
        run_id: str | None = None,
        decision: str | None = None,
        rule: str | None = None,
        client_order_id: ClientOrderId | str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> list[RiskEventRecord]:
        """Decisions matching every filter, oldest first (``until`` is exclusive)."""
        stmt = select(RiskEventRow).order_by(RiskEventRow.ts, RiskEventRow.id)
        if run_id is not None:
            stmt = stmt.where(RiskEventRow.run_id == run_id)
        if decision is not None:
            stmt = stmt.where(RiskEventRow.decision == decision.lower())
        if rule is not None:
            stmt = stmt.where(RiskEventRow.rule == rule)
        if client_order_id is not None:
            stmt = stmt.where(RiskEventRow.client_order_id == str(client_order_id))
        if since is not None:
            stmt = stmt.where(RiskEventRow.ts >= _aware(since, "since"))
        if until is not None:
            stmt = stmt.where(RiskEventRow.ts < _aware(until, "until"))
        if limit is not None:
            stmt = stmt.limit(limit)
        return [_risk_record(r) for r in self.session.scalars(stmt)]


class RiskStateRepository:
    """Risk state documents by key (``risk_state``): the kill switch, session states."""

    def __init__(self, session: Session, clock: Clock = utc_now) -> None:
        self.session = session
        self._clock = clock

    def get(self, key: str) -> dict[str, Any] | None:
        row = self.session.get(RiskStateRow, key)
        return None if row is None else dict(row.state)

    def put(self, key: str, state: Mapping[str, Any]) -> None:
        row = self.session.get(RiskStateRow, key)
        doc = _jsonable_dict(state, "state") or {}
        if row is None:
            self.session.add(RiskStateRow(key=key, state=doc, updated_at=self._clock()))
        else:
            row.state = doc
            row.updated_at = self._clock()
        self.session.flush()
