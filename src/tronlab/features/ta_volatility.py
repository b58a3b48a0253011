"""Volatility: ATR, NATR, Bollinger bands, Keltner and Donchian channels, realised,
Parkinson and Garman-Klass volatility."""

from __future__ import annotations

import math

import numpy as np

from tronlab.features.registry import Array, Bars, register_many
from tronlab.features.ta_common import (
    after,
    decay_bars,
    ema,
    ema_alpha,
    ratio,
    rolling_max,
    rolling_min,
    sma,
    spec,
)
from tronlab.features.ta_kernels import (
    rolling_std,
    true_range,
    wilder_mean,
)

GROUP = "volatility"
CLOSE = ("close",)
HL = ("high", "low")
HLC = ("high", "low", "close")
OHLC = ("open", "high", "low", "close")


def _atr(bars: Bars, n: int) -> Array:
    return wilder_mean(true_range(bars.high, bars.low, bars.close), n, n)


def _atr14(bars: Bars) -> dict[str, Array]:
    atr = _atr(bars, 14)
    natr = np.where(bars.close != 0.0, 100.0 * ratio(atr, bars.close), 0.0)
    return {"atr_14": atr, "natr_14": natr}


_ATR = (
    "Average true range (TA-Lib ATR 14): true range max(high - low, |high - prev close|, "
    "|low - prev close|) from bar 1, seeded with the mean of the first 14, then "
    "atr = (atr * 13 + tr) / 14; first value at bar 14"
)
_ATR_MEM = 15 + decay_bars((1.0 / 14.0,))
register_many(
    [
        spec("atr_14", GROUP, HLC, 14, 15, _ATR + ".", memory=_ATR_MEM, reference="talib:ATR"),
        spec("natr_14", GROUP, HLC, 14, 15, "Normalised ATR: 100 * atr_14 / close (0 when close "
             "is 0). " + _ATR + ".", memory=_ATR_MEM, reference="talib:NATR"),
    ],
    _atr14,
)  # fmt: skip


def _bbands(bars: Bars) -> dict[str, Array]:
    c = bars.close
    middle = sma(c, 20)
    dev = 2.0 * rolling_std(c, 20, 0)
    upper = middle + dev
    lower = middle - dev
    span = upper - lower
    return {
        "bb_upper_20": upper,
        "bb_middle_20": middle,
        "bb_lower_20": lower,
        "bb_pctb_20": ratio(c - lower, span),
        "bb_width_20": ratio(span, middle),
    }


_BB = (
    "Bollinger bands 20, 2 (TA-Lib BBANDS 20, 2, 2, SMA): middle = SMA20(close), "
    "upper/lower = middle ± 2 * population standard deviation of the last 20 closes (exactly "
    "0 for a window of equal closes)"
)
register_many(
    [
        spec("bb_upper_20", GROUP, CLOSE, 20, 20, _BB + "; this: upper.", reference="talib:BBANDS"),
        spec("bb_middle_20", GROUP, CLOSE, 20, 20, _BB + "; this: middle.",
             reference="talib:BBANDS"),
        spec("bb_lower_20", GROUP, CLOSE, 20, 20, _BB + "; this: lower.", reference="talib:BBANDS"),
        spec("bb_pctb_20", GROUP, CLOSE, 20, 20, _BB + "; this: %b = (close - lower) / (upper - "
             "lower), NaN when the bands coincide."),
        spec("bb_width_20", GROUP, CLOSE, 20, 20, _BB + "; this: width = (upper - lower) / "
             "middle, NaN when middle is 0."),
    ],
    _bbands,
)  # fmt: skip


def _keltner(bars: Bars) -> dict[str, Array]:
    mid = ema(bars.close, 20)
    band = 2.0 * _atr(bars, 10)
    return {"keltner_upper_20": mid + band, "keltner_lower_20": mid - band}


_KC = (
    "Keltner channel: EMA20(close) ± 2 * ATR10, the EMA seeded with the SMA of the first 20 "
    "closes (TA-Lib EMA), the ATR Wilder's seeded with the mean of the first 10 true ranges "
    "(TA-Lib ATR 10); first value at bar 19"
)
_KC_MEM = max(20 + decay_bars((ema_alpha(20),)), 11 + decay_bars((0.1,)))
register_many(
    [
        spec("keltner_upper_20", GROUP, HLC, 20, 20, _KC + "; this: upper.", memory=_KC_MEM),
        spec("keltner_lower_20", GROUP, HLC, 20, 20, _KC + "; this: lower.", memory=_KC_MEM),
    ],
    _keltner,
)


def _donchian(bars: Bars) -> dict[str, Array]:
    return {
        "donchian_upper_20": rolling_max(bars.high, 20),
        "donchian_lower_20": rolling_min(bars.low, 20),
    }


register_many(
    [
        spec("donchian_upper_20", GROUP, ("high",), 20, 20, "Donchian upper: highest high of the "
             "last 20 bars, current included (TA-Lib MAX(high, 20)).", reference="talib:MAX"),
        spec("donchian_lower_20", GROUP, ("low",), 20, 20, "Donchian lower: lowest low of the "
             "last 20 bars, current included (TA-Lib MIN(low, 20)).", reference="talib:MIN"),
    ],
    _donchian,
)  # fmt: skip


def _range_vol(bars: Bars) -> dict[str, Array]:
    with np.errstate(divide="ignore", invalid="ignore"):
        ret = np.log(bars.close[1:] / bars.close[:-1])
        hl = np.log(bars.high / bars.low) ** 2
        co = np.log(bars.close / bars.open) ** 2
    r = np.full(len(bars), np.nan)
    r[1:] = ret
    park = np.sqrt(sma(hl, 20) / (4.0 * math.log(2.0)))
    gk = np.sqrt(np.maximum(sma(0.5 * hl - (2.0 * math.log(2.0) - 1.0) * co, 20), 0.0))
    return {
        "rv_20": after(rolling_std, r, 1, 20, 1),
        "parkinson_20": park,
        "garman_klass_20": gk,
    }


_PER_BAR = (
    " Per-bar volatility in log-price units, not annualised (multiply by sqrt(bars per year))."
)
register_many(
    [
        spec("rv_20", GROUP, CLOSE, 20, 21, "Realised volatility: sample standard deviation "
             "(ddof 1) of the last 20 log returns ln(close / prev close); first value at bar 20."
             + _PER_BAR),
        spec("parkinson_20", GROUP, HL, 20, 20, "Parkinson volatility: sqrt(mean over 20 bars "
             "of ln(high / low)^2 / (4 ln 2))." + _PER_BAR),
        spec("garman_klass_20", GROUP, OHLC, 20, 20, "Garman-Klass volatility: sqrt(mean over 20 "
             "bars of 0.5 ln(high / low)^2 - (2 ln 2 - 1) ln(close / open)^2), the mean floored "
             "at 0 (bars with close outside high/low)." + _PER_BAR),
    ],
    _range_vol,
)  # fmt: skip
