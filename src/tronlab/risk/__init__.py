"""Pre-trade risk: the governor every order intent passes through (rules come in issue 4)."""

from tronlab.risk.governor import (
    PassThroughRisk,
    RiskAction,
    RiskDecision,
    RiskGovernor,
    RiskView,
)

__all__ = ["PassThroughRisk", "RiskAction", "RiskDecision", "RiskGovernor", "RiskView"]
