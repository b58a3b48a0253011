"""Maximum entries per day, overall and per strategy.

An entry is an intent that increases the absolute position (``ctx.is_entry``); exits are never
counted nor blocked. The counts are ``state.entries`` and
``state.entries_by_strategy[strategy_id]``: entries already approved today. The governor
increments them after an entry is finally approved (so an approved entry counts even if it is
never filled) and resets them at the start of each trading day.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field, ValidationInfo, field_validator

from tronlab.risk.decision import RiskDecision
from tronlab.risk.rules._base import RuleConfig

if TYPE_CHECKING:
    from tronlab.execution.intents import OrderIntent
    from tronlab.risk.context import RuleContext

__all__ = [
    "MAX_ENTRIES_PER_DAY",
    "MAX_ENTRIES_PER_STRATEGY",
    "MaxEntriesConfig",
    "MaxEntriesRule",
]

MAX_ENTRIES_PER_DAY = "MAX_ENTRIES_PER_DAY"
MAX_ENTRIES_PER_STRATEGY = "MAX_ENTRIES_PER_STRATEGY"


class MaxEntriesConfig(RuleConfig):
    """Config of the entry caps. A cap of 0 blocks every entry it applies to."""

    max_per_day: int | None = Field(
        default=3,
        description="Entries allowed per trading day across all strategies (>= 0). "
        "Default 3; null for no overall cap.",
    )
    per_strategy: dict[str, int] = Field(
        default_factory=dict,
        description="Entries allowed per day for a strategy id (>= 0), e.g. {'orb': 2}. "
        "Default: none.",
    )
    default_per_strategy: int | None = Field(
        default=None,
        description="Cap for strategies not listed in per_strategy (>= 0). Default: none.",
    )

    @field_validator("max_per_day", "default_per_strategy")
    @classmethod
    def _check_cap(cls, v: int | None, info: ValidationInfo) -> int | None:
        if v is not None and v < 0:
            raise ValueError(
                f"{info.field_name} must be >= 0 (entries per day), got {v}; null for no cap"
            )
        return v

    @field_validator("per_strategy")
    @classmethod
    def _check_per_strategy(cls, v: dict[str, int]) -> dict[str, int]:
        for strategy, cap in v.items():
            if cap < 0:
                raise ValueError(
                    f"per_strategy[{strategy!r}] must be >= 0 (entries per day), got {cap}"
                )
        return v


class MaxEntriesRule:
    """Deny an entry when today's overall or per-strategy entry count reached its cap."""

    name = "max_entries"

    def __init__(self, config: MaxEntriesConfig) -> None:
        self.config = config

    def strategy_cap(self, strategy_id: str) -> int | None:
        """The daily cap of ``strategy_id`` (``None``: uncapped)."""
        return self.config.per_strategy.get(strategy_id, self.config.default_per_strategy)

    def check(self, intent: OrderIntent, ctx: RuleContext) -> RiskDecision | None:
        if not self.config.enabled or not ctx.is_entry:
            return None
        state = ctx.state
        cap = self.config.max_per_day
        if cap is not None and state.entries >= cap:
            return RiskDecision.deny(
                MAX_ENTRIES_PER_DAY,
                f"{state.entries} entries today, the daily cap is {cap}",
                rule=self.name,
                values={"entries": state.entries, "max_per_day": cap},
            )
        sid = intent.strategy_id
        scap = self.strategy_cap(sid)
        done = state.entries_by_strategy.get(sid, 0)
        if scap is not None and done >= scap:
            return RiskDecision.deny(
                MAX_ENTRIES_PER_STRATEGY,
                f"strategy {sid!r} has {done} entries today, its daily cap is {scap}",
                rule=self.name,
                values={"strategy_id": sid, "entries": done, "cap": scap},
            )
        return None
