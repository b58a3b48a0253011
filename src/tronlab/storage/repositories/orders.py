"""Orders: :class:`OrderRepository` (``orders``, ``order_events``, ``fills``) and the
mapping between :class:`~tronlab.model.Order` (with its events and fills) and those rows."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from tronlab.model import (
    ClientOrderId,
    EventSource,
    Fill,
    InstrumentId,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderRequest,
    OrderStatus,
    OrderType,
    Product,
    Side,
    TimeInForce,
)
from tronlab.storage.db import Clock, utc_now
from tronlab.storage.models import FillRow, OrderEventRow, OrderRow
from tronlab.storage.repositories._common import RecordNotFound, _aware
from tronlab.storage.repositories.instruments import (
    InstrumentRepository,
    instrument_from_spec,
    instrument_spec,
)


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


def _new_order_row(order: Order, run_id: str | None) -> OrderRow:
    """The row of an order that is not stored yet (identity, creation and current state)."""
    request = order.request
    return OrderRow(
        client_order_id=str(order.client_order_id),
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
            row = _new_order_row(order, run_id)
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

    def add_new(self, orders: Iterable[Order], *, run_id: str | None = None) -> int:
        """Insert orders that are not stored yet, with all their events and fills, in bulk.

        The fast path for saving a finished backtest (one round trip per table instead of
        several per order). Raises ``sqlalchemy.exc.IntegrityError`` when an id is taken.
        """
        orders = builtins.list(orders)
        instruments = InstrumentRepository(self.session, self._clock)
        for inst in {o.instrument_id: o.instrument for o in orders}.values():
            instruments.ensure(inst)
        self.session.add_all(_new_order_row(order, run_id) for order in orders)
        self.session.flush()
        self.session.add_all(
            _fill_row(e.fill) for o in orders for e in o.events if e.fill is not None
        )
        self.session.flush()
        self.session.add_all(_event_row(e) for o in orders for e in o.events)
        self.session.flush()
        return len(orders)

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
