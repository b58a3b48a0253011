"""The order request: what to trade, validated against its instrument before it exists."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from tronlab.model._values import as_enum, aware_utc, non_empty_str
from tronlab.model.enums import OrderType, Product, Side, TimeInForce
from tronlab.model.errors import InvalidOrder, InvalidOrderCode, ValidationError
from tronlab.model.fastinit import fast_frozen_init
from tronlab.model.identifiers import ClientOrderId, InstrumentId
from tronlab.model.instruments import Instrument

_set = object.__setattr__
_NEEDS_LIMIT = frozenset(t for t in OrderType if t.needs_limit_price)
_NEEDS_STOP = frozenset(t for t in OrderType if t.needs_stop_price)


@fast_frozen_init
@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRequest:
    """What to trade, validated against the instrument's rules.

    Parameters
    ----------
    client_order_id
        Platform id (interfaces.md 7.5), unique for ever.
    instrument
        The instrument; its tick, lot and step rules are enforced here.
    side
        BUY or SELL.
    quantity
        Units (not lots), > 0, a multiple of the lot size and quantity step.
    order_type
        MARKET, LIMIT, STOP or STOP_LIMIT.
    created_at
        When the decision was taken (from the injected clock), tz-aware.
    limit_price
        Required for LIMIT and STOP_LIMIT, forbidden otherwise; on tick.
    stop_price
        Trigger price; required for STOP and STOP_LIMIT, forbidden otherwise; on tick.
    tif
        DAY (default), IOC or GTC. An intraday product (MIS) cannot be GTC.
    product
        MIS, CNC or NRML for Kite; ``None`` where the broker has no product (Alpaca).
    strategy_id
        Strategy that decided the trade (``""`` for manual orders).
    signal_id
        Idempotency key of the signal behind the order, if any.
    rationale
        Why the order exists, in words: the seed of the decision journal.
    confidence
        The decider's confidence in ``[0, 1]``, or ``None``.
    reduce_only
        Whether the order may only reduce an existing position.

    Raises
    ------
    InvalidOrder
        Subcode QTY/LOT (quantity), PRICE/TICK (prices, and prices required or forbidden by
        the type), UNSUPPORTED_TIF, NOT_TRADABLE.
    ValidationError
        For other bad values (naive ``created_at``, confidence outside [0, 1], ...).
    """

    client_order_id: ClientOrderId
    instrument: Instrument
    side: Side
    quantity: Decimal
    order_type: OrderType
    created_at: datetime
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    tif: TimeInForce = TimeInForce.DAY
    product: Product | None = None
    strategy_id: str = ""
    signal_id: str | None = None
    rationale: str = ""
    confidence: float | None = None
    reduce_only: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.client_order_id, ClientOrderId):
            raise ValidationError("client_order_id must be a ClientOrderId", code="TYPE")
        inst = self.instrument
        if not isinstance(inst, Instrument):
            raise ValidationError("instrument must be an Instrument", code="TYPE")
        if not inst.tradable:
            raise InvalidOrder(f"{inst.id} is not tradable", subcode=InvalidOrderCode.NOT_TRADABLE)
        # Values are normalised and written back only when that changed them (every order
        # passes here; the engine's values are usually right already).
        if type(self.side) is not Side:
            _set(self, "side", as_enum(Side, self.side, "side"))
        order_type = self.order_type
        if type(order_type) is not OrderType:
            order_type = as_enum(OrderType, order_type, "order_type")
            _set(self, "order_type", order_type)
        if type(self.tif) is not TimeInForce:
            _set(self, "tif", as_enum(TimeInForce, self.tif, "tif"))
        if self.product is not None and type(self.product) is not Product:
            _set(self, "product", as_enum(Product, self.product, "product"))
        created_at = self.created_at
        if not (type(created_at) is datetime and created_at.tzinfo is UTC):
            _set(self, "created_at", aware_utc(created_at, "created_at"))
        quantity = inst.validate_quantity(self.quantity)
        if quantity is not self.quantity:
            _set(self, "quantity", quantity)
        for name, needed in (
            ("limit_price", order_type in _NEEDS_LIMIT),
            ("stop_price", order_type in _NEEDS_STOP),
        ):
            value = getattr(self, name)
            if needed and value is None:
                raise InvalidOrder(
                    f"{order_type} order needs a {name}", subcode=InvalidOrderCode.PRICE
                )
            if not needed and value is not None:
                raise InvalidOrder(
                    f"{order_type} order must not have a {name}", subcode=InvalidOrderCode.PRICE
                )
            if value is not None:
                price = inst.validate_price(value, name)
                if price is not value:
                    _set(self, name, price)
        if self.product is Product.MIS and self.tif is TimeInForce.GTC:
            raise InvalidOrder(
                "an intraday (MIS) order cannot be GTC", subcode=InvalidOrderCode.UNSUPPORTED_TIF
            )
        if not isinstance(self.strategy_id, str) or not isinstance(self.rationale, str):
            raise ValidationError("strategy_id and rationale must be str", code="TYPE")
        if self.signal_id is not None:
            non_empty_str(self.signal_id, "signal_id")
        c = self.confidence
        if c is not None and (
            isinstance(c, bool)
            or not isinstance(c, int | float)
            or not math.isfinite(c)
            or not 0 <= c <= 1
        ):
            raise ValidationError(f"confidence must be in [0, 1] or None, got {c!r}")
        if not isinstance(self.reduce_only, bool):
            raise ValidationError("reduce_only must be a bool", code="TYPE")

    @property
    def instrument_id(self) -> InstrumentId:
        """The instrument's id."""
        return self.instrument.id
