"""Time to expiry (calendar time to 15:30 IST, floored at a minute) and the forward (future
or put-call parity at the ATM strike)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from tronlab.options import (
    SECONDS_PER_YEAR,
    black76_price,
    days_to_years,
    expiry_instant,
    forward_from_future,
    parity_forward,
    parity_forwards,
    year_fraction,
)

IST = ZoneInfo("Asia/Kolkata")
EXPIRY = date(2026, 1, 13)  # a Tuesday


def test_expiry_is_1530_ist() -> None:
    inst = expiry_instant(EXPIRY)
    assert inst == datetime(2026, 1, 13, 10, 0, tzinfo=UTC)
    assert expiry_instant(EXPIRY, close=time(15, 0)) == datetime(2026, 1, 13, 9, 30, tzinfo=UTC)
    aware = datetime(2026, 1, 13, 12, 0, tzinfo=IST)
    assert expiry_instant(aware) is aware


def test_year_fraction_is_calendar_time() -> None:
    now = datetime(2026, 1, 6, 15, 30, tzinfo=IST)
    assert year_fraction(now, EXPIRY) == 7 / 365
    # Any time zone for now; weekends count.
    assert year_fraction(now.astimezone(UTC), EXPIRY) == 7 / 365
    assert year_fraction(datetime(2026, 1, 13, 9, 15, tzinfo=IST), EXPIRY) == pytest.approx(
        6.25 * 3600 / SECONDS_PER_YEAR, rel=1e-15
    )
    assert days_to_years(7) == 7 / 365
    np.testing.assert_allclose(days_to_years([7, 14]), [7 / 365, 14 / 365])


def test_year_fraction_floor_and_expiry() -> None:
    minute = 60 / SECONDS_PER_YEAR
    last_seconds = datetime(2026, 1, 13, 15, 29, 30, tzinfo=IST)
    assert year_fraction(last_seconds, EXPIRY) == minute
    assert year_fraction(datetime(2026, 1, 13, 15, 30, tzinfo=IST), EXPIRY) == minute
    assert year_fraction(last_seconds, EXPIRY, floor_minutes=5) == pytest.approx(5 * minute)
    after = datetime(2026, 1, 13, 15, 31, tzinfo=IST)
    assert math.isnan(year_fraction(after, EXPIRY))
    assert year_fraction(after, EXPIRY, expired="floor") == minute
    with pytest.raises(ValueError, match="expired"):
        year_fraction(after, EXPIRY, expired="raise")


def test_year_fraction_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        year_fraction(datetime(2026, 1, 6, 15, 30), EXPIRY)


def test_year_fraction_vectorised() -> None:
    base = datetime(2026, 1, 6, 15, 30, tzinfo=IST)
    nows = [base + timedelta(days=d) for d in range(8)]
    t = year_fraction(nows, EXPIRY)
    assert isinstance(t, np.ndarray)
    np.testing.assert_allclose(t[:7], np.arange(7, 0, -1) / 365, rtol=1e-15)
    assert t[7] == 60 / SECONDS_PER_YEAR
    # datetime64 (UTC) against an array of expiry dates: broadcast.
    now64 = np.array(["2026-01-06T10:00:00"], dtype="datetime64[s]")
    expiries = np.array(["2026-01-13", "2026-01-27"], dtype="datetime64[D]")
    np.testing.assert_allclose(year_fraction(now64, expiries), [7 / 365, 21 / 365], rtol=1e-15)
    t2 = year_fraction(base, [EXPIRY, date(2026, 1, 20)])
    np.testing.assert_allclose(t2, [7 / 365, 14 / 365], rtol=1e-15)


def test_forward_from_future() -> None:
    assert forward_from_future(24012.5) == 24012.5
    np.testing.assert_array_equal(forward_from_future([1.0, 2.0]), [1.0, 2.0])
    with pytest.raises(ValueError, match="> 0"):
        forward_from_future(0.0)


def test_parity_forward_recovers_the_forward_at_the_atm_strike() -> None:
    f, t, r = 24037.0, 7 / 365, 0.065
    strikes = np.arange(23500.0, 24600.0, 50.0)
    calls = black76_price(f, strikes, t, 0.13, r, True)
    puts = black76_price(f, strikes, t, 0.13, r, False)
    # A missing put quote at one strike (NaN) and a zero call elsewhere are skipped.
    puts[0] = np.nan
    calls[1] = 0.0
    pf = parity_forward(strikes, calls, puts, t, r)
    assert pf.strike == 24050.0  # |C - P| smallest at the strike nearest F
    assert pf.forward == pytest.approx(f, rel=1e-13)
    assert (pf.call, pf.put) == (calls[pf.position], puts[pf.position])
    every = parity_forwards(strikes, calls, puts, t, r)
    assert np.isnan(every[:2]).all()
    np.testing.assert_allclose(every[2:], f, rtol=1e-12)
    # A noisy chain: the forward comes from the ATM pair only.
    noisy = calls.copy()
    noisy[-1] += 3.0
    assert parity_forward(strikes, noisy, puts, t, r).forward == pytest.approx(f, rel=1e-13)


def test_parity_forward_errors() -> None:
    with pytest.raises(ValueError, match="same length"):
        parity_forward([1.0, 2.0], [1.0], [1.0], 0.1, 0.05)
    with pytest.raises(ValueError, match="no strike"):
        parity_forward([100.0], [np.nan], [1.0], 0.1, 0.05)
