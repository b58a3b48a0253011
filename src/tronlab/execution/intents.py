"""Order intents: what a strategy asks for, before risk and the order manager act on it."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

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


class ComboKind(StrEnum):
    """The shape of a multi-leg order (the builders are in :mod:`tronlab.execution.combos`)."""

    STRADDLE = "straddle"
    STRANGLE = "strangle"
    VERTICAL = "vertical"
    IRON_CONDOR = "iron_condor"
    CUSTOM = "custom"


@dataclass(frozen=True)
class MultiLegIntent:
    """Several orders that stand or fall together: the risk governor accepts all legs or
    refuses all of them, with one decision, and margin is computed for the combination.

    ``legs`` hold one order per symbol (no symbol twice); ``strategy`` names the shape;
    ``rationale`` and ``confidence`` describe the whole combination (each leg keeps its own
    too). The engine sends the legs that buy before those that sell, so a hedge is in place
    when the exchange checks the funds of the legs it protects.
    """

    legs: tuple[OrderIntent, ...]
    strategy: ComboKind = ComboKind.CUSTOM
    rationale: str = ""
    confidence: float | None = None
    strategy_id: str = ""

    def __post_init__(self) -> None:
        legs = tuple(self.legs)
        object.__setattr__(self, "legs", legs)
        object.__setattr__(self, "strategy", ComboKind(self.strategy))
        if not legs:
            raise IntentError("a multi-leg order needs at least one leg")
        if not all(isinstance(leg, OrderIntent) for leg in legs):
            raise IntentError("every leg of a multi-leg order must be an OrderIntent")
        symbols = [leg.symbol for leg in legs]
        if len(set(symbols)) != len(symbols):
            raise IntentError(f"a multi-leg order trades each symbol once, got {symbols}")
        if self.confidence is not None and not (
            math.isfinite(self.confidence) and 0.0 <= self.confidence <= 1.0
        ):
            raise IntentError(f"confidence must be within [0, 1], got {self.confidence}")

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(leg.symbol for leg in self.legs)

    def for_strategy(self, strategy_id: str) -> MultiLegIntent:
        """The same combination with ``strategy_id`` on it and on every leg."""
        legs = tuple(replace(leg, strategy_id=strategy_id) for leg in self.legs)
        return replace(self, legs=legs, strategy_id=strategy_id)

    def submission_order(self) -> tuple[OrderIntent, ...]:
        """The legs in the order they are sent: buys first, then sells (stable otherwise)."""
        return tuple(sorted(self.legs, key=lambda leg: leg.side is not Side.BUY))
