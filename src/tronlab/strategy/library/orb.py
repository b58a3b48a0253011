"""``orb``: opening-range breakout.

The opening range is the high and low of the bars that start in the first ``range_minutes``
minutes of the session (:class:`~tronlab.features.OpeningRange`: the window opens at the
session's first bar). Once it is complete, on each later bar:

* long when the close is above the range high, short when it is below the range low, at most
  one entry per direction per session (a refused entry uses its direction too) and no more
  than ``max_entries`` in all;
* volume filter (``volume_mult`` > 0): the breakout bar's volume must exceed ``volume_mult``
  times the average volume of the range's bars; it is skipped when that average is 0 (index
  series carry no volume), and off by default;
* stop: the other side of the range (``stop_basis = "range"``) or ``stop_atr`` ATRs from the
  close (``"atr"``); target: ``target_r`` times the risk (close - stop) beyond the close;
* strength: the breakout size ``|close - range edge| / ATR``.

The trade also ends after ``max_bars`` bars when set and at ``exit_time`` (before the risk
governor's square-off); see :mod:`tronlab.strategy.library._intraday` for the shared rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from tronlab.features import OpeningRange
from tronlab.strategy.bars import Bar
from tronlab.strategy.base import Context
from tronlab.strategy.library._intraday import IntradayStrategy, Signal, SymbolState, fmt
from tronlab.strategy.params import Param
from tronlab.strategy.registry import register

_NS_PER_MINUTE = 60_000_000_000


@dataclass
class _OrbData:
    range: OpeningRange
    window_end_ns: int = 0
    volume: float = 0.0  # total volume of the range's bars
    bars: int = 0  # number of the range's bars


@register
class OpeningRangeBreakout(IntradayStrategy):
    """Breakout of the first minutes' range, one trade per direction per day."""

    name = "orb"
    range_minutes = Param(int, 15, low=1, high=180, doc="opening range length in minutes")
    volume_mult = Param(
        float, 0.0, low=0.0, high=20.0, doc="breakout volume > this x range average (0: off)"
    )
    stop_basis = Param(
        str, "range", choices=("range", "atr"), doc="stop at the range's other side or ATRs"
    )
    stop_atr = Param(float, 1.0, low=0.1, high=10.0, doc="stop distance in ATRs (atr basis)")
    target_r = Param(float, 2.0, low=0.25, high=10.0, doc="target in multiples of risk")
    max_entries = Param(int, 2, low=1, high=2, doc="entries per session (one per direction)")

    def setup(self, ctx: Context, symbol: str) -> _OrbData:
        return _OrbData(ctx.indicator(symbol, OpeningRange(self.range_minutes)))

    def on_session(self, state: SymbolState, bar: Bar) -> None:
        data: _OrbData = state.data
        data.window_end_ns = bar.start_ns + self.range_minutes * _NS_PER_MINUTE
        data.volume = 0.0
        data.bars = 0

    def signal(self, ctx: Context, bar: Bar, state: SymbolState) -> Signal | None:
        data: _OrbData = state.data
        if bar.start_ns < data.window_end_ns:  # a bar of the range itself
            data.volume += bar.volume
            data.bars += 1
            return None
        high, low, complete = data.range.value
        atr = state.atr.value
        if not complete or not atr > 0:
            return None
        close = bar.close
        if close > high and 1 not in state.directions_today:
            direction, edge, side = 1, high, "above the range high"
        elif close < low and -1 not in state.directions_today:
            direction, edge, side = -1, low, "below the range low"
        else:
            return None
        volume_note = ""
        if self.volume_mult > 0 and data.volume > 0:
            average = data.volume / data.bars
            if not bar.volume > self.volume_mult * average:
                return None
            volume_note = f", volume {bar.volume / average:.1f}x the range average"
        if self.stop_basis == "range":
            stop = low if direction > 0 else high
        else:
            stop = close - direction * self.stop_atr * atr
        target = close + direction * self.target_r * abs(close - stop)
        breakout = abs(close - edge) / atr
        why = (
            f"orb: close {fmt(close)} {side} {fmt(edge)} of the first {self.range_minutes} "
            f"minutes (range {fmt(low)}-{fmt(high)}) by {breakout:.2f} ATR{volume_note}"
        )
        return Signal(direction, stop, target, why, breakout)
