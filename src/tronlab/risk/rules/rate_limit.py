"""Order rate limits (Zerodha: 10 orders/s, 400/min, 5000/day per user; interfaces.md 1.9).

Applies to every order, entries and exits alike: the broker counts them all, and going over
gets HTTP 429 and, repeated, an RMS block.

The second and minute windows are sliding: an order at ``ctx.now`` is admitted when fewer than
the cap of earlier orders lie in ``(now - 1 s, now]`` (resp. ``(now - 60 s, now]``); orders
stamped after ``now`` (a clock step back) count too. The history is
``ctx.state.order_times_ns``, the ns timestamps of approved orders in the order they were
approved, which the governor appends after each approval (this rule only reads and prunes it).
The day cap counts ``ctx.state.orders_today`` (reset by the governor at the session change).

The caps used are ``floor(limit * headroom)`` (at least 1): interfaces.md 7.7 recommends pacing
live trading at 80-90% of the documented limits (``headroom`` 0.8-0.9); the default 1.0 uses
them in full. Denials give ``RATE_LIMIT_SECOND`` / ``RATE_LIMIT_MINUTE`` / ``RATE_LIMIT_DAY``
(the longest wait when several are hit) with the instant a slot frees up in the message and in
``values["retry_at"]`` (ISO 8601 UTC; ``None`` for the day cap, which waits for the next session).

The broker also counts modifications and cancellations, which do not pass through here: keep
``headroom`` below 1 when a strategy modifies orders often.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any

from pydantic import Field

from tronlab.risk.decision import RiskDecision
from tronlab.risk.rules._base import RuleConfig

if TYPE_CHECKING:
    from tronlab.execution.intents import OrderIntent
    from tronlab.risk.context import RiskState, RuleContext

__all__ = ["RateLimitConfig", "RateLimitRule", "from_ns", "prune", "to_ns", "window_slot"]

SECOND_NS = 1_000_000_000
MINUTE_NS = 60 * SECOND_NS
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def to_ns(when: datetime) -> int:
    """Nanoseconds since the Unix epoch of a tz-aware datetime (exact, no float)."""
    return ((when - _EPOCH) // _US) * 1000


def from_ns(ns: int) -> datetime:
    """The UTC datetime of ``ns`` nanoseconds since the epoch, rounded up to the microsecond
    (so a "retry at" instant is never before the slot is free)."""
    return _EPOCH + timedelta(microseconds=-(-ns // 1000))


def prune(state: RiskState, now_ns: int) -> int:
    """Drop order timestamps at or before ``now_ns - 60 s`` (no window looks further back).

    Pops from the left of the deque while the oldest is stale: O(1) amortised per order, since
    every timestamp is popped at most once. Assumes timestamps were appended in time order.
    Returns how many were dropped.
    """
    times = state.order_times_ns
    cutoff = now_ns - MINUTE_NS
    dropped = 0
    while times and times[0] <= cutoff:
        times.popleft()
        dropped += 1
    return dropped


def window_slot(
    newest_first: Iterable[int], now_ns: int, width_ns: int, cap: int
) -> tuple[int, int | None]:
    """Count the orders in ``(now - width, now]`` (and later), at most ``cap`` of them.

    ``newest_first`` iterates the timestamps from the newest back. Returns the count (capped at
    ``cap``) and, when the window is full, the instant (ns) at which the oldest order that keeps
    it full leaves it, i.e. when a new order would be admitted; ``None`` when there is room.
    """
    cutoff = now_ns - width_ns
    count = 0
    for t in newest_first:
        if t <= cutoff:
            break
        count += 1
        if count >= cap:
            return count, t + width_ns
    return count, None


def _cap(limit: int, headroom: float) -> int:
    scaled = (Decimal(limit) * Decimal(str(headroom))).to_integral_value(rounding=ROUND_FLOOR)
    return max(1, int(scaled))


class RateLimitConfig(RuleConfig):
    """Config section ``risk.rate_limit``."""

    per_second: int = Field(default=10, gt=0, description="Orders per sliding second.")
    per_minute: int = Field(default=400, gt=0, description="Orders per sliding minute.")
    per_day: int = Field(default=5000, gt=0, description="Orders per trading day.")
    headroom: float = Field(
        default=1.0,
        gt=0,
        le=1,
        allow_inf_nan=False,
        description="Fraction of the limits to use (0.8-0.9 recommended live).",
    )

    @property
    def caps(self) -> tuple[int, int, int]:
        """The effective (second, minute, day) caps after ``headroom``."""
        h = self.headroom
        return _cap(self.per_second, h), _cap(self.per_minute, h), _cap(self.per_day, h)


class RateLimitRule:
    """Deny orders that would exceed the per-second, per-minute or per-day order caps."""

    name = "rate_limit"

    def __init__(self, config: RateLimitConfig | None = None) -> None:
        self.config = config or RateLimitConfig()
        self._caps: tuple[RateLimitConfig, tuple[int, int, int]] | None = None

    def caps(self) -> tuple[int, int, int]:
        """``config.caps``, computed once per config (the config is frozen)."""
        cfg = self.config
        cached = self._caps
        if cached is None or cached[0] is not cfg:
            cached = self._caps = (cfg, cfg.caps)
        return cached[1]

    def check(self, intent: OrderIntent, ctx: RuleContext) -> RiskDecision | None:
        cfg = self.config
        if not cfg.enabled:
            return None
        state = ctx.state
        now_ns = to_ns(ctx.now)
        prune(state, now_ns)
        sec_cap, min_cap, day_cap = self.caps()
        times = state.order_times_ns
        sec_count, sec_free = window_slot(reversed(times), now_ns, SECOND_NS, sec_cap)
        min_count, min_free = window_slot(reversed(times), now_ns, MINUTE_NS, min_cap)
        if sec_free is None and min_free is None and state.orders_today < day_cap:
            return None  # room everywhere (the values below only go with a denial)
        values: dict[str, Any] = {
            "symbol": intent.symbol,
            "orders_last_second": sec_count,
            "orders_last_minute": min_count,
            "orders_today": state.orders_today,
            "per_second": sec_cap,
            "per_minute": min_cap,
            "per_day": day_cap,
        }
        if state.orders_today >= day_cap:
            values["retry_at"] = None
            return RiskDecision.deny(
                "RATE_LIMIT_DAY",
                f"{state.orders_today} orders today, the daily cap is {day_cap}: "
                "no more orders until the next session",
                self.name,
                values,
            )
        hits = [
            (free, code, label, cap)
            for free, code, label, cap in (
                (min_free, "RATE_LIMIT_MINUTE", "minute", min_cap),
                (sec_free, "RATE_LIMIT_SECOND", "second", sec_cap),
            )
            if free is not None
        ]
        if not hits:
            return None
        free_ns, code, label, cap = max(hits, key=lambda h: h[0])
        retry = from_ns(free_ns)
        values["retry_at"] = retry.isoformat()
        wait = (free_ns - now_ns) / SECOND_NS
        return RiskDecision.deny(
            code,
            f"{cap} orders in the last {label} (cap {cap}); a slot frees at "
            f"{retry.isoformat()} (in {wait:.3f} s)",
            self.name,
            values,
        )
