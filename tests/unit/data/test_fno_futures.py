"""Futures contract schedule, synthetic futures, roll rules, continuous series, carry."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from tronlab.data.fno import NoRuleError
from tronlab.data.fno.futures import (
    FutureContract,
    annualised_carry,
    basis,
    continuous_series,
    contract_schedule,
    roll_dates,
    synthetic_futures,
    years_to_expiry,
)
from tronlab.data.synthetic import generate_market

R, Q = 0.065, 0.012
BAR = pd.Timedelta(minutes=15)


@pytest.fixture(scope="module")
def index_bars() -> pd.DataFrame:
    market = generate_market(seed=11, days=60, start=date(2025, 8, 1), timeframe="15m")
    return market.bars["SYNTH_NIFTY"]


@pytest.fixture(scope="module")
def futures(index_bars: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return synthetic_futures(index_bars, "NIFTY", r=R, dividend_yield=Q)


@pytest.fixture(scope="module")
def exact_futures(index_bars: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return synthetic_futures(index_bars, "NIFTY", r=R, dividend_yield=Q, noise_bps=0.0)


def _expiry(symbol: str) -> date:
    schedule = contract_schedule("NIFTY", date(2025, 8, 1), date(2025, 10, 31))
    return {c.symbol: c.expiry for c in schedule}[symbol]


# ------------------------------------------------------------------ schedule


def test_schedule_thursday_to_tuesday_monthlies() -> None:
    schedule = contract_schedule("NIFTY", date(2025, 8, 1), date(2025, 10, 31))
    assert [c.symbol for c in schedule] == [
        "NIFTY25AUGFUT",
        "NIFTY25SEPFUT",
        "NIFTY25OCTFUT",
        "NIFTY25NOVFUT",
        "NIFTY25DECFUT",
        "NIFTY26JANFUT",
    ]
    assert [c.expiry for c in schedule] == [
        date(2025, 8, 28),  # last Thursday
        date(2025, 9, 30),  # last Tuesday from Sep 2025
        date(2025, 10, 28),
        date(2025, 11, 25),
        date(2025, 12, 30),
        date(2026, 1, 27),
    ]
    assert all(c.last_day == c.expiry for c in schedule)
    # Listed the trading day after the expiry three months earlier (NIFTY25JULFUT: 31 Jul).
    assert schedule[2].first_day == date(2025, 8, 1)
    assert schedule[5].first_day == date(2025, 10, 29)  # day after the Oct expiry
    assert schedule[0].expiry.weekday() == 3
    assert schedule[1].expiry.weekday() == 1


def test_schedule_holiday_roll_back() -> None:
    schedule = contract_schedule("NIFTY", date(2026, 3, 1), date(2026, 3, 31))
    march = schedule[0]
    assert march == FutureContract(
        "NIFTY26MARFUT", date(2026, 3, 30), date(2025, 12, 31), march.last_day
    )
    assert march.expiry.weekday() == 0  # Tuesday 31 Mar is a holiday: rolled back to Monday
    assert [c.symbol for c in schedule] == ["NIFTY26MARFUT", "NIFTY26APRFUT", "NIFTY26MAYFUT"]


def test_schedule_errors() -> None:
    with pytest.raises(ValueError, match="before start"):
        contract_schedule("NIFTY", date(2025, 9, 1), date(2025, 8, 1))
    with pytest.raises(NoRuleError):
        contract_schedule("NOSUCH", date(2025, 8, 1), date(2025, 9, 1))


# ------------------------------------------------------------------ synthetic futures


def test_synthetic_futures_shape_and_determinism(
    index_bars: pd.DataFrame, futures: dict[str, pd.DataFrame]
) -> None:
    assert list(futures) == [
        "NIFTY25AUGFUT",
        "NIFTY25SEPFUT",
        "NIFTY25OCTFUT",
        "NIFTY25NOVFUT",
        "NIFTY25DECFUT",
        "NIFTY26JANFUT",
    ]
    for frame in futures.values():
        assert list(frame.columns) == ["timestamp", "open", "high", "low", "close", "volume", "oi"]
        assert str(frame["timestamp"].dt.tz) == "UTC"
        assert (frame["low"] <= frame[["open", "close"]].min(axis=1)).all()
        assert (frame["high"] >= frame[["open", "close"]].max(axis=1)).all()
        assert (frame["volume"] >= 0).all()
        assert (frame["oi"] >= 0).all()
    again = synthetic_futures(index_bars, "NIFTY", r=R, dividend_yield=Q)
    for symbol, frame in futures.items():
        pd.testing.assert_frame_equal(frame, again[symbol])
    other = synthetic_futures(index_bars, "NIFTY", r=R, dividend_yield=Q, seed=1)
    assert not other["NIFTY25OCTFUT"]["close"].equals(futures["NIFTY25OCTFUT"]["close"])


def test_prices_on_the_futures_tick(futures: dict[str, pd.DataFrame]) -> None:
    # Since 2025-04-15 the NIFTY-futures tick is 0.10 for index levels 15000-30000.
    for symbol, frame in futures.items():
        prices = frame[["open", "high", "low"]].to_numpy().ravel()
        closes = frame["close"].to_numpy()
        if frame["timestamp"].iloc[-1].tz_convert("Asia/Kolkata").date() == _expiry(symbol):
            closes = closes[:-1]  # the settlement close is the index close
        for values in (prices, closes):
            steps = values / 0.1
            assert np.allclose(steps, np.round(steps), atol=1e-6), symbol


def test_converges_to_index_at_expiry(
    index_bars: pd.DataFrame, futures: dict[str, pd.DataFrame]
) -> None:
    spot = index_bars.set_index("timestamp")["close"]
    expired = ["NIFTY25AUGFUT", "NIFTY25SEPFUT", "NIFTY25OCTFUT"]
    for symbol in expired:
        frame = futures[symbol].set_index("timestamp")
        last = frame.index[-1]
        assert last.tz_convert("Asia/Kolkata").date() == _expiry(symbol)
        assert frame["close"].iloc[-1] == spot[last]  # final settlement = index close
        gap = (frame["close"] / spot[frame.index] - 1.0).abs()
        assert gap.iloc[:26].mean() > 5 * gap.iloc[-26:].mean()  # basis shrinks into expiry
        assert gap.iloc[-26:].max() < 0.001
    far = futures["NIFTY26JANFUT"]
    assert (basis(far["close"].to_numpy(), spot[far["timestamp"]].to_numpy()) > 0).all()


@pytest.mark.parametrize("fixture", ["exact_futures", "futures"])
def test_carry_recovered(
    fixture: str, index_bars: pd.DataFrame, request: pytest.FixtureRequest
) -> None:
    frames: dict[str, pd.DataFrame] = request.getfixturevalue(fixture)
    spot = index_bars.set_index("timestamp")["close"]
    estimates = []
    for symbol, frame in frames.items():
        t = years_to_expiry(frame["timestamp"] + BAR, _expiry(symbol))
        keep = t > 10 / 365
        carry = annualised_carry(
            frame["close"].to_numpy()[keep], spot[frame["timestamp"]].to_numpy()[keep], t[keep]
        )
        estimates.append(np.median(carry))
    tolerance = 5e-4 if fixture == "exact_futures" else 2e-3
    assert np.allclose(estimates, R - Q, atol=tolerance), estimates


def test_open_interest_rises_then_falls(futures: dict[str, pd.DataFrame]) -> None:
    frame = futures["NIFTY25OCTFUT"]
    oi = frame["oi"].to_numpy()
    peak = int(np.argmax(oi))
    assert 0 < peak < len(oi) - 1
    assert oi[0] < oi[peak]
    assert oi[-1] < 0.1 * oi[peak]


def test_years_to_expiry() -> None:
    stamps = pd.Series(pd.to_datetime(["2025-10-27 10:00", "2025-10-28 10:00"], utc=True))
    # 15:30 IST = 10:00 UTC: exactly one day, then zero.
    assert np.allclose(years_to_expiry(stamps, date(2025, 10, 28)), [1 / 365, 0.0])
    with pytest.raises(ValueError, match="aware"):
        years_to_expiry(pd.Series(pd.to_datetime(["2025-10-27 10:00"])), date(2025, 10, 28))


# ------------------------------------------------------------------ roll rules


def _stamps(days: list[str]) -> list[pd.Timestamp]:
    # Two bars a day: 09:30 and 14:30 IST.
    out = []
    for day in days:
        out += [pd.Timestamp(f"{day} 04:00", tz="UTC"), pd.Timestamp(f"{day} 09:00", tz="UTC")]
    return out


DAYS = [f"2025-01-{d:02d}" for d in (6, 7, 8, 9, 10, 13, 14, 15, 16, 17, 20, 21)]


def _frame(days: list[str], oi: list[float], close: list[float] | None = None) -> pd.DataFrame:
    stamps = _stamps(days)
    prices = np.asarray(close if close is not None else np.linspace(100, 110, len(stamps)))
    return pd.DataFrame(
        {
            "timestamp": stamps,
            "open": prices,
            "high": prices + 1,
            "low": prices - 1,
            "close": prices,
            "volume": 1.0,
            "oi": np.repeat(oi, 2) if len(oi) == len(days) else oi,
        }
    )


def _hand_made() -> dict[str, pd.DataFrame]:
    a_oi = [100, 100, 90, 50, 10]
    # Day 2: a tie at the close (100 = 100) is no crossing. Day 3: B's OI exceeds A's at the
    # first bar (95 > 90) but not at the close (80 < 90).
    b_oi = [20, 20, 40, 100, 95, 80, 60, 60, 70, 70, 70, 70, 70, 70, 60, 60, 50, 50, 40, 40]
    return {
        "A": _frame(DAYS[:5], a_oi),
        "B": _frame(DAYS[:10], b_oi),
        "C": _frame(DAYS, [1] * 12),
    }


def test_roll_days_before_expiry() -> None:
    frames = _hand_made()
    # A expires on day 5 (its frame ends before B's), B on day 10; C runs on: no roll from C.
    assert roll_dates(frames, days=2) == [
        pd.Timestamp("2025-01-08 09:00", tz="UTC"),
        pd.Timestamp("2025-01-15 09:00", tz="UTC"),
    ]
    assert roll_dates(frames, days=0) == [
        pd.Timestamp("2025-01-10 09:00", tz="UTC"),
        pd.Timestamp("2025-01-17 09:00", tz="UTC"),
    ]
    # Truncated data: B has not expired (B and C end together) -> only the A roll.
    truncated = {"A": frames["A"], "B": frames["B"].iloc[:14], "C": frames["C"].iloc[:14]}
    assert roll_dates(truncated, days=2) == [pd.Timestamp("2025-01-08 09:00", tz="UTC")]


def test_roll_open_interest() -> None:
    frames = _hand_made()
    rolls = roll_dates(frames, rule="open_interest")
    # A -> B on day 4 (end-of-day 60 > 50; day 3's intraday cross does not count);
    # B -> C: C's OI never exceeds B's, so the roll is on B's expiry day.
    assert rolls == [
        pd.Timestamp("2025-01-09 09:00", tz="UTC"),
        pd.Timestamp("2025-01-17 09:00", tz="UTC"),
    ]


def test_roll_open_interest_on_synthetic(futures: dict[str, pd.DataFrame]) -> None:
    rolls = roll_dates(futures, rule="open_interest")
    by_days = roll_dates(futures, days=3)
    assert len(rolls) == len(by_days) == 3  # Aug->Sep->Oct->Nov; Nov has not expired
    for roll, symbol in zip(
        rolls, ["NIFTY25AUGFUT", "NIFTY25SEPFUT", "NIFTY25OCTFUT"], strict=True
    ):
        left = (_expiry(symbol) - roll.tz_convert("Asia/Kolkata").date()).days
        assert 1 <= left <= 10  # OI crosses a few days before expiry, not at it


def test_roll_errors() -> None:
    frames = _hand_made()
    with pytest.raises(ValueError, match="oi"):
        roll_dates({k: v.drop(columns="oi") for k, v in frames.items()}, rule="open_interest")
    with pytest.raises(ValueError, match="days"):
        roll_dates(frames, days=-1)
    with pytest.raises(ValueError, match="rule"):
        roll_dates(frames, rule="volume")  # type: ignore[arg-type]


# ------------------------------------------------------------------ continuous series


def _own_previous_close(series: pd.DataFrame, frames: dict[str, pd.DataFrame]) -> np.ndarray:
    """Each row's contract close at the previous row's timestamp."""
    out = [math.nan]
    for k in range(1, len(series)):
        frame = frames[series["contract"].iloc[k]]
        hit = frame.loc[frame["timestamp"] == series["timestamp"].iloc[k - 1], "close"]
        out.append(float(hit.iloc[0]))
    return np.asarray(out)


def test_continuous_ratio_keeps_returns(futures: dict[str, pd.DataFrame]) -> None:
    rolls = roll_dates(futures, days=3)
    series = continuous_series(futures, rolls, "ratio")
    assert list(series.columns) == [
        "timestamp", "open", "high", "low", "close", "volume", "oi", "contract", "adjustment"
    ]  # fmt: skip
    assert series["timestamp"].is_monotonic_increasing
    assert series["timestamp"].is_unique
    assert list(dict.fromkeys(series["contract"])) == list(futures)[:4]
    raw = series["close"] / series["adjustment"]
    previous = _own_previous_close(series, futures)
    contract_returns = raw.to_numpy()[1:] / previous[1:]
    series_returns = series["close"].to_numpy()[1:] / series["close"].to_numpy()[:-1]
    assert np.allclose(series_returns, contract_returns, rtol=1e-12)
    # Continuous at rolls: the roll bar's adjusted close equals the new contract's close there.
    for roll, new in zip(rolls, list(futures)[1:4], strict=True):
        row = series.loc[series["timestamp"] == roll].iloc[0]
        new_close = futures[new].set_index("timestamp")["close"][roll]
        after = series.loc[series["timestamp"] > roll, "adjustment"].iloc[0]
        assert row["close"] == pytest.approx(new_close * after, rel=1e-12)
    last = series[series["contract"] == "NIFTY25NOVFUT"]
    assert (last["adjustment"] == 1.0).all()
    nov = futures["NIFTY25NOVFUT"].set_index("timestamp")["close"]
    assert np.array_equal(last["close"].to_numpy(), nov[last["timestamp"]].to_numpy())


def test_continuous_difference_keeps_point_moves(futures: dict[str, pd.DataFrame]) -> None:
    rolls = roll_dates(futures, rule="open_interest")
    series = continuous_series(futures, rolls, "difference")
    previous = _own_previous_close(series, futures)
    raw = (series["close"] - series["adjustment"]).to_numpy()
    assert np.allclose(np.diff(series["close"].to_numpy()), raw[1:] - previous[1:], atol=1e-9)
    assert series["adjustment"].iloc[-1] == 0.0
    assert series["adjustment"].iloc[0] > 0  # contango: earlier contracts shifted up


def test_continuous_none_stitches(futures: dict[str, pd.DataFrame]) -> None:
    rolls = roll_dates(futures, days=3)
    series = continuous_series(futures, rolls, "none")
    assert (series["adjustment"] == 1.0).all()
    for symbol, part in series.groupby("contract"):
        raw = futures[str(symbol)].set_index("timestamp")["close"]
        assert np.array_equal(part["close"].to_numpy(), raw[part["timestamp"]].to_numpy())
    # Jumps at the rolls: the next bar's series return is not the new contract's return.
    previous = _own_previous_close(series, futures)
    jumps = series["close"].to_numpy()[1:] / series["close"].to_numpy()[:-1]
    assert not np.allclose(jumps, series["close"].to_numpy()[1:] / previous[1:], rtol=1e-9)


def test_continuous_hand_made() -> None:
    frames = {
        "A": _frame(DAYS[:2], [1, 1], [100.0, 102.0, 104.0, 103.0]),
        "B": _frame(DAYS[:4], [1] * 4, [105.0, 106.0, 110.0, 108.0, 109.0, 111.0, 112.0, 113.0]),
    }
    rolls = [pd.Timestamp("2025-01-06 09:00", tz="UTC")]  # A's 102 vs B's 106
    ratio = continuous_series(frames, rolls, "ratio")
    assert ratio["contract"].tolist() == ["A", "A", "B", "B", "B", "B", "B", "B"]
    assert ratio["close"].tolist()[:2] == pytest.approx([100 * 106 / 102, 106.0])
    assert ratio["close"].tolist()[2:] == [110.0, 108.0, 109.0, 111.0, 112.0, 113.0]
    diff = continuous_series(frames, rolls, "difference")
    assert diff["close"].tolist()[:2] == [104.0, 106.0]
    assert diff["adjustment"].tolist()[:2] == [4.0, 4.0]
    assert diff["low"].iloc[0] == 103.0
    plain = continuous_series(frames, rolls, "none")
    assert plain["close"].tolist()[:3] == [100.0, 102.0, 110.0]


def test_continuous_errors() -> None:
    frames = _hand_made()
    with pytest.raises(ValueError, match="rolls need"):
        continuous_series({"A": frames["A"]}, [pd.Timestamp("2025-01-08 09:00", tz="UTC")])
    with pytest.raises(ValueError, match="no bar"):
        continuous_series(frames, [pd.Timestamp("2025-01-08 05:00", tz="UTC")])
    with pytest.raises(ValueError, match="method"):
        continuous_series(frames, [], "log")  # type: ignore[arg-type]


# ------------------------------------------------------------------ basis and carry


def test_basis_and_carry_values() -> None:
    assert basis(101.5, 100.0) == pytest.approx(1.5)
    f = 100.0 * math.exp(0.05 * 0.5)
    assert annualised_carry(f, 100.0, 0.5) == pytest.approx(0.05)
    fs = pd.Series([f, 100.0])
    out = annualised_carry(fs, pd.Series([100.0, 100.0]), pd.Series([0.5, 0.25]))
    assert isinstance(out, pd.Series)
    assert out.tolist() == pytest.approx([0.05, 0.0])
