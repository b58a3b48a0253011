"""Order intents: what a strategy asks for, before risk and the order manager act on it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from tronlab.model import OrderType, Product, Side, TimeInForce


class IntentError(ValueError):
    """An order call with invalid arguments (raised to the strategy at the call site)."""


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
        if self.order_type.needs_limit_price and self.limit_price is None:
            raise IntentError(f"{self.order_type} order needs a limit price")
        if self.order_type.needs_stop_price and self.stop_price is None:
            raise IntentError(f"{self.order_type} order needs a stop price")
