"""Executions reported by a venue (or the paper broker)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
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
from tronlab.model.identifiers import ClientOrderId, InstrumentId


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
        object.__setattr__(self, "side", as_enum(Side, self.side, "side"))
        object.__setattr__(self, "quantity", positive(self.quantity, "quantity"))
        object.__setattr__(self, "price", positive(self.price, "price"))
        object.__setattr__(self, "fee", non_negative(self.fee, "fee"))
        object.__setattr__(self, "ts", aware_utc(self.ts, "ts"))
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
