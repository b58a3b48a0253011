"""Session-aware resampling: hand-computed buckets, breaks, 1d, errors and invariants."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tronlab.data.bars import BAR_COLUMNS
from tronlab.data.calendars import TradingCalendar, get_calendar
from tronlab.data.resample import DROPPED_ATTR, resample

D = dt.date
IST = "Asia/Kolkata"
ET = "America/New_York"


@pytest.fixture(scope="module")
def nse() -> TradingCalendar:
    return get_calendar("NSE")


def ist(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=IST).tz_convert("UTC")


def ramp_bars(stamps: pd.DatetimeIndex) -> pd.DataFrame:
    """Bar i: open i, high i + 0.5, low i - 0.5, close i + 0.25, volume 1 (easy to sum by hand)."""
    i = np.arange(len(stamps), dtype=np.float64)
    return pd.DataFrame(
        {
            "timestamp": stamps.tz_convert("UTC"),
            "open": i,
            "high": i + 0.5,
            "low": i - 0.5,
            "close": i + 0.25,
            "volume": np.ones(len(stamps)),
        }
    )


def session_bars(cal: TradingCalendar, day: dt.date, tf: str = "1m") -> pd.DataFrame:
    s = cal.session(day)
    assert s is not None
    return ramp_bars(cal.bar_starts(s, tf))


def row(frame: pd.DataFrame, i: int) -> tuple[float, ...]:
    r = frame.iloc[i]
    return (r["open"], r["high"], r["low"], r["close"], r["volume"])


def test_1m_to_5m_hand_computed(nse: TradingCalendar) -> None:
    out = resample(session_bars(nse, D(2024, 1, 2)), nse, "5m")
    assert list(out.columns) == list(BAR_COLUMNS)
    assert str(out["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert len(out) == 75
    assert out["timestamp"].iloc[0] == ist("2024-01-02 09:15")
    assert out["timestamp"].iloc[1] == ist("2024-01-02 09:20")
    assert out["timestamp"].iloc[-1] == ist("2024-01-02 15:25")
    # Bucket 0 holds minutes 0..4; bucket 74 minutes 370..374.
    assert row(out, 0) == (0.0, 4.5, -0.5, 4.25, 5.0)
    assert row(out, 74) == (370.0, 374.5, 369.5, 374.25, 5.0)
    assert out.attrs[DROPPED_ATTR] == 0


def test_1m_to_1h_has_a_short_last_bucket(nse: TradingCalendar) -> None:
    out = resample(session_bars(nse, D(2024, 1, 2)), nse, "1h")
    assert [t.tz_convert(IST).strftime("%H:%M") for t in out["timestamp"]] == [
        "09:15", "10:15", "11:15", "12:15", "13:15", "14:15", "15:15",
    ]  # fmt: skip
    assert row(out, 0) == (0.0, 59.5, -0.5, 59.25, 60.0)
    assert row(out, 6) == (360.0, 374.5, 359.5, 374.25, 15.0)  # 15:15-15:30, 15 bars


def test_buckets_restart_after_a_break(nse: TradingCalendar) -> None:
    bars = session_bars(nse, D(2024, 3, 2))  # 09:15-10:00 and 11:30-12:30: 45 + 60 bars
    hourly = resample(bars, nse, "1h")
    assert list(hourly["timestamp"]) == [ist("2024-03-02 09:15"), ist("2024-03-02 11:30")]
    assert row(hourly, 0) == (0.0, 44.5, -0.5, 44.25, 45.0)
    assert row(hourly, 1) == (45.0, 104.5, 44.5, 104.25, 60.0)
    quarter = resample(bars, nse, "15m")
    assert [t.tz_convert(IST).strftime("%H:%M") for t in quarter["timestamp"]] == [
        "09:15", "09:30", "09:45", "11:30", "11:45", "12:00", "12:15",
    ]  # fmt: skip
    # 10m buckets: 09:15, 09:25, 09:35, 09:45, 09:55 (short, 5 bars), then restart at 11:30.
    ten = resample(bars, nse, "10m")
    assert ten["timestamp"].iloc[4] == ist("2024-03-02 09:55")
    assert ten["volume"].iloc[4] == 5.0
    assert ten["timestamp"].iloc[5] == ist("2024-03-02 11:30")


def test_nyse_anchor_and_early_close() -> None:
    nyse = get_calendar("NYSE")
    out = resample(session_bars(nyse, D(2013, 11, 29)), nyse, "1h")
    assert [t.tz_convert(ET).strftime("%H:%M") for t in out["timestamp"]] == [
        "09:30", "10:30", "11:30", "12:30",
    ]  # fmt: skip
    assert out["volume"].tolist() == [60.0, 60.0, 60.0, 30.0]


def test_1m_to_1d_equals_per_session_ohlcv(nse: TradingCalendar) -> None:
    parts = [session_bars(nse, d) for d in (D(2024, 1, 19), D(2024, 1, 20), D(2024, 3, 2))]
    bars = pd.concat(parts, ignore_index=True)
    rng = np.random.default_rng(7)
    bars["volume"] = rng.integers(0, 1000, len(bars)).astype(float)
    daily = resample(bars, nse, "1d")
    local_date = bars["timestamp"].dt.tz_convert(IST).dt.date
    expected = bars.groupby(local_date).agg(
        open=("open", "first"),
        high=("high", "max"),
        low=("low", "min"),
        close=("close", "last"),
        volume=("volume", "sum"),
    )
    assert list(daily["timestamp"]) == [pd.Timestamp(d, tz=IST) for d in expected.index]
    np.testing.assert_array_equal(
        daily[["open", "high", "low", "close", "volume"]].to_numpy(), expected.to_numpy()
    )
    # Daily bars resample to themselves.
    again = resample(daily, nse, "1d")
    pd.testing.assert_frame_equal(again, daily, check_like=False)


def test_bars_outside_sessions_raise_unless_dropped_explicitly(nse: TradingCalendar) -> None:
    bars = session_bars(nse, D(2024, 1, 20))
    extra = ramp_bars(pd.DatetimeIndex([ist("2024-01-20 15:30"), ist("2024-01-20 18:16")]))
    dirty = pd.concat([bars, extra], ignore_index=True)
    with pytest.raises(ValueError, match=r"2 of 377 bars lie outside sessions.*15:30:00\+05:30"):
        resample(dirty, nse, "5m")
    out = resample(dirty, nse, "5m", drop_outside=True)
    assert out.attrs[DROPPED_ATTR] == 2
    pd.testing.assert_frame_equal(out, resample(bars, nse, "5m"))
    # A bar inside a break is outside too.
    in_break = ramp_bars(pd.DatetimeIndex([ist("2024-03-02 10:30")]))
    with pytest.raises(ValueError, match="1 of 1 bars lie outside"):
        resample(in_break, nse, "15m")


@pytest.mark.parametrize(
    ("source", "target", "pattern"),
    [
        ("5m", "1m", "cannot resample 5m bars to 1m"),
        ("5m", "7m", "cannot resample 5m bars to 7m"),
        ("15m", "20m", "cannot resample 15m bars to 20m"),
    ],
)
def test_upsampling_and_non_multiples_raise(
    nse: TradingCalendar, source: str, target: str, pattern: str
) -> None:
    bars = session_bars(nse, D(2024, 1, 2), source)
    with pytest.raises(ValueError, match=pattern):
        resample(bars, nse, target)


def test_daily_to_intraday_raises(nse: TradingCalendar) -> None:
    daily = ramp_bars(pd.DatetimeIndex(["2024-01-02", "2024-01-03"], tz=IST))
    with pytest.raises(ValueError, match="cannot upsample daily bars to 1h"):
        resample(daily, nse, "1h")
    with pytest.raises(ValueError, match="only intraday timeframes and 1d"):
        resample(daily, nse, "2d")


def test_explicit_source_timeframe_checks_alignment(nse: TradingCalendar) -> None:
    bars = session_bars(nse, D(2024, 1, 2))
    sparse = bars.iloc[::2].reset_index(drop=True)  # every other minute: looks like 2m
    with pytest.raises(ValueError, match="cannot resample 2m bars to 5m"):
        resample(sparse, nse, "5m")
    out = resample(sparse, nse, "5m", source_timeframe="1m")
    assert len(out) == 75
    with pytest.raises(ValueError, match="not on the 5m grid"):
        resample(bars, nse, "15m", source_timeframe="5m")


def test_unsorted_input_is_sorted_and_duplicates_raise(nse: TradingCalendar) -> None:
    bars = session_bars(nse, D(2024, 1, 2))
    shuffled = bars.sample(frac=1.0, random_state=3).reset_index(drop=True)
    pd.testing.assert_frame_equal(resample(shuffled, nse, "5m"), resample(bars, nse, "5m"))
    dup = pd.concat([bars, bars.iloc[[10]]], ignore_index=True)
    with pytest.raises(ValueError, match="1 duplicate bar timestamps"):
        resample(dup, nse, "5m")


def test_empty_and_naive_input(nse: TradingCalendar) -> None:
    empty = ramp_bars(pd.DatetimeIndex([], tz="UTC"))
    out = resample(empty, nse, "5m")
    assert out.empty
    assert list(out.columns) == list(BAR_COLUMNS)
    naive = session_bars(nse, D(2024, 1, 2)).assign(
        timestamp=lambda f: f["timestamp"].dt.tz_localize(None)
    )
    with pytest.raises(ValueError, match="timezone-aware"):
        resample(naive, nse, "5m")


def test_24x7_resample_to_1d() -> None:
    cal = get_calendar("24x7")
    stamps = pd.date_range("2019-10-11 22:00", periods=240, freq="1min", tz="UTC")
    out = resample(ramp_bars(stamps), cal, "1d")
    assert list(out["timestamp"]) == [
        pd.Timestamp("2019-10-11", tz="UTC"),
        pd.Timestamp("2019-10-12", tz="UTC"),
    ]
    assert out["volume"].tolist() == [120.0, 120.0]


# --- property: resampling preserves per-session aggregates ----------------------------------

PROPERTY_DAYS = [
    D(2009, 3, 2),  # 09:55 open
    D(2024, 1, 2),
    D(2024, 1, 20),  # special Saturday
    D(2024, 3, 2),  # break
    D(2025, 10, 21),  # Muhurat 13:45-14:45
    D(2021, 2, 24),  # halt: 09:15-11:40, 15:45-17:00
]
TARGETS = ["1m", "2m", "3m", "5m", "10m", "15m", "30m", "1h", "75m", "2h", "1d"]


@st.composite
def random_bars(draw: st.DrawFn) -> tuple[pd.DataFrame, str]:
    cal = get_calendar("NSE")
    days = draw(st.lists(st.sampled_from(PROPERTY_DAYS), min_size=1, max_size=3, unique=True))
    keep_p = draw(st.floats(0.05, 1.0))
    seed = draw(st.integers(0, 2**32 - 1))
    target = draw(st.sampled_from(TARGETS))
    rng = np.random.default_rng(seed)
    stamps = [cal.bar_starts(cal.session(d), "1m") for d in sorted(days)]  # type: ignore[arg-type]
    all_stamps = stamps[0].append(stamps[1:]) if len(stamps) > 1 else stamps[0]
    keep = rng.random(len(all_stamps)) < keep_p
    keep[rng.integers(0, len(all_stamps))] = True  # at least one bar
    ts = all_stamps[keep]
    n = len(ts)
    o = rng.uniform(100, 200, n)
    c = rng.uniform(100, 200, n)
    frame = pd.DataFrame(
        {
            "timestamp": ts,
            "open": o,
            "high": np.maximum(o, c) + rng.uniform(0, 5, n),
            "low": np.minimum(o, c) - rng.uniform(0, 5, n),
            "close": c,
            "volume": rng.integers(0, 10_000, n).astype(float),
        }
    )
    return frame, target


def _per_session(frame: pd.DataFrame) -> pd.DataFrame:
    day = frame["timestamp"].dt.tz_convert(IST).dt.date
    return frame.groupby(day).agg(
        open=("open", "first"),
        high=("high", "max"),
        low=("low", "min"),
        close=("close", "last"),
        volume=("volume", "sum"),
        n=("open", "size"),
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_bars())
def test_resample_preserves_session_aggregates(case: tuple[pd.DataFrame, str]) -> None:
    bars, target = case
    nse = get_calendar("NSE")
    out = resample(bars, nse, target, source_timeframe="1m")
    assert out["timestamp"].is_monotonic_increasing
    assert out["timestamp"].is_unique
    assert len(out) <= len(bars)
    before, after = _per_session(bars), _per_session(out)
    pd.testing.assert_index_equal(before.index, after.index)
    for col in ("open", "high", "low", "close", "volume"):
        np.testing.assert_array_equal(after[col].to_numpy(), before[col].to_numpy(), err_msg=col)
    if target != "1d":
        # Every output bar starts on the calendar's grid for the target timeframe.
        grid = np.concatenate([nse.bar_grid(d, d, target).start for d in before.index])
        starts = pd.DatetimeIndex(out["timestamp"]).as_unit("ns").asi8
        assert np.isin(starts, grid).all()
