"""The order state machine: which status changes are legal.

The table is deliberately tolerant of *skipped* states, because brokers do not report every
intermediate step (Kite does not push VALIDATION PENDING; a market order may be seen first
as COMPLETE) and reconciliation may find an order several steps further on. It is strict
about everything that would rewrite history:

* nothing leaves a terminal status (FILLED, CANCELLED, REJECTED, EXPIRED);
* nothing returns to PENDING_SUBMIT;
* an order never goes back from a later life stage to an earlier one (WORKING -> SUBMITTED,
  PARTIALLY_FILLED -> WORKING);
* once it has fills it cannot be REJECTED (it can be CANCELLED or EXPIRED).

On top of the table, :func:`check_transition` keeps the status consistent with the filled
quantity: FILLED exactly when fully filled, PARTIALLY_FILLED exactly when partly filled,
and the pre-fill statuses (SUBMITTED, ACCEPTED, WORKING, TRIGGER_PENDING, REJECTED) only
with nothing filled. Fills therefore drive an order into PARTIALLY_FILLED and FILLED
(``Order.apply_fill``), not bare status reports.

Self-transitions are not in the table: a repeated status report is a duplicate event and
belongs to the deduplication layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType

from tronlab.model.enums import OrderStatus
from tronlab.model.errors import IllegalTransition

S = OrderStatus

_PENDING = frozenset({S.PENDING_CANCEL, S.PENDING_REPLACE})
_FILLS_AND_ENDS = frozenset({S.PARTIALLY_FILLED, S.FILLED, S.CANCELLED, S.EXPIRED, S.UNKNOWN})

#: Allowed ``from -> {to}`` status changes. Terminal statuses map to the empty set.
ORDER_TRANSITIONS: Mapping[OrderStatus, frozenset[OrderStatus]] = MappingProxyType(
    {
        S.PENDING_SUBMIT: frozenset(
            {
                S.SUBMITTED,
                S.ACCEPTED,
                S.WORKING,
                S.TRIGGER_PENDING,
                S.PARTIALLY_FILLED,
                S.FILLED,
                S.REJECTED,
                S.CANCELLED,
                S.UNKNOWN,
            }
        ),
        S.SUBMITTED: frozenset(
            {S.ACCEPTED, S.WORKING, S.TRIGGER_PENDING, S.REJECTED} | _FILLS_AND_ENDS | _PENDING
        ),
        S.ACCEPTED: frozenset(
            {S.WORKING, S.TRIGGER_PENDING, S.REJECTED} | _FILLS_AND_ENDS | _PENDING
        ),
        # A modify can turn a resting limit into a stop and back (Kite LIMIT <-> SL).
        S.WORKING: frozenset({S.TRIGGER_PENDING} | _FILLS_AND_ENDS | _PENDING),
        # A triggered stop becomes a working (or immediately filled or rejected) order.
        S.TRIGGER_PENDING: frozenset({S.WORKING, S.REJECTED} | _FILLS_AND_ENDS | _PENDING),
        S.PARTIALLY_FILLED: frozenset({S.FILLED, S.CANCELLED, S.EXPIRED, S.UNKNOWN} | _PENDING),
        # A cancel request is confirmed, or refused (the order is back where it was), or
        # overtaken by fills.
        S.PENDING_CANCEL: frozenset({S.WORKING, S.TRIGGER_PENDING} | _FILLS_AND_ENDS),
        # A replace is confirmed or refused (back to resting), overtaken by fills, or the old
        # order ends (Alpaca reports the replaced order as ``replaced`` = CANCELLED).
        S.PENDING_REPLACE: frozenset(
            {S.WORKING, S.TRIGGER_PENDING, S.PENDING_CANCEL} | _FILLS_AND_ENDS
        ),
        # Reconciliation resolves an unknown outcome to whatever the broker reports.
        S.UNKNOWN: frozenset(
            {S.SUBMITTED, S.ACCEPTED, S.WORKING, S.TRIGGER_PENDING, S.REJECTED}
            | (_FILLS_AND_ENDS - {S.UNKNOWN})
            | _PENDING
        ),
        S.FILLED: frozenset(),
        S.CANCELLED: frozenset(),
        S.REJECTED: frozenset(),
        S.EXPIRED: frozenset(),
    }
)

_NOTHING_FILLED = frozenset(
    {S.PENDING_SUBMIT, S.SUBMITTED, S.ACCEPTED, S.WORKING, S.TRIGGER_PENDING, S.REJECTED}
)


def can_transition(from_status: OrderStatus, to_status: OrderStatus) -> bool:
    """Whether the table allows ``from_status -> to_status`` (ignoring fill state)."""
    return to_status in ORDER_TRANSITIONS[from_status]


def check_transition(
    from_status: OrderStatus,
    to_status: OrderStatus,
    filled_quantity: Decimal,
    quantity: Decimal,
) -> None:
    """Raise :class:`IllegalTransition` unless the change is legal for this fill state.

    Parameters
    ----------
    from_status, to_status
        Current and requested status.
    filled_quantity, quantity
        The order's filled and total quantity *after* the change.
    """
    if to_status not in ORDER_TRANSITIONS[from_status]:  # can_transition, inlined (hot path)
        why = "terminal" if from_status.is_terminal else "not allowed"
        raise IllegalTransition(
            f"order status {from_status} -> {to_status} is {why}",
            from_status=from_status,
            to_status=to_status,
        )
    problem = fill_state_problem(to_status, filled_quantity, quantity)
    if problem:
        raise IllegalTransition(
            f"order status {from_status} -> {to_status}: {problem}",
            from_status=from_status,
            to_status=to_status,
            details={"filled_quantity": filled_quantity, "quantity": quantity},
        )


def fill_state_problem(status: OrderStatus, filled_quantity: Decimal, quantity: Decimal) -> str:
    """Describe why ``status`` contradicts the fill state, or return ``""`` if it does not."""
    if status is S.FILLED:
        if filled_quantity != quantity:
            return f"FILLED needs filled == quantity, got {filled_quantity}/{quantity}"
        return ""
    if filled_quantity >= quantity:
        return f"{status} needs filled < quantity, got {filled_quantity}/{quantity}"
    if status is S.PARTIALLY_FILLED and filled_quantity <= 0:
        return f"PARTIALLY_FILLED needs filled > 0, got {filled_quantity}/{quantity}"
    if status in _NOTHING_FILLED and filled_quantity != 0:
        return f"{status} needs nothing filled, got {filled_quantity}/{quantity}"
    return ""
