"""Volume indicators (OBV, A/D line, Chaikin oscillator, MFI, session VWAP, volume z-score,
force index) and candle shape."""

from __future__ import annotations

import numpy as np

from tronlab.features.registry import Array, Bars, register_many
from tronlab.features.ta_common import (
    decay_bars,
    diff,
    ema,
    ema_alpha,
    is_tie,
    ratio,
    sma,
    spec,
    typical_price,
)
from tronlab.features.ta_kernels import (
    ema_first_value,
    rolling_std,
    rolling_sum,
    session_vwap,
)

GROUP = "volume"
CV = ("close", "volume")
HLCV = ("high", "low", "close", "volume")
NAN = np.nan

_CUMULATIVE = (
    "CUMULATIVE: cumulative from the first bar of the frame (a running total has no finite "
    "memory); a streamed evaluation must be fed from that same first bar, and the values of "
    "two frames starting at different bars differ by a constant. "
)


def _obv(bars: Bars) -> dict[str, Array]:
    c = bars.close
    step = np.zeros(len(bars))
    step[1:] = np.where(c[1:] > c[:-1], bars.volume[1:], 0.0)
    step[1:] -= np.where(c[1:] < c[:-1], bars.volume[1:], 0.0)
    if len(bars):
        step[0] = bars.volume[0]
    return {"obv": np.cumsum(step)}


def _ad_line(bars: Bars) -> Array:
    span = bars.high - bars.low
    clv = ratio((bars.close - bars.low) - (bars.high - bars.close), span, 0.0)
    flow = np.where(span > 0.0, clv * bars.volume, 0.0)
    return np.cumsum(flow)


def _ad(bars: Bars) -> dict[str, Array]:
    return {"ad": _ad_line(bars)}


def _adosc(bars: Bars) -> dict[str, Array]:
    line = _ad_line(bars)
    out = ema_first_value(line, ema_alpha(3)) - ema_first_value(line, ema_alpha(10))
    out[:9] = NAN
    return {"adosc": out}


register_many(
    [
        spec("obv", GROUP, CV, 0, 1, _CUMULATIVE + "On-balance volume (TA-Lib OBV): volume of "
             "bar 0, then + volume when close rises, - volume when it falls, unchanged when "
             "equal.", reference="talib:OBV"),
    ],
    _obv,
)  # fmt: skip
register_many(
    [
        spec("ad", GROUP, HLCV, 0, 1, _CUMULATIVE + "Chaikin accumulation/distribution line "
             "(TA-Lib AD): running sum of ((close - low) - (high - close)) / (high - low) * "
             "volume, bars with high = low adding 0.", reference="talib:AD"),
    ],
    _ad,
)  # fmt: skip
register_many(
    [
        spec("adosc", GROUP, HLCV, 10, 10, "Chaikin A/D oscillator (TA-Lib ADOSC 3, 10): "
             "EMA3(ad) - EMA10(ad) of the A/D line, both EMAs seeded with the first A/D value "
             "and updated as k * ad + (1 - k) * ema; first value at bar 9. The difference does "
             "not depend on where the A/D sum starts, so it streams (memory: older weight "
             "< 1e-12).", memory=10 + decay_bars((ema_alpha(10),)), reference="talib:ADOSC"),
    ],
    _adosc,
)  # fmt: skip


def _mfi(bars: Bars) -> dict[str, Array]:
    tp = typical_price(bars)
    flow = tp * bars.volume
    moved = ~is_tie(tp[1:], tp[:-1])
    up = np.where(moved & (tp[1:] > tp[:-1]), flow[1:], 0.0)
    down = np.where(moved & (tp[1:] < tp[:-1]), flow[1:], 0.0)
    pos = rolling_sum(up, 14)
    total = pos + rolling_sum(down, 14)
    out = np.full(len(bars), NAN)
    out[1:] = np.where(total > 0.0, 100.0 * ratio(np.clip(pos, 0.0, total), total), 0.0)
    out[1:][np.isnan(total)] = NAN
    return {"mfi_14": out}


register_many(
    [
        spec("mfi_14", GROUP, HLCV, 14, 15, "Money flow index 14 (TA-Lib MFI): money flow = tp "
             "* volume with tp = (high + low + close) / 3, positive when tp rises, negative "
             "when it falls, neither when |tp - prev tp| <= 1e-14 * (|tp| + |prev tp|) "
             "(TA-Lib's dead zone); 100 * positive / (positive + negative) over 14 bars, 0 when "
             "that total is 0. First value at bar 14.",
             reference="talib:MFI"),
    ],
    _mfi,
)  # fmt: skip


def _vwap(bars: Bars) -> dict[str, Array]:
    vwap = session_vwap(typical_price(bars), bars.volume, bars.session)
    return {"vwap_session": vwap, "vwap_dist": ratio(bars.close - vwap, vwap)}


_VWAP = (
    "Session VWAP of typical price (high + low + close) / 3, restarting when bars.session "
    "changes; while the session has traded no volume every bar weighs 1 (equal-weighted mean), "
    "afterwards zero-volume bars weigh nothing (like the streaming SessionVWAP). Memory 1440 "
    "bars: exact for sessions of at most 1440 bars (1-minute bars or coarser in a 24-hour day)"
)
register_many(
    [
        spec("vwap_session", GROUP, HLCV, 0, 1, _VWAP + "; this: the VWAP.", memory=1440),
        spec("vwap_dist", GROUP, HLCV, 0, 1, _VWAP + "; this: (close - vwap) / vwap, NaN when "
             "vwap is 0.", memory=1440),
    ],
    _vwap,
)  # fmt: skip


def _volume_z(bars: Bars) -> dict[str, Array]:
    v = bars.volume
    return {"volume_z_20": ratio(v - sma(v, 20), rolling_std(v, 20, 0))}


def _force(bars: Bars) -> dict[str, Array]:
    return {"force_13": ema(diff(bars.close) * bars.volume, 13, 1)}


register_many(
    [
        spec("volume_z_20", GROUP, ("volume",), 20, 20, "Volume z-score: (volume - mean) / "
             "population standard deviation of the last 20 volumes; NaN when they are all "
             "equal (e.g. indices with volume 0)."),
    ],
    _volume_z,
)  # fmt: skip
register_many(
    [
        spec("force_13", GROUP, CV, 13, 14, "Force index: EMA13 of (close - prev close) * "
             "volume from bar 1, seeded with the SMA of its first 13 values (TA-Lib EMA "
             "convention), first value at bar 13.", memory=14 + decay_bars((ema_alpha(13),))),
    ],
    _force,
)  # fmt: skip


def _candle(bars: Bars) -> dict[str, Array]:
    o, h, lo, c = bars.open, bars.high, bars.low, bars.close
    body = c - o
    rng = h - lo
    return {
        "body": body,
        "upper_wick": h - np.maximum(o, c),
        "lower_wick": np.minimum(o, c) - lo,
        "range": rng,
        "body_pct": ratio(body, rng),
        "close_pos": ratio(c - lo, rng),
    }


_OHLC = ("open", "high", "low", "close")
register_many(
    [
        spec("body", "candle", ("open", "close"), 1, 1, "Candle body: close - open (signed)."),
        spec("upper_wick", "candle", _OHLC, 1, 1, "Upper wick: high - max(open, close)."),
        spec("lower_wick", "candle", _OHLC, 1, 1, "Lower wick: min(open, close) - low."),
        spec("range", "candle", ("high", "low"), 1, 1, "Bar range: high - low."),
        spec("body_pct", "candle", _OHLC, 1, 1, "Body share of the range: (close - open) / "
             "(high - low), signed, NaN when the range is 0."),
        spec("close_pos", "candle", ("high", "low", "close"), 1, 1, "Close location in the "
             "range: (close - low) / (high - low) in [0, 1], NaN when the range is 0."),
    ],
    _candle,
)  # fmt: skip
