"""Order intents: what a strategy asks for, before risk and the order manager act on it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from tronlab.model import OrderType, Product, Side, TimeInForce
from tronlab.model.fastinit import fast_frozen_init

_NEEDS_LIMIT = frozenset(t for t in OrderType if t.needs_limit_price)
_NEEDS_STOP = frozenset(t for t in OrderType if t.needs_stop_price)


class IntentError(ValueError):
    """An order call with invalid arguments (raised to the strategy at the call site)."""


@fast_frozen_init
@dataclass(frozen=True)
class OrderIntent:
    """One order a strategy wants, with the reason it gives and how sure it is.

    ``rationale`` and ``confidence`` are stored with the order: they are the seed of the
    decision journal.
    """

    symbol: str
    side: Side
    quantity: Decimal
    order_type: OrderType = OrderType.MARKET
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    tif: TimeInForce = TimeInForce.DAY
    product: Product | None = None
    rationale: str = ""
    confidence: float | None = None
    strategy_id: str = ""
    reduce_only: bool = False
    tag: str = ""

    def __post_init__(self) -> None:
        if self.quantity <= 0:
            raise IntentError(f"quantity must be positive, got {self.quantity}")
        if self.confidence is not None and not (
            math.isfinite(self.confidence) and 0.0 <= self.confidence <= 1.0
        ):
            raise IntentError(f"confidence must be within [0, 1], got {self.confidence}")
        if self.limit_price is None and self.order_type in _NEEDS_LIMIT:
            raise IntentError(f"{self.order_type} order needs a limit price")
        if self.stop_price is None and self.order_type in _NEEDS_STOP:
            raise IntentError(f"{self.order_type} order needs a stop price")
