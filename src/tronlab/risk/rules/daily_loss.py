"""Daily loss limit: stop opening positions once today's loss reaches a limit.

Today's PnL is ``ctx.equity - ctx.state.start_equity``: realized plus marked-to-market PnL,
net of fees, because equity is marked. The limit is a currency amount (``max_loss``), a
percentage of the start-of-day equity (``max_loss_pct``) or both, in which case the tighter
(smaller) one applies. A loss *equal* to the limit is a breach.

Calendar-day semantics: the governor resets ``start_equity`` and the trading state at the
first bar of each exchange-local trading day (not a rolling 24-hour window), so a breach lasts
until the next session.

On a breach :meth:`DailyLossRule.check` switches an ACTIVE trading state to REDUCING and
denies entries with ``DAILY_LOSS_LIMIT``; exits stay allowed. The governor also calls
:meth:`DailyLossRule.breached` on every bar, without an intent, to switch to REDUCING (and to
flatten when ``flatten_on_breach`` is set) as soon as the limit is hit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator, model_validator

from tronlab.risk.context import RiskState, TradingState
from tronlab.risk.decision import RiskDecision
from tronlab.risk.rules._base import RuleConfig

if TYPE_CHECKING:
    from tronlab.execution.intents import OrderIntent
    from tronlab.risk.context import RuleContext

__all__ = ["DAILY_LOSS_LIMIT", "DailyLossConfig", "DailyLossRule", "DailyLossStatus"]

DAILY_LOSS_LIMIT = "DAILY_LOSS_LIMIT"

_HUNDRED = Decimal(100)


class DailyLossConfig(RuleConfig):
    """Config of the daily loss limit (at least one of the two limits must be set)."""

    max_loss: Decimal | None = Field(
        default=Decimal(500),
        description="Largest loss allowed today, in the portfolio's currency (> 0). "
        "Default 500; null to use only max_loss_pct.",
    )
    max_loss_pct: float | None = Field(
        default=None,
        description="Largest loss allowed today as a percentage of the start-of-day equity, "
        "in (0, 100] (2.0 means 2 %). Default: none.",
    )
    flatten_on_breach: bool = Field(
        default=False,
        description="Also close every open position when the limit is breached "
        "(the governor issues the orders). Default false: only entries stop.",
    )

    @field_validator("max_loss")
    @classmethod
    def _check_max_loss(cls, v: Decimal | None) -> Decimal | None:
        if v is not None and (not v.is_finite() or v <= 0):
            raise ValueError(
                f"max_loss must be a positive currency amount (e.g. 500), got {v}; "
                "use null to disable it"
            )
        return v

    @field_validator("max_loss_pct")
    @classmethod
    def _check_max_loss_pct(cls, v: float | None) -> float | None:
        if v is not None and not (math.isfinite(v) and 0 < v <= 100):
            raise ValueError(
                f"max_loss_pct must be a percentage in (0, 100] (e.g. 2.0 for 2 %), got {v}; "
                "use null to disable it"
            )
        return v

    @model_validator(mode="after")
    def _check_some_limit(self) -> DailyLossConfig:
        if self.enabled and self.max_loss is None and self.max_loss_pct is None:
            raise ValueError(
                "daily_loss needs max_loss or max_loss_pct (or enabled: false to turn it off)"
            )
        return self


@dataclass(frozen=True)
class DailyLossStatus:
    """Where today's PnL stands against the limit (``limit`` is a positive amount, ``None``
    when no limit can be computed, e.g. only a percentage and no start-of-day equity)."""

    pnl: Decimal
    limit: Decimal | None
    start_equity: Decimal
    equity: Decimal

    @property
    def breached(self) -> bool:
        return self.limit is not None and self.pnl <= -self.limit

    def values(self, config: DailyLossConfig) -> dict[str, Any]:
        """The compared values, JSON-friendly (for the audit)."""
        return {
            "pnl": str(self.pnl),
            "limit": None if self.limit is None else str(self.limit),
            "start_equity": str(self.start_equity),
            "equity": str(self.equity),
            "max_loss": None if config.max_loss is None else str(config.max_loss),
            "max_loss_pct": config.max_loss_pct,
        }


class DailyLossRule:
    """Deny entries once today's loss reaches the limit, and switch the state to REDUCING."""

    name = "daily_loss"

    def __init__(self, config: DailyLossConfig) -> None:
        self.config = config

    def limit(self, start_equity: Decimal) -> Decimal | None:
        """Today's loss limit as a positive amount: the tighter of the two configured limits.

        The percentage limit needs a positive start-of-day equity; without one only
        ``max_loss`` applies (``None`` when that is unset too).
        """
        limits: list[Decimal] = []
        if self.config.max_loss is not None:
            limits.append(self.config.max_loss)
        if self.config.max_loss_pct is not None and start_equity > 0:
            limits.append(start_equity * Decimal(repr(self.config.max_loss_pct)) / _HUNDRED)
        return min(limits) if limits else None

    def status(self, equity: Decimal, state: RiskState) -> DailyLossStatus:
        """Today's PnL (``equity - state.start_equity``) against the limit."""
        return DailyLossStatus(
            pnl=equity - state.start_equity,
            limit=self.limit(state.start_equity),
            start_equity=state.start_equity,
            equity=equity,
        )

    def breached(self, ctx: RuleContext) -> bool:
        """Whether today's loss has reached the limit (``False`` when disabled).

        Pure: reads only ``ctx.equity`` and ``ctx.state`` (the governor may pass a context
        without an instrument); switching the trading state is the caller's job here.
        """
        return self.config.enabled and self.status(ctx.equity, ctx.state).breached

    def check(self, intent: OrderIntent, ctx: RuleContext) -> RiskDecision | None:
        if not self.config.enabled:
            return None
        st = self.status(ctx.equity, ctx.state)
        if not st.breached:
            return None
        if ctx.state.trading_state is TradingState.ACTIVE:
            ctx.state.trading_state = TradingState.REDUCING
        if not ctx.is_entry:
            return None  # exits reduce risk
        return RiskDecision.deny(
            DAILY_LOSS_LIMIT,
            f"daily loss limit reached: today's PnL {st.pnl} <= -{st.limit}; "
            "only exits until the next session",
            rule=self.name,
            values=st.values(self.config),
        )
