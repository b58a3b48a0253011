"""Repositories: translate between domain objects (:mod:`tronlab.model`) and rows.

Each repository works inside the caller's session and never commits; a
:class:`~tronlab.storage.db.UnitOfWork` (or :func:`~tronlab.storage.db.session_scope`)
decides when a transaction ends. Time for rows the repositories stamp themselves comes from
an injected clock.

Records without a domain type yet (runs, risk decisions, daily plans, audit entries) are
returned as frozen dataclasses defined next to their repository.

One module per concept, all re-exported here:

- :mod:`._common`: :class:`RecordNotFound` and the value checks every repository shares;
- :mod:`.instruments`: instrument master data and the instrument spec/row conversions;
- :mod:`.runs`: backtest, paper and live runs;
- :mod:`.orders`: orders with their events and fills, and the order/row mapping;
- :mod:`.positions`: position snapshots;
- :mod:`.risk`: risk governor decisions;
- :mod:`.plans`: daily plans;
- :mod:`.audit`: the hash-chained audit log and its verification.
"""

from __future__ import annotations

from collections.abc import Sequence

from tronlab.storage.repositories._common import RecordNotFound
from tronlab.storage.repositories.audit import (
    GENESIS_HASH,
    AuditEntry,
    AuditLog,
    AuditVerification,
    audit_hash,
    verify_audit_chain,
)
from tronlab.storage.repositories.instruments import (
    InstrumentRepository,
    instrument_from_row,
    instrument_from_spec,
    instrument_spec,
)
from tronlab.storage.repositories.orders import OrderRepository, order_from_row
from tronlab.storage.repositories.plans import DailyPlanRecord, DailyPlanRepository
from tronlab.storage.repositories.positions import PositionSnapshotRepository
from tronlab.storage.repositories.risk import (
    RiskEventRecord,
    RiskEventRepository,
    RiskStateRepository,
)
from tronlab.storage.repositories.runs import RunRecord, RunRepository

__all__: Sequence[str] = [
    "GENESIS_HASH",
    "AuditEntry",
    "AuditLog",
    "AuditVerification",
    "DailyPlanRecord",
    "DailyPlanRepository",
    "InstrumentRepository",
    "OrderRepository",
    "PositionSnapshotRepository",
    "RecordNotFound",
    "RiskEventRecord",
    "RiskEventRepository",
    "RiskStateRepository",
    "RunRecord",
    "RunRepository",
    "audit_hash",
    "instrument_from_row",
    "instrument_from_spec",
    "instrument_spec",
    "order_from_row",
    "verify_audit_chain",
]
