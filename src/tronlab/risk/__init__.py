"""Pre-trade risk: the governor every order intent passes through, its rules and sizing."""

from tronlab.risk.context import Lock, RiskState, Rule, RuleContext, TradingState
from tronlab.risk.decision import (
    MarketView,
    PassThroughRisk,
    PreTradeRisk,
    RiskAction,
    RiskDecision,
)
from tronlab.risk.governor import RiskGovernor

__all__ = [
    "Lock",
    "MarketView",
    "PassThroughRisk",
    "PreTradeRisk",
    "RiskAction",
    "RiskDecision",
    "RiskGovernor",
    "RiskState",
    "Rule",
    "RuleContext",
    "TradingState",
]
