"""Batch technical indicators (:mod:`tronlab.features.ta`): hand-computed values for each
group, NaN warm-up, no look-ahead, and windowed (streamed) evaluation equal to batch."""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest

from tronlab.features import ta
from tronlab.features.registry import Array, Bars, Feature, compute, registry
from tronlab.features.ta_common import DECAY_TOL, decay_bars, ema_alpha

NAN = math.nan


def make_bars(
    close: Array | list[float],
    high: Array | list[float] | None = None,
    low: Array | list[float] | None = None,
    open_: Array | list[float] | None = None,
    volume: Array | list[float] | None = None,
    session: Array | list[int] | None = None,
) -> Bars:
    c = np.asarray(close, dtype=np.float64)
    n = len(c)
    f = lambda x, d: np.asarray(d if x is None else x, dtype=np.float64)  # noqa: E731
    start = np.arange(n, dtype=np.int64) * 60_000_000_000
    sess = np.zeros(n, dtype=np.int64) if session is None else np.asarray(session, np.int64)
    return Bars(
        f(open_, c), f(high, c), f(low, c), c, f(volume, np.ones(n)),
        start, start + 60_000_000_000, sess,
    )  # fmt: skip


def ramp_bars(n: int = 120) -> Bars:
    """close = t + 1, high = t + 1, low = t - 1, open = t: a steady up-trend."""
    t = np.arange(n, dtype=np.float64)
    return make_bars(t + 1, t + 1, t - 1, t, np.full(n, 100.0))


def values(bars: Bars, *names: str) -> dict[str, Array]:
    return compute(bars, list(names))


@cache
def random_bars(n: int = 3000, seed: int = 11) -> Bars:
    """Random walk on a 0.01 tick with a flat stretch, zero-volume bars and 375-bar sessions."""
    rng = np.random.default_rng(seed)
    c = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.004, n)))
    c[n // 3 : n // 3 + 40] = c[n // 3]
    o = np.r_[c[0], c[:-1]]
    h = np.maximum(o, c) + np.abs(rng.normal(0.0, 0.1, n))
    lo = np.minimum(o, c) - np.abs(rng.normal(0.0, 0.1, n))
    o, h, lo, c = (np.round(x, 2) for x in (o, h, lo, c))
    h[n // 3 : n // 3 + 40] = lo[n // 3 : n // 3 + 40] = c[n // 3]
    v = np.round(rng.lognormal(9.0, 1.0, n))
    v[rng.random(n) < 0.05] = 0.0
    v[:10] = 0.0  # the first session starts without volume (equal-weighted VWAP)
    return make_bars(c, h, lo, o, v, np.arange(n) // 375)


def features() -> list[Feature]:
    return ta.features()


def cumulative(f: Feature) -> bool:
    return f.description.startswith("CUMULATIVE")


# --------------------------------------------------------------------------------------------
# registry metadata


def test_registers_the_expected_features() -> None:
    names = {f.name for f in features()}
    assert len(names) >= 60
    expected = {
        *(f"sma_{n}" for n in (5, 10, 20, 50, 100, 200)),
        *(f"ema_{n}" for n in (5, 10, 20, 50, 100, 200)),
        *(f"wma_{n}" for n in (10, 20, 50)),
        "dema_20", "tema_20", "kama_10", "hma_20",
        "rsi_7", "rsi_14", "rsi_21", "stoch_k_14", "stoch_d_14", "stochrsi_k_14",
        "stochrsi_d_14", "macd", "macd_signal", "macd_hist", "roc_5", "roc_10", "roc_20",
        "mom_10", "willr_14", "cci_20", "trix_15", "ultosc", "tsi_25_13",
        "adx_14", "plus_di_14", "minus_di_14", "aroon_up_25", "aroon_down_25", "aroon_osc_25",
        "sar", "supertrend_10_3", "supertrend_dir_10_3", "ichimoku_tenkan", "ichimoku_kijun",
        "ichimoku_senkou_a", "ichimoku_senkou_b",
        "atr_14", "natr_14", "bb_upper_20", "bb_middle_20", "bb_lower_20", "bb_pctb_20",
        "bb_width_20", "keltner_upper_20", "keltner_lower_20", "donchian_upper_20",
        "donchian_lower_20", "rv_20", "parkinson_20", "garman_klass_20",
        "obv", "ad", "adosc", "mfi_14", "vwap_session", "vwap_dist", "volume_z_20", "force_13",
        "body", "upper_wick", "lower_wick", "range", "body_pct", "close_pos",
    }  # fmt: skip
    assert expected <= names, expected - names
    assert {f.group for f in features()} == set(ta.GROUPS)
    assert {f.name for f in features() if cumulative(f)} == {
        "obv", "ad", "sar", "supertrend_10_3", "supertrend_dir_10_3",
    }  # fmt: skip
    for f in features():
        assert registry()[f.name] is f
        assert f.description
        assert f.inputs
        assert 1 <= f.warmup <= f.memory
        if cumulative(f):
            assert "cumulative from the first bar" in f.description
            assert f.memory == f.warmup


def test_recursive_memory_follows_the_decay_rule() -> None:
    reg = registry()
    for n in (5, 10, 20, 50, 100, 200):
        k = 2.0 / (n + 1)
        assert reg[f"ema_{n}"].memory == n + math.ceil(math.log(1e-12) / math.log(1 - k))
    for n in (7, 14, 21):
        want = n + 1 + math.ceil(math.log(1e-12) / math.log(1 - 1 / n))
        assert reg[f"rsi_{n}"].memory == want
    assert reg["atr_14"].memory == 15 + decay_bars((1 / 14,))
    # a cascade decays more slowly than its slowest stage
    a = ema_alpha(20)
    assert decay_bars((a, a)) > decay_bars((a,))
    assert decay_bars((a, a, a)) > decay_bars((a, a))
    assert DECAY_TOL == 1e-12


# --------------------------------------------------------------------------------------------
# hand-computed values


def test_moving_averages_by_hand() -> None:
    b = make_bars(np.arange(1.0, 11.0))
    v = values(b, "sma_5", "ema_5", "wma_10")
    np.testing.assert_array_equal(v["sma_5"][:4], [NAN] * 4)
    np.testing.assert_allclose(v["sma_5"][4:], np.arange(3.0, 9.0))
    # seeded with SMA(1..5) = 3 at bar 4, then ema += (x - ema) / 3: lags the ramp by 2
    np.testing.assert_allclose(v["ema_5"][4:], np.arange(4.0, 10.0) - 1.0)
    assert v["wma_10"][9] == pytest.approx(385.0 / 55.0)  # sum(i * i) / sum(i)
    ramp = make_bars(np.arange(200.0))
    v = values(ramp, "dema_20", "tema_20", "hma_20", "kama_10")
    t = np.arange(200.0)
    # on a ramp an SMA-seeded EMA(n) lags by exactly (n - 1) / 2, so DEMA and TEMA are exact
    np.testing.assert_allclose(v["dema_20"][38:], t[38:], rtol=1e-12)
    np.testing.assert_allclose(v["tema_20"][57:], t[57:], rtol=1e-12)
    # WMA(n) lags by (n - 1) / 3: 2 (t - 3) - (t - 19/3) = t + 1/3, then WMA4 lags by 1
    np.testing.assert_allclose(v["hma_20"][22:], t[22:] - 2.0 / 3.0, rtol=1e-12)
    # efficiency ratio 1: sc = (2/3)^2, seeded with the close of bar 9
    assert v["kama_10"][10] == pytest.approx(9.0 + 4.0 / 9.0)
    assert np.isnan(v["kama_10"][9])


def test_momentum_by_hand() -> None:
    zigzag = make_bars([10.0, 11.0] * 10)
    rsi = values(zigzag, "rsi_7")["rsi_7"]
    assert np.isnan(rsi[6])
    assert rsi[7] == pytest.approx(100 * 4 / 7)  # 4 gains, 3 losses of 1
    assert rsi[8] == pytest.approx(100 * 24 / 49)  # (4/7 * 6) / 7 vs (3/7 * 6 + 1) / 7
    assert values(make_bars(np.full(30, 5.0)), "rsi_14")["rsi_14"][14] == 0.0  # TA-Lib: 0
    c = np.linspace(100.0, 130.0, 31)
    v = values(make_bars(c), "roc_5", "mom_10")
    assert v["roc_5"][5] == pytest.approx((c[5] / c[0] - 1) * 100)
    assert v["mom_10"][10] == pytest.approx(c[10] - c[0])
    r = ramp_bars()
    v = values(r, "willr_14", "stoch_k_14", "stoch_d_14", "cci_20", "macd", "macd_signal",
               "macd_hist", "ultosc", "tsi_25_13", "trix_15")  # fmt: skip
    # highest high t + 1, lowest low t - 14, close t + 1
    np.testing.assert_allclose(v["willr_14"][13:], 0.0, atol=1e-12)
    np.testing.assert_allclose(v["stoch_k_14"][17:], 100.0, rtol=1e-12)
    np.testing.assert_allclose(v["stoch_d_14"][17:], 100.0, rtol=1e-12)
    assert np.isnan(v["stoch_k_14"][16])  # published together with %D, as TA-Lib does
    # typical price tp = t + 1/3: deviation 9.5, mean absolute deviation 5
    np.testing.assert_allclose(v["cci_20"][19:], 9.5 / (0.015 * 5.0), rtol=1e-12)
    # EMA12 and EMA26 lag a ramp by 5.5 and 12.5
    np.testing.assert_allclose(v["macd"][33:], 7.0, rtol=1e-9)
    np.testing.assert_allclose(v["macd_signal"][33:], 7.0, rtol=1e-9)
    np.testing.assert_allclose(v["macd_hist"][33:], 0.0, atol=1e-9)
    assert np.isnan(v["macd"][32])
    # buying pressure = true range = 2 on every bar
    np.testing.assert_allclose(v["ultosc"][28:], 100.0, rtol=1e-12)
    np.testing.assert_allclose(v["tsi_25_13"][37:], 100.0, rtol=1e-12)
    assert np.isnan(v["tsi_25_13"][36])
    flat = values(make_bars(np.full(60, 7.0)), "trix_15", "willr_14", "stoch_k_14")
    np.testing.assert_array_equal(flat["trix_15"][43:], 0.0)
    np.testing.assert_array_equal(flat["willr_14"][13:], 0.0)  # flat window: 0, not NaN
    np.testing.assert_array_equal(flat["stoch_k_14"][17:], 0.0)
    w = values(make_bars([10.0, 12.0, 11.0] * 10, [12.0] * 30, [9.0] * 30), "willr_14")
    np.testing.assert_allclose(w["willr_14"][13:16], [0.0, -100 / 3, -200 / 3], atol=1e-12)


def test_trend_by_hand() -> None:
    r = ramp_bars()
    v = values(r, "adx_14", "plus_di_14", "minus_di_14", "aroon_up_25", "aroon_down_25",
               "aroon_osc_25", "ichimoku_tenkan", "ichimoku_kijun", "ichimoku_senkou_a",
               "ichimoku_senkou_b", "supertrend_10_3", "supertrend_dir_10_3")  # fmt: skip
    t = np.arange(120.0)
    # +DM 1 and true range 2 on every bar, -DM 0
    np.testing.assert_allclose(v["plus_di_14"][14:], 50.0, rtol=1e-12)
    np.testing.assert_array_equal(v["minus_di_14"][14:], 0.0)
    np.testing.assert_allclose(v["adx_14"][27:], 100.0, rtol=1e-12)
    assert np.isnan(v["adx_14"][26])
    assert np.isnan(v["plus_di_14"][13])
    np.testing.assert_array_equal(v["aroon_up_25"][25:], 100.0)
    np.testing.assert_array_equal(v["aroon_down_25"][25:], 0.0)
    np.testing.assert_array_equal(v["aroon_osc_25"][25:], 100.0)
    np.testing.assert_allclose(v["ichimoku_tenkan"][8:], t[8:] - 4.0)
    np.testing.assert_allclose(v["ichimoku_kijun"][25:], t[25:] - 12.5)
    np.testing.assert_allclose(v["ichimoku_senkou_a"][25:], t[25:] - 8.25)
    np.testing.assert_allclose(v["ichimoku_senkou_b"][51:], t[51:] - 25.5)
    # ATR10 = 2: bands hl2 ± 6 = t ± 6; starts down with the upper band frozen at 16 until a
    # close above it (bar 16, close 17), then follows the rising lower band t - 6
    direction = v["supertrend_dir_10_3"]
    np.testing.assert_array_equal(direction[10:16], -1.0)
    np.testing.assert_array_equal(direction[16:], 1.0)
    np.testing.assert_array_equal(v["supertrend_10_3"][10:16], 16.0)
    np.testing.assert_allclose(v["supertrend_10_3"][16:], t[16:] - 6.0)
    assert np.isnan(direction[9])
    sar = values(make_bars([9.5, 10.5, 11.5, 12.5], [10, 11, 12, 13], [9, 10, 11, 12]),
                 "sar")["sar"]  # fmt: skip
    # long from bar 1 (no -DM): stop = low of bar 0, ep = 11, af 0.02, then ep 12, af 0.04
    np.testing.assert_allclose(sar, [NAN, 9.0, 9.04, 9.04 + 0.04 * (12 - 9.04)])


def test_volatility_by_hand() -> None:
    r = ramp_bars()
    t = np.arange(120.0)
    v = values(r, "atr_14", "natr_14", "keltner_upper_20", "keltner_lower_20",
               "donchian_upper_20", "donchian_lower_20")  # fmt: skip
    np.testing.assert_allclose(v["atr_14"][14:], 2.0, rtol=1e-12)
    np.testing.assert_allclose(v["natr_14"][14:], 200.0 / (t[14:] + 1), rtol=1e-12)
    np.testing.assert_allclose(v["keltner_upper_20"][19:], t[19:] + 1 - 9.5 + 4.0, rtol=1e-12)
    np.testing.assert_allclose(v["keltner_lower_20"][19:], t[19:] + 1 - 9.5 - 4.0, rtol=1e-12)
    np.testing.assert_array_equal(v["donchian_upper_20"][19:], t[19:] + 1)
    np.testing.assert_array_equal(v["donchian_lower_20"][19:], t[19:] - 20)
    bb = values(make_bars(np.arange(1.0, 21.0)), "bb_upper_20", "bb_middle_20", "bb_lower_20",
                "bb_pctb_20", "bb_width_20")  # fmt: skip
    std = math.sqrt((20**2 - 1) / 12)
    assert bb["bb_middle_20"][19] == pytest.approx(10.5)
    assert bb["bb_upper_20"][19] == pytest.approx(10.5 + 2 * std)
    assert bb["bb_lower_20"][19] == pytest.approx(10.5 - 2 * std)
    assert bb["bb_pctb_20"][19] == pytest.approx((20 - 10.5 + 2 * std) / (4 * std))
    assert bb["bb_width_20"][19] == pytest.approx(4 * std / 10.5)
    flat = values(make_bars(np.full(25, 0.1)), "bb_upper_20", "bb_lower_20", "bb_pctb_20",
                  "bb_width_20")  # fmt: skip
    np.testing.assert_array_equal(flat["bb_upper_20"][19:], flat["bb_lower_20"][19:])
    assert np.isnan(flat["bb_pctb_20"][19:]).all()  # bands coincide: NaN
    np.testing.assert_array_equal(flat["bb_width_20"][19:], 0.0)
    n = 40
    c = 100.0 * 1.01 ** np.arange(n)
    g = values(make_bars(c, c * math.exp(0.01), c * math.exp(-0.01), c), "rv_20",
               "parkinson_20", "garman_klass_20")  # fmt: skip
    assert np.isnan(g["rv_20"][19])
    assert not np.isnan(g["rv_20"][20])
    np.testing.assert_allclose(g["rv_20"][20:], 0.0, atol=1e-14)  # constant log return
    park = 0.02 / math.sqrt(4 * math.log(2))
    np.testing.assert_allclose(g["parkinson_20"][19:], park, rtol=1e-12)
    np.testing.assert_allclose(g["garman_klass_20"][19:], 0.02 * math.sqrt(0.5), rtol=1e-12)


def test_volume_by_hand() -> None:
    b = make_bars([10.0, 11.0, 11.0, 10.0, 12.0], [11, 11, 12, 10, 12], [9, 10, 10, 10, 11],
                  volume=[100.0, 200.0, 300.0, 400.0, 500.0])  # fmt: skip
    v = values(b, "obv", "ad")
    np.testing.assert_array_equal(v["obv"], [100.0, 300.0, 300.0, -100.0, 400.0])
    # clv: 0, +1 (close at high), 0, high = low adds 0, +1
    np.testing.assert_allclose(v["ad"], [0.0, 200.0, 200.0, 200.0, 700.0])
    # session VWAP of tp = (h + l + c) / 3; session 1 starts without volume (equal weights)
    tp = [3.0, 6.0, 9.0, 12.0, 15.0]
    b = make_bars(tp, tp, tp, volume=[1.0, 3.0, 0.0, 0.0, 2.0], session=[0, 0, 1, 1, 1])
    v = values(b, "vwap_session", "vwap_dist")
    np.testing.assert_allclose(v["vwap_session"], [3.0, 5.25, 9.0, 10.5, 15.0])
    np.testing.assert_allclose(v["vwap_dist"], [0.0, 6 / 5.25 - 1, 0.0, 12 / 10.5 - 1, 0.0])
    vol = np.arange(1.0, 21.0)
    z = values(make_bars(np.full(20, 1.0), volume=vol), "volume_z_20")["volume_z_20"]
    assert z[19] == pytest.approx((20 - 10.5) / math.sqrt((20**2 - 1) / 12))
    assert np.isnan(values(make_bars(np.ones(25), volume=np.zeros(25)), "volume_z_20")[
        "volume_z_20"][19:]).all()  # fmt: skip
    r = ramp_bars(60)
    v = values(r, "force_13", "mfi_14", "adosc")
    np.testing.assert_allclose(v["force_13"][13:], 100.0)  # close rises 1 on volume 100
    assert np.isnan(v["force_13"][12])
    np.testing.assert_allclose(v["mfi_14"][14:], 100.0)  # typical price always rises
    # the A/D line rises by the same amount every bar: EMA3 - EMA10 of a ramp, positive
    assert (v["adosc"][9:] > 0).all()
    assert np.isnan(v["adosc"][8])
    # tp ties (within TA-Lib's relative dead zone) carry no money flow
    c = np.array([10.0, 11.0, 11.0, 11.0 + 1e-13] * 8)
    m = values(make_bars(c, volume=np.full(32, 10.0)), "mfi_14")["mfi_14"]
    # changes 1..14: up at 1, 5, 9, 13 (flow 110), down at 4, 8, 12 (flow 100), the rest ties
    assert m[14] == pytest.approx(100 * 440 / 740)


def test_candle_by_hand() -> None:
    b = make_bars([11.0, 5.0], [12.0, 5.0], [9.0, 5.0], [10.0, 5.0])
    v = values(b, "body", "upper_wick", "lower_wick", "range", "body_pct", "close_pos")
    np.testing.assert_array_equal(v["body"], [1.0, 0.0])
    np.testing.assert_array_equal(v["upper_wick"], [1.0, 0.0])
    np.testing.assert_array_equal(v["lower_wick"], [1.0, 0.0])
    np.testing.assert_array_equal(v["range"], [3.0, 0.0])
    assert v["body_pct"][0] == pytest.approx(1 / 3)
    assert v["close_pos"][0] == pytest.approx(2 / 3)
    assert np.isnan(v["body_pct"][1])
    assert np.isnan(v["close_pos"][1])


# --------------------------------------------------------------------------------------------
# properties of every feature


@cache
def batch(n: int = 3000) -> dict[str, Array]:
    return compute(random_bars(n), features())


def test_warmup_is_exact() -> None:
    """NaN before warmup - 1, a value at warmup - 1 (random data: no degenerate window)."""
    b = random_bars()
    for f in features():
        got = batch()[f.name]
        assert got.shape == (len(b),)
        assert np.isnan(got[: f.warmup - 1]).all(), f"{f.name}: a value before its warm-up"
        assert not np.isnan(got[f.warmup - 1]), f"{f.name}: NaN at bar warmup - 1"
        # a frame shorter than the warm-up is all NaN, one bar longer has its first value
        short = compute(b.tail(f.warmup - 1), [f])[f.name] if f.warmup > 1 else np.zeros(0)
        assert np.isnan(short).all(), f.name


def test_short_and_empty_frames() -> None:
    for n in (0, 1, 2, 5):
        out = compute(random_bars().tail(n), features())
        assert all(len(v) == n for v in out.values())


@pytest.mark.parametrize("t", [400, 1500, 2998])
def test_no_look_ahead(t: int) -> None:
    b = random_bars()
    rng = np.random.default_rng(t)
    k = len(b) - t - 1
    scale = rng.uniform(0.8, 1.25, k)
    changed = Bars(
        b.open.copy(), b.high.copy(), b.low.copy(), b.close.copy(), b.volume.copy(),
        b.start_ns, b.end_ns, b.session.copy(),
    )  # fmt: skip
    for arr in (changed.open, changed.high, changed.low, changed.close):
        arr[t + 1 :] *= scale
    changed.volume[t + 1 :] = rng.permutation(changed.volume[t + 1 :])
    changed.session[t + 1 :] += 7
    after = compute(changed, features())
    for f in features():
        np.testing.assert_array_equal(
            after[f.name][: t + 1], batch()[f.name][: t + 1], err_msg=f"{f.name} looks ahead"
        )


@cache
def long_bars() -> tuple[Bars, dict[str, Array]]:
    """Long enough for every memory (KAMA's is ~6,600 bars) plus room to slide."""
    n = max(f.memory for f in features()) + 1200
    b = random_bars(n, seed=5)
    return b, compute(b, features())


def _prefix(b: Bars, stop: int) -> Bars:
    s = slice(0, stop)
    return Bars(b.open[s], b.high[s], b.low[s], b.close[s], b.volume[s], b.start_ns[s],
                b.end_ns[s], b.session[s])  # fmt: skip


@pytest.mark.parametrize("back", [0, 333, 1000])
def test_window_of_memory_bars_gives_the_batch_value(back: int) -> None:
    b, full = long_bars()
    t = len(b) - 1 - back
    upto = _prefix(b, t + 1)
    checked = 0
    for f in features():
        if cumulative(f):
            continue
        assert f.memory <= t + 1 - 200, f"{f.name}: series too short to test its memory"
        got = f.compute(upto.tail(f.memory))[f.name][-1]
        want = full[f.name][t]
        assert math.isfinite(want), f.name
        assert got == pytest.approx(want, rel=1e-9, abs=1e-9), f"{f.name} at {t}"
        checked += 1
    assert checked >= 60


def test_a_shorter_window_does_not_converge_for_recursive_features() -> None:
    """The memory is needed: a much shorter window misses (guards the test above)."""
    b, full = long_bars()
    reg = registry()
    for name in ("ema_200", "kama_10", "rsi_14", "macd", "adx_14", "tsi_25_13"):
        f = reg[name]
        got = f.compute(b.tail(f.warmup + 5))[name][-1]
        assert got != pytest.approx(full[name][-1], rel=1e-9, abs=1e-9), name


def test_cumulative_features_restart_with_the_frame() -> None:
    b, full = long_bars()
    k = 2500
    tail = compute(b.tail(len(b) - k), ["obv", "ad"])
    # A/D: the running sum restarts at 0 - a constant offset
    np.testing.assert_allclose(tail["ad"], full["ad"][k:] - full["ad"][k - 1], rtol=1e-9,
                               atol=1e-6)  # fmt: skip
    # OBV: TA-Lib starts from the first bar's volume
    np.testing.assert_allclose(
        tail["obv"], full["obv"][k:] - full["obv"][k] + b.volume[k], rtol=0, atol=1e-6
    )


def test_talib_edge_series() -> None:
    """Flat stretches, ties and zero ranges: the TA-Lib conventions (exact 0 or dead zones)."""
    talib = pytest.importorskip("talib", reason="TA-Lib (pip package ta-lib) is not installed")
    rng = np.random.default_rng(3)
    n = 400
    c = 100.0 + np.cumsum(np.where(rng.random(n) < 0.7, rng.normal(0, 1, n), 0.0))
    c[145:] += 1000.0  # a gap: a running sum that took it in keeps a rounding residue
    c = np.round(c / 0.05) * 0.05
    c[150:260] = c[149]  # flat stretch: exact ties, zero true ranges
    spread = np.where(np.diff(c, prepend=c[0]) != 0, 0.13, 0.0)
    h, lo = c + spread, c - spread
    v = np.where(rng.random(n) < 0.3, 0.0, 1000.0)
    b = make_bars(c, h, lo, np.r_[c[0], c[:-1]], v)
    got = compute(b, ["kama_10", "rsi_14", "cci_20", "willr_14", "stoch_k_14", "stochrsi_k_14",
                      "ultosc", "mfi_14", "adx_14", "bb_upper_20", "sar"])  # fmt: skip
    ref = {
        "kama_10": talib.KAMA(c, 10), "rsi_14": talib.RSI(c, 14),
        "cci_20": talib.CCI(h, lo, c, 20), "willr_14": talib.WILLR(h, lo, c, 14),
        "stoch_k_14": talib.STOCH(h, lo, c, 14, 3, 0, 3, 0)[0],
        "stochrsi_k_14": talib.STOCHRSI(c, 14, 14, 3, 0)[0],
        "ultosc": talib.ULTOSC(h, lo, c, 7, 14, 28), "mfi_14": talib.MFI(h, lo, c, v, 14),
        "adx_14": talib.ADX(h, lo, c, 14), "bb_upper_20": talib.BBANDS(c, 20, 2, 2, 0)[0],
        "sar": talib.SAR(h, lo, 0.02, 0.2),
    }  # fmt: skip
    for name, want in ref.items():
        np.testing.assert_array_equal(np.isnan(got[name]), np.isnan(want), err_msg=name)
        m = ~np.isnan(want)
        np.testing.assert_allclose(got[name][m], want[m], rtol=1e-9, atol=1e-9, err_msg=name)
    # the flat stretch reads 0 where TA-Lib answers 0 (not a ratio of rounding residue), and
    # KAMA adapts at the fastest rate once its window is flat (efficiency ratio 1)
    for name in ("cci_20", "stoch_k_14", "willr_14", "ultosc", "mfi_14"):
        assert (got[name][200:260] == 0).all(), name
    assert got["kama_10"][259] == pytest.approx(c[149], rel=1e-12)


def test_a_window_gone_flat_after_a_gap_sums_to_exactly_zero() -> None:
    """Running sums that took in a large value keep a rounding residue after it leaves; a
    window of exact zeros must still sum to 0 (TA-Lib purges on a run of zeros too)."""
    from tronlab.features.ta_kernels import rolling_sum

    x = np.array([0.1, 0.2, 0.7, 0.9, 0.3, 1e3, 0.1, 0.0, 0.0, 0.0, 0.0])
    assert rolling_sum(x, 4)[10] == 0.0  # not the 2e-14 left by add-then-subtract
    talib = pytest.importorskip("talib", reason="TA-Lib (pip package ta-lib) is not installed")
    rng = np.random.default_rng(3)
    c = 100 + np.cumsum(rng.normal(0, 1, 50))
    c[25:] += 1000.0
    c = np.round(c / 0.05) * 0.05
    c[30:] = c[29]  # the KAMA window is flat from bar 39: efficiency ratio 1, not 0
    got = values(make_bars(c), "kama_10")["kama_10"]
    np.testing.assert_allclose(got[10:], talib.KAMA(c, 10)[10:], rtol=1e-12)
