"""Cooldown after a streak of losing trades ("locked until T because R", as freqtrade's
protections say it).

The governor keeps ``state.consecutive_losses``: it adds one for every closed trade with a net
loss and resets it to 0 on a closed trade that is not a loss (a win or break-even) and at the
start of each trading day. When the streak reaches ``after_losses`` this rule adds one
:class:`~tronlab.risk.context.Lock` (``rule="cooldown"``, all symbols) until ``now + minutes``,
or until the end of the trading day with ``rest_of_day``, and denies entries with ``COOLDOWN``
while a cooldown lock is active. Exits are never blocked.

One lock per streak length: a lock is not stacked on an active one, and an expired lock is
not renewed while the streak stays the same; a further loss in the same streak (after the
lock expired) locks again. The lock starts when the rule first sees the streak, i.e. at the
next checked intent; a governor that wants it to start at the losing fill calls
:meth:`CooldownRule.maybe_lock` right after updating the counter.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from tronlab.risk.context import Lock, RiskState
from tronlab.risk.decision import RiskDecision
from tronlab.risk.rules._base import RuleConfig

if TYPE_CHECKING:
    from tronlab.execution.intents import OrderIntent
    from tronlab.risk.context import RuleContext

__all__ = ["COOLDOWN", "CooldownConfig", "CooldownRule"]

COOLDOWN = "COOLDOWN"


class CooldownConfig(RuleConfig):
    """Config of the losing-streak cooldown."""

    after_losses: int = Field(
        default=3,
        description="Consecutive losing trades that start a cooldown (>= 1). Default 3.",
    )
    minutes: int = Field(
        default=30,
        description="Length of the cooldown in minutes (>= 1). Default 30.",
    )
    rest_of_day: bool = Field(
        default=False,
        description="Lock until the end of the trading day instead of for `minutes`. "
        "Default false.",
    )

    @field_validator("after_losses")
    @classmethod
    def _check_after_losses(cls, v: int) -> int:
        if v < 1:
            raise ValueError(f"after_losses must be >= 1 (losing trades in a row), got {v}")
        return v

    @field_validator("minutes")
    @classmethod
    def _check_minutes(cls, v: int) -> int:
        if v < 1:
            raise ValueError(
                f"minutes must be >= 1 (cooldown length), got {v}; "
                "use rest_of_day: true for a lock until the end of the day"
            )
        return v


def _reason(losses: int) -> str:
    return f"{losses} consecutive losing trades"


def _until_text(lock: Lock) -> str:
    return "the end of the trading day" if lock.until is None else lock.until.isoformat()


class CooldownRule:
    """Lock entries for a while after ``after_losses`` losing trades in a row."""

    name = "cooldown"

    def __init__(self, config: CooldownConfig) -> None:
        self.config = config
        self._locked_streak: int | None = None  # streak length the last lock was issued for
        self._seen_reset = False  # saw the streak below the threshold in this process

    def active_lock(self, state: RiskState, now: datetime, symbol: str = "") -> Lock | None:
        """The active cooldown lock lasting longest (``None`` if there is none)."""
        active = [
            lk
            for lk in state.locks
            if lk.rule == self.name and lk.active(now, symbol or (lk.symbol or ""))
        ]
        if not active:
            return None
        return max(active, key=lambda lk: (lk.until is None, lk.until or now))

    def maybe_lock(self, state: RiskState, now: datetime) -> Lock | None:
        """Add a cooldown lock to ``state`` if the streak calls for one; return the new lock.

        Idempotent: no lock while another cooldown lock is active, and none twice for the same
        streak length (also after a restart, from the locks kept in the state).
        """
        if not self.config.enabled:
            return None
        losses = state.consecutive_losses
        if losses < self.config.after_losses:
            self._locked_streak = None
            self._seen_reset = True
            return None
        if self.active_lock(state, now) is not None or self._locked_streak == losses:
            return None
        reason = _reason(losses)
        if not self._seen_reset and any(
            lk.rule == self.name and lk.reason == reason for lk in state.locks
        ):
            self._locked_streak = losses  # issued before a restart
            return None
        until = None if self.config.rest_of_day else now + timedelta(minutes=self.config.minutes)
        lock = Lock(rule=self.name, reason=reason, until=until)
        state.locks.append(lock)
        self._locked_streak = losses
        return lock

    def check(self, intent: OrderIntent, ctx: RuleContext) -> RiskDecision | None:
        if not self.config.enabled:
            return None
        self.maybe_lock(ctx.state, ctx.now)
        if not ctx.is_entry:
            return None
        lock = self.active_lock(ctx.state, ctx.now, intent.symbol)
        if lock is None:
            return None
        values: dict[str, Any] = {
            "until": None if lock.until is None else lock.until.isoformat(),
            "reason": lock.reason,
            "consecutive_losses": ctx.state.consecutive_losses,
            "after_losses": self.config.after_losses,
            "now": ctx.now.isoformat(),
        }
        return RiskDecision.deny(
            COOLDOWN,
            f"locked until {_until_text(lock)} because {lock.reason}",
            rule=self.name,
            values=values,
        )
