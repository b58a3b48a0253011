"""Equity and return metrics: hand-computed cases, empyrical-reloaded as the reference
implementation, period returns, drawdowns and the flat summary."""

from __future__ import annotations

import json
import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from tronlab.analytics import AnalyticsInputError
from tronlab.analytics.metrics import (
    DrawdownInfo,
    annualised_return,
    annualised_volatility,
    cagr,
    calmar_ratio,
    daily_returns,
    drawdown_series,
    drawdown_table,
    max_drawdown,
    monthly_table,
    period_returns,
    periods_per_year,
    returns_from_equity,
    sharpe_ratio,
    sortino_ratio,
    summarise,
)

ep = pytest.importorskip("empyrical", reason="empyrical-reloaded (the dev extra) is not installed")

IST = "Asia/Kolkata"
DAYS = pd.date_range("2024-01-01", periods=4, freq="D", tz=IST)


def _series(seed: int, n: int = 750, kind: str = "normal") -> pd.Series:
    rng = np.random.default_rng(seed)
    if kind == "normal":
        r = rng.normal(0.0006, 0.011, n)
    elif kind == "fat":  # skewed, fat-tailed: Student t plus occasional crashes
        r = rng.standard_t(3, n) * 0.006 + 0.0004
        r[rng.random(n) < 0.01] -= 0.05
    else:  # a losing strategy with a long drawdown
        r = rng.normal(-0.0004, 0.009, n)
    return pd.Series(r, index=pd.bdate_range("2021-01-01", periods=n, tz=IST))


# ------------------------------------------------------------------------ hand-computed values
HAND = pd.Series([100.0, 110.0, 99.0, 118.8], index=DAYS)  # returns 0.1, -0.1, 0.2


def test_returns_from_equity_by_hand() -> None:
    r = returns_from_equity(HAND)
    assert r.to_numpy() == pytest.approx([0.1, -0.1, 0.2], rel=1e-12)
    assert list(r.index) == list(DAYS[1:])
    with_init = returns_from_equity(HAND, initial_equity=80.0)
    assert with_init.iloc[0] == pytest.approx(0.25)
    assert len(with_init) == 4


def test_ratios_by_hand() -> None:
    r = returns_from_equity(HAND)
    mean, var = 1 / 15, 7 / 300  # mean and sample variance (ddof=1) of 0.1, -0.1, 0.2
    assert sharpe_ratio(r, 252) == pytest.approx(mean / math.sqrt(var) * math.sqrt(252), 1e-12)
    downside = math.sqrt(0.01 / 3)  # sqrt(mean(min(r, 0)^2)) over all three periods
    assert sortino_ratio(r, 252) == pytest.approx(mean / downside * math.sqrt(252), 1e-12)
    assert annualised_volatility(r, 252) == pytest.approx(math.sqrt(var * 252), 1e-12)
    growth = 1.188 ** (252 / 3) - 1
    assert annualised_return(r, 252) == pytest.approx(growth, 1e-12)
    assert annualised_return(r, 252, compounded=False) == pytest.approx(mean * 252, 1e-12)
    assert cagr(HAND, 252) == pytest.approx(growth, 1e-12)
    assert calmar_ratio(r, 252) == pytest.approx(growth / 0.1, 1e-9)


def test_max_drawdown_by_hand() -> None:
    info = max_drawdown(HAND)
    assert info == DrawdownInfo(
        max_dd=pytest.approx(0.1),
        peak_time=DAYS[1],
        trough_time=DAYS[2],
        recovery_time=DAYS[3],
        duration=pd.Timedelta(days=2),
        duration_periods=2,
        recovered=True,
    )
    dd = drawdown_series(HAND)
    assert dd.to_numpy() == pytest.approx([0.0, 0.0, -0.1, 0.0])


def test_drawdown_from_initial_equity_and_unrecovered() -> None:
    eq = pd.Series([95.0, 97.0, 90.0, 96.0], index=DAYS)
    info = max_drawdown(eq, initial_equity=100.0)
    assert info.max_dd == pytest.approx(0.10)
    assert info.peak_time is None  # the initial equity, before the first point
    assert info.trough_time == DAYS[2]
    assert info.recovery_time is None
    assert not info.recovered
    assert info.duration == DAYS[3] - DAYS[0]
    assert info.duration_periods == 4
    # without the initial level the first point is the first peak
    assert max_drawdown(eq).max_dd == pytest.approx(1 - 90 / 97)


def test_drawdown_table_lists_spells_deepest_first() -> None:
    eq = pd.Series(
        [100, 95, 100, 120, 90, 130, 125, 126.0],
        index=pd.date_range("2024-03-01", periods=8, freq="D", tz=IST),
    )
    table = drawdown_table(eq, top=5)
    assert table["depth"].to_numpy() == pytest.approx([0.25, 0.05, 1 - 125 / 130])
    assert table["peak"].tolist() == [eq.index[3], eq.index[0], eq.index[5]]
    assert table["trough"].tolist() == [eq.index[4], eq.index[1], eq.index[6]]
    assert table["recovery"].iloc[0] == eq.index[5]
    assert pd.isna(table["recovery"].iloc[2])  # not recovered
    assert table["periods"].tolist() == [2, 2, 2]
    assert len(drawdown_table(eq, top=1)) == 1
    assert max_drawdown(eq).max_dd == pytest.approx(table["depth"].iloc[0])


def test_rising_curve_has_no_drawdown() -> None:
    eq = pd.Series([1.0, 2.0, 3.0], index=DAYS[:3])
    assert max_drawdown(eq) == DrawdownInfo(0.0, None, None, None, None, 0, True)
    assert math.isnan(calmar_ratio(returns_from_equity(eq), 252))
    assert drawdown_table(eq).empty


# ------------------------------------------------------------------ empyrical-reloaded oracle
PPY = 249.0  # NSE sessions in 2024 (see test_periods_per_year_from_the_nse_calendar)


@pytest.mark.parametrize(("seed", "kind"), [(1, "normal"), (2, "fat"), (3, "losing"), (4, "fat")])
def test_matches_empyrical(seed: int, kind: str) -> None:
    r = _series(seed, kind=kind)
    rel = 1e-10
    assert sharpe_ratio(r, PPY) == pytest.approx(ep.sharpe_ratio(r, annualization=PPY), rel)
    assert sortino_ratio(r, PPY) == pytest.approx(ep.sortino_ratio(r, annualization=PPY), rel)
    assert annualised_return(r, PPY) == pytest.approx(ep.annual_return(r, annualization=PPY), rel)
    assert annualised_volatility(r, PPY) == pytest.approx(
        ep.annual_volatility(r, annualization=PPY), rel
    )
    assert calmar_ratio(r, PPY) == pytest.approx(ep.calmar_ratio(r, annualization=PPY), rel)
    # empyrical anchors the curve at 1 before the first return: pass the same initial level
    equity = (1.0 + r).cumprod() * 1e6
    mdd = max_drawdown(equity, initial_equity=1e6)
    assert mdd.max_dd == pytest.approx(-ep.max_drawdown(r), rel)
    assert drawdown_series(equity, initial_equity=1e6).to_numpy() == pytest.approx(
        ep.stats.drawdown_series(r).to_numpy(), rel=rel, abs=1e-14
    )
    assert cagr(equity, PPY, initial_equity=1e6) == pytest.approx(
        ep.cagr(r, annualization=PPY), rel
    )


def test_annual_rates_are_converted_per_period() -> None:
    """Our risk_free / target are annual; empyrical takes the per-period rate."""
    r = _series(5)
    rf = 0.065
    per_period = (1 + rf) ** (1 / PPY) - 1
    assert sharpe_ratio(r, PPY, risk_free=rf) == pytest.approx(
        ep.sharpe_ratio(r, risk_free=per_period, annualization=PPY), 1e-10
    )
    assert sortino_ratio(r, PPY, target=rf) == pytest.approx(
        ep.sortino_ratio(r, required_return=per_period, annualization=PPY), 1e-10
    )
    assert sharpe_ratio(r, PPY, risk_free=rf) < sharpe_ratio(r, PPY)


def test_periods_per_year_from_the_nse_calendar() -> None:
    from tronlab.data.calendars import get_calendar

    sessions = len(get_calendar("NSE").sessions(date(2024, 1, 1), date(2024, 12, 31)))
    assert 245 <= sessions <= 252
    assert periods_per_year(sessions) == sessions
    assert periods_per_year(sessions, 75) == sessions * 75  # 5-minute bars, 09:15-15:30
    with pytest.raises(AnalyticsInputError, match="bars_per_session"):
        periods_per_year(249, 0)


# -------------------------------------------------------------------------- period returns
def _intraday() -> pd.Series:
    # two IST sessions, stamped in UTC; the evening point is on the next IST date
    times = pd.to_datetime(
        [
            "2024-01-01T03:50Z",  # 09:20 IST, Jan 1
            "2024-01-01T09:55Z",  # 15:25 IST, Jan 1
            "2024-01-02T03:50Z",  # Jan 2
            "2024-01-02T09:55Z",  # Jan 2
            "2024-01-02T19:00Z",  # 00:30 IST on Jan 3
        ]
    )
    return pd.Series([1000.0, 1010.0, 990.0, 1030.0, 1040.0], index=times)


def test_daily_returns_group_by_exchange_date() -> None:
    eq = _intraday()
    r = daily_returns(eq, IST, initial_equity=1000.0)
    assert [d.date() for d in r.index] == [date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)]
    assert r.to_numpy() == pytest.approx([0.01, 1030 / 1010 - 1, 1040 / 1030 - 1])
    # without the initial level the first day has no base
    assert daily_returns(eq, IST).to_numpy() == pytest.approx(r.to_numpy()[1:])
    # in UTC the last point falls on Jan 2 instead
    assert len(daily_returns(eq, "UTC", initial_equity=1000.0)) == 2


def test_period_returns_and_monthly_table() -> None:
    idx = pd.to_datetime(["2023-12-29", "2024-01-15", "2024-01-31", "2024-02-20", "2024-04-02"])
    eq = pd.Series([100.0, 105.0, 110.0, 99.0, 108.9], index=idx.tz_localize(IST))
    m = period_returns(eq, "M", initial_equity=100.0)
    assert [str(p) for p in m.index] == ["2023-12", "2024-01", "2024-02", "2024-04"]
    assert m.to_numpy() == pytest.approx([0.0, 0.1, -0.1, 0.1])
    y = period_returns(eq, "Y", initial_equity=100.0)
    assert y.to_numpy() == pytest.approx([0.0, 0.089])
    table = monthly_table(eq, initial_equity=100.0)
    assert list(table.index) == [2023, 2024]
    assert list(table.columns) == [*range(1, 13), "year"]
    assert table.loc[2024, 1] == pytest.approx(0.1)
    assert math.isnan(table.loc[2024, 3])
    assert table.loc[2024, "year"] == pytest.approx(1.1 * 0.9 * 1.1 - 1)
    with pytest.raises(AnalyticsInputError, match="freq"):
        period_returns(eq, "W")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------- summary
def _trades() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": ["X", "X"],
            "entry_time": [DAYS[0], DAYS[1]],
            "exit_time": [DAYS[1], DAYS[3]],
            "qty": [1.0, 1.0],
            "entry_price": [50.0, 60.0],
            "exit_price": [60.0, 69.0],
            "gross_pnl": [10.0, 9.0],
            "fees": [1.0, 0.2],
            "pnl": [9.0, 8.8],
        }
    )


def test_summarise_is_flat_json_and_consistent() -> None:
    out = summarise(HAND, _trades(), periods_per_year=252, initial_equity=100.0)
    json.dumps(out, allow_nan=False)  # JSON-safe: no NaN/inf, no timestamps
    assert all(not isinstance(v, dict) for v in out.values())
    r = returns_from_equity(HAND, initial_equity=100.0)
    assert out["n_periods"] == 4
    assert out["sharpe"] == pytest.approx(sharpe_ratio(r, 252))
    assert out["cagr"] == pytest.approx(cagr(HAND, 252, initial_equity=100.0))
    assert out["total_return"] == pytest.approx(0.188)
    assert out["max_drawdown"] == pytest.approx(0.1)
    assert out["max_drawdown_peak"] == DAYS[1].isoformat()
    assert out["max_drawdown_duration"] == 2 * 86400.0
    assert out["n_trades"] == 2
    assert out["win_rate"] == 1.0
    assert out["profit_factor"] is None  # no losing trade: unbounded, reported as null
    assert any("profit factor" in n for n in out["notes"])
    # trades cover [day0, day3) of the 4 curve points
    assert out["exposure"] == pytest.approx(3 / 4)
    assert out["turnover"] == pytest.approx((50 + 60 + 60 + 69) / HAND.mean())


def test_summarise_constant_curve_says_why() -> None:
    flat = pd.Series([100.0] * 4, index=DAYS)
    out = summarise(flat, pd.DataFrame(), periods_per_year=252, initial_equity=100.0)
    json.dumps(out, allow_nan=False)
    assert out["sharpe"] is None
    assert out["sortino"] is None
    assert out["calmar"] is None
    assert out["volatility_ann"] == 0.0
    assert out["n_trades"] == 0
    text = " ".join(out["notes"])
    assert "zero volatility" in text
    assert "no closed trades" in text
    assert "never fell" in text


# ------------------------------------------------------------------------------ edge cases
def test_short_and_empty_series_give_nan() -> None:
    assert math.isnan(sharpe_ratio([], 252))
    assert math.isnan(sharpe_ratio([0.01], 252))
    assert math.isnan(annualised_return([], 252))
    assert math.isnan(sortino_ratio([0.01, 0.02], 252))  # no downside
    assert math.isnan(sharpe_ratio([0.001] * 10, 252))  # zero volatility
    assert annualised_volatility([0.001] * 10, 252) == 0.0
    assert annualised_return([-1.0, 0.5], 252) == -1.0  # wiped out


def test_bad_inputs_raise_clear_errors() -> None:
    with pytest.raises(AnalyticsInputError, match="NaN or infinite"):
        sharpe_ratio([0.01, float("nan"), 0.02], 252)
    with pytest.raises(AnalyticsInputError, match="periods_per_year"):
        sharpe_ratio([0.01, 0.02], 0)
    with pytest.raises(AnalyticsInputError, match="must stay positive"):
        returns_from_equity(pd.Series([100.0, 0.0, 50.0]))
    with pytest.raises(AnalyticsInputError, match="sorted"):
        max_drawdown(pd.Series([1.0, 2.0], index=[DAYS[1], DAYS[0]]))
    with pytest.raises(AnalyticsInputError, match="naive"):
        daily_returns(pd.Series([1.0, 2.0], index=pd.date_range("2024-01-01", periods=2)), IST)
    with pytest.raises(AnalyticsInputError, match="DatetimeIndex"):
        period_returns(pd.Series([1.0, 2.0]), "D")
    with pytest.raises(AnalyticsInputError, match="empty"):
        summarise(pd.Series([], dtype=float), [], periods_per_year=252, initial_equity=1.0)
    with pytest.raises(AnalyticsInputError, match="'equity' column"):
        max_drawdown(pd.DataFrame({"x": [1.0]}))


def test_accepts_the_engine_equity_frame() -> None:
    frame = pd.DataFrame({"time": DAYS, "equity": HAND.to_numpy()})
    assert max_drawdown(frame) == max_drawdown(HAND)
    assert returns_from_equity(frame).equals(returns_from_equity(HAND))
