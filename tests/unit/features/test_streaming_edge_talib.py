"""TA-Lib parity on synthetic series built to hit the edge cases real data rarely reaches.

Flat stretches from the very first bar (zero true range, zero gain and loss, zero variance),
inside bars without directional movement, gaps, sub-cent and 10^7 price levels, long flats
that decay towards underflow. Needs TA-Lib (dev dependency ``ta-lib``); no market data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from tronlab.features import ADX, ATR, EMA, MACD, RSI, SMA, WMA, Bollinger, Donchian

talib = pytest.importorskip("talib", reason="TA-Lib (pip package ta-lib) is not installed")


class Bar:
    __slots__ = ("close", "end_ns", "high", "low", "open", "session", "start_ns", "volume")

    def __init__(self, o: float, h: float, lo: float, c: float) -> None:
        self.open, self.high, self.low, self.close = o, h, lo, c
        self.volume = 0.0
        self.start_ns = self.end_ns = self.session = 0


def make_series(kind: str, scale: float) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(KINDS.index(kind) + 1)  # deterministic, same for every scale
    n = 400
    if kind == "flat_start":
        c = np.r_[np.full(60, 100.0), 100.0 + np.cumsum(rng.normal(0, 0.5, n - 60))]
    elif kind == "flat_middle":
        c = 100.0 + np.cumsum(rng.normal(0, 0.5, n))
        c[150:300] = c[149]
    elif kind == "gaps":
        c = 100.0 + np.cumsum(rng.normal(0, 0.5, n) + np.where(rng.random(n) < 0.05, 8.0, 0.0))
    else:  # "steps": piecewise constant with rare jumps
        c = 100.0 + np.cumsum(np.where(rng.random(n) < 0.1, rng.normal(0, 2, n), 0.0))
    spread = np.abs(rng.normal(0, 0.3, n)) * (np.abs(np.diff(c, prepend=c[0])) > 0)
    o = np.r_[c[0], c[:-1]]
    h = np.maximum(o, c) + spread
    lo = np.minimum(o, c) - spread
    # keep the grid: prices are multiples of 1/64 (exact in binary) before scaling
    o, h, lo, c = (np.round(x * 64) / 64 * scale for x in (o, h, lo, c))
    return o, h, lo, c


KINDS = ["flat_start", "flat_middle", "gaps", "steps"]
SCALES = [1.0, 1e-4, 1e5]

CASES: list[tuple[str, Callable[[], Any], Callable[..., Any]]] = [
    ("SMA5", lambda: SMA(5), lambda o, h, lo, c: talib.SMA(c, 5)),
    ("EMA7", lambda: EMA(7), lambda o, h, lo, c: talib.EMA(c, 7)),
    ("WMA6", lambda: WMA(6), lambda o, h, lo, c: talib.WMA(c, 6)),
    ("RSI5", lambda: RSI(5), lambda o, h, lo, c: talib.RSI(c, 5)),
    ("ATR4", lambda: ATR(4), lambda o, h, lo, c: talib.ATR(h, lo, c, 4)),
    ("ADX4", lambda: ADX(4), lambda o, h, lo, c: np.column_stack(
        [talib.ADX(h, lo, c, 4), talib.PLUS_DI(h, lo, c, 4), talib.MINUS_DI(h, lo, c, 4)])),
    ("BB8", lambda: Bollinger(8, 2.0), lambda o, h, lo, c: np.column_stack(
        talib.BBANDS(c, 8, 2.0, 2.0, 0))),
    ("MACD", lambda: MACD(3, 8, 4), lambda o, h, lo, c: np.column_stack(talib.MACD(c, 3, 8, 4))),
    ("DON6", lambda: Donchian(6), lambda o, h, lo, c: np.column_stack(
        [talib.MAX(h, 6), talib.MIN(lo, 6)])),
]  # fmt: skip


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("what", "factory", "reference"), CASES, ids=[c[0] for c in CASES])
def test_edge_series_match_talib(
    kind: str, scale: float, what: str, factory: Callable[[], Any], reference: Callable[..., Any]
) -> None:
    o, h, lo, c = make_series(kind, scale)
    indicator = factory()
    values, ready = [], []
    for bar in (
        Bar(*row) for row in zip(o.tolist(), h.tolist(), lo.tolist(), c.tolist(), strict=True)
    ):
        indicator.update(bar)
        v = indicator.value
        values.append(tuple(v) if isinstance(v, tuple) else v)
        ready.append(indicator.ready)
    got = np.array(values, dtype=np.float64)
    want = np.asarray(reference(o, h, lo, c), dtype=np.float64)
    if got.ndim == 2:
        got = got[:, : want.shape[1]]
    first = want if want.ndim == 1 else want[:, 0]
    assert np.array_equal(np.array(ready), ~np.isnan(first)), f"{what}: ready differs"
    assert np.array_equal(np.isnan(got), np.isnan(want)), f"{what}: NaN positions differ"
    m = ~np.isnan(want)
    # absolute tolerance relative to the price scale for price-valued outputs
    atol = 1e-9 * (scale if what not in ("RSI5", "ADX4") else 1.0)
    np.testing.assert_allclose(got[m], want[m], rtol=1e-9, atol=atol, err_msg=f"{kind} {what}")


def test_flat_windows_give_exact_zero_like_talib() -> None:
    c = make_series("flat_middle", 1.0)[3]
    boll = Bollinger(8, 2.0)
    rsi = RSI(5)
    std, percent_b, rsis = [], [], []
    for x in c.tolist():
        boll.push(x)
        rsi.push(x)
        std.append(boll.std)
        percent_b.append(boll.value.percent_b)
        rsis.append(rsi.value)
    upper, middle, _ = talib.BBANDS(c, 8, 1.0, 1.0, 0)
    talib_zero = (upper - middle) == 0
    assert talib_zero.sum() > 100
    assert np.array_equal(np.array(std) == 0, talib_zero)
    assert np.isnan(np.array(percent_b)[talib_zero]).all()
    assert not np.isnan(np.array(percent_b)[~talib_zero & ~np.isnan(upper)]).any()
    np.testing.assert_allclose(rsis[5:], talib.RSI(c, 5)[5:], rtol=1e-12)
    c = make_series("flat_start", 1.0)[3]
    rsi = RSI(5)
    for x in c[:30].tolist():
        rsi.push(x)
    assert rsi.value == talib.RSI(c[:30], 5)[-1] == 0.0


def test_tiny_directional_movement_is_not_treated_as_zero() -> None:
    # big true ranges (close gaps) with +DM of 1e-12 per bar: +DI ~ 1e-11, DX 100 (TA-Lib
    # tests the DI sum against exactly 0, not against a fixed epsilon)
    i = np.arange(60)
    c = np.where(i % 2 == 0, 100.0, 110.0)
    h = 111.0 + i * 1e-12
    lo = np.full(60, 99.0)
    adx = ADX(4)
    for row in zip(h.tolist(), lo.tolist(), c.tolist(), strict=True):
        adx.push_hlc(*row)
    assert adx.value.adx == talib.ADX(h, lo, c, 4)[-1] == pytest.approx(100.0)
    assert adx.value.plus_di == pytest.approx(talib.PLUS_DI(h, lo, c, 4)[-1], rel=1e-9)
    assert 0 < adx.value.plus_di < 1e-10
