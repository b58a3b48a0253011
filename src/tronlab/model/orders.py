"""The order entity: an :class:`~tronlab.model.order_request.OrderRequest` and its life.

An :class:`OrderRequest` is what a strategy (through the risk governor) asks for; it is
validated against its instrument when built. An :class:`Order` is that request plus its life
at the broker: status, fills and an append-only event history. Its state only changes through
:meth:`Order.transition`, :meth:`Order.apply_fill` and :meth:`Order.amend`, each of which
returns the :class:`~tronlab.model.events.OrderEvent` it recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tronlab.model._values import (
    EXACT,
    ZERO,
    as_enum,
    aware_utc,
    non_empty_str,
    non_negative,
    optional_positive,
    ratio,
)
from tronlab.model.enums import (
    EventSource,
    OrderEventKind,
    OrderStatus,
    OrderType,
    Product,
    Side,
    TimeInForce,
)
from tronlab.model.errors import IllegalTransition, InvalidOrder, InvalidOrderCode, ValidationError
from tronlab.model.events import OrderEvent
from tronlab.model.fills import Fill
from tronlab.model.identifiers import ClientOrderId, InstrumentId
from tronlab.model.instruments import Instrument
from tronlab.model.order_request import OrderRequest
from tronlab.model.order_states import ORDER_TRANSITIONS, check_transition, fill_state_problem

__all__ = ["Order", "OrderRequest"]

_new = object.__new__


def _setter(name: str) -> Any:
    """The slot setter of an OrderEvent field (faster than ``object.__setattr__``)."""
    return getattr(OrderEvent, name).__set__


# Order._event sets every field of OrderEvent with these (a test checks none is missed).
_set_ts = _setter("ts")
_set_kind = _setter("kind")
_set_coid = _setter("client_order_id")
_set_status = _setter("status")
_set_previous = _setter("previous_status")
_set_seq = _setter("seq")
_set_fill = _setter("fill")
_set_reason = _setter("reason")
_set_message = _setter("message")
_set_source = _setter("source")

# Enum members as module constants: a class attribute lookup of a member costs ~50 ns here.
_FILLED, _PARTIALLY_FILLED, _REJECTED = (
    OrderStatus.FILLED,
    OrderStatus.PARTIALLY_FILLED,
    OrderStatus.REJECTED,
)
_STATUS_KIND, _FILL_KIND = OrderEventKind.STATUS, OrderEventKind.FILL
_FILL_STATUSES = frozenset({_FILLED, _PARTIALLY_FILLED})
_EVENT_KIND = {
    OrderStatus.REJECTED: OrderEventKind.REJECT,
    OrderStatus.CANCELLED: OrderEventKind.CANCEL,
}


class Order:
    """An order at the broker: its request, status, fills and event history.

    Create a new order with ``Order(request)`` (status PENDING_SUBMIT, to be persisted before
    the broker is called); reload a stored one with :meth:`restore`.

    Parameters
    ----------
    request
        The validated request.
    """

    __slots__ = (
        "_avg_fill_price",
        "_broker_order_id",
        "_events",
        "_fill_ids",
        "_filled_notional",
        "_filled_quantity",
        "_reject_reason",
        "_request",
        "_status",
        "_updated_at",
    )

    def __init__(self, request: OrderRequest) -> None:
        if not isinstance(request, OrderRequest):
            raise ValidationError("request must be an OrderRequest", code="TYPE")
        self._request = request
        self._status = OrderStatus.PENDING_SUBMIT
        self._filled_quantity = ZERO
        self._filled_notional = ZERO
        self._avg_fill_price: Decimal | None = None
        self._reject_reason: str | None = None
        self._broker_order_id: str | None = None
        self._updated_at = request.created_at
        self._events: list[OrderEvent] = []
        self._fill_ids: set[str] = set()

    @classmethod
    def restore(
        cls,
        request: OrderRequest,
        *,
        status: OrderStatus,
        filled_quantity: Decimal = ZERO,
        avg_fill_price: Decimal | None = None,
        reject_reason: str | None = None,
        broker_order_id: str | None = None,
        updated_at: datetime | None = None,
        events: Iterable[OrderEvent] = (),
    ) -> Order:
        """Rebuild an order from stored (or broker-reported) state.

        The state must be self-consistent: ``avg_fill_price`` is given exactly when something
        is filled, and ``status`` agrees with the filled quantity (see
        :mod:`tronlab.model.order_states`). Fill ids in ``events`` are remembered, so a
        replayed fill is still refused.

        Raises
        ------
        ValidationError
            On inconsistent state.
        """
        order = cls(request)
        status = as_enum(OrderStatus, status, "status")
        filled = non_negative(filled_quantity, "filled_quantity")
        avg = optional_positive(avg_fill_price, "avg_fill_price")
        if filled > request.quantity:
            raise ValidationError(f"filled {filled} exceeds quantity {request.quantity}")
        if (filled > 0) != (avg is not None):
            raise ValidationError("avg_fill_price must be given exactly when filled > 0")
        problem = fill_state_problem(status, filled, request.quantity)
        if problem:
            raise ValidationError(f"inconsistent order state: {problem}")
        order._status = status
        order._filled_quantity = filled
        order._avg_fill_price = avg
        order._filled_notional = EXACT.multiply(filled, avg) if avg is not None else ZERO
        order._reject_reason = reject_reason
        order._broker_order_id = broker_order_id
        order._events = list(events)
        for event in order._events:
            if event.client_order_id != request.client_order_id:
                raise ValidationError("restored event belongs to another order")
            if event.fill is not None:
                order._fill_ids.add(event.fill.fill_id)
        last_ts = order._events[-1].ts if order._events else request.created_at
        order._updated_at = aware_utc(updated_at, "updated_at") if updated_at else last_ts
        return order

    # ----------------------------------------------------------------- read-only state

    @property
    def request(self) -> OrderRequest:
        """The request this order carries (replaced by :meth:`amend`)."""
        return self._request

    @property
    def client_order_id(self) -> ClientOrderId:
        """Platform id."""
        return self._request.client_order_id

    @property
    def instrument(self) -> Instrument:
        """Instrument traded."""
        return self._request.instrument

    @property
    def instrument_id(self) -> InstrumentId:
        """Id of the instrument traded."""
        return self._request.instrument.id

    @property
    def side(self) -> Side:
        """BUY or SELL."""
        return self._request.side

    @property
    def quantity(self) -> Decimal:
        """Total quantity ordered."""
        return self._request.quantity

    @property
    def order_type(self) -> OrderType:
        """Order type."""
        return self._request.order_type

    @property
    def limit_price(self) -> Decimal | None:
        """Limit price, if any."""
        return self._request.limit_price

    @property
    def stop_price(self) -> Decimal | None:
        """Stop (trigger) price, if any."""
        return self._request.stop_price

    @property
    def tif(self) -> TimeInForce:
        """Time in force."""
        return self._request.tif

    @property
    def product(self) -> Product | None:
        """Kite product, if any."""
        return self._request.product

    @property
    def strategy_id(self) -> str:
        """Deciding strategy."""
        return self._request.strategy_id

    @property
    def rationale(self) -> str:
        """Why the order exists."""
        return self._request.rationale

    @property
    def confidence(self) -> float | None:
        """Decider's confidence in [0, 1]."""
        return self._request.confidence

    @property
    def created_at(self) -> datetime:
        """Decision time."""
        return self._request.created_at

    @property
    def status(self) -> OrderStatus:
        """Current status."""
        return self._status

    @property
    def is_terminal(self) -> bool:
        """Whether the order can no longer change."""
        return self._status.is_terminal

    @property
    def filled_quantity(self) -> Decimal:
        """Quantity filled so far."""
        return self._filled_quantity

    @property
    def remaining_quantity(self) -> Decimal:
        """Quantity still open (0 once terminal)."""
        if self._status.is_terminal:
            return ZERO
        return EXACT.subtract(self.quantity, self._filled_quantity)

    @property
    def avg_fill_price(self) -> Decimal | None:
        """Volume-weighted average fill price (40 significant digits), ``None`` if unfilled."""
        return self._avg_fill_price

    @property
    def reject_reason(self) -> str | None:
        """Why the order was rejected, once REJECTED."""
        return self._reject_reason

    @property
    def broker_order_id(self) -> str | None:
        """The broker's id, once known."""
        return self._broker_order_id

    @property
    def updated_at(self) -> datetime:
        """Time of the last recorded event (``created_at`` before any)."""
        return self._updated_at

    @property
    def events(self) -> tuple[OrderEvent, ...]:
        """The event history, oldest first."""
        return tuple(self._events)

    # ----------------------------------------------------------------- state changes

    def transition(
        self,
        new_status: OrderStatus,
        ts: datetime,
        *,
        reason: str | None = None,
        message: str = "",
        source: EventSource = EventSource.LOCAL,
    ) -> OrderEvent:
        """Move to ``new_status`` and record the event.

        Parameters
        ----------
        new_status
            Target status. PARTIALLY_FILLED and FILLED are normally reached through
            :meth:`apply_fill`; they are accepted here only when the filled quantity already
            agrees (e.g. after a refused cancel).
        ts
            When it happened, tz-aware.
        reason
            Machine-readable reason code (for REJECTED it becomes the reject reason unless a
            ``message`` is given).
        message
            Human-readable text.
        source
            Reporting channel.

        Returns
        -------
        OrderEvent
            The recorded event (kind REJECT, CANCEL or STATUS).

        Raises
        ------
        IllegalTransition
            When the state machine does not allow the change.
        """
        if type(new_status) is not OrderStatus:
            new_status = as_enum(OrderStatus, new_status, "new_status")
        filled = self._filled_quantity
        quantity = self._request.quantity
        # Nothing filled (of a positive quantity) and a status other than (PARTIALLY_)FILLED:
        # the fill state cannot contradict it, so the table alone decides; check_transition
        # does the full check and explains a refusal.
        if not (
            filled == 0
            and quantity > 0
            and new_status not in _FILL_STATUSES
            and new_status in ORDER_TRANSITIONS[self._status]
        ):
            check_transition(self._status, new_status, filled, quantity)
        event = self._event(
            _EVENT_KIND.get(new_status, _STATUS_KIND),
            new_status,
            ts,
            reason=reason,
            message=message,
            source=source,
        )
        if new_status is _REJECTED:
            self._reject_reason = message or reason or "rejected"
        self._status = new_status  # _commit, inlined (hot path)
        self._updated_at = event.ts
        self._events.append(event)
        return event

    def apply_fill(self, fill: Fill, *, source: EventSource = EventSource.LOCAL) -> OrderEvent:
        """Add an execution: update filled quantity and average price, move the status.

        The status becomes FILLED when the order is complete, else PARTIALLY_FILLED (a fill on
        an order already PARTIALLY_FILLED leaves the status as it is).

        Returns
        -------
        OrderEvent
            The recorded FILL event.

        Raises
        ------
        ValidationError
            When the fill belongs to another order, instrument or side, repeats a fill id,
            or would overfill the order (code ``OVERFILL``).
        IllegalTransition
            When the order cannot take fills in its status (e.g. CANCELLED, REJECTED).
        """
        if not isinstance(fill, Fill):
            raise ValidationError("fill must be a Fill", code="TYPE")
        req = self._request
        coid = req.client_order_id
        if fill.client_order_id is not coid and fill.client_order_id != coid:
            raise ValidationError(
                f"fill {fill.fill_id} is for order {fill.client_order_id}, "
                f"not {self.client_order_id}",
                code="FILL_MISMATCH",
            )
        inst_id = req.instrument.id
        if (
            fill.instrument_id is not inst_id and fill.instrument_id != inst_id
        ) or fill.side is not req.side:
            raise ValidationError(
                f"fill {fill.fill_id} ({fill.side} {fill.instrument_id}) does not match order "
                f"{self.client_order_id} ({self.side} {self.instrument_id})",
                code="FILL_MISMATCH",
            )
        if fill.fill_id in self._fill_ids:
            raise ValidationError(
                f"fill {fill.fill_id} was already applied to {self.client_order_id}",
                code="DUPLICATE_FILL",
            )
        filled = EXACT.add(self._filled_quantity, fill.quantity)
        quantity = req.quantity
        if filled > quantity:
            raise ValidationError(
                f"fill {fill.fill_id} of {fill.quantity} overfills order {self.client_order_id}: "
                f"{self._filled_quantity} of {self.quantity} already filled",
                code="OVERFILL",
            )
        new_status = _FILLED if filled == quantity else _PARTIALLY_FILLED
        # 0 < filled <= quantity here (a fill's quantity is > 0), which is what FILLED and
        # PARTIALLY_FILLED need: only the table can refuse (check_transition explains it).
        status = self._status
        if new_status is not status and new_status not in ORDER_TRANSITIONS[status]:
            check_transition(status, new_status, filled, quantity)
        event = self._event(_FILL_KIND, new_status, fill.ts, fill=fill, source=source)
        notional = EXACT.add(self._filled_notional, fill.notional)
        self._filled_quantity = filled
        self._filled_notional = notional
        self._avg_fill_price = ratio(notional, filled)
        self._fill_ids.add(fill.fill_id)
        return self._commit(event)

    def amend(
        self,
        ts: datetime,
        *,
        quantity: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
        reason: str | None = None,
        message: str = "",
        source: EventSource = EventSource.LOCAL,
    ) -> OrderEvent:
        """Apply a confirmed modification (Kite modify in place) and record a REPLACE event.

        The new values are validated like a new request; the quantity cannot drop below what
        is already filled. The status is left unchanged: report the broker's status with
        :meth:`transition`.

        Raises
        ------
        IllegalTransition
            When the order is terminal.
        InvalidOrder
            When the new values break the instrument's rules.
        """
        if self._status.is_terminal:
            raise IllegalTransition(
                f"cannot amend a {self._status} order",
                from_status=self._status,
                to_status=self._status,
            )
        old = self._request
        new_request = replace(
            old,
            quantity=old.quantity if quantity is None else quantity,
            limit_price=old.limit_price if limit_price is None else limit_price,
            stop_price=old.stop_price if stop_price is None else stop_price,
        )
        if new_request.quantity <= self._filled_quantity:
            raise InvalidOrder(
                f"amended quantity {new_request.quantity} must exceed the filled "
                f"{self._filled_quantity}",
                subcode=InvalidOrderCode.QTY,
            )
        event = self._event(
            OrderEventKind.REPLACE, self._status, ts, reason=reason, message=message, source=source
        )
        self._request = new_request
        return self._commit(event)

    def bind_broker_order_id(self, broker_order_id: str) -> None:
        """Remember the broker's id (idempotent; a different second id is refused)."""
        non_empty_str(broker_order_id, "broker_order_id")
        if self._broker_order_id not in (None, broker_order_id):
            raise ValidationError(
                f"order {self.client_order_id} is bound to broker id {self._broker_order_id}, "
                f"not {broker_order_id}",
                code="BROKER_ID_MISMATCH",
            )
        self._broker_order_id = broker_order_id

    def _event(
        self,
        kind: OrderEventKind,
        new_status: OrderStatus,
        ts: datetime,
        *,
        fill: Fill | None = None,
        reason: str | None = None,
        message: str = "",
        source: EventSource = EventSource.LOCAL,
    ) -> OrderEvent:
        # Built without OrderEvent's field checks: kind and statuses are enum members chosen
        # here, the order id and fill are validated objects; only the caller-supplied ``ts``,
        # ``source`` and texts are checked (hot path: several events per order).
        if reason is not None and not isinstance(reason, str):
            raise ValidationError("reason must be a str or None", code="TYPE")
        if not isinstance(message, str):
            raise ValidationError("message must be a str", code="TYPE")
        if type(source) is not EventSource:
            source = as_enum(EventSource, source, "source")
        events = self._events
        event = _new(OrderEvent)  # every field is set below (the slot setters), no re-checks
        _set_ts(event, ts if type(ts) is datetime and ts.tzinfo is UTC else aware_utc(ts, "ts"))
        _set_kind(event, kind)
        _set_coid(event, self._request.client_order_id)
        _set_status(event, new_status)
        _set_previous(event, self._status)
        _set_seq(event, (events[-1].seq + 1) if events else 1)
        _set_fill(event, fill)
        _set_reason(event, reason)
        _set_message(event, message)
        _set_source(event, source)
        return event

    def _commit(self, event: OrderEvent) -> OrderEvent:
        self._status = event.status
        self._updated_at = event.ts
        self._events.append(event)
        return event

    def __repr__(self) -> str:
        return (
            f"Order({self.client_order_id}, {self.side} {self.quantity} {self.instrument_id} "
            f"{self.order_type}, {self._status}, filled={self._filled_quantity})"
        )
