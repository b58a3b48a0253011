"""Every batch feature with a ``talib:`` reference equals TA-Lib on real bars of ../shared/data.

NIFTY 50 1-minute bars (index: volume 0, flat artefact bars after the close), RELIANCE
5-minute bars (volume indicators) and SPY daily bars. After warm-up each feature equals
TA-Lib's output to 1e-8 (relative; absolute 1e-8 times the series' typical magnitude), its
NaN positions are TA-Lib's, and its first value is at bar ``warmup - 1``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tronlab.features import ta
from tronlab.features.registry import Array, Bars, Feature, compute

talib = pytest.importorskip("talib", reason="TA-Lib (pip package ta-lib) is not installed")

pytestmark = pytest.mark.realdata

REPO = Path(__file__).resolve().parents[3]
DATA = Path(os.environ.get("TRONLAB_SHARED_DATA", REPO.parent / "shared" / "data"))
if not (DATA / "nse").is_dir() or not (DATA / "us").is_dir():
    pytest.skip(
        f"shared market data not found at {DATA} (set TRONLAB_SHARED_DATA)",
        allow_module_level=True,
    )

TOL = 1e-8

# name -> (file, exchange time zone, has volume)
FILES: dict[str, tuple[str, str, bool]] = {
    "NIFTY50_1m": ("nse/NIFTY50_1m_2024-01-01_2024-04-30.csv", "Asia/Kolkata", False),
    "RELIANCE_5m": ("nse/RELIANCE_5m_2025-08-25_2025-12-03.csv", "Asia/Kolkata", True),
    "SPY_1d": ("us/SPY_1d_2005-02-25_2017-11-10.csv", "America/New_York", True),
}

VOLUME = {"obv", "ad", "adosc", "mfi_14"}

Ref = Callable[[Bars], Array]


def _hlc(b: Bars) -> tuple[Array, Array, Array]:
    return b.high, b.low, b.close


def _references() -> dict[str, Ref]:
    refs: dict[str, Ref] = {}
    for n in (5, 10, 20, 50, 100, 200):
        refs[f"sma_{n}"] = lambda b, n=n: talib.SMA(b.close, n)
        refs[f"ema_{n}"] = lambda b, n=n: talib.EMA(b.close, n)
    for n in (10, 20, 50):
        refs[f"wma_{n}"] = lambda b, n=n: talib.WMA(b.close, n)
    for n in (7, 14, 21):
        refs[f"rsi_{n}"] = lambda b, n=n: talib.RSI(b.close, n)
    for n in (5, 10, 20):
        refs[f"roc_{n}"] = lambda b, n=n: talib.ROC(b.close, n)
    stoch = lambda b: talib.STOCH(*_hlc(b), 14, 3, 0, 3, 0)  # noqa: E731
    stochrsi = lambda b: talib.STOCHRSI(b.close, 14, 14, 3, 0)  # noqa: E731
    macd = lambda b: talib.MACD(b.close, 12, 26, 9)  # noqa: E731
    aroon = lambda b: talib.AROON(b.high, b.low, 25)  # noqa: E731
    bbands = lambda b: talib.BBANDS(b.close, 20, 2.0, 2.0, 0)  # noqa: E731
    refs |= {
        "dema_20": lambda b: talib.DEMA(b.close, 20),
        "tema_20": lambda b: talib.TEMA(b.close, 20),
        "kama_10": lambda b: talib.KAMA(b.close, 10),
        "stoch_k_14": lambda b: stoch(b)[0],
        "stoch_d_14": lambda b: stoch(b)[1],
        "stochrsi_k_14": lambda b: stochrsi(b)[0],
        "stochrsi_d_14": lambda b: stochrsi(b)[1],
        "macd": lambda b: macd(b)[0],
        "macd_signal": lambda b: macd(b)[1],
        "macd_hist": lambda b: macd(b)[2],
        "mom_10": lambda b: talib.MOM(b.close, 10),
        "willr_14": lambda b: talib.WILLR(*_hlc(b), 14),
        "cci_20": lambda b: talib.CCI(*_hlc(b), 20),
        "trix_15": lambda b: talib.TRIX(b.close, 15),
        "ultosc": lambda b: talib.ULTOSC(*_hlc(b), 7, 14, 28),
        "adx_14": lambda b: talib.ADX(*_hlc(b), 14),
        "plus_di_14": lambda b: talib.PLUS_DI(*_hlc(b), 14),
        "minus_di_14": lambda b: talib.MINUS_DI(*_hlc(b), 14),
        "aroon_down_25": lambda b: aroon(b)[0],
        "aroon_up_25": lambda b: aroon(b)[1],
        "aroon_osc_25": lambda b: talib.AROONOSC(b.high, b.low, 25),
        "sar": lambda b: talib.SAR(b.high, b.low, 0.02, 0.2),
        "ichimoku_tenkan": lambda b: talib.MIDPRICE(b.high, b.low, 9),
        "ichimoku_kijun": lambda b: talib.MIDPRICE(b.high, b.low, 26),
        "ichimoku_senkou_b": lambda b: talib.MIDPRICE(b.high, b.low, 52),
        "atr_14": lambda b: talib.ATR(*_hlc(b), 14),
        "natr_14": lambda b: talib.NATR(*_hlc(b), 14),
        "bb_upper_20": lambda b: bbands(b)[0],
        "bb_middle_20": lambda b: bbands(b)[1],
        "bb_lower_20": lambda b: bbands(b)[2],
        "donchian_upper_20": lambda b: talib.MAX(b.high, 20),
        "donchian_lower_20": lambda b: talib.MIN(b.low, 20),
        "obv": lambda b: talib.OBV(b.close, b.volume),
        "ad": lambda b: talib.AD(*_hlc(b), b.volume),
        "adosc": lambda b: talib.ADOSC(*_hlc(b), b.volume, 3, 10),
        "mfi_14": lambda b: talib.MFI(*_hlc(b), b.volume, 14),
    }
    return refs


REFERENCES = _references()


def _referenced() -> list[Feature]:
    return [f for f in ta.features() if f.reference.startswith("talib:")]


def test_every_talib_reference_is_checked() -> None:
    names = {f.name for f in _referenced()}
    assert names == set(REFERENCES), (
        f"unchecked: {names - set(REFERENCES)}, stale: {set(REFERENCES) - names}"
    )
    for f in _referenced():  # the reference names the TA-Lib function the test calls
        func = f.reference.removeprefix("talib:")
        assert hasattr(talib, func), f.reference


@cache
def load(name: str) -> Bars:
    path, tz, _ = FILES[name]
    raw = pd.read_csv(DATA / path)
    raw["timestamp"] = pd.to_datetime(raw["timestamp"], utc=True)
    return Bars.from_frame(raw, tz=tz)


@cache
def batch(name: str) -> dict[str, Array]:
    return compute(load(name), _referenced())


CASES = [
    (file, f.name)
    for file, (_, _, has_volume) in FILES.items()
    for f in _referenced()
    if has_volume or f.name not in VOLUME
]


@pytest.mark.parametrize(("file", "name"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_feature_equals_talib(file: str, name: str) -> None:
    bars = load(file)
    got = batch(file)[name]
    want = np.asarray(REFERENCES[name](bars), dtype=np.float64)
    nan_got, nan_want = np.isnan(got), np.isnan(want)
    assert np.array_equal(nan_got, nan_want), (
        f"{file} {name}: NaN at different bars (first {np.flatnonzero(nan_got != nan_want)[:5]})"
    )
    valid = ~nan_want
    assert valid.sum() > 0.9 * len(want), f"{file} {name}: TA-Lib is mostly NaN"
    feature = next(f for f in _referenced() if f.name == name)
    assert int(np.argmax(valid)) == feature.warmup - 1, f"{name}: warmup != TA-Lib lookback + 1"
    scale = max(1.0, float(np.median(np.abs(want[valid]))))
    np.testing.assert_allclose(
        got[valid], want[valid], rtol=TOL, atol=TOL * scale, err_msg=f"{file} {name}"
    )


def test_volume_indicators_are_not_trivial_on_the_volume_files() -> None:
    for file, (_, _, has_volume) in FILES.items():
        if has_volume:
            values = batch(file)
            assert np.nanstd(values["mfi_14"]) > 1.0
            assert np.nanstd(np.diff(values["obv"])) > 0.0
