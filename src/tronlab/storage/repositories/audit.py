"""The audit log: :class:`AuditLog` (``audit_log``), an append-only trail protected by a
SHA-256 hash chain, with :class:`AuditEntry`, :func:`audit_hash` and
:func:`verify_audit_chain` (:class:`AuditVerification`)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tronlab.storage.db import Clock, utc_now
from tronlab.storage.jsonutil import canonical_json
from tronlab.storage.models import AuditLogRow
from tronlab.storage.repositories._common import _aware, _jsonable_dict

#: ``prev_hash`` of the first audit entry.
GENESIS_HASH = "0" * 64
# Arbitrary constant naming the PostgreSQL advisory lock that serialises audit appends.
_AUDIT_LOCK_KEY = 0x7472_6F6E_6175_6474


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit log entry."""

    seq: int
    ts: datetime
    actor: str
    action: str
    entity: str
    entity_id: str | None
    payload: dict[str, Any] | None
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class AuditVerification:
    """The outcome of checking the audit hash chain."""

    ok: bool
    checked: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None


def audit_hash(
    *,
    seq: int,
    ts: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | None,
    payload: Mapping[str, Any] | None,
    prev_hash: str,
) -> str:
    """SHA-256 (hex) of an entry's canonical JSON, which includes the previous hash."""
    document = {
        "seq": seq,
        "ts": _aware(ts, "ts").isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "payload": payload,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()


def _audit_entry(row: AuditLogRow) -> AuditEntry:
    return AuditEntry(
        seq=row.seq,
        ts=row.ts,
        actor=row.actor,
        action=row.action,
        entity=row.entity,
        entity_id=row.entity_id,
        payload=row.payload,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def _row_hash(row: AuditLogRow) -> str:
    return audit_hash(
        seq=row.seq,
        ts=row.ts,
        actor=row.actor,
        action=row.action,
        entity=row.entity,
        entity_id=row.entity_id,
        payload=row.payload,
        prev_hash=row.prev_hash,
    )


def verify_audit_chain(
    session: Session, *, expected_head: str | None = None, batch_size: int = 1000
) -> AuditVerification:
    """Walk the audit log in order and check every link of the hash chain.

    Detects an edited row (its hash no longer matches its content), a deleted or inserted
    row (a ``seq`` gap or a broken ``prev_hash`` link) and, when ``expected_head`` (a head
    hash kept elsewhere) is given, truncation of the newest rows.
    """
    prev = GENESIS_HASH
    checked = 0
    stmt = (
        select(AuditLogRow)
        .order_by(AuditLogRow.seq)
        .execution_options(yield_per=batch_size, populate_existing=True)
    )
    for row in session.scalars(stmt):
        expected_seq = checked + 1
        problem = None
        if row.seq != expected_seq:
            problem = f"expected seq {expected_seq}, found {row.seq} (rows missing)"
        elif row.prev_hash != prev:
            problem = "prev_hash does not match the previous entry's hash"
        elif _row_hash(row) != row.hash:
            problem = "hash does not match the entry's content (entry altered)"
        if problem:
            return AuditVerification(False, checked, prev, row.seq, problem)
        prev = row.hash
        checked += 1
    if expected_head is not None and expected_head != prev:
        return AuditVerification(
            False, checked, prev, None, "head hash differs from the expected one (truncated?)"
        )
    return AuditVerification(True, checked, prev)


class AuditLog:
    """Append-only audit trail (``audit_log``) protected by a SHA-256 hash chain.

    Concurrent appenders are serialised by an advisory lock on PostgreSQL; on SQLite the
    database's single writer does it. In both cases the unique ``prev_hash`` makes a forked
    chain impossible: a racing append fails with an integrity error and can be retried.
    """

    def __init__(self, session: Session, clock: Clock = utc_now) -> None:
        self.session = session
        self._clock = clock

    def append(
        self,
        actor: str,
        action: str,
        entity: str,
        entity_id: str | None = None,
        payload: Mapping[str, Any] | None = None,
        *,
        ts: datetime | None = None,
    ) -> AuditEntry:
        """Add an entry at the end of the chain and return it."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _AUDIT_LOCK_KEY}
            )
        last = self.session.execute(
            select(AuditLogRow.seq, AuditLogRow.hash).order_by(AuditLogRow.seq.desc()).limit(1)
        ).first()
        seq, prev = (1, GENESIS_HASH) if last is None else (last.seq + 1, last.hash)
        when = _aware(ts, "ts") if ts else self._clock()
        body = _jsonable_dict(payload, "payload")
        row = AuditLogRow(
            seq=seq,
            ts=when,
            actor=actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            payload=body,
            prev_hash=prev,
            hash=audit_hash(
                seq=seq,
                ts=when,
                actor=actor,
                action=action,
                entity=entity,
                entity_id=entity_id,
                payload=body,
                prev_hash=prev,
            ),
        )
        self.session.add(row)
        self.session.flush()
        return _audit_entry(row)

    def entries(
        self,
        *,
        entity: str | None = None,
        entity_id: str | None = None,
        after_seq: int = 0,
        limit: int | None = None,
    ) -> list[AuditEntry]:
        """Entries in chain order, optionally for one entity."""
        stmt = select(AuditLogRow).where(AuditLogRow.seq > after_seq).order_by(AuditLogRow.seq)
        if entity is not None:
            stmt = stmt.where(AuditLogRow.entity == entity)
        if entity_id is not None:
            stmt = stmt.where(AuditLogRow.entity_id == entity_id)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [_audit_entry(r) for r in self.session.scalars(stmt)]

    def head(self) -> AuditEntry | None:
        """The newest entry, or ``None`` when the log is empty."""
        row = self.session.scalars(
            select(AuditLogRow).order_by(AuditLogRow.seq.desc()).limit(1)
        ).first()
        return None if row is None else _audit_entry(row)

    def verify(self, *, expected_head: str | None = None) -> AuditVerification:
        """Check the whole chain (see :func:`verify_audit_chain`)."""
        return verify_audit_chain(self.session, expected_head=expected_head)
