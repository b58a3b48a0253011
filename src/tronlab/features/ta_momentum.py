"""Momentum oscillators: RSI, stochastics, StochRSI, MACD, ROC, momentum, Williams %R, CCI,
TRIX, the ultimate oscillator (TA-Lib) and the true strength index."""

from __future__ import annotations

import numpy as np

from tronlab.features.registry import Array, Bars, register_many
from tronlab.features.ta_common import (
    after,
    decay_bars,
    diff,
    ema,
    ema_alpha,
    is_tie,
    ratio,
    rolling_max,
    rolling_min,
    sma,
    spec,
    typical_price,
)
from tronlab.features.ta_kernels import (
    ema_from,
    mean_abs_dev_ratio,
    rolling_sum,
    rsi,
    true_range,
)

GROUP = "momentum"
CLOSE = ("close",)
HLC = ("high", "low", "close")
NAN = np.nan


def _wilder_memory(warmup: int, n: int) -> int:
    return warmup + decay_bars((1.0 / n,))


def _register_rsi(n: int) -> None:
    name = f"rsi_{n}"

    def compute(bars: Bars) -> dict[str, Array]:
        return {name: rsi(bars.close, n)}

    desc = (
        f"Wilder RSI({n}) of close: average gain and loss seeded with the mean of the first {n} "
        f"changes, then avg = (avg * {n - 1} + change) / {n}; rsi = 100 * gain / (gain + loss), "
        "0 when both are 0 (TA-Lib convention)."
    )
    memory = _wilder_memory(n + 1, n)
    register_many(
        [spec(name, GROUP, CLOSE, n, n + 1, desc, memory=memory, reference="talib:RSI")], compute
    )


def _stoch(bars: Bars) -> dict[str, Array]:
    hh = rolling_max(bars.high, 14)
    ll = rolling_min(bars.low, 14)
    fast_k = np.where(is_tie(hh, ll), 0.0, ratio(bars.close - ll, (hh - ll) / 100.0, 0.0))
    fast_k[:13] = NAN
    slow_k = sma(fast_k, 3, 13)
    slow_d = sma(slow_k, 3, 15)
    slow_k[:17] = NAN
    return {"stoch_k_14": slow_k, "stoch_d_14": slow_d}


def _stochrsi(bars: Bars) -> dict[str, Array]:
    r = rsi(bars.close, 14)
    hh = after(rolling_max, r, 14, 14)
    ll = after(rolling_min, r, 14, 14)
    fast_k = np.where(is_tie(hh, ll), 0.0, ratio(r - ll, (hh - ll) / 100.0, 0.0))
    fast_k[:27] = NAN
    fast_d = sma(fast_k, 3, 27)
    fast_k[:29] = NAN
    return {"stochrsi_k_14": fast_k, "stochrsi_d_14": fast_d}


def _macd(bars: Bars) -> dict[str, Array]:
    c = bars.close
    line = ema_from(c, 12, 25) - ema_from(c, 26, 25)
    signal = ema_from(line, 9, 33)
    line[:33] = NAN
    return {"macd": line, "macd_signal": signal, "macd_hist": line - signal}


def _register_roc(n: int) -> None:
    name = f"roc_{n}"

    def compute(bars: Bars) -> dict[str, Array]:
        prev = np.full(len(bars), NAN)
        prev[n:] = bars.close[:-n]
        return {name: np.where(prev != 0.0, (ratio(bars.close, prev) - 1.0) * 100.0, 0.0)}

    desc = f"Rate of change in percent: (close / close[t-{n}] - 1) * 100; 0 when close[t-{n}] is 0."
    register_many([spec(name, GROUP, CLOSE, n, n + 1, desc, reference="talib:ROC")], compute)


def _mom(bars: Bars) -> dict[str, Array]:
    return {"mom_10": diff(bars.close, 10)}


def _willr(bars: Bars) -> dict[str, Array]:
    hh = rolling_max(bars.high, 14)
    ll = rolling_min(bars.low, 14)
    out = np.clip(ratio(hh - bars.close, hh - ll, 0.0) * -100.0, -100.0, 0.0)
    return {"willr_14": np.where(is_tie(hh, ll), 0.0, out)}


def _cci(bars: Bars) -> dict[str, Array]:
    return {"cci_20": mean_abs_dev_ratio(typical_price(bars), 20)}


def _trix(bars: Bars) -> dict[str, Array]:
    e1 = ema(bars.close, 15)
    e2 = ema(e1, 15, 14)
    e3 = ema(e2, 15, 28)
    prev = np.full(len(bars), NAN)
    prev[1:] = e3[:-1]
    out = np.where(prev != 0.0, (ratio(e3, prev) - 1.0) * 100.0, 0.0)
    out[:43] = NAN
    return {"trix_15": out}


def _ultosc(bars: Bars) -> dict[str, Array]:
    tr = true_range(bars.high, bars.low, bars.close)
    prev_close = np.full(len(bars), NAN)
    prev_close[1:] = bars.close[:-1]
    bp = bars.close - np.minimum(bars.low, prev_close)
    total = np.zeros(len(bars))
    for n, weight in ((7, 4.0), (14, 2.0), (28, 1.0)):
        b = after(rolling_sum, bp, 1, n)
        t = after(rolling_sum, tr, 1, n)
        total += np.where(t > 0.0, weight * ratio(b, t, 0.0), 0.0)
    out = 100.0 * (total / 7.0)
    out[:28] = NAN
    return {"ultosc": out}


def _tsi(bars: Bars) -> dict[str, Array]:
    d = diff(bars.close)
    num = ema(ema(d, 25, 1), 13, 25)
    den = ema(ema(np.abs(d), 25, 1), 13, 25)
    out = 100.0 * ratio(num, den, 0.0)
    return {"tsi_25_13": out}


for _n in (7, 14, 21):
    _register_rsi(_n)
for _n in (5, 10, 20):
    _register_roc(_n)

_STOCH = (
    "Full stochastic (TA-Lib STOCH 14, 3 SMA, 3 SMA): fast %K = 100 * (close - lowest low) / "
    "(highest high - lowest low) over 14 bars (0 when the range is 0 within TA-Lib's relative "
    "dead zone |hh - ll| <= 1e-14 * (|hh| + |ll|))"
)
register_many(
    [
        spec("stoch_k_14", GROUP, HLC, 14, 18, _STOCH + "; slow %K = SMA3(fast %K). Published "
             "from bar 17 together with %D, as TA-Lib does.", reference="talib:STOCH"),
        spec("stoch_d_14", GROUP, HLC, 14, 18, _STOCH + "; %D = SMA3(slow %K), first value at "
             "bar 17.", reference="talib:STOCH"),
    ],
    _stoch,
)  # fmt: skip

_STOCHRSI = (
    "Stochastic RSI (TA-Lib STOCHRSI 14, 14, 3 SMA): fast %K = 100 * (rsi - min rsi) / "
    "(max rsi - min rsi) over 14 values of RSI14(close) (0 when max - min is within 1e-14 * "
    "(|max| + |min|), TA-Lib's dead zone)"
)
_SR_MEM = _wilder_memory(30, 14)
register_many(
    [
        spec("stochrsi_k_14", GROUP, CLOSE, 14, 30, _STOCHRSI + "; published from bar 29 "
             "together with %D, as TA-Lib does.", memory=_SR_MEM, reference="talib:STOCHRSI"),
        spec("stochrsi_d_14", GROUP, CLOSE, 14, 30, _STOCHRSI + "; %D = SMA3(fast %K), first "
             "value at bar 29.", memory=_SR_MEM, reference="talib:STOCHRSI"),
    ],
    _stochrsi,
)  # fmt: skip

_MACD = (
    "MACD 12/26/9 (TA-Lib MACD): macd = EMA12(close) - EMA26(close), both starting at bar 25 "
    "(EMA26 seeded with the SMA of the first 26 closes, EMA12 with the SMA of the 12 closes "
    "ending at bar 25 - TA-Lib's convention), signal = EMA9(macd) seeded with the SMA of the "
    "first 9 macd values, hist = macd - signal; all three published from bar 33"
)
_MACD_MEM = 34 + decay_bars((ema_alpha(26), ema_alpha(9)))
register_many(
    [
        spec("macd", GROUP, CLOSE, 26, 34, _MACD + " (this: macd).", memory=_MACD_MEM,
             reference="talib:MACD"),
        spec("macd_signal", GROUP, CLOSE, 26, 34, _MACD + " (this: signal).", memory=_MACD_MEM,
             reference="talib:MACD"),
        spec("macd_hist", GROUP, CLOSE, 26, 34, _MACD + " (this: hist).", memory=_MACD_MEM,
             reference="talib:MACD"),
    ],
    _macd,
)  # fmt: skip

register_many(
    [spec("mom_10", GROUP, CLOSE, 10, 11, "Momentum: close - close[t-10].", reference="talib:MOM")],
    _mom,
)
register_many(
    [
        spec("willr_14", GROUP, HLC, 14, 14, "Williams %R over 14 bars: -100 * (highest high - "
             "close) / (highest high - lowest low) clamped to [-100, 0], 0 when the range is "
             "within 1e-14 * (|hh| + |ll|) of 0 (TA-Lib).",
             reference="talib:WILLR"),
    ],
    _willr,
)  # fmt: skip
register_many(
    [
        spec("cci_20", GROUP, HLC, 20, 20, "Commodity channel index over 20 bars of typical "
             "price tp = (high + low + close) / 3: (tp - SMA20(tp)) / (0.015 * mean |tp_i - "
             "SMA20(tp)|), 0 when the numerator or the mean deviation is within 1e-14 * "
             "|SMA20(tp)| of 0 (TA-Lib's flat-window test).",
             reference="talib:CCI"),
    ],
    _cci,
)  # fmt: skip
_A15 = ema_alpha(15)
register_many(
    [
        spec("trix_15", GROUP, CLOSE, 15, 44, "TRIX: 1-bar rate of change in percent of "
             "EMA15(EMA15(EMA15(close))), each EMA seeded with the SMA of its first 15 inputs "
             "(TA-Lib); first value at bar 43.",
             memory=44 + decay_bars((_A15, _A15, _A15)), reference="talib:TRIX"),
    ],
    _trix,
)  # fmt: skip
register_many(
    [
        spec("ultosc", GROUP, HLC, 28, 29, "Ultimate oscillator 7/14/28: buying pressure bp = "
             "close - min(low, prev close), true range tr; 100 * (4 * a7 + 2 * a14 + a28) / 7 "
             "with aN = sum_N(bp) / sum_N(tr) (a term is 0 when its tr sum is 0).",
             reference="talib:ULTOSC"),
    ],
    _ultosc,
)  # fmt: skip
register_many(
    [
        spec("tsi_25_13", GROUP, CLOSE, 25, 38, "True strength index: 100 * EMA13(EMA25(d)) / "
             "EMA13(EMA25(|d|)) with d = close - prev close (from bar 1); every EMA is seeded "
             "like TA-Lib's (SMA of its first n inputs: EMA25 at bar 25, EMA13 at bar 37), 0 "
             "when the denominator is 0. No TA-Lib function.",
             memory=38 + decay_bars((ema_alpha(25), ema_alpha(13)))),
    ],
    _tsi,
)  # fmt: skip
