"""``scalp``: one-minute momentum scalps on a fast/slow EMA cross with an RSI filter.

Indicators on the signal symbol's base bars: EMA(close, ``fast``), EMA(close, ``slow``),
RSI(close, ``rsi_period``) and the ATR.

* long when the fast EMA crosses above the slow one on this bar (``fast > slow`` now,
  ``fast <= slow`` on the previous bar) and ``rsi_min <= RSI <= rsi_max`` (momentum, not yet
  stretched); short when it crosses below and ``100 - rsi_max <= RSI <= 100 - rsi_min``;
* stop ``stop_atr`` ATRs and target ``target_atr`` ATRs from the close (tight: fractions of
  an ATR); time stop after ``max_bars`` bars;
* strength: ``|fast - slow| / (0.1 * ATR) + (|RSI - 50| - (rsi_min - 50)) / 10`` (the gap
  the cross opened, and how far the RSI is past its threshold).

See :mod:`tronlab.strategy.library._intraday` for the shared entry gate and exit rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from tronlab.features import EMA, RSI
from tronlab.strategy.bars import Bar
from tronlab.strategy.base import Context
from tronlab.strategy.library._intraday import IntradayStrategy, Signal, SymbolState, fmt
from tronlab.strategy.params import Param, ParamError
from tronlab.strategy.registry import register


@dataclass
class _ScalpData:
    fast: EMA
    slow: EMA
    rsi: RSI
    prev_sign: int | None = None  # sign of fast - slow on the previous bar


@register
class MomentumScalp(IntradayStrategy):
    """EMA-cross momentum scalps with an RSI filter, tight ATR stops and a time stop."""

    name = "scalp"
    fast = Param(int, 5, low=2, high=50, doc="fast EMA length in bars")
    slow = Param(int, 13, low=3, high=200, doc="slow EMA length in bars")
    rsi_period = Param(int, 7, low=2, high=50, doc="RSI length in bars")
    rsi_min = Param(float, 55.0, low=50.0, high=95.0, doc="long: RSI at least this")
    rsi_max = Param(float, 80.0, low=55.0, high=100.0, doc="long: RSI at most this")
    stop_atr = Param(float, 0.5, low=0.05, high=5.0, doc="stop distance in ATRs")
    target_atr = Param(float, 1.0, low=0.05, high=10.0, doc="target distance in ATRs")
    max_bars = Param(int, 10, low=0, high=375, doc="time stop in bars held (0: off)")

    def validate(self) -> None:
        super().validate()
        if self.fast >= self.slow:
            raise ParamError(f"scalp: fast ({self.fast}) must be below slow ({self.slow})")
        if self.rsi_min >= self.rsi_max:
            raise ParamError(
                f"scalp: rsi_min ({self.rsi_min}) must be below rsi_max ({self.rsi_max})"
            )

    def setup(self, ctx: Context, symbol: str) -> _ScalpData:
        return _ScalpData(
            ctx.indicator(symbol, EMA(self.fast)),
            ctx.indicator(symbol, EMA(self.slow)),
            ctx.indicator(symbol, RSI(self.rsi_period)),
        )

    def signal(self, ctx: Context, bar: Bar, state: SymbolState) -> Signal | None:
        data: _ScalpData = state.data
        fast, slow, rsi = data.fast.value, data.slow.value, data.rsi.value
        if not (data.slow.ready and data.rsi.ready):
            return None
        sign = (fast > slow) - (fast < slow)
        before = data.prev_sign
        data.prev_sign = sign
        atr = state.atr.value
        if before is None or not atr > 0:
            return None
        if sign > 0 >= before and self.rsi_min <= rsi <= self.rsi_max:
            direction, word = 1, "above"
        elif sign < 0 <= before and 100.0 - self.rsi_max <= rsi <= 100.0 - self.rsi_min:
            direction, word = -1, "below"
        else:
            return None
        close = bar.close
        stop = close - direction * self.stop_atr * atr
        target = close + direction * self.target_atr * atr
        gap = abs(fast - slow)
        strength = gap / (0.1 * atr) + (abs(rsi - 50.0) - (self.rsi_min - 50.0)) / 10.0
        why = (
            f"scalp: EMA{self.fast} {fmt(fast)} crossed {word} EMA{self.slow} {fmt(slow)}, "
            f"RSI{self.rsi_period} {rsi:.1f}, close {fmt(close)}"
        )
        return Signal(direction, stop, target, why, strength)
