"""Session/calendar (``session``) and cross-asset (``cross``) features of
:mod:`tronlab.features.context` on hand-made bars."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from tronlab.features import context
from tronlab.features.registry import Bars, StreamingFeatures, compute, registry, select

SESSION = [
    "day_of_week", "expiry_day", "gap_prev_close", "minutes_since_open", "minutes_to_close",
    "or_pos_15",
]  # fmt: skip
CROSS = ["rs_index_20", "vix_chg_5", "vix_level", "vix_pct_250"]
NS_MIN = 60_000_000_000


def _frame(
    day: str,
    *,
    tz: str = "Asia/Kolkata",
    first: str = "09:15",
    minutes: int = 375,
    step: int = 1,
    price: float = 100.0,
    seed: int = 0,
) -> pd.DataFrame:
    """One session of ``step``-minute bars from ``first`` local time."""
    start = pd.Timestamp(f"{day} {first}").tz_localize(tz)
    ts = start + pd.to_timedelta(np.arange(0, minutes, step), unit="min")
    rng = np.random.default_rng(seed)
    close = price * np.exp(np.cumsum(rng.normal(0, 1e-3, len(ts))))
    open_ = np.r_[price, close[:-1]]
    return pd.DataFrame(
        {
            "timestamp": ts.tz_convert("UTC"),
            "open": open_,
            "high": np.maximum(open_, close) + 0.05,
            "low": np.minimum(open_, close) - 0.05,
            "close": close,
            "volume": rng.integers(100, 1000, len(ts)).astype(float),
        }
    )


def _bars(*frames: pd.DataFrame, tz: str = "Asia/Kolkata", step: int = 1, **extra: np.ndarray):
    df = pd.concat(frames, ignore_index=True)
    return Bars.from_frame(df, tz=tz, timeframe_ns=step * NS_MIN, extra=extra)


def _local(b: Bars, i: int, tz: str = "Asia/Kolkata") -> pd.Timestamp:
    return pd.Timestamp(int(b.start_ns[i]), tz="UTC").tz_convert(tz)


# two NSE sessions of 1m bars: Monday 2025-09-01 and Tuesday 2025-09-02 (the first Tuesday
# expiry)
DAY1 = _frame("2025-09-01", seed=1)
DAY2 = _frame("2025-09-02", price=101.0, seed=2)


def test_registered_with_metadata() -> None:
    reg = registry()
    assert {n for n, f in reg.items() if f.group == "session"} >= set(SESSION)
    assert {n for n, f in reg.items() if f.group == "cross"} >= set(CROSS)
    assert {f.name for f in select("session")} >= set(SESSION + CROSS)
    for name in SESSION + CROSS:
        f = reg[name]
        assert f.description
        assert f.inputs
        assert 1 <= f.warmup <= f.memory
    assert reg["gap_prev_close"].memory == context.SESSION_MEMORY == 1441
    assert reg["vix_pct_250"].memory == 250
    assert reg["rs_index_20"].warmup == 21


def test_session_clock_on_two_nse_days() -> None:
    b = _bars(DAY1, DAY2)
    v = compute(b, SESSION)
    assert len(b) == 750
    # the first 1m bar closes one minute after the 09:15 open; the last closes at 15:30
    np.testing.assert_array_equal(
        v["minutes_since_open"][[0, 1, 374, 375, 749]], [1, 2, 375, 1, 375]
    )
    np.testing.assert_array_equal(v["minutes_to_close"][[0, 374, 375, 749]], [374, 0, 374, 0])
    np.testing.assert_array_equal(v["minutes_since_open"] + v["minutes_to_close"], 375.0)
    np.testing.assert_array_equal(v["day_of_week"], np.r_[np.zeros(375), np.ones(375)])
    # Tuesday 2025-09-02 is an expiry day, Monday is not
    np.testing.assert_array_equal(v["expiry_day"], np.r_[np.zeros(375), np.ones(375)])


def test_gap_prev_close_is_carried_through_the_session() -> None:
    b = _bars(DAY1, DAY2)
    gap = compute(b, ["gap_prev_close"])["gap_prev_close"]
    assert np.isnan(gap[:375]).all()
    want = DAY2["open"].iloc[0] / DAY1["close"].iloc[-1] - 1.0
    np.testing.assert_allclose(gap[375:], want, rtol=0, atol=0)
    assert want != 0.0


def test_opening_range_position_by_hand() -> None:
    df = DAY1.copy()
    df.loc[:14, "high"] = 110.0
    df.loc[:14, "low"] = 90.0
    df.loc[3, "high"] = 112.0  # the range high
    df.loc[7, "low"] = 88.0  # the range low
    df.loc[14, "close"] = 100.0
    df.loc[20, "close"] = 124.0  # a breakout above the range
    b = _bars(df)
    pos = compute(b, ["or_pos_15"])["or_pos_15"]
    assert np.isnan(pos[:14]).all()  # the range is complete when the 09:29 bar closes
    assert pos[14] == pytest.approx((100.0 - 88.0) / 24.0)
    assert pos[20] == pytest.approx(36.0 / 24.0)
    np.testing.assert_allclose(pos[14:], (df["close"].to_numpy()[14:] - 88.0) / 24.0)


def test_opening_range_on_5m_bars_and_missing_first_bars() -> None:
    five = _bars(_frame("2025-09-01", step=5, seed=3), step=5)
    pos = compute(five, ["or_pos_15"])["or_pos_15"]
    assert np.isnan(pos[:2]).all()
    assert not np.isnan(pos[2])  # the 09:25-09:30 bar completes it
    hi, lo = five.high[:3].max(), five.low[:3].min()
    assert pos[2] == pytest.approx((five.close[2] - lo) / (hi - lo))

    # data starting at 09:20: the range is the 09:20..09:29 bars, anchored at the 09:15 open
    late = _bars(_frame("2025-09-01", first="09:20", minutes=370, seed=4))
    v = compute(late, ["or_pos_15", "minutes_since_open"])
    assert v["minutes_since_open"][0] == 6.0
    assert np.isnan(v["or_pos_15"][:9]).all()
    assert not np.isnan(v["or_pos_15"][9])
    hi, lo = late.high[:10].max(), late.low[:10].min()
    assert v["or_pos_15"][9] == pytest.approx((late.close[9] - lo) / (hi - lo))

    # a zero-width range has no position
    flat = DAY1.copy()
    flat.loc[:, ["open", "high", "low", "close"]] = 100.0
    assert np.isnan(compute(_bars(flat), ["or_pos_15"])["or_pos_15"]).all()


@pytest.mark.parametrize(
    ("day", "expiry"),
    [
        ("2025-09-02", True),  # Tuesday, first week of Tuesday expiries
        ("2025-09-04", False),  # Thursday after the switch
        ("2025-08-28", True),  # Thursday before the switch
        ("2025-08-26", False),  # Tuesday before the switch
        ("2024-08-14", True),  # Wednesday: Thursday 2024-08-15 is Independence Day
        ("2024-08-15", False),
        ("2025-10-20", True),  # Monday: Tuesday 2025-10-21 has only the Muhurat session
        ("2025-10-21", False),
        ("2027-01-05", True),  # a Tuesday beyond the calendar's coverage: weekdays only
    ],
)
def test_nse_expiry_days(day: str, expiry: bool) -> None:
    assert context.is_nse_expiry(dt.date.fromisoformat(day)) is expiry


def test_expiry_day_feature_with_holiday_roll_back() -> None:
    b = _bars(_frame("2024-08-13", seed=5), _frame("2024-08-14", seed=6), _frame("2024-08-16"))
    v = compute(b, ["expiry_day", "day_of_week"])
    np.testing.assert_array_equal(v["expiry_day"], np.repeat([0.0, 1.0, 0.0], 375))
    np.testing.assert_array_equal(v["day_of_week"], np.repeat([1.0, 2.0, 4.0], 375))
    assert context.nse_expiry_for_week(dt.date(2024, 8, 12)) == dt.date(2024, 8, 14)


def test_muhurat_and_nyse_early_close_use_the_calendar() -> None:
    muhurat = _bars(_frame("2024-11-01", first="18:00", minutes=60))
    v = compute(muhurat, ["minutes_since_open", "minutes_to_close", "expiry_day"])
    assert (v["minutes_since_open"][0], v["minutes_since_open"][-1]) == (1.0, 60.0)
    assert (v["minutes_to_close"][0], v["minutes_to_close"][-1]) == (59.0, 0.0)

    # the day after Thanksgiving closes at 13:00 ET; minutes are wall-clock across DST
    tz = "America/New_York"
    friday = _bars(_frame("2025-11-28", tz=tz, first="09:30", minutes=210), tz=tz)
    v = compute(friday, ["minutes_to_close", "minutes_since_open", "expiry_day"])
    assert v["minutes_to_close"][-1] == 0.0
    assert v["minutes_since_open"][-1] == 210.0
    assert np.isnan(v["expiry_day"]).all()  # NSE expiries only


def test_default_hours_beyond_coverage_and_unknown_zones() -> None:
    # 2027-01-04 is past the NSE calendar's coverage: the default 09:15-15:30 IST hours
    b = _bars(_frame("2027-01-04", first="09:15", minutes=375))
    v = compute(b, ["minutes_since_open", "minutes_to_close"])
    assert (v["minutes_since_open"][0], v["minutes_to_close"][-1]) == (1.0, 0.0)

    tz = "Europe/London"  # no schedule: open = first bar, close unknown
    ldn = _bars(
        _frame("2025-09-01", tz=tz, first="08:00", minutes=30),
        _frame("2025-09-02", tz=tz, first="08:03", minutes=30),
        tz=tz,
    )
    v = compute(ldn, ["minutes_since_open", "minutes_to_close", "day_of_week"])
    np.testing.assert_array_equal(v["minutes_since_open"][[0, 29, 30]], [1.0, 30.0, 1.0])
    assert np.isnan(v["minutes_to_close"]).all()
    np.testing.assert_array_equal(v["day_of_week"], np.repeat([0.0, 1.0], 30))


def test_daily_bars_have_no_intraday_clock() -> None:
    days = pd.bdate_range("2025-09-01", periods=5, tz="Asia/Kolkata")
    df = pd.DataFrame(
        {
            "timestamp": days.tz_convert("UTC"),
            "open": [100.0, 102, 103, 101, 104],
            "high": [105.0] * 5,
            "low": [95.0] * 5,
            "close": [101.0, 102.5, 100, 103, 104],
            "volume": [1.0] * 5,
        }
    )
    b = Bars.from_frame(df, tz="Asia/Kolkata", timeframe_ns=86_400 * 10**9)
    v = compute(b, SESSION)
    for name in ("minutes_since_open", "minutes_to_close", "or_pos_15"):
        assert np.isnan(v[name]).all(), name
    np.testing.assert_array_equal(v["day_of_week"], [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(v["expiry_day"], [0, 1, 0, 0, 0])
    want = df["open"].to_numpy()[1:] / df["close"].to_numpy()[:-1] - 1
    np.testing.assert_allclose(v["gap_prev_close"][1:], want)
    assert np.isnan(v["gap_prev_close"][0])


# ------------------------------------------------------------------------------------ cross


def test_cross_features_all_nan_without_their_series() -> None:
    v = compute(_bars(DAY1), CROSS)
    for name in CROSS:
        assert np.isnan(v[name]).all(), name
    only_vix = compute(_bars(DAY1, vix=np.linspace(10, 20, 375)), CROSS)
    assert np.isnan(only_vix["rs_index_20"]).all()
    assert not np.isnan(only_vix["vix_level"]).any()


def test_cross_features_against_references() -> None:
    n = 750
    rng = np.random.default_rng(11)
    vix = np.round(12 + np.cumsum(rng.normal(0, 0.2, n)), 1)  # rounded: ties happen
    vix[400] = np.nan
    index = 20_000 * np.exp(np.cumsum(rng.normal(0, 5e-4, n)))
    b = _bars(DAY1, DAY2, vix=vix, index=index)
    v = compute(b, CROSS)
    np.testing.assert_array_equal(v["vix_level"], vix)

    pct = np.full(n, np.nan)
    for t in range(249, n):
        w = vix[t - 249 : t + 1]
        if not np.isnan(w).any():
            pct[t] = ((w < w[-1]).sum() + ((w == w[-1]).sum() + 1) / 2) / 250
    np.testing.assert_allclose(v["vix_pct_250"], pct, rtol=1e-12)
    assert np.isnan(v["vix_pct_250"][:249]).all()
    assert np.isnan(v["vix_pct_250"][400:650]).all()
    assert not np.isnan(v["vix_pct_250"][650])

    chg = np.full(n, np.nan)
    chg[5:] = 100 * (vix[5:] / vix[:-5] - 1)
    np.testing.assert_allclose(v["vix_chg_5"], chg, rtol=1e-12)

    close = b.close
    rs = np.full(n, np.nan)
    rs[20:] = (close[20:] / close[:-20] - 1) - (index[20:] / index[:-20] - 1)
    np.testing.assert_allclose(v["rs_index_20"], rs, rtol=1e-12)
    assert np.isnan(v["rs_index_20"][:20]).all()
    assert not np.isnan(v["rs_index_20"][20])


# ------------------------------------------------------------------------ batch consistency


def _five_days() -> Bars:
    days = ["2025-08-26", "2025-08-27", "2025-08-28", "2025-08-29", "2025-09-01"]
    frames = [_frame(d, price=100 + i, seed=20 + i) for i, d in enumerate(days)]
    n = 375 * len(frames)
    rng = np.random.default_rng(5)
    return _bars(
        *frames,
        vix=12 + np.cumsum(rng.normal(0, 0.1, n)),
        index=20_000 * np.exp(np.cumsum(rng.normal(0, 5e-4, n))),
    )


def _head(b: Bars, stop: int, length: int | None = None) -> Bars:
    lo = 0 if length is None else max(0, stop - length)
    s = slice(lo, stop)
    return Bars(
        b.open[s], b.high[s], b.low[s], b.close[s], b.volume[s], b.start_ns[s], b.end_ns[s],
        b.session[s], {k: v[s] for k, v in b.extra.items()}, b.tz,
    )  # fmt: skip


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def test_no_look_ahead() -> None:
    b = _five_days()
    batch = compute(b, SESSION + CROSS)
    for t in (0, 14, 374, 375, 389, 1000, 1499, 1500, 1874):
        prefix = compute(_head(b, t + 1), SESSION + CROSS)
        for name, values in prefix.items():
            np.testing.assert_array_equal(values, batch[name][: t + 1], err_msg=f"{name} at {t}")


@pytest.mark.parametrize("t", [374, 375, 376, 389, 750, 1124, 1500, 1510, 1874])
def test_windowed_evaluation_equals_batch(t: int) -> None:
    b = _five_days()
    batch = compute(b, SESSION + CROSS)
    for f in select(SESSION + CROSS):
        got = f.compute(_head(b, t + 1, f.memory))[f.name][-1]
        assert _same(got, batch[f.name][t]), f"{f.name} at {t}: {got} vs {batch[f.name][t]}"
        # NSE 1m sessions need far less than SESSION_MEMORY: the current session + 1 bar
        short = f.compute(_head(b, t + 1, min(f.memory, 376)))[f.name][-1]
        assert _same(short, batch[f.name][t]), f"{f.name} at {t} on 376 bars"


def test_streaming_equals_batch_bar_by_bar() -> None:
    b = _bars(DAY1, DAY2, vix=np.linspace(10, 14, 750), index=np.linspace(2e4, 2.1e4, 750))
    batch = compute(b, SESSION + CROSS)
    stream = StreamingFeatures(SESSION + CROSS, tz=b.tz, extra_names=("vix", "index"))
    for i in range(len(b)):
        bar = type("B", (), {})()
        for k in ("open", "high", "low", "close", "volume", "start_ns", "end_ns", "session"):
            setattr(bar, k, getattr(b, k)[i])
        got = stream.update(bar, {"vix": b.extra["vix"][i], "index": b.extra["index"][i]})
        for name, value in got.items():
            assert _same(value, batch[name][i]), f"{name} at {i}"
