"""The mandatory pre-trade hop: every order intent is approved, resized or denied here.

The engine calls :meth:`RiskGovernor.check` for each intent before the order manager sees it,
in every mode (backtest, paper, live). A denial is returned as a decision with a
machine-readable reason code, never raised; the engine turns it into an event for the strategy
and the journal. :class:`PassThroughRisk` approves everything and is the default until the
rules of issue 4 exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from tronlab.execution.intents import OrderIntent
    from tronlab.model import Portfolio


class RiskAction(StrEnum):
    APPROVE = "approve"
    RESIZE = "resize"
    DENY = "deny"


@dataclass(frozen=True)
class RiskDecision:
    """The governor's answer for one intent."""

    action: RiskAction
    quantity: Decimal
    reason_code: str = "OK"
    message: str = ""
    rule: str = ""

    @classmethod
    def approve(cls, quantity: Decimal) -> RiskDecision:
        return cls(RiskAction.APPROVE, quantity)

    @classmethod
    def deny(cls, reason_code: str, message: str, rule: str = "") -> RiskDecision:
        return cls(RiskAction.DENY, Decimal(0), reason_code, message, rule)

    @property
    def allowed(self) -> bool:
        return self.action is not RiskAction.DENY and self.quantity > 0


@dataclass(frozen=True)
class RiskView:
    """What the governor may look at when it decides (read-only)."""

    now: datetime
    portfolio: Portfolio
    last_prices: dict[str, float]


class RiskGovernor(Protocol):
    """Approve, resize or deny an order intent."""

    def check(self, intent: OrderIntent, view: RiskView) -> RiskDecision: ...


class PassThroughRisk:
    """Approves every intent unchanged (the default until rules are configured)."""

    def check(self, intent: OrderIntent, view: RiskView) -> RiskDecision:
        return RiskDecision.approve(intent.quantity)
