"""Repositories: translate between domain objects (:mod:`tronlab.model`) and rows.

Each repository works inside the caller's session and never commits; a
:class:`~tronlab.storage.db.UnitOfWork` (or :func:`~tronlab.storage.db.session_scope`)
decides when a transaction ends. Time for rows the repositories stamp themselves comes from
an injected clock.

Records without a domain type yet (runs, risk decisions, daily plans, audit entries) are
returned as frozen dataclasses defined here.
"""

from __future__ import annotations

import builtins
import hashlib
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from tronlab.model import (
    ClientOrderId,
    EventSource,
    Fill,
    Instrument,
    InstrumentId,
    InstrumentKind,
    OptionRight,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderRequest,
    OrderStatus,
    OrderType,
    Position,
    Product,
    Side,
    TimeInForce,
    Venue,
)
from tronlab.storage.db import Clock, utc_now
from tronlab.storage.jsonutil import canonical_json, to_jsonable
from tronlab.storage.models import (
    RISK_DECISIONS,
    RUN_KINDS,
    RUN_STATUSES,
    AuditLogRow,
    DailyPlanRow,
    FillRow,
    InstrumentRow,
    OrderEventRow,
    OrderRow,
    PositionSnapshotRow,
    RiskEventRow,
    RunRow,
)

#: ``prev_hash`` of the first audit entry.
GENESIS_HASH = "0" * 64
_UPSERT_CHUNK = 500
# Arbitrary constant naming the PostgreSQL advisory lock that serialises audit appends.
_AUDIT_LOCK_KEY = 0x7472_6F6E_6175_6474


class RecordNotFound(LookupError):
    """The requested row does not exist."""


def _aware(ts: datetime, name: str) -> datetime:
    if ts.tzinfo is None or ts.tzinfo.utcoffset(ts) is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {ts.isoformat()}")
    return ts.astimezone(UTC)


def _jsonable_dict(value: Mapping[str, Any] | None, name: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a mapping, got {type(value).__name__}")
    converted: dict[str, Any] = to_jsonable(value)
    return converted


# --------------------------------------------------------------------------- instruments


def instrument_spec(instrument: Instrument) -> dict[str, Any]:
    """A JSON-native description of ``instrument`` (the inverse of :func:`instrument_from_spec`)."""
    return {
        "id": str(instrument.id),
        "kind": instrument.kind.value,
        "currency": instrument.currency,
        "tick_size": str(instrument.tick_size),
        "lot_size": instrument.lot_size,
        "qty_step": str(instrument.qty_step),
        "multiplier": str(instrument.multiplier),
        "underlying": instrument.underlying,
        "expiry": instrument.expiry.isoformat() if instrument.expiry else None,
        "strike": None if instrument.strike is None else str(instrument.strike),
        "right": None if instrument.right is None else instrument.right.value,
        "tradable": instrument.tradable,
    }


def instrument_from_spec(spec: Mapping[str, Any]) -> Instrument:
    """Rebuild an :class:`Instrument` from :func:`instrument_spec` output."""
    strike = spec.get("strike")
    right = spec.get("right")
    expiry = spec.get("expiry")
    return Instrument(
        id=InstrumentId.parse(spec["id"]),
        kind=InstrumentKind(spec["kind"]),
        currency=spec["currency"],
        tick_size=Decimal(spec["tick_size"]),
        lot_size=int(spec["lot_size"]),
        qty_step=Decimal(spec["qty_step"]),
        multiplier=Decimal(spec["multiplier"]),
        underlying=spec.get("underlying"),
        expiry=date.fromisoformat(expiry) if expiry else None,
        strike=None if strike is None else Decimal(strike),
        right=None if right is None else OptionRight(right),
        tradable=bool(spec["tradable"]),
    )


def _instrument_values(instrument: Instrument, *, active: bool, now: datetime) -> dict[str, Any]:
    return {
        "id": str(instrument.id),
        "venue": instrument.venue.value,
        "symbol": instrument.symbol,
        "kind": instrument.kind.value,
        "currency": instrument.currency,
        "tick_size": instrument.tick_size,
        "lot_size": instrument.lot_size,
        "qty_step": instrument.qty_step,
        "multiplier": instrument.multiplier,
        "underlying": instrument.underlying,
        "expiry": instrument.expiry,
        "strike": instrument.strike,
        "option_right": None if instrument.right is None else instrument.right.value,
        "tradable": instrument.tradable,
        "active": active,
        "updated_at": now,
    }


def instrument_from_row(row: InstrumentRow) -> Instrument:
    """The domain :class:`Instrument` of a row."""
    return Instrument(
        id=InstrumentId(Venue(row.venue), row.symbol),
        kind=InstrumentKind(row.kind),
        currency=row.currency,
        tick_size=row.tick_size,
        lot_size=row.lot_size,
        qty_step=row.qty_step,
        multiplier=row.multiplier,
        underlying=row.underlying,
        expiry=row.expiry,
        strike=row.strike,
        right=None if row.option_right is None else OptionRight(row.option_right),
        tradable=row.tradable,
    )


class InstrumentRepository:
    """Instrument master data (``instruments``)."""

    def __init__(self, session: Session, clock: Clock = utc_now) -> None:
        self.session = session
        self._clock = clock

    def upsert(self, instruments: Instrument | Iterable[Instrument], *, active: bool = True) -> int:
        """Insert or update instruments by id; return how many were written.

        Uses ``INSERT ... ON CONFLICT DO UPDATE`` (SQLite and PostgreSQL), in chunks, so a
        full broker instrument dump loads in a few statements.
        """
        items = [instruments] if isinstance(instruments, Instrument) else list(instruments)
        if not items:
            return 0
        now = self._clock()
        by_id = {str(i.id): _instrument_values(i, active=active, now=now) for i in items}
        values = list(by_id.values())
        dialect = self.session.get_bind().dialect.name
        if dialect not in ("sqlite", "postgresql"):
            for v in values:
                self.session.merge(InstrumentRow(**v))
            self.session.flush()
            return len(values)
        insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
        for start in range(0, len(values), _UPSERT_CHUNK):
            stmt = insert(InstrumentRow).values(values[start : start + _UPSERT_CHUNK])
            stmt = stmt.on_conflict_do_update(
                index_elements=["id"],
                set_={c: stmt.excluded[c] for c in values[0] if c != "id"},
            )
            self.session.execute(stmt)
        # Rows already in the identity map would otherwise keep their old values.
        for obj in list(self.session.identity_map.values()):
            if isinstance(obj, InstrumentRow) and obj.id in by_id:
                self.session.expire(obj)
        return len(values)

    def ensure(self, instrument: Instrument) -> None:
        """Insert ``instrument`` if its id is unknown (an existing row is left as it is)."""
        if self.session.get(InstrumentRow, str(instrument.id)) is None:
            now = self._clock()
            self.session.add(InstrumentRow(**_instrument_values(instrument, active=True, now=now)))
            self.session.flush()

    def get(self, instrument_id: InstrumentId | str) -> Instrument | None:
        """The instrument with this id, or ``None``."""
        row = self.session.get(InstrumentRow, str(instrument_id))
        return None if row is None else instrument_from_row(row)

    def require(self, instrument_id: InstrumentId | str) -> Instrument:
        """Like :meth:`get`, but raise :class:`RecordNotFound` when missing."""
        found = self.get(instrument_id)
        if found is None:
            raise RecordNotFound(f"instrument {instrument_id} not found")
        return found

    def list(
        self,
        *,
        venue: Venue | str | None = None,
        kind: InstrumentKind | str | None = None,
        underlying: str | None = None,
        expiry: date | None = None,
        active_only: bool = True,
    ) -> list[Instrument]:
        """Instruments matching every given filter, ordered by id."""
        stmt = select(InstrumentRow).order_by(InstrumentRow.id)
        if venue is not None:
            stmt = stmt.where(InstrumentRow.venue == Venue(venue).value)
        if kind is not None:
            stmt = stmt.where(InstrumentRow.kind == InstrumentKind(kind).value)
        if underlying is not None:
            stmt = stmt.where(InstrumentRow.underlying == underlying)
        if expiry is not None:
            stmt = stmt.where(InstrumentRow.expiry == expiry)
        if active_only:
            stmt = stmt.where(InstrumentRow.active.is_(True))
        return [instrument_from_row(r) for r in self.session.scalars(stmt)]

    def set_active(self, instrument_id: InstrumentId | str, active: bool) -> None:
        """Mark an instrument listed (``True``) or delisted/expired (``False``)."""
        row = self.session.get(InstrumentRow, str(instrument_id))
        if row is None:
            raise RecordNotFound(f"instrument {instrument_id} not found")
        row.active = active
        row.updated_at = self._clock()


# --------------------------------------------------------------------------- runs


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A backtest, paper or live run."""

    id: str
    kind: str
    strategy: str
    config: dict[str, Any]
    status: str
    started_at: datetime
    ended_at: datetime | None = None
    metrics: dict[str, Any] | None = None
    error: str | None = None


def _run_record(row: RunRow) -> RunRecord:
    return RunRecord(
        id=row.id,
        kind=row.kind,
        strategy=row.strategy,
        config=row.config,
        status=row.status,
        started_at=row.started_at,
        ended_at=row.ended_at,
        metrics=row.metrics,
        error=row.error,
    )


class RunRepository:
    """Runs (``runs``): what was run, with which configuration, and how it ended."""

    def __init__(self, session: Session, clock: Clock = utc_now) -> None:
        self.session = session
        self._clock = clock

    def create(
        self,
        kind: str,
        strategy: str,
        config: Mapping[str, Any],
        *,
        run_id: str | None = None,
        started_at: datetime | None = None,
    ) -> RunRecord:
        """Record a new run in status ``running``.

        Parameters
        ----------
        kind
            ``backtest``, ``paper`` or ``live``.
        strategy
            Strategy name (or ``portfolio`` for several).
        config
            The full effective configuration (JSON-native after conversion: Decimals become
            strings).
        run_id
            Id to use; default ``YYYYMMDD-HHMMSS-<8 hex>`` from ``started_at``.
        started_at
            Start time, tz-aware; default the repository clock.
        """
        if kind not in RUN_KINDS:
            raise ValueError(f"run kind must be one of {', '.join(RUN_KINDS)}; got {kind!r}")
        started = _aware(started_at, "started_at") if started_at else self._clock()
        rid = run_id or f"{started:%Y%m%d-%H%M%S}-{secrets.token_hex(4)}"
        row = RunRow(
            id=rid,
            kind=kind,
            strategy=strategy,
            config=_jsonable_dict(config, "config") or {},
            status="running",
            started_at=started,
        )
        self.session.add(row)
        self.session.flush()
        return _run_record(row)

    def finish(
        self,
        run_id: str,
        *,
        status: str = "completed",
        metrics: Mapping[str, Any] | None = None,
        error: str | None = None,
        ended_at: datetime | None = None,
    ) -> RunRecord:
        """Close a running run as ``completed``, ``failed`` or ``aborted``."""
        if status not in RUN_STATUSES or status == "running":
            raise ValueError(f"a run finishes as completed, failed or aborted; got {status!r}")
        row = self.session.get(RunRow, run_id)
        if row is None:
            raise RecordNotFound(f"run {run_id} not found")
        if row.status != "running":
            raise ValueError(f"run {run_id} already finished ({row.status})")
        row.status = status
        row.ended_at = _aware(ended_at, "ended_at") if ended_at else self._clock()
        row.metrics = _jsonable_dict(metrics, "metrics")
        row.error = error
        self.session.flush()
        return _run_record(row)

    def get(self, run_id: str) -> RunRecord | None:
        """The run with this id, or ``None``."""
        row = self.session.get(RunRow, run_id)
        return None if row is None else _run_record(row)

    def list(
        self,
        *,
        kind: str | None = None,
        strategy: str | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> list[RunRecord]:
        """Runs matching the filters, newest first."""
        stmt = select(RunRow).order_by(RunRow.started_at.desc(), RunRow.id.desc())
        stmt = self._filter(stmt, kind, strategy, status)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [_run_record(r) for r in self.session.scalars(stmt)]

    def count(
        self, *, kind: str | None = None, strategy: str | None = None, status: str | None = None
    ) -> int:
        """How many runs match (e.g. the number of trials behind a reported result)."""
        stmt = self._filter(select(func.count()).select_from(RunRow), kind, strategy, status)
        return int(self.session.scalar(stmt) or 0)

    @staticmethod
    def _filter(stmt: Any, kind: str | None, strategy: str | None, status: str | None) -> Any:
        if kind is not None:
            stmt = stmt.where(RunRow.kind == kind)
        if strategy is not None:
            stmt = stmt.where(RunRow.strategy == strategy)
        if status is not None:
            stmt = stmt.where(RunRow.status == status)
        return stmt


# --------------------------------------------------------------------------- orders


def _fill_row(fill: Fill) -> FillRow:
    return FillRow(
        client_order_id=str(fill.client_order_id),
        fill_id=fill.fill_id,
        instrument_id=str(fill.instrument_id),
        side=fill.side.value,
        quantity=fill.quantity,
        price=fill.price,
        fee=fill.fee,
        broker_order_id=fill.broker_order_id,
        ts=fill.ts,
    )


def _fill_from_row(row: FillRow) -> Fill:
    return Fill(
        fill_id=row.fill_id,
        client_order_id=ClientOrderId(row.client_order_id),
        instrument_id=InstrumentId.parse(row.instrument_id),
        side=Side(row.side),
        quantity=row.quantity,
        price=row.price,
        ts=row.ts,
        fee=row.fee,
        broker_order_id=row.broker_order_id,
    )


def _event_row(event: OrderEvent) -> OrderEventRow:
    return OrderEventRow(
        client_order_id=str(event.client_order_id),
        seq=event.seq,
        kind=event.kind.value,
        status=event.status.value,
        previous_status=event.previous_status.value,
        reason_code=event.reason,
        message=event.message,
        source=event.source.value,
        fill_id=None if event.fill is None else event.fill.fill_id,
        payload=None,
        ts=event.ts,
    )


def _order_state(order: Order) -> dict[str, Any]:
    """Columns that change during an order's life (everything but identity and creation)."""
    return {
        "broker_order_id": order.broker_order_id,
        "quantity": order.quantity,
        "limit_price": order.limit_price,
        "stop_price": order.stop_price,
        "tif": order.tif.value,
        "status": order.status.value,
        "filled_quantity": order.filled_quantity,
        "avg_fill_price": order.avg_fill_price,
        "reject_reason": order.reject_reason,
        "updated_at": order.updated_at,
    }


def order_from_row(row: OrderRow) -> Order:
    """Rebuild the domain :class:`Order` (request, state, events and fills) from its rows."""
    request = OrderRequest(
        client_order_id=ClientOrderId(row.client_order_id),
        instrument=instrument_from_spec(row.instrument_spec),
        side=Side(row.side),
        quantity=row.quantity,
        order_type=OrderType(row.order_type),
        created_at=row.created_at,
        limit_price=row.limit_price,
        stop_price=row.stop_price,
        tif=TimeInForce(row.tif),
        product=None if row.product is None else Product(row.product),
        strategy_id=row.strategy_id,
        signal_id=row.signal_id,
        rationale=row.rationale,
        confidence=row.confidence,
        reduce_only=row.reduce_only,
    )
    fills = {f.fill_id: _fill_from_row(f) for f in row.fills}
    events = [
        OrderEvent(
            ts=e.ts,
            kind=OrderEventKind(e.kind),
            client_order_id=request.client_order_id,
            status=OrderStatus(e.status),
            previous_status=OrderStatus(e.previous_status),
            seq=e.seq,
            fill=None if e.fill_id is None else fills[e.fill_id],
            reason=e.reason_code,
            message=e.message,
            source=EventSource(e.source),
        )
        for e in row.events
    ]
    return Order.restore(
        request,
        status=OrderStatus(row.status),
        filled_quantity=row.filled_quantity,
        avg_fill_price=row.avg_fill_price,
        reject_reason=row.reject_reason,
        broker_order_id=row.broker_order_id,
        updated_at=row.updated_at,
        events=events,
    )


class OrderRepository:
    """Orders with their event history and fills (``orders``, ``order_events``, ``fills``)."""

    def __init__(self, session: Session, clock: Clock = utc_now) -> None:
        self.session = session
        self._clock = clock

    def save(self, order: Order, *, run_id: str | None = None) -> None:
        """Write the order's current state and append the events and fills not yet stored.

        Idempotent: saving the same order again writes nothing new. Call it before the
        broker is called (write-ahead, PENDING_SUBMIT) and after every event. The
        instrument row is created from the order's instrument if it does not exist.

        Raises
        ------
        ValueError
            When the order is stored under another run, or the stored history is longer
            than this copy's (a stale object would otherwise overwrite newer state).
        """
        coid = str(order.client_order_id)
        InstrumentRepository(self.session, self._clock).ensure(order.instrument)
        row = self.session.get(OrderRow, coid)
        if row is None:
            request = order.request
            row = OrderRow(
                client_order_id=coid,
                run_id=run_id,
                instrument_id=str(order.instrument_id),
                instrument_spec=instrument_spec(order.instrument),
                side=order.side.value,
                order_type=order.order_type.value,
                product=None if order.product is None else order.product.value,
                strategy_id=order.strategy_id,
                signal_id=request.signal_id,
                rationale=order.rationale,
                confidence=order.confidence,
                reduce_only=request.reduce_only,
                created_at=order.created_at,
                **_order_state(order),
            )
            self.session.add(row)
            stored_seq, stored_fills = 0, set[str]()
        else:
            if run_id is not None and row.run_id not in (None, run_id):
                raise ValueError(f"order {coid} belongs to run {row.run_id}, not {run_id}")
            stored_seq = (
                self.session.scalar(
                    select(func.max(OrderEventRow.seq)).where(OrderEventRow.client_order_id == coid)
                )
                or 0
            )
            latest_seq = order.events[-1].seq if order.events else 0
            if latest_seq < stored_seq:
                raise ValueError(
                    f"order {coid} is stale: {stored_seq} events stored, this copy has "
                    f"{latest_seq}; reload it before saving"
                )
            if run_id is not None:
                row.run_id = run_id
            for key, value in _order_state(order).items():
                setattr(row, key, value)
            stored_fills = set(
                self.session.scalars(select(FillRow.fill_id).where(FillRow.client_order_id == coid))
            )
        new_events = [e for e in order.events if e.seq > stored_seq]
        new_fills = [
            e.fill for e in new_events if e.fill is not None and e.fill.fill_id not in stored_fills
        ]
        self.session.add_all(_fill_row(f) for f in new_fills)
        self.session.flush()  # fills first: events reference them
        self.session.add_all(_event_row(e) for e in new_events)
        self.session.flush()
        self.session.expire(row, ["events", "fills"])

    def get(self, client_order_id: ClientOrderId | str) -> Order | None:
        """The stored order, rebuilt with identical state, or ``None``."""
        stmt = self._select().where(OrderRow.client_order_id == str(client_order_id))
        row = self.session.scalars(stmt).one_or_none()
        return None if row is None else order_from_row(row)

    def require(self, client_order_id: ClientOrderId | str) -> Order:
        """Like :meth:`get`, but raise :class:`RecordNotFound` when missing."""
        found = self.get(client_order_id)
        if found is None:
            raise RecordNotFound(f"order {client_order_id} not found")
        return found

    def run_id_of(self, client_order_id: ClientOrderId | str) -> str | None:
        """The run an order belongs to (``None`` for orders outside a run)."""
        stmt = select(OrderRow.run_id).where(OrderRow.client_order_id == str(client_order_id))
        return self.session.scalar(stmt)

    def list(
        self,
        *,
        run_id: str | None = None,
        status: OrderStatus | str | Iterable[OrderStatus | str] | None = None,
        open_only: bool = False,
        strategy_id: str | None = None,
        instrument_id: InstrumentId | str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[Order]:
        """Orders matching every given filter, oldest first.

        ``status`` takes one status or several; ``open_only`` keeps non-terminal orders
        (what a restarted process must reconcile with the broker).
        """
        stmt = self._select().order_by(OrderRow.created_at, OrderRow.client_order_id)
        if run_id is not None:
            stmt = stmt.where(OrderRow.run_id == run_id)
        if status is not None:
            many = [status] if isinstance(status, str) else list(status)
            stmt = stmt.where(OrderRow.status.in_([OrderStatus(s).value for s in many]))
        if open_only:
            stmt = stmt.where(OrderRow.status.in_([s.value for s in OrderStatus if s.is_open]))
        if strategy_id is not None:
            stmt = stmt.where(OrderRow.strategy_id == strategy_id)
        if instrument_id is not None:
            stmt = stmt.where(OrderRow.instrument_id == str(instrument_id))
        if since is not None:
            stmt = stmt.where(OrderRow.created_at >= _aware(since, "since"))
        if limit is not None:
            stmt = stmt.limit(limit)
        return [order_from_row(r) for r in self.session.scalars(stmt)]

    def fills(
        self,
        *,
        run_id: str | None = None,
        instrument_id: InstrumentId | str | None = None,
        since: datetime | None = None,
    ) -> builtins.list[Fill]:
        """Fills in execution order (by time, then order id and fill id)."""
        stmt = select(FillRow).order_by(FillRow.ts, FillRow.client_order_id, FillRow.fill_id)
        if run_id is not None:
            stmt = stmt.join(OrderRow).where(OrderRow.run_id == run_id)
        if instrument_id is not None:
            stmt = stmt.where(FillRow.instrument_id == str(instrument_id))
        if since is not None:
            stmt = stmt.where(FillRow.ts >= _aware(since, "since"))
        return [_fill_from_row(r) for r in self.session.scalars(stmt)]

    @staticmethod
    def _select() -> Any:
        return (
            select(OrderRow)
            .options(selectinload(OrderRow.events), selectinload(OrderRow.fills))
            .execution_options(populate_existing=True)
        )


# --------------------------------------------------------------------------- positions


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


# --------------------------------------------------------------------------- risk events


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


# --------------------------------------------------------------------------- daily plans


@dataclass(frozen=True, slots=True)
class DailyPlanRecord:
    """One version of a day's plan for an exchange."""

    id: int
    plan_date: date
    exchange: str
    plan: dict[str, Any]
    created_at: datetime


def _plan_record(row: DailyPlanRow) -> DailyPlanRecord:
    return DailyPlanRecord(
        id=row.id,
        plan_date=row.plan_date,
        exchange=row.exchange,
        plan=row.plan,
        created_at=row.created_at,
    )


class DailyPlanRepository:
    """Daily plans (``daily_plans``); a revision is a new row and the latest one wins."""

    def __init__(self, session: Session, clock: Clock = utc_now) -> None:
        self.session = session
        self._clock = clock

    def save(
        self,
        plan_date: date,
        exchange: str,
        plan: Mapping[str, Any],
        *,
        created_at: datetime | None = None,
    ) -> DailyPlanRecord:
        """Store a (new version of the) plan for ``plan_date`` on ``exchange``."""
        if isinstance(plan_date, datetime) or not isinstance(plan_date, date):
            raise TypeError("plan_date must be a date")
        row = DailyPlanRow(
            plan_date=plan_date,
            exchange=exchange,
            plan=_jsonable_dict(plan, "plan") or {},
            created_at=_aware(created_at, "created_at") if created_at else self._clock(),
        )
        self.session.add(row)
        self.session.flush()
        return _plan_record(row)

    def latest(self, plan_date: date, exchange: str) -> DailyPlanRecord | None:
        """The newest version of the plan, or ``None``."""
        stmt = (
            select(DailyPlanRow)
            .where(DailyPlanRow.plan_date == plan_date, DailyPlanRow.exchange == exchange)
            .order_by(DailyPlanRow.created_at.desc(), DailyPlanRow.id.desc())
            .limit(1)
        )
        row = self.session.scalars(stmt).first()
        return None if row is None else _plan_record(row)

    def list(
        self,
        *,
        exchange: str | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> list[DailyPlanRecord]:
        """Every stored version in the date range (inclusive), oldest first."""
        stmt = select(DailyPlanRow).order_by(
            DailyPlanRow.plan_date, DailyPlanRow.created_at, DailyPlanRow.id
        )
        if exchange is not None:
            stmt = stmt.where(DailyPlanRow.exchange == exchange)
        if since is not None:
            stmt = stmt.where(DailyPlanRow.plan_date >= since)
        if until is not None:
            stmt = stmt.where(DailyPlanRow.plan_date <= until)
        return [_plan_record(r) for r in self.session.scalars(stmt)]


# --------------------------------------------------------------------------- audit log


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
    "RunRecord",
    "RunRepository",
    "audit_hash",
    "instrument_from_row",
    "instrument_from_spec",
    "instrument_spec",
    "order_from_row",
    "verify_audit_chain",
]
