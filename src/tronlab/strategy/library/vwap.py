"""``vwap``: session VWAP with sigma bands, in two modes.

Indicators on the signal symbol's base bars: :class:`~tronlab.features.SessionVWAP` (VWAP of
typical price since the session's first bar and its weighted standard deviation ``sd``; an
index with no volume gets equal weights) and the ATR. ``z = (close - vwap) / sd``. No signal
before the session's ``min_bars``-th bar or while ``sd`` is 0.

``mode = "reversion"`` (fade a stretch away from the VWAP):

* short when the close crosses above the upper band: ``z >= band_k`` and the previous bar's
  ``z < band_k``; long when it crosses below the lower band (``z <= -band_k``, previous
  ``z > -band_k``);
* stop: ``close ± stop_atr * ATR`` (``stop_basis = "atr"``) or the ``stop_k`` sigma band
  ``vwap ± stop_k * sd`` (``"sigma"``; no entry when the close is already beyond it);
* target: the VWAP itself, moving with it: a short exits when a bar's low reaches the
  current VWAP (a long when its high does): ``exit: target VWAP V reached (low L)``;
* strength: ``|z| - band_k`` (sigmas beyond the band).

``mode = "trend"`` (join the session's trend on a pullback to the VWAP):

* the trend is up when the close is above the VWAP and the VWAP rose over the last
  ``slope_bars`` bars of the session (down: below and falling);
* long when the trend is up and the bar's low comes within ``pullback_k`` sigma of the VWAP
  (``low <= vwap + pullback_k * sd``) while the previous bar's low stayed above that level (a
  fresh pullback); short mirrored with the high;
* stop: ``close ∓ stop_atr * ATR`` or the ``stop_k`` band on the other side of the VWAP
  (``vwap ∓ stop_k * sd``); target ``target_r`` times the risk from the close;
* strength: ``|VWAP change over slope_bars| / ATR`` (the trend's speed).

Both modes leave at the latest after ``max_bars`` bars (time stop) and at ``exit_time``; see
:mod:`tronlab.strategy.library._intraday` for the shared entry gate and exit rules.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from math import nan

from tronlab.features import SessionVWAP
from tronlab.strategy.bars import Bar
from tronlab.strategy.base import Context
from tronlab.strategy.library._intraday import (
    Exit,
    IntradayStrategy,
    OpenTrade,
    Signal,
    SymbolState,
    fmt,
)
from tronlab.strategy.params import Param, ParamError
from tronlab.strategy.registry import register


@dataclass
class _VwapData:
    vwap: SessionVWAP
    recent: deque[float] = field(default_factory=deque)  # the session's last VWAP values
    prev_z: float = nan
    prev_touch_long: bool = False
    prev_touch_short: bool = False


@register
class VwapStrategy(IntradayStrategy):
    """Session VWAP reversion or trend-pullback entries with sigma bands."""

    name = "vwap"
    mode = Param(str, "reversion", choices=("reversion", "trend"), doc="reversion or trend")
    band_k = Param(float, 2.0, low=0.5, high=5.0, doc="reversion: entry band in sigmas")
    stop_basis = Param(str, "atr", choices=("atr", "sigma"), doc="stop from the ATR or a band")
    stop_atr = Param(float, 1.5, low=0.1, high=10.0, doc="stop distance in ATRs (atr basis)")
    stop_k = Param(float, 3.0, low=0.5, high=8.0, doc="stop band in sigmas (sigma basis)")
    pullback_k = Param(float, 0.25, low=0.0, high=2.0, doc="trend: pullback zone in sigmas")
    slope_bars = Param(int, 10, low=1, high=120, doc="trend: VWAP slope window in bars")
    target_r = Param(float, 2.0, low=0.25, high=10.0, doc="trend: target in multiples of risk")
    min_bars = Param(int, 15, low=1, high=200, doc="no signal before this bar of the session")
    max_bars = Param(int, 60, low=0, high=1000, doc="time stop in bars held (0: off)")

    def validate(self) -> None:
        super().validate()
        if self.stop_basis == "sigma":
            inner = self.band_k if self.mode == "reversion" else self.pullback_k
            what = "band_k" if self.mode == "reversion" else "pullback_k"
            if self.stop_k <= inner:
                raise ParamError(
                    f"vwap: stop_k ({self.stop_k}) must be above {what} ({inner}) "
                    f"with stop_basis='sigma' in {self.mode} mode"
                )

    def setup(self, ctx: Context, symbol: str) -> _VwapData:
        return _VwapData(ctx.indicator(symbol, SessionVWAP((1.0, 2.0))))

    def on_session(self, state: SymbolState, bar: Bar) -> None:
        data: _VwapData = state.data
        data.recent = deque(maxlen=self.slope_bars + 1)
        data.prev_z = nan
        data.prev_touch_long = data.prev_touch_short = False

    def signal(self, ctx: Context, bar: Bar, state: SymbolState) -> Signal | None:
        data: _VwapData = state.data
        vwap = data.vwap.vwap
        sd = data.vwap.std
        data.recent.append(vwap)
        if self.mode == "reversion":
            return self._reversion(bar, state, data, vwap, sd)
        return self._trend(bar, state, data, vwap, sd)

    def _reversion(
        self, bar: Bar, state: SymbolState, data: _VwapData, vwap: float, sd: float
    ) -> Signal | None:
        z = (bar.close - vwap) / sd if sd > 0 else nan
        prev = data.prev_z
        data.prev_z = z
        if state.session_bars < self.min_bars or z != z:
            return None
        k = self.band_k
        if z >= k and not prev >= k:
            direction, side = -1, "above"
        elif z <= -k and not prev <= -k:
            direction, side = 1, "below"
        else:
            return None
        if self.stop_basis == "atr":
            stop = bar.close - direction * self.stop_atr * state.atr.value
        else:
            stop = vwap - direction * self.stop_k * sd
        why = (
            f"vwap reversion: close {fmt(bar.close)} crossed {abs(z):.2f} sigma {side} "
            f"VWAP {fmt(vwap)} (band {k}); target the VWAP"
        )
        return Signal(direction, stop, None, why, abs(z) - k)

    def _trend(
        self, bar: Bar, state: SymbolState, data: _VwapData, vwap: float, sd: float
    ) -> Signal | None:
        near = self.pullback_k * sd
        touch_long = bar.low <= vwap + near
        touch_short = bar.high >= vwap - near
        fresh_long = touch_long and not data.prev_touch_long
        fresh_short = touch_short and not data.prev_touch_short
        data.prev_touch_long, data.prev_touch_short = touch_long, touch_short
        recent = data.recent
        atr = state.atr.value
        if (
            state.session_bars < self.min_bars
            or len(recent) <= self.slope_bars
            or not sd > 0
            or not atr > 0
        ):
            return None
        slope = recent[-1] - recent[0]
        if slope > 0 and bar.close > vwap and fresh_long:
            direction, trend = 1, "up"
        elif slope < 0 and bar.close < vwap and fresh_short:
            direction, trend = -1, "down"
        else:
            return None
        if self.stop_basis == "atr":
            stop = bar.close - direction * self.stop_atr * atr
        else:
            stop = vwap - direction * self.stop_k * sd
        target = bar.close + direction * self.target_r * abs(bar.close - stop)
        why = (
            f"vwap trend {trend}: VWAP {fmt(vwap)} moved {fmt(slope)} over {self.slope_bars} "
            f"bars; pullback to within {self.pullback_k} sigma of it, close {fmt(bar.close)}"
        )
        return Signal(direction, stop, target, why, abs(slope) / atr)

    def manage(self, ctx: Context, bar: Bar, state: SymbolState, trade: OpenTrade) -> Exit | None:
        if self.mode != "reversion":
            return None
        vwap = state.data.vwap.vwap
        d = trade.direction
        best, name = (bar.high, "high") if d > 0 else (bar.low, "low")
        if d * (best - vwap) >= 0:
            return Exit(
                f"exit: target VWAP {fmt(vwap)} reached ({name} {fmt(best)})",
                d * (best - vwap) / trade.risk,
            )
        return None
