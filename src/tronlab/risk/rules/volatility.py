"""Volatility filters: no new entries while the market (or the symbol) is too jumpy.

Only entries are checked (``ctx.is_entry``); exits always pass. Three checks, each off until
its threshold is set:

VIX (``VIX_ABOVE_LIMIT``)
    The latest close of the reference series ``vix_symbol`` (``ctx.reference``) above
    ``max_vix``.

ATR% (``ATR_ABOVE_LIMIT``)
    ``ctx.recent`` gives closes only, so the true range is approximated close to close: ATR is
    the simple mean of ``|close[i] - close[i-1]|`` over the last ``atr_period`` changes (from
    ``atr_period + 1`` bars), and ATR% is that over the last close, times 100. It reads lower
    than a high/low ATR (intrabar range and gaps inside a bar are invisible); set
    ``max_atr_pct`` with that in mind.

Fast move (``FAST_MOVE``)
    The closes of the bars that ended within the last ``move_minutes`` (up to
    ``move_minutes * 60 + 1`` bars are fetched, enough down to 1-second bars) and the current
    price (``ctx.price``; the last close when unknown) give a high and a low; the move is the
    larger of the rise from the low to the current price and the fall from the high to it, in
    percent of the low (resp. the high). Above ``max_move_pct`` the entry is denied and a
    :class:`~tronlab.risk.context.Lock` ``(rule="volatility", symbol=intent.symbol,
    until=now + resume_after_minutes)`` is added to the state (replacing an earlier one of this
    rule for the symbol). Resume rule: entries in the symbol resume once the lock has expired
    AND the move condition no longer holds; this rule enforces the lock itself too (denying
    with ``FAST_MOVE``), so it is correct whether or not the governor checks locks first.

Missing data
    A check whose data is missing (no ``vix_symbol`` value in ``ctx.reference``, fewer than
    ``atr_period + 1`` finite closes, fewer than two prices in the move window) is skipped, not
    failed: a data gap must not stop trading by itself (the data-staleness rules cover that).
    The decision is then an APPROVE carrying ``values["skipped"]`` (the names of the skipped
    checks) and the values that were compared, so the audit shows the check did not run.

Values are floats (JSON-friendly); ``None`` marks a value that was not available.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import Field, model_validator

from tronlab.risk.context import Lock
from tronlab.risk.decision import RiskAction, RiskDecision
from tronlab.risk.rules._base import RuleConfig
from tronlab.risk.rules.rate_limit import to_ns

if TYPE_CHECKING:
    from tronlab.execution.intents import OrderIntent
    from tronlab.risk.context import RuleContext

__all__ = ["VolatilityConfig", "VolatilityRule", "close_to_close_atr", "move_pct"]

_MINUTE_NS = 60_000_000_000


class VolatilityConfig(RuleConfig):
    """Config section ``risk.volatility``."""

    vix_symbol: str | None = Field(
        default=None, min_length=1, description="Reference series holding the VIX (ctx.reference)."
    )
    max_vix: float | None = Field(
        default=None, gt=0, allow_inf_nan=False, description="No entries above this VIX."
    )
    atr_period: int = Field(
        default=14, ge=1, description="Close-to-close changes averaged for the ATR proxy."
    )
    max_atr_pct: float | None = Field(
        default=None,
        gt=0,
        allow_inf_nan=False,
        description="No entries while the symbol's ATR% (close-to-close) is above this.",
    )
    max_move_pct: float | None = Field(
        default=None,
        gt=0,
        allow_inf_nan=False,
        description="No entries after a move larger than this within move_minutes.",
    )
    move_minutes: int = Field(default=5, ge=1, description="Window of the fast-move check.")
    resume_after_minutes: int = Field(
        default=15,
        ge=0,
        description="Lock entries in the symbol this long after a fast move (0: no lock).",
    )

    @model_validator(mode="after")
    def _vix_needs_symbol(self) -> VolatilityConfig:
        if self.max_vix is not None and self.vix_symbol is None:
            raise ValueError("max_vix needs vix_symbol (the reference series holding the VIX)")
        return self


def close_to_close_atr(closes: np.ndarray, period: int) -> float | None:
    """Mean ``|close change|`` over the last ``period`` changes; ``None`` with too few closes."""
    c = np.asarray(closes, dtype=float)
    c = c[np.isfinite(c)]
    if len(c) < period + 1:
        return None
    return float(np.mean(np.abs(np.diff(c[-(period + 1) :]))))


def move_pct(prices: np.ndarray, current: float) -> float:
    """The larger of the rise from ``min(prices)`` and the fall from ``max(prices)`` to
    ``current``, in percent (``prices`` should include ``current``)."""
    return _move_between(float(np.max(prices)), float(np.min(prices)), current)


def _move_between(hi: float, lo: float, current: float) -> float:
    """:func:`move_pct` from the window's high and low."""
    up = (current - lo) / lo * 100.0 if lo > 0 else 0.0
    down = (hi - current) / hi * 100.0 if hi > 0 else 0.0
    return max(up, down, 0.0)


def _finite_positive(x: float | None) -> float | None:
    if x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) and v > 0 else None


class VolatilityRule:
    """Deny entries while the VIX, the symbol's ATR% or a recent fast move is too high."""

    name = "volatility"

    def __init__(self, config: VolatilityConfig | None = None) -> None:
        self.config = config or VolatilityConfig()

    def check(self, intent: OrderIntent, ctx: RuleContext) -> RiskDecision | None:
        cfg = self.config
        if not cfg.enabled or not ctx.is_entry:
            return None
        if cfg.max_vix is None and cfg.max_atr_pct is None and cfg.max_move_pct is None:
            return None
        symbol = intent.symbol
        values: dict[str, Any] = {"symbol": symbol}

        for lock in ctx.state.locks:
            if lock.rule == self.name and lock.symbol == symbol and lock.active(ctx.now, symbol):
                until = None if lock.until is None else lock.until.isoformat()
                values["locked_until"] = until
                return RiskDecision.deny(
                    "FAST_MOVE",
                    f"{symbol}: entries locked after a fast move until {until} ({lock.reason})",
                    self.name,
                    values,
                )

        skipped: list[str] = []
        breaches: list[tuple[str, str]] = []

        if cfg.max_vix is not None:
            vix = _finite_positive(ctx.reference.get(cfg.vix_symbol or ""))
            values["vix"] = vix
            values["max_vix"] = cfg.max_vix
            if vix is None:
                skipped.append("vix")
            elif vix > cfg.max_vix:
                breaches.append(
                    ("VIX_ABOVE_LIMIT", f"{cfg.vix_symbol} {vix:g} is above {cfg.max_vix:g}")
                )

        if cfg.max_atr_pct is not None:
            _, closes = ctx.recent(symbol, cfg.atr_period + 1)
            atr = close_to_close_atr(closes, cfg.atr_period)
            last = _finite_positive(float(closes[-1])) if len(closes) else None
            atr_pct = None if atr is None or last is None else atr / last * 100.0
            values["atr_pct"] = atr_pct
            values["max_atr_pct"] = cfg.max_atr_pct
            values["atr_bars"] = len(closes)
            if atr_pct is None:
                skipped.append("atr")
            elif atr_pct > cfg.max_atr_pct:
                breaches.append(
                    (
                        "ATR_ABOVE_LIMIT",
                        f"{symbol} ATR {atr_pct:.3f}% of price (close-to-close, "
                        f"{cfg.atr_period} bars) is above {cfg.max_atr_pct:g}%",
                    )
                )

        if cfg.max_move_pct is not None:
            move = self._move(symbol, ctx, values)
            if move is None:
                skipped.append("move")
            elif move > cfg.max_move_pct:
                reason = (
                    f"{symbol} moved {move:.2f}% within {cfg.move_minutes} min "
                    f"(max {cfg.max_move_pct:g}%)"
                )
                breaches.append(("FAST_MOVE", reason))
                self._lock(symbol, ctx, reason, values)

        if skipped:
            values["skipped"] = skipped
        if breaches:
            values["breaches"] = [code for code, _ in breaches]
            code, message = breaches[0]
            return RiskDecision.deny(code, message, self.name, values)
        if skipped:
            return RiskDecision(
                RiskAction.APPROVE,
                intent.quantity,
                "OK",
                f"not enough data for: {', '.join(skipped)}; check skipped",
                self.name,
                values,
            )
        return None

    def _move(self, symbol: str, ctx: RuleContext, values: dict[str, Any]) -> float | None:
        cfg = self.config
        now_ns = to_ns(ctx.now)
        start_ns = now_ns - cfg.move_minutes * _MINUTE_NS
        ends, closes = ctx.recent(symbol, cfg.move_minutes * 60 + 1)
        ends = np.asarray(ends, dtype=np.int64)
        closes = np.asarray(closes, dtype=float)
        keep = (ends >= start_ns) & (ends <= now_ns) & np.isfinite(closes) & (closes > 0)
        window = closes[keep]
        current = _finite_positive(ctx.price)
        values["move_bars"] = len(window)
        values["max_move_pct"] = cfg.max_move_pct
        values["move_minutes"] = cfg.move_minutes
        if len(window) + (current is not None) < 2:
            values["move_pct"] = None
            return None
        # The prices are the window (never empty here) plus the current price when known,
        # all finite and > 0: their high and low, once, without building the joined array.
        hi = float(window.max())
        lo = float(window.min())
        if current is None:
            cur = float(window[-1])
        else:
            cur = current
            hi, lo = max(hi, cur), min(lo, cur)
        move = _move_between(hi, lo, cur)
        values["move_pct"] = move
        values["window_high"] = hi
        values["window_low"] = lo
        values["current_price"] = cur
        return move

    def _lock(self, symbol: str, ctx: RuleContext, reason: str, values: dict[str, Any]) -> None:
        minutes = self.config.resume_after_minutes
        if minutes <= 0:
            return
        until = ctx.now + timedelta(minutes=minutes)
        locks = ctx.state.locks
        locks[:] = [lk for lk in locks if not (lk.rule == self.name and lk.symbol == symbol)]
        locks.append(Lock(rule=self.name, reason=reason, until=until, symbol=symbol))
        values["locked_until"] = until.isoformat()
