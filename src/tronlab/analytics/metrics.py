"""Performance metrics of an equity curve: returns, annualised ratios, drawdowns, period
returns and one flat JSON-safe summary. Pure functions of their arguments (no I/O, no clock).

Annualisation
-------------
Every annualised figure takes ``periods_per_year``, the number of return periods in a year
*of the series passed in*; this package never guesses it:

* daily returns (:func:`daily_returns`): sessions per year of the exchange calendar. NSE has
  246-249 sessions a year (2022: 248, 2023: 246, 2024: 249 with the special sessions); count
  them in the caller, e.g. ``len(get_calendar("NSE").sessions(date(y, 1, 1), date(y, 12, 31)))``
  from ``tronlab.data.calendars`` (analytics may not import ``tronlab.data``).
* intraday bar returns: sessions per year x bars per session (NSE 5-minute bars: 75 a
  session); :func:`periods_per_year` multiplies the two. The overnight gap then lands in the
  first bar of each session, so prefer daily returns for Sharpe-type ratios.

Conventions (and where they differ from empyrical-reloaded, the reference in the tests)
-------------------------------------------------------------------------------------
* Volatility and Sharpe use the sample standard deviation (``ddof=1``), as empyrical does.
* ``risk_free`` (Sharpe) and ``target`` (Sortino) are **annual** rates, turned into a
  per-period rate ``(1 + rate) ** (1 / periods_per_year) - 1``; empyrical takes per-period
  values. With 0 (the default) both agree.
* Sortino's downside deviation is ``sqrt(mean(min(r - target, 0) ** 2))`` over *all*
  periods (Sortino & Price), as in empyrical.
* :func:`annualised_return` compounds (= empyrical ``annual_return`` / CAGR); pass
  ``compounded=False`` for the arithmetic ``mean * periods_per_year``.
* Drawdowns are fractions of the running peak; :func:`drawdown_series` is ``<= 0``,
  ``DrawdownInfo.max_dd`` is the positive magnitude (empyrical's ``max_drawdown`` is negative).
* Undefined ratios (fewer than two returns, zero volatility, no downside, no drawdown) are
  ``nan`` where empyrical may give ``inf`` or a huge number; :func:`summarise` says why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from tronlab.analytics._checks import (
    AnalyticsInputError,
    as_equity,
    as_returns,
    check_positive,
    json_value,
    with_initial,
)
from tronlab.analytics.trades import (
    by_group,
    exposure,
    trade_stats,
    traded_notional,
    trades_frame,
    turnover,
)

__all__ = [
    "DrawdownInfo",
    "annualised_return",
    "annualised_volatility",
    "by_group",
    "cagr",
    "calmar_ratio",
    "daily_returns",
    "drawdown_series",
    "drawdown_table",
    "exposure",
    "max_drawdown",
    "monthly_table",
    "period_returns",
    "periods_per_year",
    "returns_from_equity",
    "sharpe_ratio",
    "sortino_ratio",
    "summarise",
    "trade_stats",
    "traded_notional",
    "trades_frame",
    "turnover",
]

NAN = float("nan")
#: An equity curve: a Series, or a DataFrame with ``time`` and ``equity`` columns.
Equity = pd.Series | pd.DataFrame


def periods_per_year(sessions_per_year: float, bars_per_session: float = 1.0) -> float:
    """Return periods per year: ``sessions_per_year * bars_per_session`` (see the module doc)."""
    return check_positive(sessions_per_year, "sessions_per_year") * check_positive(
        bars_per_session, "bars_per_session"
    )


# ------------------------------------------------------------------------------------ returns
def returns_from_equity(equity: Equity, initial_equity: float | None = None) -> pd.Series:
    """Simple returns ``e_t / e_{t-1} - 1`` on the equity index. The first point has no return
    unless ``initial_equity`` is given, in which case its return is ``e_0 / initial - 1``."""
    s = as_equity(equity)
    levels = with_initial(s, initial_equity)
    index = s.index if initial_equity is not None else s.index[1:]
    return pd.Series(levels[1:] / levels[:-1] - 1.0, index=index, name="return")


def _local_index(s: pd.Series, tz: str | None) -> pd.DatetimeIndex:
    if not isinstance(s.index, pd.DatetimeIndex):
        raise AnalyticsInputError("period returns need an equity Series with a DatetimeIndex")
    idx = s.index
    if tz is not None:
        if idx.tz is None:
            raise AnalyticsInputError(
                "equity timestamps are naive; localise them (e.g. tz_localize('UTC')) "
                "before converting to an exchange time zone"
            )
        idx = idx.tz_convert(tz)
    return idx.tz_localize(None) if idx.tz is not None else idx


def _period_returns(
    s: pd.Series, tz: str | None, freq: str, initial_equity: float | None
) -> pd.Series:
    keys = _local_index(s, tz).to_period(freq)
    last = s.groupby(keys, sort=True).last()
    levels = with_initial(last, initial_equity)
    index = last.index if initial_equity is not None else last.index[1:]
    return pd.Series(levels[1:] / levels[:-1] - 1.0, index=index, name="return")


def daily_returns(equity: Equity, tz: str, initial_equity: float | None = None) -> pd.Series:
    """Session returns from the last equity of each local date in ``tz`` (the session date
    for exchanges whose sessions do not cross midnight, as NSE's). Indexed by the date
    (naive midnight). The first day's return is measured from ``initial_equity`` when given;
    otherwise the first day has no base and is left out."""
    s = as_equity(equity)
    out = _period_returns(s, tz, "D", initial_equity)
    out.index = pd.PeriodIndex(out.index).to_timestamp()
    out.index.name = "date"
    return out


def period_returns(
    equity: Equity,
    freq: Literal["D", "M", "Y"] = "M",
    *,
    tz: str | None = None,
    initial_equity: float | None = None,
) -> pd.Series:
    """Compounded return of each day (``"D"``), month (``"M"``) or year (``"Y"``), indexed by
    a ``PeriodIndex``: last equity of the period over the last equity of the previous one.
    ``tz`` defaults to the index's own zone. As in :func:`daily_returns` the first period is
    measured from ``initial_equity`` or left out."""
    if freq not in ("D", "M", "Y"):
        raise AnalyticsInputError(f"freq must be 'D', 'M' or 'Y', got {freq!r}")
    return _period_returns(as_equity(equity), tz, freq, initial_equity)


def monthly_table(
    equity: Equity, *, tz: str | None = None, initial_equity: float | None = None
) -> pd.DataFrame:
    """Monthly returns as a year x month table (columns 1-12, ``nan`` where no data) plus a
    ``"year"`` column compounding the months present: the data of a monthly heatmap."""
    monthly = period_returns(equity, "M", tz=tz, initial_equity=initial_equity)
    months = pd.PeriodIndex(monthly.index)
    table = pd.DataFrame(
        {
            "year": months.year,
            "month": months.month,
            "r": monthly.to_numpy(),
        }
    ).pivot(index="year", columns="month", values="r")
    table = table.reindex(columns=range(1, 13))
    table["year"] = (1.0 + table[list(range(1, 13))].fillna(0.0)).prod(axis=1) - 1.0
    table.columns.name = None
    return table


# ------------------------------------------------------------------------------ annual ratios
def _per_period(rate: float, ppy: float) -> float:
    return (1.0 + rate) ** (1.0 / ppy) - 1.0 if rate else 0.0


def _is_constant(r: np.ndarray) -> bool:
    # the sample sd of identical values is 0, but the float mean can leave a ~1e-18 residue
    return bool(r.max() == r.min())


def annualised_return(returns: Any, periods_per_year: float, *, compounded: bool = True) -> float:
    """``prod(1 + r) ** (ppy / n) - 1`` (compounded, = CAGR) or ``mean(r) * ppy``."""
    r, ppy = as_returns(returns), check_positive(periods_per_year, "periods_per_year")
    if len(r) == 0:
        return NAN
    if not compounded:
        return float(r.mean() * ppy)
    growth = float(np.prod(1.0 + r))
    return growth ** (ppy / len(r)) - 1.0 if growth > 0 else -1.0


def cagr(equity: Equity, periods_per_year: float, initial_equity: float | None = None) -> float:
    """Compound annual growth of an equity curve: ``(last / first) ** (ppy / n) - 1`` with
    ``n`` the number of return periods (``first`` = ``initial_equity`` when given)."""
    levels = with_initial(as_equity(equity), initial_equity)
    ppy = check_positive(periods_per_year, "periods_per_year")
    if len(levels) < 2:
        return NAN
    return float((levels[-1] / levels[0]) ** (ppy / (len(levels) - 1)) - 1.0)


def annualised_volatility(returns: Any, periods_per_year: float, ddof: int = 1) -> float:
    """``std(r, ddof) * sqrt(ppy)``; ``nan`` with fewer than two returns."""
    r, ppy = as_returns(returns), check_positive(periods_per_year, "periods_per_year")
    if len(r) < 2:
        return NAN
    return 0.0 if _is_constant(r) else float(r.std(ddof=ddof) * math.sqrt(ppy))


def sharpe_ratio(returns: Any, periods_per_year: float, risk_free: float = 0.0) -> float:
    """Annualised Sharpe ratio ``mean(r - rf) / std(r - rf, ddof=1) * sqrt(ppy)`` with ``rf``
    the per-period equivalent of the annual ``risk_free`` rate. ``nan`` with fewer than two
    returns or zero volatility."""
    r, ppy = as_returns(returns), check_positive(periods_per_year, "periods_per_year")
    if len(r) < 2 or _is_constant(r):
        return NAN
    x = r - _per_period(risk_free, ppy)
    return float(x.mean() / x.std(ddof=1) * math.sqrt(ppy))


def sortino_ratio(returns: Any, periods_per_year: float, target: float = 0.0) -> float:
    """Annualised Sortino ratio ``mean(r - t) / sqrt(mean(min(r - t, 0)^2)) * sqrt(ppy)`` with
    ``t`` the per-period equivalent of the annual ``target``. ``nan`` with fewer than two
    returns or no return below the target."""
    r, ppy = as_returns(returns), check_positive(periods_per_year, "periods_per_year")
    if len(r) < 2:
        return NAN
    x = r - _per_period(target, ppy)
    downside = math.sqrt(float(np.mean(np.minimum(x, 0.0) ** 2)))
    if downside == 0.0:
        return NAN
    return float(x.mean() / downside * math.sqrt(ppy))


def calmar_ratio(returns: Any, periods_per_year: float) -> float:
    """Compounded annual return over the maximum drawdown of the curve the returns build
    (starting at 1). ``nan`` when there is no drawdown."""
    r = as_returns(returns)
    if len(r) == 0:
        return NAN
    levels = np.cumprod(np.r_[1.0, 1.0 + r])
    if (levels <= 0).any():
        return NAN
    mdd = float(-(levels / np.maximum.accumulate(levels) - 1.0).min())
    return annualised_return(r, periods_per_year) / mdd if mdd > 0 else NAN


# ---------------------------------------------------------------------------------- drawdowns
@dataclass(frozen=True)
class DrawdownInfo:
    """The deepest peak-to-trough fall of an equity curve.

    ``max_dd`` is a positive fraction of the peak (0.0 when the curve never falls).
    ``peak_time`` is the last point at the peak before the trough (``None`` when the peak is the
    ``initial_equity``, before the first point), ``recovery_time`` the first point back at or
    above the peak (``None``: not recovered). ``duration`` runs from the peak (the first point
    for an initial-equity peak) to the recovery, or to the last point when not recovered
    (a ``Timedelta`` for a DatetimeIndex, else an index difference); ``duration_periods``
    counts return periods over the same span.
    """

    max_dd: float
    peak_time: Any
    trough_time: Any
    recovery_time: Any
    duration: Any
    duration_periods: int
    recovered: bool


def _drawdowns(equity: Equity, initial_equity: float | None) -> tuple[np.ndarray, int]:
    """Drawdown of each level (initial first when given) and the offset of the first point."""
    levels = with_initial(as_equity(equity), initial_equity)
    return levels / np.maximum.accumulate(levels) - 1.0, int(initial_equity is not None)


def drawdown_series(equity: Equity, initial_equity: float | None = None) -> pd.Series:
    """``equity / running peak - 1`` (``<= 0``) on the equity index; ``initial_equity`` when
    given is the first peak."""
    s = as_equity(equity)
    dd, off = _drawdowns(s, initial_equity)
    return pd.Series(dd[off:], index=s.index, name="drawdown")


def _episodes(dd: np.ndarray) -> list[tuple[int, int, int | None]]:
    """(peak, trough, recovery-or-None) positions of each underwater spell of ``dd``."""
    under = dd < 0
    before = np.r_[False, under[:-1]]
    starts = np.flatnonzero(under & ~before)
    ends = np.flatnonzero(~under & before)  # first point back at the peak
    out = []
    for k, s in enumerate(starts):
        rec = int(ends[k]) if k < len(ends) else None
        stop = rec if rec is not None else len(dd)
        out.append((int(s - 1), int(s + np.argmin(dd[s:stop])), rec))
    return out


def drawdown_table(
    equity: Equity, top: int = 5, initial_equity: float | None = None
) -> pd.DataFrame:
    """The ``top`` deepest drawdown spells, deepest first: ``depth`` (positive fraction),
    ``peak``, ``trough``, ``recovery`` (missing if not recovered), ``duration`` and
    ``periods`` as in :class:`DrawdownInfo`."""
    s = as_equity(equity)
    dd, off = _drawdowns(s, initial_equity)
    rows = [_info(s, dd, off, e) for e in _episodes(dd)]
    rows.sort(key=lambda d: -d.max_dd)
    return pd.DataFrame(
        [
            {
                "depth": d.max_dd,
                "peak": d.peak_time,
                "trough": d.trough_time,
                "recovery": d.recovery_time,
                "duration": d.duration,
                "periods": d.duration_periods,
            }
            for d in rows[: max(int(top), 0)]
        ],
        columns=["depth", "peak", "trough", "recovery", "duration", "periods"],
    )


def _info(
    s: pd.Series, dd: np.ndarray, off: int, episode: tuple[int, int, int | None]
) -> DrawdownInfo:
    peak, trough, rec = episode

    def label(i: int | None) -> Any:
        return None if i is None or i < off else s.index[i - off]

    end = rec if rec is not None else len(dd) - 1
    start_label = s.index[max(peak - off, 0)]
    return DrawdownInfo(
        max_dd=float(-dd[trough]),
        peak_time=label(peak),
        trough_time=label(trough),
        recovery_time=label(rec),
        duration=s.index[end - off] - start_label,
        duration_periods=end - peak,
        recovered=rec is not None,
    )


def max_drawdown(equity: Equity, initial_equity: float | None = None) -> DrawdownInfo:
    """The deepest drawdown of ``equity`` (``initial_equity``, when given, is the first
    peak). A curve that never falls gives ``max_dd == 0.0`` and no times."""
    s = as_equity(equity)
    dd, off = _drawdowns(s, initial_equity)
    if len(dd) == 0 or dd.min() == 0.0:
        return DrawdownInfo(0.0, None, None, None, None, 0, True)
    trough = int(np.argmin(dd))
    for episode in _episodes(dd):
        if episode[1] == trough:
            return _info(s, dd, off, episode)
    raise AssertionError("unreachable: the trough lies in an underwater spell")


# ------------------------------------------------------------------------------------ summary
def _nan_notes(out: dict[str, Any], r: np.ndarray, has_dd: bool) -> list[str]:
    notes = []
    if len(r) < 2:
        notes.append("fewer than 2 returns: volatility and ratios are undefined")
    elif _is_constant(r):
        notes.append("returns are constant (zero volatility): Sharpe is undefined")
    if len(r) >= 2 and math.isnan(out["sortino"]) and not _is_constant(r):
        notes.append("no return below the target: Sortino is undefined")
    if not has_dd:
        notes.append("the equity never fell below a peak: Calmar is undefined")
    if out["n_trades"] == 0:
        notes.append("no closed trades: trade statistics are undefined")
    elif out["n_losses"] == 0:
        notes.append("no losing trades: profit factor is unbounded (reported as null)")
    share, gross = out["cost_share_of_gross"], out["gross_pnl"]
    if out["n_trades"] and math.isnan(share) and not math.isnan(gross):
        notes.append("gross PnL <= 0: cost share of gross PnL is undefined")
    return notes


def summarise(
    equity: Equity,
    trades: pd.DataFrame | Any,
    *,
    periods_per_year: float,
    initial_equity: float,
    fills: pd.DataFrame | Any | None = None,
    risk_free: float = 0.0,
) -> dict[str, Any]:
    """All headline metrics as one flat JSON-safe dict (non-finite floats -> ``None``, times
    -> ISO 8601, durations -> seconds) plus ``notes`` saying why a value is missing.

    ``periods_per_year`` must match the sampling of ``equity`` (see the module doc: pass a
    daily curve and sessions/year for the usual daily ratios). ``initial_equity`` is the level
    before the first point: the first return and the first drawdown peak start from it.
    Turnover comes from ``fills`` (``qty``, ``price``) when given, else from the trades.
    """
    s = as_equity(equity)
    if len(s) == 0:
        raise AnalyticsInputError("equity curve is empty: nothing to summarise")
    ppy = check_positive(periods_per_year, "periods_per_year")
    initial_equity = check_positive(initial_equity, "initial_equity")
    r = returns_from_equity(s, initial_equity).to_numpy()
    dd_info = max_drawdown(s, initial_equity)
    tf = trades_frame(trades)
    years = len(r) / ppy
    out: dict[str, Any] = {
        "start": s.index[0],
        "end": s.index[-1],
        "n_periods": len(r),
        "periods_per_year": ppy,
        "years": years,
        "initial_equity": float(initial_equity),
        "final_equity": float(s.iloc[-1]),
        "net_pnl": float(s.iloc[-1] - initial_equity),
        "total_return": float(s.iloc[-1] / initial_equity - 1.0),
        "cagr": annualised_return(r, ppy),
        "mean_return_ann": annualised_return(r, ppy, compounded=False),
        "volatility_ann": annualised_volatility(r, ppy),
        "sharpe": sharpe_ratio(r, ppy, risk_free),
        "sortino": sortino_ratio(r, ppy, risk_free),
        "calmar": calmar_ratio(r, ppy),
        "max_drawdown": dd_info.max_dd,
        "max_drawdown_peak": dd_info.peak_time,
        "max_drawdown_trough": dd_info.trough_time,
        "max_drawdown_recovery": dd_info.recovery_time,
        "max_drawdown_duration": dd_info.duration,
        "max_drawdown_periods": dd_info.duration_periods,
        "max_drawdown_recovered": dd_info.recovered,
        "best_period_return": float(r.max()) if len(r) else NAN,
        "worst_period_return": float(r.min()) if len(r) else NAN,
        "positive_periods": float((r > 0).mean()) if len(r) else NAN,
    }
    out.update(trade_stats(tf))
    if isinstance(s.index, pd.DatetimeIndex) and s.index.tz is not None:
        out["exposure"] = exposure(tf, s.index)
    else:
        out["exposure"] = NAN
    source = fills if fills is not None else tf
    try:
        out["turnover"] = traded_notional(source) / float(s.mean())
    except AnalyticsInputError:
        out["turnover"] = NAN
    out["turnover_ann"] = out["turnover"] / years if years > 0 else NAN
    notes = _nan_notes(out, r, dd_info.max_dd > 0)
    if math.isnan(out["exposure"]):
        notes.append("exposure needs a tz-aware DatetimeIndex on the equity curve")
    if math.isnan(out["turnover"]) and len(tf):
        notes.append("turnover needs fills (qty, price) or trades with qty and prices")
    out["notes"] = notes
    return {k: json_value(v) for k, v in out.items()}
