"""Trend indicators: ADX with +DI/-DI, Aroon, parabolic SAR (TA-Lib), Supertrend and the
Ichimoku lines."""

from __future__ import annotations

import numpy as np

from tronlab.features.registry import Array, Bars, register_many
from tronlab.features.ta_common import (
    decay_bars,
    rolling_max,
    rolling_min,
    spec,
)
from tronlab.features.ta_kernels import (
    adx,
    rolling_argext,
    sar,
    supertrend,
    true_range,
    wilder_mean,
)

GROUP = "trend"
HL = ("high", "low")
HLC = ("high", "low", "close")
NAN = np.nan


def _adx(bars: Bars) -> dict[str, Array]:
    a, p, m = adx(bars.high, bars.low, bars.close, 14)
    return {"adx_14": a, "plus_di_14": p, "minus_di_14": m}


_W14 = 1.0 / 14.0
_DI = (
    "+DM / -DM (the larger positive move of high and low, 0 otherwise) and the true range are "
    "summed over the first 13 changes, then Wilder-smoothed (s += x - s / 14); "
    "±DI = 100 * ±DM / TR (both 0 while TR is 0)"
)
register_many(
    [
        spec("adx_14", GROUP, HLC, 14, 28, "Average directional index (TA-Lib ADX 14): " + _DI
             + "; DX = 100 * |+DI - -DI| / (+DI + -DI), ADX seeded with the mean of the first "
             "14 DX (a DX with +DI + -DI = 0 is skipped but counts in the divisor), then "
             "Wilder-smoothed; first value at bar 27.",
             memory=28 + decay_bars((_W14, _W14)), reference="talib:ADX"),
        spec("plus_di_14", GROUP, HLC, 14, 15, "Plus directional indicator (TA-Lib PLUS_DI 14): "
             + _DI + "; first value at bar 14.", memory=15 + decay_bars((_W14,)),
             reference="talib:PLUS_DI"),
        spec("minus_di_14", GROUP, HLC, 14, 15, "Minus directional indicator (TA-Lib MINUS_DI "
             "14): " + _DI + "; first value at bar 14.", memory=15 + decay_bars((_W14,)),
             reference="talib:MINUS_DI"),
    ],
    _adx,
)  # fmt: skip


def _aroon(bars: Bars) -> dict[str, Array]:
    n = 25
    t = np.arange(len(bars))
    hi = rolling_argext(bars.high, n + 1, True)
    lo = rolling_argext(bars.low, n + 1, False)
    factor = 100.0 / n
    ok = hi >= 0
    up = np.where(ok, factor * (n - (t - hi)), NAN)
    down = np.where(ok, factor * (n - (t - lo)), NAN)
    osc = np.where(ok, factor * (hi - lo), NAN)
    return {"aroon_up_25": up, "aroon_down_25": down, "aroon_osc_25": osc}


_AROON = (
    "over the last 26 bars (25 changes); the most recent bar wins ties (TA-Lib AROON); first "
    "value at bar 25"
)
register_many(
    [
        spec("aroon_up_25", GROUP, ("high",), 25, 26, "Aroon up: 100 * (25 - bars since the "
             "highest high) / 25 " + _AROON + ".", reference="talib:AROON"),
        spec("aroon_down_25", GROUP, ("low",), 25, 26, "Aroon down: 100 * (25 - bars since the "
             "lowest low) / 25 " + _AROON + ".", reference="talib:AROON"),
        spec("aroon_osc_25", GROUP, HL, 25, 26, "Aroon oscillator: aroon up - aroon down "
             + _AROON + ".", reference="talib:AROONOSC"),
    ],
    _aroon,
)  # fmt: skip


def _sar(bars: Bars) -> dict[str, Array]:
    return {"sar": sar(bars.high, bars.low, 0.02, 0.2)}


register_many(
    [
        spec("sar", GROUP, HL, 0, 2, "CUMULATIVE: path dependent, cumulative from the first bar "
             "of the frame - a streamed evaluation must be fed from that same first bar (a "
             "window started later can sit in the opposite trend or carry another extreme "
             "point for an unbounded number of bars, so no finite memory reproduces it). "
             "Parabolic SAR (TA-Lib SAR, acceleration 0.02, maximum 0.2): the first trend is "
             "short when bar 1 has a positive -DM(1), else long; value at bar t is the stop "
             "for bar t (or the new stop on a reversal at t); first value at bar 1.",
             reference="talib:SAR"),
    ],
    _sar,
)  # fmt: skip


def _supertrend(bars: Bars) -> dict[str, Array]:
    atr = wilder_mean(true_range(bars.high, bars.low, bars.close), 10, 10)
    mid = (bars.high + bars.low) / 2.0
    line, direction = supertrend(mid, atr, bars.close, 3.0)
    return {"supertrend_10_3": line, "supertrend_dir_10_3": direction}


_ST = (
    "CUMULATIVE: path dependent, cumulative from the first bar of the frame - a streamed "
    "evaluation must be fed from that same first bar (the final bands ratchet and the "
    "direction flips on crossings, so a later start can disagree for an unbounded number of "
    "bars). Supertrend (ATR 10, multiplier 3), TradingView ta.supertrend rules: basic bands "
    "hl2 ± 3 * ATR10 (TA-Lib ATR: Wilder, seeded with the mean of the first 10 true ranges, "
    "first value at bar 10); the lower band only rises unless the previous close was below "
    "it, the upper band only falls unless the previous close was above it; the direction "
    "turns up when close > upper band, down when close < lower band, and starts down at bar "
    "10"
)
register_many(
    [
        spec("supertrend_10_3", GROUP, HLC, 10, 11, _ST + "; this: the line (lower band in an "
             "uptrend, upper band in a downtrend)."),
        spec("supertrend_dir_10_3", GROUP, HLC, 10, 11, _ST + "; this: the direction, +1 up, "
             "-1 down."),
    ],
    _supertrend,
)  # fmt: skip


def _midprice(bars: Bars, n: int) -> Array:
    out: Array = (rolling_max(bars.high, n) + rolling_min(bars.low, n)) / 2.0
    return out


def _ichimoku(bars: Bars) -> dict[str, Array]:
    tenkan = _midprice(bars, 9)
    kijun = _midprice(bars, 26)
    return {
        "ichimoku_tenkan": tenkan,
        "ichimoku_kijun": kijun,
        "ichimoku_senkou_a": (tenkan + kijun) / 2.0,
        "ichimoku_senkou_b": _midprice(bars, 52),
    }


_UNSHIFTED = (
    " Unshifted: the value computed at t from bars up to t (the chart plots it 26 bars ahead; "
    "reading the plotted, shifted span at t would use old values, and shifting it back would "
    "look ahead)."
)
register_many(
    [
        spec("ichimoku_tenkan", GROUP, HL, 9, 9, "Ichimoku conversion line: (highest high + "
             "lowest low) / 2 over 9 bars (TA-Lib MIDPRICE 9).", reference="talib:MIDPRICE"),
        spec("ichimoku_kijun", GROUP, HL, 26, 26, "Ichimoku base line: (highest high + lowest "
             "low) / 2 over 26 bars (TA-Lib MIDPRICE 26).", reference="talib:MIDPRICE"),
        spec("ichimoku_senkou_a", GROUP, HL, 26, 26, "Ichimoku leading span A: (tenkan + "
             "kijun) / 2." + _UNSHIFTED),
        spec("ichimoku_senkou_b", GROUP, HL, 52, 52, "Ichimoku leading span B: (highest high + "
             "lowest low) / 2 over 52 bars (TA-Lib MIDPRICE 52)." + _UNSHIFTED,
             reference="talib:MIDPRICE"),
    ],
    _ichimoku,
)  # fmt: skip
