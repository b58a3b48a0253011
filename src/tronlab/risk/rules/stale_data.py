"""No entries on stale market data.

In the configured modes (paper and live by default; in a backtest data is never stale) an
entry is denied with ``STALE_DATA`` when the symbol's last bar (``ctx.last_bar_ns[symbol]``,
the bar's end time in ns since the epoch, UTC) is more than ``max_age_seconds`` older than
``ctx.now``, or when the symbol has no bar yet. Exits are never blocked.

``max_age_seconds`` must exceed the bar interval of the series the strategy trades (the
default 120 s suits 1-minute bars).
"""

from __future__ import annotations

import difflib
import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from tronlab.risk.decision import RiskDecision
from tronlab.risk.rules._base import RuleConfig

if TYPE_CHECKING:
    from tronlab.execution.intents import OrderIntent
    from tronlab.risk.context import RuleContext

__all__ = ["MODES", "STALE_DATA", "StaleDataConfig", "StaleDataRule"]

STALE_DATA = "STALE_DATA"
MODES = ("backtest", "paper", "live")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _to_ns(t: datetime) -> int:
    """Exact ns since the epoch of an aware datetime (no float rounding)."""
    d = t - _EPOCH
    return (d.days * 86_400 + d.seconds) * 1_000_000_000 + d.microseconds * 1_000


def _from_ns(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, UTC).isoformat()


class StaleDataConfig(RuleConfig):
    """Config of the stale-data guard."""

    max_age_seconds: float = Field(
        default=120.0,
        description="Largest age of the symbol's last bar, in seconds (> 0), at which "
        "entries are still allowed. Default 120.",
    )
    modes: tuple[str, ...] = Field(
        default=("paper", "live"),
        description="Modes the rule applies in (backtest, paper, live). Default: paper, live.",
    )

    @field_validator("max_age_seconds")
    @classmethod
    def _check_age(cls, v: float) -> float:
        if not (math.isfinite(v) and v > 0):
            raise ValueError(f"max_age_seconds must be a positive number of seconds, got {v}")
        return v

    @field_validator("modes")
    @classmethod
    def _check_modes(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for mode in v:
            if mode not in MODES:
                close = difflib.get_close_matches(mode, MODES, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ValueError(f"unknown mode {mode!r}, expected one of {list(MODES)}{hint}")
        return v


class StaleDataRule:
    """Deny entries when the symbol's last bar is too old (or missing)."""

    name = "stale_data"

    def __init__(self, config: StaleDataConfig) -> None:
        self.config = config
        self.max_age_ns = round(config.max_age_seconds * 1e9)

    def check(self, intent: OrderIntent, ctx: RuleContext) -> RiskDecision | None:
        if not self.config.enabled or not ctx.is_entry or ctx.mode not in self.config.modes:
            return None
        symbol = intent.symbol
        last = ctx.last_bar_ns.get(symbol)
        values: dict[str, Any] = {
            "symbol": symbol,
            "now": ctx.now.isoformat(),
            "mode": ctx.mode,
            "max_age_seconds": self.config.max_age_seconds,
        }
        if last is None:
            return RiskDecision.deny(
                STALE_DATA,
                f"no bar for {symbol} yet: entries wait for data",
                rule=self.name,
                values={**values, "last_bar": None, "age_seconds": None},
            )
        age_ns = _to_ns(ctx.now) - last
        if age_ns <= self.max_age_ns:
            return None
        age_s = age_ns / 1e9
        return RiskDecision.deny(
            STALE_DATA,
            f"data for {symbol} is stale: last bar {age_s:.1f} s old "
            f"(limit {self.config.max_age_seconds:g} s)",
            rule=self.name,
            values={**values, "last_bar": _from_ns(last), "age_seconds": age_s},
        )
