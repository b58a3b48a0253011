"""Streaming indicators on small hand-made series: hand-computed values, warm-up, resets, args."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import fsum, sqrt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tronlab.features import (
    ADX,
    ATR,
    EMA,
    MACD,
    RSI,
    SMA,
    SOURCES,
    WMA,
    Bollinger,
    Donchian,
    OpeningRange,
    RollingHigh,
    RollingLow,
    SessionVWAP,
    StreamingIndicator,
    source_getter,
    source_value,
    sources,
)

NAN = math.nan
MIN_NS = 60_000_000_000


@dataclass
class FakeBar:
    open: float
    high: float
    low: float
    close: float
    volume: float = 0.0
    start_ns: int = 0
    end_ns: int = MIN_NS
    session: int = 0


def bar_c(close: float) -> FakeBar:
    return FakeBar(close, close, close, close)


def hlc(high: float, low: float, close: float, **kw: Any) -> FakeBar:
    return FakeBar(close, high, low, close, **kw)


def pushed(indicator: Any, xs: Iterable[float]) -> list[Any]:
    """Value after each push (floats) or each update (bars)."""
    out = []
    for x in xs:
        if isinstance(x, FakeBar):
            indicator.update(x)
        else:
            indicator.push(x)
        out.append(indicator.value)
    return out


def assert_floats(actual: Sequence[float], expected: Sequence[float]) -> None:
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected, strict=True):
        if math.isnan(e):
            assert math.isnan(a), (actual, expected)
        else:
            assert a == pytest.approx(e, rel=1e-12, abs=1e-12), (actual, expected)


def ready_flags(indicator: Any, xs: Iterable[Any]) -> list[bool]:
    flags = []
    for x in xs:
        (indicator.update if isinstance(x, FakeBar) else indicator.push)(x)
        flags.append(indicator.ready)
    return flags


# ----------------------------------------------------------------------------- protocol


ALL = [
    SMA(3),
    SMA(3, tick=0.05),
    EMA(3),
    WMA(3),
    RSI(3),
    Bollinger(3),
    MACD(2, 3, 2),
    RollingHigh(3),
    RollingLow(3),
    ATR(3),
    ADX(3),
    Donchian(3),
    SessionVWAP(),
    OpeningRange(15),
]


@pytest.mark.parametrize("indicator", ALL, ids=lambda i: type(i).__name__)
def test_every_indicator_follows_the_protocol(indicator: Any) -> None:
    assert isinstance(indicator, StreamingIndicator)
    assert isinstance(indicator.warmup, int)
    assert indicator.warmup >= 1
    assert not indicator.ready
    value = indicator.value
    if isinstance(value, tuple):
        assert all(isinstance(v, bool) or math.isnan(v) for v in value)
    else:
        assert math.isnan(value)


@pytest.mark.parametrize(
    "indicator",
    [SMA(4), SMA(4, tick=0.01), EMA(4), WMA(4), RSI(4), Bollinger(4), MACD(2, 4, 3)],
    ids=lambda i: type(i).__name__,
)
def test_ready_flips_exactly_after_warmup_values(indicator: Any) -> None:
    flags = ready_flags(indicator, [1.0, 2.0, 1.5, 3.0, 2.5, 4.0, 3.5, 5.0])
    assert flags == [i + 1 >= indicator.warmup for i in range(8)]
    value = indicator.value
    assert not any(math.isnan(v) for v in (value if isinstance(value, tuple) else [value]))


def test_warmups_follow_talib_lookbacks() -> None:
    assert SMA(10).warmup == 10
    assert EMA(12).warmup == 12
    assert WMA(5).warmup == 5
    assert RSI(14).warmup == 15
    assert ATR(14).warmup == 15
    assert ADX(14).warmup == 28
    assert Bollinger(20).warmup == 20
    assert MACD(12, 26, 9).warmup == 34
    assert Donchian(20).warmup == 20
    assert RollingHigh(7).warmup == RollingLow(7).warmup == 7


# ----------------------------------------------------------------------------- sources


def test_sources_compute_the_documented_prices() -> None:
    bar = FakeBar(open=1.0, high=4.0, low=2.0, close=3.0, volume=7.0)
    expected = {
        "open": 1.0,
        "high": 4.0,
        "low": 2.0,
        "close": 3.0,
        "volume": 7.0,
        "hl2": 3.0,
        "hlc3": 3.0,
        "ohlc4": 2.5,
    }
    assert set(SOURCES) == set(expected) == set(sources)
    for name, value in expected.items():
        assert source_getter(name)(bar) == value
        assert source_value(bar, name) == value


def test_update_reads_the_source_and_push_takes_the_raw_value() -> None:
    bars = [FakeBar(1.0, 4.0 + i, 2.0, 3.0, volume=10.0 * i) for i in range(5)]
    for name in SOURCES:
        by_bar, by_push = SMA(2, source=name), SMA(2, source=name)
        for bar in bars:
            by_bar.update(bar)
            by_push.push(source_value(bar, name))
            assert by_bar.value == by_push.value or math.isnan(by_push.value)
    high = RollingHigh(2, source="hl2")
    for bar in bars:
        high.update(bar)
    assert high.value == (8.0 + 2.0) / 2


@pytest.mark.parametrize(
    "factory",
    [
        lambda: SMA(3, source="typical"),
        lambda: EMA(3, source="Close"),
        lambda: WMA(3, source=""),
        lambda: RSI(3, source="vwap"),
        lambda: Bollinger(3, source="hlcc4"),
        lambda: MACD(source="adj_close"),
        lambda: RollingHigh(3, source="max"),
        lambda: RollingLow(3, source="min"),
    ],
)
def test_unknown_source_is_rejected_with_the_valid_names(factory: Any) -> None:
    with pytest.raises(ValueError, match=r"unknown source .*expected one of: open, high"):
        factory()


# ----------------------------------------------------------------------------- bad args


@pytest.mark.parametrize("period", [0, -1, 2.5, True, "3", None])
@pytest.mark.parametrize(
    "cls", [SMA, EMA, WMA, RSI, Bollinger, RollingHigh, RollingLow, ATR, ADX, Donchian]
)
def test_bad_period_is_rejected(cls: Any, period: Any) -> None:
    with pytest.raises(ValueError, match=r"period must be an integer >= 1"):
        cls(period)


def test_bad_arguments_are_rejected_with_clear_messages() -> None:
    with pytest.raises(ValueError, match=r"tick must be a finite number > 0"):
        SMA(3, tick=0)
    with pytest.raises(ValueError, match=r"tick must be a finite number > 0"):
        SMA(3, tick=-0.05)
    with pytest.raises(ValueError, match=r"tick must be a finite number > 0"):
        SMA(3, tick=math.inf)
    with pytest.raises(ValueError, match=r"k must be a finite number >= 0"):
        Bollinger(20, k=-1.0)
    with pytest.raises(ValueError, match=r"k must be a finite number >= 0"):
        Bollinger(20, k=math.nan)
    with pytest.raises(ValueError, match=r"fast must be an integer >= 1"):
        MACD(0, 26, 9)
    with pytest.raises(ValueError, match=r"slow must be an integer >= 1"):
        MACD(12, 0, 9)
    with pytest.raises(ValueError, match=r"signal must be an integer >= 1"):
        MACD(12, 26, 0)
    with pytest.raises(ValueError, match=r"fast \(26\) must be <= slow \(12\)"):
        MACD(26, 12, 9)
    with pytest.raises(ValueError, match=r"bands must be a pair"):
        SessionVWAP(bands=(1.0,))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"bands\[1\] must be a finite number >= 0"):
        SessionVWAP(bands=(1.0, -2.0))
    with pytest.raises(ValueError, match=r"minutes must be an integer >= 1"):
        OpeningRange(0)


def test_numpy_integers_are_accepted_as_periods() -> None:
    np = pytest.importorskip("numpy")
    assert SMA(np.int64(5)).period == 5


# ----------------------------------------------------------------------------- SMA


def test_sma_hand_computed() -> None:
    assert_floats(pushed(SMA(3), [1, 2, 3, 4, 5, 10]), [NAN, NAN, 2, 3, 4, 19 / 3])
    assert_floats(pushed(SMA(1), [7.5, -2.0]), [7.5, -2.0])


def test_sma_with_tick_keeps_an_exact_int_sum() -> None:
    sma = SMA(3, tick=0.05)
    values = pushed(sma, [100.05, 100.10, 100.20, 100.35])
    assert_floats(values, [NAN, NAN, 300.35 / 3, 300.65 / 3])
    assert sma.sum_ticks == 2002 + 2004 + 2007
    assert isinstance(sma.sum_ticks, int)
    assert sma.value == 6013 / 60  # correctly rounded sum_ticks * tick / period


def test_tick_sma_breaks_no_ties_that_float_sums_would_break() -> None:
    # mean(0.1, 0.2, 0.3) == mean(0.2) exactly, but not in floating point
    slow, fast = SMA(3), SMA(1)
    slow_t, fast_t = SMA(3, tick=0.01), SMA(1, tick=0.01)
    for x in (0.1, 0.2, 0.3):
        slow.push(x)
        slow_t.push(x)
    fast.push(0.2)
    fast_t.push(0.2)
    assert slow.value != fast.value  # float SMAs see a spurious cross
    assert slow_t.sum_ticks * fast_t.period == fast_t.sum_ticks * slow_t.period
    assert slow_t.compare(fast_t) == 0
    assert slow_t.value == fast_t.value == 0.2
    fast_t.push(0.21)
    assert slow_t.compare(fast_t) == -1
    assert fast_t.compare(slow_t) == 1


def test_tick_sma_compare_and_sum_ticks_need_a_tick() -> None:
    with pytest.raises(ValueError, match="sum_ticks needs"):
        _ = SMA(3).sum_ticks
    a, b = SMA(1, tick=0.01), SMA(1, tick=0.05)
    a.push(1.0)
    b.push(1.0)
    with pytest.raises(ValueError, match="same tick"):
        a.compare(b)
    with pytest.raises(ValueError, match="ready"):
        a.compare(SMA(2, tick=0.01))


def test_tick_sma_comparator_gives_the_exact_sign_once_both_are_ready() -> None:
    fast, slow = SMA(1, tick=0.01), SMA(3, tick=0.01)
    sign = fast.comparator(slow)
    assert sign() is None  # neither is ready
    for x in (0.1, 0.2, 0.3):
        fast.push(x)
        slow.push(x)
        assert sign() == (None if not slow.ready else fast.compare(slow))
    assert sign() == 1  # 0.3 > 0.2
    fast.push(0.2)
    slow.push(0.3)  # slow (0.2 + 0.3 + 0.3) / 3 vs fast 0.2
    assert sign() == -1 == fast.compare(slow)
    slow.reset()
    assert sign() is None  # warm-up again after a reset
    with pytest.raises(ValueError, match="same tick"):
        fast.comparator(SMA(3, tick=0.05))
    with pytest.raises(ValueError, match="same tick"):
        SMA(3).comparator(slow)


def test_tick_sma_with_a_tick_whose_inverse_is_not_an_integer() -> None:
    sma = SMA(2, tick=0.3)
    pushed(sma, [0.6, 1.2])
    assert sma.sum_ticks == 6
    assert sma.value == pytest.approx(0.9, rel=1e-15)


def test_float_sma_does_not_drift_and_recovers_from_outliers() -> None:
    sma = SMA(5)
    pushed(sma, [1e16, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    assert sma.value == 1.0  # a naive running sum would keep the rounding garbage forever
    pushed(sma, [NAN, 2.0, 2.0, 2.0, 2.0])
    assert math.isnan(sma.value)
    pushed(sma, [2.0])
    assert sma.value == 2.0  # NaN left the window: healed
    long = SMA(7)
    xs = [100.0 + ((i * 7919) % 1000) / 100.0 + 1e-3 / 3 for i in range(20_003)]
    pushed(long, xs)
    assert long.value == pytest.approx(fsum(xs[-7:]) / 7, rel=1e-15)


@pytest.mark.parametrize("bad", [NAN, math.inf, -math.inf])
@pytest.mark.parametrize("make", [lambda: SMA(4), lambda: WMA(4), lambda: Bollinger(4)])
def test_a_non_finite_input_poisons_window_indicators_only_while_in_the_window(
    make: Any, bad: float
) -> None:
    indicator, fresh = make(), make()
    tail = [5.0, 6.0, 7.5, 6.5]
    pushed(indicator, [1.0, 2.0, 3.0, 1e300, -1e300, 1e300, bad, math.inf, -math.inf, 2.0])
    for k, x in enumerate(tail):
        indicator.push(x)
        value = indicator.value
        first = value[0] if isinstance(value, tuple) else value
        assert math.isfinite(first) == (k >= 2)  # finite once the inf and -inf have left
    pushed(fresh, tail)
    assert indicator.value == fresh.value  # healed: exactly what a fresh window gives


def test_tick_sma_rejects_non_finite_inputs() -> None:
    with pytest.raises(ValueError, match="NaN"):
        SMA(3, tick=0.01).push(NAN)


def test_reset_forgets_everything() -> None:
    for indicator in (SMA(2), SMA(2, tick=0.5), EMA(2), WMA(2), RSI(2), Bollinger(2)):
        pushed(indicator, [1.0, 2.0, 3.0])
        assert indicator.ready
        indicator.reset()
        assert not indicator.ready
        assert math.isnan(indicator.value if not isinstance(indicator, Bollinger) else NAN)
        pushed(indicator, [5.0, 5.0, 5.0])
        assert indicator.ready


# ----------------------------------------------------------------------------- EMA / WMA


def test_ema_is_seeded_with_the_sma_then_smoothed() -> None:
    # k = 2 / (3 + 1) = 0.5; seed = mean(1, 2, 3) = 2
    assert_floats(pushed(EMA(3), [1, 2, 3, 4, 5, 10]), [NAN, NAN, 2, 3, 4, 7])
    assert_floats(pushed(EMA(1), [3.0, 5.0]), [3.0, 5.0])


def test_wma_weights_the_newest_value_most() -> None:
    expected = [NAN, NAN, (1 + 4 + 9) / 6, (2 + 6 + 12) / 6, (3 + 8 + 3 * 10) / 6]
    assert_floats(pushed(WMA(3), [1, 2, 3, 4, 10]), expected)


def test_wma_stays_exact_over_a_long_series() -> None:
    wma = WMA(4)
    xs = [1e6 + (i % 13) * 0.37 + i * 0.001 for i in range(10_001)]
    pushed(wma, xs)
    assert wma.value == pytest.approx(
        fsum(w * x for w, x in zip(range(1, 5), xs[-4:], strict=True)) / 10, rel=1e-15
    )


# ----------------------------------------------------------------------------- RSI


def test_rsi_hand_computed() -> None:
    # changes +1, +1 -> gain 1, loss 0 -> 100; then -1: gain (1*1+0)/2, loss (0*1+1)/2 -> 50
    # then 0: gain 0.25, loss 0.25 -> 50; then +3: gain (0.25+3)/2, loss 0.125 -> 1.625/1.75
    values = pushed(RSI(2), [1, 2, 3, 2, 2, 5])
    assert_floats(values, [NAN, NAN, 100, 50, 50, 100 * 1.625 / 1.75])


def test_rsi_of_a_flat_series_is_zero_like_talib() -> None:
    assert_floats(pushed(RSI(2), [5, 5, 5, 5]), [NAN, NAN, 0.0, 0.0])


def test_rsi_of_a_falling_series_is_zero() -> None:
    assert pushed(RSI(3), [9, 8, 7, 6, 5])[-1] == 0.0


# ----------------------------------------------------------------------------- Bollinger


def test_bollinger_hand_computed() -> None:
    boll = Bollinger(3, k=2.0)
    values = pushed(boll, [1.0, 2.0, 3.0])
    assert all(math.isnan(v) for v in values[0])
    assert all(math.isnan(v) for v in values[1])
    std = sqrt(2 / 3)  # population std of 1, 2, 3
    upper, middle, lower, percent_b, width = values[-1]
    assert middle == pytest.approx(2.0, rel=1e-15)
    assert upper == pytest.approx(2.0 + 2 * std, rel=1e-14)
    assert lower == pytest.approx(2.0 - 2 * std, rel=1e-14)
    assert percent_b == pytest.approx((3.0 - lower) / (4 * std), rel=1e-14)
    assert width == pytest.approx(4 * std / 2.0, rel=1e-14)
    assert boll.std == pytest.approx(std, rel=1e-14)


def test_bollinger_of_a_flat_window_has_zero_width() -> None:
    boll = Bollinger(3, k=2.0)
    pushed(boll, [1.0, 9.0, 20000.05, 20000.05, 20000.05])
    upper, middle, lower, percent_b, width = boll.value
    assert upper == middle == lower == pytest.approx(20000.05, rel=1e-15)
    assert width == 0.0
    assert math.isnan(percent_b)


def test_bollinger_is_accurate_at_high_price_levels() -> None:
    boll = Bollinger(4, k=1.0)
    base = 1e7
    xs = [base + d for d in (0.05, 0.10, 0.20, 0.15)] * 50
    pushed(boll, xs)
    window = [d for d in (0.05, 0.10, 0.20, 0.15)]
    mean = fsum(window) / 4
    std = sqrt(fsum((d - mean) ** 2 for d in window) / 4)
    assert boll.std == pytest.approx(std, rel=1e-6)  # naive E[x^2]-E[x]^2 would be ~100% off


def test_bollinger_flat_window_right_after_a_jump_is_exactly_flat() -> None:
    boll = Bollinger(5, k=2.0)
    xs = [27795.27, 12485.98, 27488.18, 27665.73, 3000.91, 18880.96, 21709.45, 8892.42]
    pushed(boll, [*xs, 22294.66, *[26867.37] * 5])
    assert boll.std == 0.0  # running sums alone would leave ~1e-4 of rounding residue
    assert math.isnan(boll.value.percent_b)


def exact_std(window: Sequence[float]) -> float:
    values = [Fraction(v) for v in window]
    mean = sum(values) / len(values)
    return sqrt(float(sum((v - mean) ** 2 for v in values) / len(values)))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(st.integers(1, 3_000_000), st.sampled_from([2_000_000, 2_000_001])),
        min_size=1,
        max_size=50,
    ),
    st.integers(1, 9),
)
def test_bollinger_std_is_exact_after_jumps_and_flats(cents: list[int], period: int) -> None:
    xs = [c / 100 for c in cents]
    boll = Bollinger(period, k=1.0)
    for i, x in enumerate(xs):
        boll.push(x)
        if i + 1 < period:
            continue
        want = exact_std(xs[i + 1 - period : i + 1])
        assert boll.std == pytest.approx(want, rel=1e-12, abs=0.0)


# ----------------------------------------------------------------------------- MACD


def test_macd_seeds_the_fast_ema_on_the_slow_emas_first_bar_like_talib() -> None:
    macd = MACD(2, 3, 2)
    values = pushed(macd, [1, 2, 4, 8, 16])
    # slow seed at index 2 = mean(1, 2, 4) = 7/3; fast seed = mean(2, 4) = 3 (not EMA from 1)
    # index 3: fast = (8-3)*2/3+3 = 19/3, slow = (8-7/3)/2+7/3 = 31/6 -> macd 7/6
    # signal seed = mean(2/3, 7/6) = 11/12
    assert all(math.isnan(v) for row in values[:3] for v in row)
    assert_floats(values[3], [7 / 6, 11 / 12, 7 / 6 - 11 / 12])
    # index 4: fast 115/9, slow 127/12 -> macd 79/36; signal (79/36-33/36)*2/3+33/36 = 191/108
    assert_floats(values[4], [79 / 36, 191 / 108, 79 / 36 - 191 / 108])
    assert macd.ready


def test_macd_with_signal_one_is_ready_on_the_slow_seed() -> None:
    macd = MACD(1, 2, 1)
    values = pushed(macd, [1.0, 3.0, 4.0])
    assert math.isnan(values[0].macd)
    assert_floats(values[1], [3.0 - 2.0, 1.0, 0.0])


# ----------------------------------------------------------------------------- rolling


def test_rolling_high_and_low() -> None:
    xs = [1.0, 3.0, 2.0, 1.0, 0.0, 5.0, 5.0, 4.0, 4.0]
    assert_floats(pushed(RollingHigh(3), xs), [NAN, NAN, 3, 3, 2, 5, 5, 5, 5])
    assert_floats(pushed(RollingLow(3), xs), [NAN, NAN, 1, 1, 0, 0, 0, 4, 4])
    assert_floats(pushed(RollingHigh(1), xs), xs)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(-50, 50), min_size=1, max_size=60),
    st.integers(1, 8),
)
def test_rolling_extremes_match_brute_force(xs: list[int], period: int) -> None:
    high, low = RollingHigh(period), RollingLow(period)
    for i, x in enumerate(xs):
        high.push(float(x))
        low.push(float(x))
        if i + 1 >= period:
            assert high.value == max(xs[i + 1 - period : i + 1])
            assert low.value == min(xs[i + 1 - period : i + 1])
        else:
            assert math.isnan(high.value)
            assert not high.ready


def test_donchian_hand_computed() -> None:
    don = Donchian(2)
    bars = [hlc(10, 8, 9), hlc(12, 9, 11), hlc(11, 7, 8), hlc(9, 8.5, 9)]
    values = pushed(don, bars)
    assert all(math.isnan(v) for v in values[0])
    assert tuple(values[1]) == (12, 8, 10)
    assert tuple(values[2]) == (12, 7, 9.5)
    assert tuple(values[3]) == (11, 7, 9)
    don2 = Donchian(2)
    for bar in bars:
        don2.push_hl(bar.high, bar.low)
    assert don2.value == don.value
    don.reset()
    assert not don.ready


# ----------------------------------------------------------------------------- ATR / ADX


def test_atr_hand_computed() -> None:
    bars = [
        hlc(10, 8, 9),
        hlc(11, 9, 10),  # TR 2
        hlc(12, 10, 11),  # TR 2 -> seed (2 + 2) / 2 = 2
        hlc(15, 11, 14),  # TR 4 -> (2 * 1 + 4) / 2 = 3
        hlc(20, 19, 19.5),  # gap up: TR = 20 - 14 = 6 -> 4.5
        hlc(13, 12, 12.5),  # gap down: TR = 19.5 - 12 = 7.5 -> 6
    ]
    atr = ATR(2)
    assert_floats(pushed(atr, bars), [NAN, NAN, 2, 3, 4.5, 6])
    assert ready_flags(ATR(2), bars) == [False, False, True, True, True, True]
    assert_floats(pushed(ATR(1), bars), [NAN, 2, 2, 4, 6, 7.5])


def test_adx_hand_computed() -> None:
    bars = [
        hlc(10, 9, 9.5),
        hlc(11, 9.5, 10.5),  # +DM 1, TR 1.5 (plain sums)
        hlc(12, 10, 11),  # +DM 0.5 + 1 = 1.5, TR 1.5 - 0.75 + 2 = 2.75 -> DX 100
        hlc(11.5, 10.5, 11),  # +DM 0.75, TR 2.375 -> DX 100 -> ADX = mean(100, 100)
        hlc(11, 9, 9.5),  # +DM 0.375, -DM 1.5, TR 3.1875 -> DX 60 -> ADX (100 + 60) / 2
    ]
    adx = ADX(2)
    values = pushed(adx, bars)
    assert all(math.isnan(v) for row in values[:2] for v in row)
    assert math.isnan(values[2].adx)
    assert values[2].plus_di == pytest.approx(100 * 1.5 / 2.75)
    assert values[2].minus_di == 0.0
    assert values[3].adx == pytest.approx(100.0)
    assert values[3].plus_di == pytest.approx(100 * 0.75 / 2.375)
    assert values[4].adx == pytest.approx(80.0)
    assert values[4].plus_di == pytest.approx(100 * 0.375 / 3.1875)
    assert values[4].minus_di == pytest.approx(100 * 1.5 / 3.1875)
    assert ready_flags(ADX(2), bars) == [False, False, False, True, True]
    flags = []
    adx.reset()
    for bar in bars:
        adx.push_hlc(bar.high, bar.low, bar.close)
        flags.append(adx.di_ready)
    assert flags == [False, False, True, True, True]


def test_adx_of_flat_bars_is_zero_like_talib() -> None:
    adx = ADX(3)
    values = pushed(adx, [hlc(11, 11, 11)] * 8)  # TR exactly 0: both DI 0, every DX skipped
    assert all(math.isnan(v) for v in values[2])
    assert math.isnan(values[3].adx)
    assert values[3][1:] == (0.0, 0.0)
    assert tuple(values[5]) == (0.0, 0.0, 0.0)  # seeded with sum(DX) / period = 0
    assert tuple(values[-1]) == (0.0, 0.0, 0.0)


def test_adx_holds_when_there_is_no_directional_movement() -> None:
    # inside bars with the same high and low: TR 2, no DM -> DI 0, DX skipped, ADX held
    bars = [hlc(11, 9, 10.0 + (i % 2) / 2) for i in range(10)]
    adx = ADX(3)
    values = pushed(adx, bars)
    assert tuple(values[-1]) == (0.0, 0.0, 0.0)
    adx.update(hlc(12, 9.5, 11))  # +DM 1 -> DX 100 -> ADX (0 * 2 + 100) / 3
    assert adx.value.adx == pytest.approx(100 / 3)
    assert adx.value.minus_di == 0.0


def test_adx_keeps_the_di_ratio_through_a_flat_stretch() -> None:
    adx = ADX(2)
    pushed(adx, [hlc(10, 9, 9.5), hlc(11, 9.5, 10.5), hlc(12, 10, 11), hlc(11.5, 10.5, 11)])
    pushed(adx, [hlc(11, 9, 9.5)])
    before = adx.value  # adx 80, DX 60
    values = pushed(adx, [hlc(9.5, 9.5, 9.5)] * 60)  # DM and TR decay alike, never to 0
    assert values[-1].plus_di == pytest.approx(before.plus_di)
    assert values[-1].minus_di == pytest.approx(before.minus_di)
    assert values[-1].adx == pytest.approx(60.0)  # converges to the constant DX


# ----------------------------------------------------------------------------- session VWAP


def test_session_vwap_weights_by_volume_and_resets_each_session() -> None:
    vwap = SessionVWAP(bands=(1.0, 2.0))
    vwap.update(FakeBar(10, 11, 9, 10, volume=1, session=1))  # tp 10
    first = vwap.value
    assert (first.vwap, first.std) == (10.0, 0.0)
    assert vwap.ready
    vwap.update(FakeBar(13, 14, 12, 13, volume=2, session=1))  # tp 13
    value = vwap.value
    # vwap (10 + 26) / 3 = 12; var (1 * 4 + 2 * 1) / 3 = 2
    assert value.vwap == pytest.approx(12.0, rel=1e-15)
    assert value.std == pytest.approx(sqrt(2.0), rel=1e-15)
    assert value.upper1 == pytest.approx(12 + sqrt(2.0))
    assert value.lower1 == pytest.approx(12 - sqrt(2.0))
    assert value.upper2 == pytest.approx(12 + 2 * sqrt(2.0))
    assert value.lower2 == pytest.approx(12 - 2 * sqrt(2.0))
    assert vwap.band(3.0) == pytest.approx((12 + 3 * sqrt(2.0), 12 - 3 * sqrt(2.0)))
    assert vwap.volume_weighted
    vwap.update(FakeBar(20, 21, 19, 20, volume=5, session=2))  # new session
    assert tuple(vwap.value[:2]) == (20.0, 0.0)
    assert vwap.ready


def test_session_vwap_falls_back_to_equal_weights_without_volume() -> None:
    vwap = SessionVWAP()
    vwap.update(FakeBar(1, 1, 1, 1, volume=0, session=3))
    vwap.update(FakeBar(3, 3, 3, 3, volume=0, session=3))
    assert not vwap.volume_weighted
    assert tuple(vwap.value[:2]) == (2.0, 1.0)  # equal-weight mean and population std
    vwap.update(FakeBar(5, 5, 5, 5, volume=2, session=3))  # volume appears: weight by it
    assert tuple(vwap.value[:2]) == (5.0, 0.0)
    vwap.update(FakeBar(8, 8, 8, 8, volume=0, session=3))  # zero-volume bar weighs nothing
    assert tuple(vwap.value[:2]) == (5.0, 0.0)
    vwap.update(FakeBar(4, 4, 4, 4, volume=0, session=4))  # new session, no volume again
    assert tuple(vwap.value[:2]) == (4.0, 0.0)
    vwap.reset()
    assert not vwap.ready
    assert math.isnan(vwap.vwap)
    assert math.isnan(vwap.std)


# ----------------------------------------------------------------------------- opening range


def bar_at(minute: int, high: float, low: float, *, length: int = 5, session: int = 0) -> FakeBar:
    day = session * 86_400 * 1_000_000_000
    start = day + minute * MIN_NS
    return FakeBar(low, high, low, low, start_ns=start, end_ns=start + length * MIN_NS,
                   session=session)  # fmt: skip


def test_opening_range_completes_when_the_last_bar_of_the_window_closes() -> None:
    orng = OpeningRange(15)
    orng.update(bar_at(0, 10, 8))
    assert tuple(orng.value) == (10, 8, False)
    assert not orng.ready
    orng.update(bar_at(5, 12, 9))
    assert not orng.ready
    orng.update(bar_at(10, 11, 7))  # closes at minute 15
    assert orng.ready
    assert tuple(orng.value) == (12, 7, True)
    orng.update(bar_at(15, 20, 1))  # after the window: ignored
    assert tuple(orng.value) == (12, 7, True)


def test_opening_range_completes_on_the_first_bar_after_the_window() -> None:
    orng = OpeningRange(15)
    orng.update(bar_at(0, 10, 8))
    orng.update(bar_at(5, 12, 9))  # then a gap: no bar closing at minute 15
    assert not orng.ready
    orng.update(bar_at(20, 30, 1))  # not part of the range
    assert orng.ready
    assert tuple(orng.value) == (12, 8, True)


def test_a_bar_starting_exactly_at_the_window_end_is_not_part_of_the_range() -> None:
    orng = OpeningRange(15)
    orng.update(bar_at(0, 10, 8))
    orng.update(bar_at(5, 12, 9))  # ends at minute 10; minute 10-15 is missing
    orng.update(bar_at(15, 30, 1))  # starts exactly at open + 15 min
    assert orng.ready
    assert tuple(orng.value) == (12, 8, True)


def test_opening_range_includes_a_bar_straddling_the_window_end() -> None:
    orng = OpeningRange(15)
    orng.update(bar_at(0, 10, 8, length=10))
    orng.update(bar_at(10, 13, 9, length=10))  # starts inside, ends at 20
    assert orng.ready
    assert tuple(orng.value) == (13, 8, True)


def test_opening_range_resets_on_a_new_session() -> None:
    orng = OpeningRange(5)
    orng.update(bar_at(0, 10, 8, length=1))
    for minute in range(1, 6):
        orng.update(bar_at(minute, 10 + minute, 8, length=1))
    assert orng.ready
    assert tuple(orng.value) == (14, 8, True)
    orng.update(bar_at(0, 50, 40, length=1, session=1))
    assert not orng.ready
    assert tuple(orng.value) == (50, 40, False)
    orng.update(bar_at(30, 60, 45, length=1, session=1))
    assert orng.ready
    assert tuple(orng.value) == (50, 40, True)
    one = OpeningRange(1)
    one.update(bar_at(0, 5, 4, length=1))  # a single bar can fill the window
    assert one.ready
    one.reset()
    assert not one.ready
    assert not one.value.complete
