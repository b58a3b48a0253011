"""``range_reversal``: fade the edges of a quiet range.

Indicators on the signal symbol's base bars: Donchian(``channel``), ADX(``adx_period``), the
ATR, and RSI(``rsi_period``) or Bollinger(``bb_period``, ``bb_k``) for the confirmation. The
range is the Donchian channel *as of the previous bar* (``upper``, ``lower``, ``middle``), so
the bar being judged never defines the edge it touches.

* a range exists when ``min_width_atr * ATR <= upper - lower <= max_width_atr * ATR`` and
  ``ADX < adx_max`` (no trend);
* long on a touch of the lower edge: ``low <= lower + touch_atr * ATR`` with the close back
  above ``lower``, confirmed by ``RSI <= rsi_edge`` (``confirm = "rsi"``) or Bollinger
  ``%B <= pb_edge`` (``"percent_b"``); short mirrored at the upper edge (``RSI >= 100 -
  rsi_edge``, ``%B >= 1 - pb_edge``);
* stop outside the range: ``lower - stop_atr * ATR`` (short: ``upper + stop_atr * ATR``);
  target: the middle of the range (``exit_at = "mid"``) or the opposite edge
  (``"opposite"``), as it was at the entry;
* strength: ``(adx_max - ADX) / adx_max`` (how quiet the range is) plus the confirmation past
  its threshold: ``(rsi_edge - RSI) / 10`` or ``10 * (pb_edge - %B)`` (mirrored for shorts).

See :mod:`tronlab.strategy.library._intraday` for the shared entry gate and exit rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from tronlab.features import ADX, RSI, Bollinger, Donchian, DonchianValue
from tronlab.strategy.bars import Bar
from tronlab.strategy.base import Context
from tronlab.strategy.library._intraday import IntradayStrategy, Signal, SymbolState, fmt
from tronlab.strategy.params import Param, ParamError
from tronlab.strategy.registry import register


@dataclass
class _RangeData:
    channel: Donchian
    adx: ADX
    rsi: RSI | None
    bands: Bollinger | None
    prev: DonchianValue | None = None  # the channel as of the previous bar


@register
class RangeReversal(IntradayStrategy):
    """Mean reversion between the edges of a low-ADX Donchian range."""

    name = "range_reversal"
    channel = Param(int, 30, low=5, high=400, doc="Donchian channel length in bars")
    adx_period = Param(int, 14, low=2, high=100, doc="ADX length in bars")
    adx_max = Param(float, 20.0, low=5.0, high=60.0, doc="a range needs ADX below this")
    min_width_atr = Param(float, 2.0, low=0.0, high=50.0, doc="narrowest range in ATRs")
    max_width_atr = Param(float, 8.0, low=0.5, high=100.0, doc="widest range in ATRs")
    touch_atr = Param(float, 0.25, low=0.0, high=5.0, doc="touch zone inside an edge, in ATRs")
    confirm = Param(str, "rsi", choices=("rsi", "percent_b"), doc="RSI or Bollinger %B")
    rsi_period = Param(int, 14, low=2, high=100, doc="RSI length in bars")
    rsi_edge = Param(float, 35.0, low=1.0, high=49.0, doc="long: RSI at most this")
    bb_period = Param(int, 20, low=2, high=200, doc="Bollinger length in bars")
    bb_k = Param(float, 2.0, low=0.5, high=5.0, doc="Bollinger width in sigmas")
    pb_edge = Param(float, 0.1, low=-1.0, high=0.49, doc="long: %B at most this")
    stop_atr = Param(float, 0.5, low=0.0, high=10.0, doc="stop this many ATRs outside the range")
    exit_at = Param(str, "mid", choices=("mid", "opposite"), doc="target: mid-range or the edge")
    max_bars = Param(int, 60, low=0, high=1000, doc="time stop in bars held (0: off)")

    def validate(self) -> None:
        super().validate()
        if self.min_width_atr >= self.max_width_atr:
            raise ParamError(
                f"range_reversal: min_width_atr ({self.min_width_atr}) must be below "
                f"max_width_atr ({self.max_width_atr})"
            )
        room = self.min_width_atr / 2 if self.exit_at == "mid" else self.min_width_atr
        if self.touch_atr >= room:
            raise ParamError(
                f"range_reversal: touch_atr ({self.touch_atr}) must be below {room} "
                f"(min_width_atr {'/ 2 ' if self.exit_at == 'mid' else ''}with exit_at="
                f"{self.exit_at!r}), or a touch could sit past the target"
            )

    def setup(self, ctx: Context, symbol: str) -> _RangeData:
        rsi = ctx.indicator(symbol, RSI(self.rsi_period)) if self.confirm == "rsi" else None
        bands = (
            ctx.indicator(symbol, Bollinger(self.bb_period, self.bb_k))
            if self.confirm == "percent_b"
            else None
        )
        return _RangeData(
            ctx.indicator(symbol, Donchian(self.channel)),
            ctx.indicator(symbol, ADX(self.adx_period)),
            rsi,
            bands,
        )

    def _confirmation(self, data: _RangeData, direction: int) -> tuple[float, str] | None:
        """How far past its threshold the confirmation is (>= 0), and a note; or None."""
        if data.rsi is not None:
            rsi = data.rsi.value
            excess = (self.rsi_edge - rsi) if direction > 0 else (rsi - (100.0 - self.rsi_edge))
            return (excess / 10.0, f"RSI {rsi:.1f}") if excess >= 0 else None
        if data.bands is None:
            return None
        pb = data.bands.value.percent_b
        excess = (self.pb_edge - pb) if direction > 0 else (pb - (1.0 - self.pb_edge))
        return (10.0 * excess, f"%B {pb:.2f}") if excess >= 0 else None

    def signal(self, ctx: Context, bar: Bar, state: SymbolState) -> Signal | None:
        data: _RangeData = state.data
        prev = data.prev
        data.prev = data.channel.value if data.channel.ready else None
        atr = state.atr.value
        if prev is None or not data.adx.ready or not atr > 0:
            return None
        width = prev.upper - prev.lower
        adx = data.adx.value.adx
        if not (self.min_width_atr * atr <= width <= self.max_width_atr * atr):
            return None
        if not adx < self.adx_max:
            return None
        zone = self.touch_atr * atr
        if bar.low <= prev.lower + zone and bar.close > prev.lower:
            direction, edge, word = 1, prev.lower, "lower"
        elif bar.high >= prev.upper - zone and bar.close < prev.upper:
            direction, edge, word = -1, prev.upper, "upper"
        else:
            return None
        confirmed = self._confirmation(data, direction)
        if confirmed is None:
            return None
        excess, note = confirmed
        stop = edge - direction * self.stop_atr * atr
        if self.exit_at == "mid":
            target = prev.middle
        else:
            target = prev.upper if direction > 0 else prev.lower
        why = (
            f"range_reversal: touch of the {word} edge {fmt(edge)} of the {self.channel}-bar "
            f"range {fmt(prev.lower)}-{fmt(prev.upper)} ({width / atr:.1f} ATR, "
            f"ADX {adx:.1f}), {note}, close {fmt(bar.close)}"
        )
        strength = (self.adx_max - adx) / self.adx_max + excess
        return Signal(direction, stop, target, why, strength)
