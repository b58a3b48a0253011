"""Executions reported by a venue (or the paper broker)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from tronlab.model._values import (
    EXACT,
    ZERO,
    as_enum,
    aware_utc,
    non_empty_str,
    non_negative,
    positive,
)
from tronlab.model.enums import Side
from tronlab.model.errors import ValidationError
from tronlab.model.fastinit import fast_frozen_init
from tronlab.model.identifiers import ClientOrderId, InstrumentId

_set = object.__setattr__


@fast_frozen_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Fill:
    """One execution (a Kite trade, an Alpaca fill activity, a paper-broker match).

    The price is what the venue reports; it is not forced onto the tick grid because venues
    can report price improvement off the grid (US sub-penny fills).

    Parameters
    ----------
    fill_id
        Venue execution id (Kite ``trade_id``, Alpaca execution id, paper sequence number);
        the deduplication key.
    client_order_id
        Our id of the order that filled.
    instrument_id
        Instrument traded.
    side
        BUY or SELL.
    quantity
        Executed quantity, > 0, in the instrument's quantity units.
    price
        Execution price, > 0.
    ts
        Execution time at the venue, tz-aware (stored in UTC).
    fee
        Commissions, taxes and charges for this execution, >= 0, in the instrument currency.
    broker_order_id
        The broker's order id, when known.

    Raises
    ------
    ValidationError
        On a non-positive quantity or price, a negative fee, NaN/inf or a naive ``ts``.
    """

    fill_id: str
    client_order_id: ClientOrderId
    instrument_id: InstrumentId
    side: Side
    quantity: Decimal
    price: Decimal
    ts: datetime
    fee: Decimal = ZERO
    broker_order_id: str | None = None

    def __post_init__(self) -> None:
        non_empty_str(self.fill_id, "fill_id")
        if not isinstance(self.client_order_id, ClientOrderId):
            raise ValidationError("client_order_id must be a ClientOrderId", code="TYPE")
        if not isinstance(self.instrument_id, InstrumentId):
            raise ValidationError("instrument_id must be an InstrumentId", code="TYPE")
        # Each value is normalised, and only written back when that changed it (hot path:
        # the paper exchange builds a fill per match, from values that are already right).
        if type(self.side) is not Side:
            _set(self, "side", as_enum(Side, self.side, "side"))
        q, p, fee, ts = self.quantity, self.price, self.fee, self.ts
        if not (type(q) is Decimal and q.is_finite() and q > 0):
            _set(self, "quantity", positive(q, "quantity"))
        if not (type(p) is Decimal and p.is_finite() and p > 0):
            _set(self, "price", positive(p, "price"))
        if not (type(fee) is Decimal and fee.is_finite() and fee >= 0):
            _set(self, "fee", non_negative(fee, "fee"))
        if not (type(ts) is datetime and ts.tzinfo is UTC):
            _set(self, "ts", aware_utc(ts, "ts"))
        if self.broker_order_id is not None:
            non_empty_str(self.broker_order_id, "broker_order_id")

    @property
    def signed_quantity(self) -> Decimal:
        """``+quantity`` for a buy, ``-quantity`` for a sell."""
        return self.quantity if self.side is Side.BUY else -self.quantity

    @property
    def notional(self) -> Decimal:
        """``quantity * price`` (exact; excludes the instrument multiplier)."""
        return EXACT.multiply(self.quantity, self.price)
