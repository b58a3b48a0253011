"""Risk configuration: one typed section per rule, named profiles, and the governor factory.

Profiles (``--profile`` on ``backtest`` and ``paper``):

* ``tron-default``: capital ₹1,00,000, daily loss ₹500, 3 entries a day, entry cutoff 15:00
  (and never in a session's last 30 minutes), square-off 15:20 (equity) / 15:25 (F&O) and
  never later than 10 / 5 minutes before a session's close (sessions that close early: a
  special session closing at 12:30 squares off at 12:20 / 12:25), Zerodha's order-rate limits;
* ``production``: capital ₹10,00,000, daily loss ₹5,000, the rest as tron-default;
* ``research``: no rules at all (only the kill switch): for raw strategy studies.

For futures and options two more sections apply: ``margin`` (on, except in ``research``:
F&O margin and premium within 90% of the collateral) and ``greeks`` (off in every profile:
limits on the net delta and short vega per underlying, see :mod:`tronlab.risk.rules.greeks`).

A YAML ``risk:`` section (or a file) overrides any field of a profile.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tronlab.risk.context import RiskState, Rule
from tronlab.risk.governor import AuditRecord, RiskGovernor
from tronlab.risk.rules.cooldown import CooldownConfig, CooldownRule
from tronlab.risk.rules.daily_loss import DailyLossConfig, DailyLossRule
from tronlab.risk.rules.entries import MaxEntriesConfig, MaxEntriesRule
from tronlab.risk.rules.fat_finger import FatFingerConfig, FatFingerRule
from tronlab.risk.rules.greeks import GreeksConfig, GreeksRule
from tronlab.risk.rules.limits import PositionLimitsConfig, PositionLimitsRule
from tronlab.risk.rules.margin import MarginConfig, MarginRule
from tronlab.risk.rules.rate_limit import RateLimitConfig, RateLimitRule
from tronlab.risk.rules.stale_data import StaleDataConfig, StaleDataRule
from tronlab.risk.rules.time_windows import (
    EntryWindowConfig,
    EntryWindowRule,
    SquareOffConfig,
    square_off_offsets,
    square_off_schedule,
)
from tronlab.risk.rules.volatility import VolatilityConfig, VolatilityRule


class RiskConfig(BaseModel):
    """Every rule's section; a disabled section (``enabled: false``) is skipped."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    profile: str = Field(default="custom", description="Name of the profile this came from.")
    capital: Decimal | None = Field(
        default=None, description="Capital of the profile (the initial cash unless given)."
    )
    kill_switch: bool = Field(default=False, description="Start halted (flatten, no orders).")
    stale_data: StaleDataConfig = StaleDataConfig()
    entry_window: EntryWindowConfig = EntryWindowConfig()
    daily_loss: DailyLossConfig = DailyLossConfig()
    cooldown: CooldownConfig = CooldownConfig()
    entries: MaxEntriesConfig = MaxEntriesConfig()
    volatility: VolatilityConfig = VolatilityConfig()
    rate_limit: RateLimitConfig = RateLimitConfig()
    fat_finger: FatFingerConfig = FatFingerConfig()
    limits: PositionLimitsConfig = PositionLimitsConfig()
    margin: MarginConfig = MarginConfig()
    greeks: GreeksConfig = GreeksConfig()
    square_off: SquareOffConfig = SquareOffConfig()

    def rules(self) -> list[Rule]:
        """The enabled rules in checking order: cheap gates first, resizing limits last."""
        built: list[Rule] = []
        pairs: list[tuple[Any, Callable[[Any], Rule]]] = [
            (self.stale_data, StaleDataRule),
            (self.entry_window, EntryWindowRule),
            (self.daily_loss, DailyLossRule),
            (self.cooldown, CooldownRule),
            (self.entries, MaxEntriesRule),
            (self.volatility, VolatilityRule),
            (self.rate_limit, RateLimitRule),
            (self.fat_finger, FatFingerRule),
            (self.limits, PositionLimitsRule),
            (self.margin, MarginRule),
            (self.greeks, GreeksRule),
        ]
        for section, rule in pairs:
            if section.enabled:
                built.append(rule(section))
        return built


_OFF: dict[str, Any] = {"enabled": False}

PROFILES: dict[str, dict[str, Any]] = {
    "tron-default": {
        "capital": Decimal(100_000),
        "daily_loss": {"max_loss": Decimal(500)},
        "entries": {"max_per_day": 3},
        "entry_window": {"entry_cutoff": "15:00", "cutoff_before_close_minutes": 30},
        "square_off": {
            "times": {"EQ": "15:20", "FUT": "15:25", "OPT": "15:25"},
            "before_close_minutes": {"EQ": 10, "FUT": 5, "OPT": 5},
        },
    },
    "production": {
        "capital": Decimal(1_000_000),
        "daily_loss": {"max_loss": Decimal(5_000)},
        "entries": {"max_per_day": 3},
        "entry_window": {"entry_cutoff": "15:00", "cutoff_before_close_minutes": 30},
        "square_off": {
            "times": {"EQ": "15:20", "FUT": "15:25", "OPT": "15:25"},
            "before_close_minutes": {"EQ": 10, "FUT": 5, "OPT": 5},
        },
    },
    "research": {
        name: _OFF
        for name in (
            "stale_data",
            "entry_window",
            "daily_loss",
            "cooldown",
            "entries",
            "volatility",
            "rate_limit",
            "fat_finger",
            "limits",
            "margin",
            "greeks",
            "square_off",
        )
    },
}


def risk_profile(name: str, overrides: dict[str, Any] | None = None) -> RiskConfig:
    """The named profile with ``overrides`` (nested dicts) applied; unknown keys are errors."""
    base = PROFILES.get(name)
    if base is None:
        raise ValueError(f"unknown risk profile {name!r}; profiles: {', '.join(PROFILES)}")
    merged = _merge({"profile": name, **base}, overrides or {})
    return RiskConfig.model_validate(merged)


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for key, value in b.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def build_governor(
    config: RiskConfig,
    *,
    audit: Callable[[AuditRecord], None] | None = None,
    persist: Callable[[RiskState], None] | None = None,
    kill_switch: Callable[[], tuple[bool, str]] | None = None,
    state: RiskState | None = None,
) -> RiskGovernor:
    """A :class:`RiskGovernor` with ``config``'s rules, square-off and daily-loss watch."""
    rules = config.rules()
    daily = next((r for r in rules if isinstance(r, DailyLossRule)), None)
    if kill_switch is None and config.kill_switch:

        def kill_switch() -> tuple[bool, str]:
            return True, "kill_switch set in the risk configuration"

    return RiskGovernor(
        rules,
        square_off=square_off_schedule(config.square_off),
        square_off_before_close=square_off_offsets(config.square_off),
        daily_loss=daily,
        audit=audit,
        persist=persist,
        kill_switch=kill_switch,
        state=state,
    )
