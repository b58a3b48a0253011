"""Event value types shared across the system (journal, engine, broker adapters)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tronlab.model._values import as_enum, aware_utc
from tronlab.model.enums import EventSource, OrderEventKind, OrderStatus
from tronlab.model.errors import ValidationError
from tronlab.model.fills import Fill
from tronlab.model.identifiers import ClientOrderId


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Base of every event: something that happened at ``ts`` (tz-aware, stored in UTC)."""

    ts: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "ts", aware_utc(self.ts, "ts"))


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderEvent(Event):
    """A change in an order's life: a status change, a fill, a reject, a cancel, a replace.

    Parameters
    ----------
    ts
        When it happened (venue time when known), tz-aware.
    kind
        STATUS, FILL, REJECT, CANCEL or REPLACE.
    client_order_id
        The order concerned.
    status
        The order's status *after* the event.
    previous_status
        The order's status before the event (equal to ``status`` for a fill that leaves the
        status unchanged, or for a replace).
    seq
        1-based sequence number of the event within its order's history.
    fill
        The execution, for (and only for) ``kind == FILL``.
    reason
        Machine-readable reason code (e.g. the broker's reject code), if any.
    message
        Human-readable text (e.g. Kite's ``status_message``).
    source
        Channel that reported it (LOCAL, STREAM, POSTBACK, POLL, RECONCILE).

    Raises
    ------
    ValidationError
        When ``fill`` is missing for a FILL, present for another kind, or belongs to another
        order; or when ``seq`` < 1.
    """

    kind: OrderEventKind
    client_order_id: ClientOrderId
    status: OrderStatus
    previous_status: OrderStatus
    seq: int
    fill: Fill | None = None
    reason: str | None = None
    message: str = ""
    source: EventSource = EventSource.LOCAL

    def __post_init__(self) -> None:
        Event.__post_init__(self)
        object.__setattr__(self, "kind", as_enum(OrderEventKind, self.kind, "kind"))
        object.__setattr__(self, "status", as_enum(OrderStatus, self.status, "status"))
        object.__setattr__(
            self, "previous_status", as_enum(OrderStatus, self.previous_status, "previous_status")
        )
        object.__setattr__(self, "source", as_enum(EventSource, self.source, "source"))
        if not isinstance(self.client_order_id, ClientOrderId):
            raise ValidationError("client_order_id must be a ClientOrderId", code="TYPE")
        if isinstance(self.seq, bool) or not isinstance(self.seq, int) or self.seq < 1:
            raise ValidationError(f"seq must be an int >= 1, got {self.seq!r}")
        if (self.kind is OrderEventKind.FILL) != (self.fill is not None):
            raise ValidationError("an order event carries a fill if and only if kind is FILL")
        if self.fill is not None and self.fill.client_order_id != self.client_order_id:
            raise ValidationError(
                f"fill {self.fill.fill_id} belongs to {self.fill.client_order_id}, "
                f"not {self.client_order_id}"
            )
