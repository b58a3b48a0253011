"""``sma_cross``: the simplest example strategy and the engine benchmark's workload.

Rules (long only, one symbol or each symbol of the run independently):

* fast = SMA(close, ``fast``), slow = SMA(close, ``slow``), both including the current bar,
  kept as exact integer sums of ticks so that two averages never tie by rounding error;
* cross up at bar t: ``fast[t] > slow[t]`` and ``fast[t-1] <= slow[t-1]`` -> when flat, buy
  ``quantity`` at market;
* cross down: ``fast[t] < slow[t]`` and ``fast[t-1] >= slow[t-1]`` -> when long, sell it all.

Confidence grows with the gap between the averages relative to the price (a cross by a hair
is a weak signal): ``min(1, 0.5 + 50 * |fast - slow| / close)``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from tronlab.features import SMA
from tronlab.strategy.bars import Bar
from tronlab.strategy.base import Context, Strategy
from tronlab.strategy.params import Param, ParamError
from tronlab.strategy.registry import register


@register
class SmaCross(Strategy):
    """Fast/slow SMA crossover, long only, fixed quantity."""

    name = "sma_cross"
    fast = Param(int, 10, low=2, high=200, doc="fast SMA length in bars")
    slow = Param(int, 50, low=3, high=1000, doc="slow SMA length in bars")
    quantity = Param(int, 100, low=1, high=10_000_000, doc="units per entry")
    tick = Param(float, 0.01, low=1e-6, high=100.0, doc="price grid for exact SMA sums")

    def validate(self) -> None:
        if self.fast >= self.slow:
            raise ParamError(f"sma_cross: fast ({self.fast}) must be below slow ({self.slow})")

    def on_start(self, ctx: Context) -> None:
        self._smas: dict[str, tuple[SMA, SMA]] = {}
        # exact sign of fast - slow by symbol (None until both are ready); see SMA.comparator
        self._signs: dict[str, Callable[[], int | None]] = {}
        self._prev: dict[str, int] = {}  # sign of fast - slow on the previous bar
        for symbol in ctx.symbols:
            fast = ctx.indicator(symbol, SMA(self.fast, tick=self.tick))
            slow = ctx.indicator(symbol, SMA(self.slow, tick=self.tick))
            self._smas[symbol] = (fast, slow)
            self._signs[symbol] = fast.comparator(slow)
        self._qty = Decimal(self.quantity)

    def on_bar(self, ctx: Context, bar: Bar) -> None:
        symbol = bar.symbol
        # sign of fast - slow, exactly: fast_sum / fast_n vs slow_sum / slow_n in integer ticks
        sign = self._signs[symbol]()
        if sign is None:  # the slow SMA is not ready yet
            return
        prev = self._prev
        before = prev.get(symbol)
        if before == sign:  # no change
            return
        prev[symbol] = sign
        if before is None:  # no previous value to cross from (the first bar with a slow SMA)
            return
        fast, slow = self._smas[symbol]
        if sign > 0 and before <= 0:
            if ctx.quantity(bar.symbol) == 0:
                ctx.buy(
                    bar.symbol,
                    self._qty,
                    rationale=f"SMA{self.fast} crossed above SMA{self.slow} at {bar.close}",
                    confidence=self._confidence(fast.value, slow.value, bar.close),
                )
        elif sign < 0 and before >= 0:
            held = ctx.quantity(bar.symbol)
            if held > 0:
                ctx.sell(
                    bar.symbol,
                    held,
                    rationale=f"SMA{self.fast} crossed below SMA{self.slow} at {bar.close}",
                    confidence=self._confidence(fast.value, slow.value, bar.close),
                )

    @staticmethod
    def _confidence(fast: float, slow: float, close: float) -> float:
        return min(1.0, 0.5 + 50.0 * abs(fast - slow) / close)
