"""Stream real bars of ../shared/data through every indicator and compare with TA-Lib / pandas.

Each indicator is fed every bar of the file with ``update(bar)``; its value must match the
batch reference on every bar after warm-up (rtol = atol = 1e-9; in practice the differences
are ~1e-14 or exactly 0), NaN exactly where the reference is NaN, and ``ready`` must flip on
the bar where the reference stops being NaN. Session VWAP and the opening range are checked
against pandas group-by-session computations (sessions = exchange-local dates).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tronlab.features import (
    ADX,
    ATR,
    EMA,
    MACD,
    RSI,
    SMA,
    WMA,
    Bollinger,
    Donchian,
    OpeningRange,
    RollingHigh,
    RollingLow,
    SessionVWAP,
)

talib = pytest.importorskip("talib", reason="TA-Lib (pip package ta-lib) is not installed")

pytestmark = pytest.mark.realdata

REPO = Path(__file__).resolve().parents[3]
DATA = Path(os.environ.get("TRONLAB_SHARED_DATA", REPO.parent / "shared" / "data"))
if not (DATA / "nse").is_dir() or not (DATA / "us").is_dir():
    pytest.skip(f"shared market data not found at {DATA}", allow_module_level=True)

RTOL = ATOL = 1e-9

# name -> (file, bar length in minutes, exchange time zone, price tick of the file's prices)
FILES: dict[str, tuple[str, int, str, float]] = {
    "NIFTY50_1m": ("nse/NIFTY50_1m_2024-01-01_2024-04-30.csv", 1, "Asia/Kolkata", 0.05),
    "RELIANCE_5m": ("nse/RELIANCE_5m_2025-08-25_2025-12-03.csv", 5, "Asia/Kolkata", 0.05),
    "SPY_1d": ("us/SPY_1d_2005-02-25_2017-11-10.csv", 1440, "America/New_York", 0.0001),
    "AAPL_1d": ("us/AAPL_1d_2005-01-03_2017-11-10.csv", 1440, "America/New_York", 0.0001),
}


class Bar:
    __slots__ = ("close", "end_ns", "high", "low", "open", "session", "start_ns", "volume")

    def __init__(self, *fields: Any) -> None:
        (
            self.open,
            self.high,
            self.low,
            self.close,
            self.volume,
            self.start_ns,
            self.end_ns,
            self.session,
        ) = fields


@dataclass(frozen=True)
class Series:
    name: str
    tick: float
    frame: pd.DataFrame  # open..volume as float64, start_ns, end_ns, session (int64)
    bars: list[Bar]

    def col(self, name: str) -> np.ndarray:
        return self.frame[name].to_numpy(dtype=np.float64)


@cache
def load(name: str) -> Series:
    path, minutes, tz, tick = FILES[name]
    raw = pd.read_csv(DATA / path)
    stamps = pd.to_datetime(raw["timestamp"], utc=True).dt.as_unit("ns")  # pandas 3: not ns
    frame = raw[["open", "high", "low", "close", "volume"]].astype(np.float64)
    frame["start_ns"] = stamps.astype("int64")
    frame["end_ns"] = frame["start_ns"] + minutes * 60_000_000_000
    local_day = stamps.dt.tz_convert(tz).dt.tz_localize(None).dt.normalize().dt.as_unit("ns")
    frame["session"] = local_day.astype("int64") // 86_400_000_000_000
    rows = frame.itertuples(index=False, name=None)
    bars = [Bar(o, h, lo, c, v, int(s), int(e), int(d)) for o, h, lo, c, v, s, e, d in rows]
    return Series(name, tick, frame, bars)


@pytest.fixture(params=sorted(FILES), scope="module")
def series(request: pytest.FixtureRequest) -> Series:
    return load(request.param)


def stream(indicator: Any, bars: list[Bar]) -> tuple[np.ndarray, np.ndarray]:
    """Values (n,) or (n, fields) and ready flags after each bar."""
    values: list[Any] = []
    ready: list[bool] = []
    for bar in bars:
        indicator.update(bar)
        values.append(indicator.value)
        ready.append(indicator.ready)
    return np.array(values, dtype=np.float64), np.array(ready)


def assert_matches(actual: np.ndarray, expected: np.ndarray, what: str) -> None:
    assert actual.shape == expected.shape, what
    nan_a, nan_e = np.isnan(actual), np.isnan(expected)
    assert np.array_equal(nan_a, nan_e), (
        f"{what}: NaN at different bars ({np.sum(nan_a)} vs {np.sum(nan_e)})"
    )
    assert (~nan_e).any(), f"{what}: the reference is all NaN"
    np.testing.assert_allclose(actual[~nan_a], expected[~nan_e], rtol=RTOL, atol=ATOL, err_msg=what)


def assert_ready(ready: np.ndarray, expected: np.ndarray, warmup: int, what: str) -> None:
    want = ~np.isnan(expected)
    assert np.array_equal(ready, want), (
        f"{what}: ready flips at bar {np.argmax(ready)}, TA-Lib at {np.argmax(want)}"
    )
    assert int(np.argmax(want)) + 1 == warmup, f"{what}: warmup {warmup} != TA-Lib lookback + 1"


def close(s: Series) -> np.ndarray:
    return s.col("close")


def hlc(s: Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return s.col("high"), s.col("low"), s.col("close")


def ohlc(s: Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return s.col("open"), s.col("high"), s.col("low"), s.col("close")


Factory = Callable[[Series], Any]
Reference = Callable[[Series], np.ndarray]

# (id, factory, reference from the series)
SINGLE: list[tuple[str, Factory, Reference]] = [
    *[(f"SMA{p}", lambda s, p=p: SMA(p), lambda s, p=p: talib.SMA(close(s), p))
      for p in (10, 50, 200)],
    *[(f"SMA{p}_tick", lambda s, p=p: SMA(p, tick=s.tick), lambda s, p=p: talib.SMA(close(s), p))
      for p in (10, 50, 200)],
    ("SMA20_hlc3", lambda s: SMA(20, "hlc3"), lambda s: talib.SMA(talib.TYPPRICE(*hlc(s)), 20)),
    ("SMA20_hl2", lambda s: SMA(20, "hl2"), lambda s: talib.SMA(talib.MEDPRICE(*hlc(s)[:2]), 20)),
    ("SMA5_ohlc4", lambda s: SMA(5, "ohlc4"), lambda s: talib.SMA(talib.AVGPRICE(*ohlc(s)), 5)),
    *[(f"EMA{p}", lambda s, p=p: EMA(p), lambda s, p=p: talib.EMA(close(s), p))
      for p in (12, 26, 200)],
    ("EMA10_open", lambda s: EMA(10, "open"), lambda s: talib.EMA(s.col("open"), 10)),
    *[(f"WMA{p}", lambda s, p=p: WMA(p), lambda s, p=p: talib.WMA(close(s), p)) for p in (9, 30)],
    *[(f"RSI{p}", lambda s, p=p: RSI(p), lambda s, p=p: talib.RSI(close(s), p)) for p in (2, 14)],
    *[(f"ATR{p}", lambda s, p=p: ATR(p), lambda s, p=p: talib.ATR(*hlc(s), p)) for p in (1, 5, 14)],
    ("MAX20_high", lambda s: RollingHigh(20), lambda s: talib.MAX(s.col("high"), 20)),
    ("MIN20_low", lambda s: RollingLow(20), lambda s: talib.MIN(s.col("low"), 20)),
    ("MAX55_close", lambda s: RollingHigh(55, "close"), lambda s: talib.MAX(close(s), 55)),
    ("MIN3_close", lambda s: RollingLow(3, "close"), lambda s: talib.MIN(close(s), 3)),
]  # fmt: skip


@pytest.mark.parametrize(("what", "factory", "reference"), SINGLE, ids=[s[0] for s in SINGLE])
def test_single_output_matches_talib(
    series: Series,
    what: str,
    factory: Callable[[Series], Any],
    reference: Callable[[Series], np.ndarray],
) -> None:
    indicator = factory(series)
    values, ready = stream(indicator, series.bars)
    expected = reference(series)
    assert_matches(values, expected, f"{series.name} {what}")
    assert_ready(ready, expected, indicator.warmup, f"{series.name} {what}")


@pytest.mark.parametrize("period", [10, 50, 200])
def test_tick_sma_sum_is_the_exact_tick_count(series: Series, period: int) -> None:
    sma = SMA(period, tick=series.tick)
    close = series.col("close")
    ticks = np.rint(close / series.tick).astype(np.int64)
    window = np.lib.stride_tricks.sliding_window_view(ticks, period).sum(axis=1)
    got = []
    for bar in series.bars:
        sma.update(bar)
        got.append(sma.sum_ticks if sma.ready else -1)
    assert np.array_equal(np.array(got[period - 1 :]), window)


def test_push_fast_path_equals_update(series: Series) -> None:
    close = series.col("close").tolist()
    makers: list[Callable[[], Any]] = [
        lambda: SMA(20),
        lambda: SMA(20, tick=series.tick),
        lambda: EMA(20),
        lambda: RSI(14),
        lambda: Bollinger(20, 2.0),
        lambda: MACD(12, 26, 9),
        lambda: WMA(10),
        lambda: RollingHigh(20, "close"),
        lambda: RollingLow(20, "close"),
    ]
    for make in makers:
        by_bar, by_push = make(), make()
        for bar, x in zip(series.bars, close, strict=True):
            by_bar.update(bar)
            by_push.push(x)
        assert by_bar.value == by_push.value


@pytest.mark.parametrize("period", [14, 5])
def test_adx_and_directional_indicators_match_talib(series: Series, period: int) -> None:
    h, lo, c = series.col("high"), series.col("low"), series.col("close")
    adx = ADX(period)
    values, ready = stream(adx, series.bars)
    what = f"{series.name} ADX{period}"
    expected = talib.ADX(h, lo, c, period)
    assert_matches(values[:, 0], expected, what)
    assert_ready(ready, expected, adx.warmup, what)
    assert_matches(values[:, 1], talib.PLUS_DI(h, lo, c, period), what + " +DI")
    assert_matches(values[:, 2], talib.MINUS_DI(h, lo, c, period), what + " -DI")


@pytest.mark.parametrize(("period", "k"), [(20, 2.0), (10, 1.0), (50, 2.5)])
def test_bollinger_matches_talib_bbands(series: Series, period: int, k: float) -> None:
    close = series.col("close")
    boll = Bollinger(period, k)
    values, ready = stream(boll, series.bars)
    upper, middle, lower = talib.BBANDS(close, period, k, k, 0)
    what = f"{series.name} BBANDS{period},{k}"
    assert_matches(values[:, :3], np.column_stack([upper, middle, lower]), what)
    assert_ready(ready, middle, boll.warmup, what)
    span = upper - lower
    with np.errstate(divide="ignore", invalid="ignore"):
        percent_b = np.where(span > 0, (close - lower) / span, np.nan)
        width = span / middle
    live = span > 1e-6  # %b is a ratio of two band widths: compare where the bands are apart
    np.testing.assert_allclose(values[live, 3], percent_b[live], rtol=1e-7, atol=1e-7)
    assert np.isnan(values[~np.isnan(middle) & (span == 0), 3]).all()
    assert_matches(values[:, 4], width, what + " width")


@pytest.mark.parametrize(("fast", "slow", "signal"), [(12, 26, 9), (5, 35, 5), (3, 10, 16)])
def test_macd_matches_talib(series: Series, fast: int, slow: int, signal: int) -> None:
    macd = MACD(fast, slow, signal)
    values, ready = stream(macd, series.bars)
    expected = np.column_stack(talib.MACD(series.col("close"), fast, slow, signal))
    what = f"{series.name} MACD{fast},{slow},{signal}"
    assert_matches(values, expected, what)
    assert_ready(ready, expected[:, 0], macd.warmup, what)


@pytest.mark.parametrize("period", [20, 55])
def test_donchian_matches_talib_max_min(series: Series, period: int) -> None:
    don = Donchian(period)
    values, ready = stream(don, series.bars)
    upper = talib.MAX(series.col("high"), period)
    lower = talib.MIN(series.col("low"), period)
    what = f"{series.name} Donchian{period}"
    assert_matches(values, np.column_stack([upper, lower, (upper + lower) / 2]), what)
    assert_ready(ready, upper, don.warmup, what)


# ----------------------------------------------------------------------------- sessions

INTRADAY = ["NIFTY50_1m", "RELIANCE_5m"]


def vwap_reference(frame: pd.DataFrame) -> pd.DataFrame:
    """Session VWAP and weighted std by pandas: volume-weighted once the session has traded
    volume, equal weights while it has none (the documented fallback)."""
    tp = (frame["high"] + frame["low"] + frame["close"]) / 3.0
    g = frame["session"]
    vol = frame["volume"].where(frame["volume"] > 0, 0.0)
    d = tp - tp.groupby(g).transform("first")  # shift by the session's first price
    cum_v = vol.groupby(g).cumsum()
    count = d.groupby(g).cumcount() + 1
    by_volume = cum_v > 0
    safe_v = cum_v.where(by_volume, np.nan)
    mean_v = (vol * d).groupby(g).cumsum() / safe_v
    var_v = (vol * d * d).groupby(g).cumsum() / safe_v - mean_v**2
    mean_e = d.groupby(g).cumsum() / count
    var_e = (d * d).groupby(g).cumsum() / count - mean_e**2
    mean_d = mean_v.where(by_volume, mean_e)
    var = var_v.where(by_volume, var_e).clip(lower=0.0)
    return pd.DataFrame({"vwap": tp - d + mean_d, "std": np.sqrt(var)})


@pytest.mark.parametrize("name", INTRADAY)
def test_session_vwap_matches_pandas(name: str) -> None:
    s = load(name)
    vwap = SessionVWAP(bands=(1.0, 2.0))
    values, ready = stream(vwap, s.bars)
    ref = vwap_reference(s.frame)
    assert ready.all()
    np.testing.assert_allclose(values[:, 0], ref["vwap"], rtol=1e-13, atol=0)
    np.testing.assert_allclose(values[:, 1], ref["std"], rtol=RTOL, atol=ATOL)
    for j, k in ((2, 1.0), (3, -1.0), (4, 2.0), (5, -2.0)):
        np.testing.assert_allclose(values[:, j], ref["vwap"] + k * ref["std"], rtol=RTOL, atol=ATOL)
    first = s.frame["session"].diff().fillna(1).to_numpy() != 0
    assert (values[first, 1] == 0.0).all()  # each session starts afresh
    assert first.sum() == s.frame["session"].nunique() > 10


def test_session_vwap_is_volume_weighted_on_equities_and_equal_weighted_on_indices() -> None:
    # RELIANCE has volume: the VWAP differs from the plain mean of typical price
    s = load("RELIANCE_5m")
    tp = (s.frame["high"] + s.frame["low"] + s.frame["close"]) / 3.0
    plain = tp.groupby(s.frame["session"]).expanding().mean().to_numpy()
    values, _ = stream(SessionVWAP(), s.bars)
    assert np.max(np.abs(values[:, 0] - plain)) > 0.5
    # NIFTY has none: the VWAP is the plain session mean of typical price
    s = load("NIFTY50_1m")
    tp = (s.frame["high"] + s.frame["low"] + s.frame["close"]) / 3.0
    plain = tp.groupby(s.frame["session"]).expanding().mean().to_numpy()
    values, _ = stream(SessionVWAP(), s.bars)
    np.testing.assert_allclose(values[:, 0], plain, rtol=1e-12)


def opening_range_reference(frame: pd.DataFrame, minutes: int) -> pd.DataFrame:
    g = frame["session"]
    open_ns = frame["start_ns"].groupby(g).transform("first")
    window_end = open_ns + minutes * 60_000_000_000
    inside = frame["start_ns"] < window_end
    high = frame["high"].where(inside).groupby(g).cummax().groupby(g).ffill()
    low = frame["low"].where(inside).groupby(g).cummin().groupby(g).ffill()
    done = (~inside | (frame["end_ns"] >= window_end)).groupby(g).cummax().astype(bool)
    return pd.DataFrame({"high": high, "low": low, "complete": done})


@pytest.mark.parametrize("name", INTRADAY)
@pytest.mark.parametrize("minutes", [15, 30, 60, 7])
def test_opening_range_matches_pandas(name: str, minutes: int) -> None:
    s = load(name)
    orng = OpeningRange(minutes)
    values, ready = stream(orng, s.bars)
    ref = opening_range_reference(s.frame, minutes)
    np.testing.assert_array_equal(values[:, 0], ref["high"].to_numpy())
    np.testing.assert_array_equal(values[:, 1], ref["low"].to_numpy())
    np.testing.assert_array_equal(values[:, 2].astype(bool), ref["complete"].to_numpy())
    np.testing.assert_array_equal(ready, ref["complete"].to_numpy())
    # the range completes on a bar at open + minutes - bar length on full sessions
    bar_minutes = FILES[name][1]
    stamps = pd.to_datetime(s.frame["start_ns"][ready & ~np.r_[False, ready[:-1]]], utc=True)
    local = stamps.dt.tz_convert("Asia/Kolkata").dt.strftime("%H:%M")
    expected_first = pd.Timestamp("09:15") + pd.Timedelta(minutes=minutes - bar_minutes)
    if minutes % bar_minutes == 0:
        assert (local == expected_first.strftime("%H:%M")).mean() > 0.95
