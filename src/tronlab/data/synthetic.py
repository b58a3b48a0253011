"""A deterministic synthetic market for demos and unit tests.

:func:`generate_market` draws a small, internally consistent market on a real trading calendar:
a handful of correlated stocks, a cap-weighted index built from them and a VIX-like volatility
index. The same seed always gives byte-identical bar frames; nothing depends on today's date.

Generative model
----------------
Sessions
    The ``days`` sessions of the calendar ending on 2025-12-31 (or starting on ``start``), with
    the calendar's holidays, special sessions and breaks. Prices are simulated on the calendar's
    1-minute bar starts and aggregated when another ``timeframe`` is asked for.
Regimes
    One regime per session from a sticky Markov chain over ``calm`` / ``normal`` / ``volatile``
    (:data:`REGIME_TRANSITIONS`, first state from its stationary distribution). A regime scales
    volatility (:data:`REGIME_VOL`), volume (:data:`REGIME_VOLUME`) and sets the level the
    volatility index reverts to (:data:`REGIME_VIX`).
Stock returns
    A one-factor model. Per 1-minute bar *t* in session *s* the log return of stock *j* is::

        r[j,t] = vol_j * m[s] * sqrt(0.8 u(x_t) / (252 N)) * (sqrt(rho) f[t] + sqrt(1-rho) e[j,t])

    with ``f`` (market factor) and ``e`` (idiosyncratic) i.i.d. Student-t (5 d.o.f.) scaled to unit
    variance, ``vol_j`` the annualised volatility of :class:`SymbolSpec`, ``m[s]`` the regime
    multiplier, ``N`` the median session length in minutes and ``u`` a U-shaped intraday
    volatility profile over the elapsed fraction ``x`` of the session (mean 1). The pairwise
    correlation of any two stocks' returns is therefore ``rho`` (``correlation``) in every
    regime. Between two sessions separated in time an overnight gap carries the remaining 20 % of
    the daily variance with the same factor structure.
Bars
    ``close`` follows the cumulated log returns; ``open`` is the previous close (the previous
    session's close times the gap for a session's first bar); ``high``/``low`` extend beyond
    ``max/min(open, close)`` by half-normal excursions of the bar's volatility. All prices are
    rounded to the tick (0.05 for stocks and the index, 0.01 for the volatility index); rounding is
    monotone, so ``low <= open, close <= high`` holds exactly.
Volume
    Integer shares: ``daily_volume / N`` times a U-shaped intraday profile (heavy at the open and
    the close), the regime volume multiplier, a factor growing with the bar's absolute shock, and
    log-normal noise. The index and the volatility index carry volume 0.
Index
    Cap-weighted with fixed shares outstanding: ``I = sum_j shares_j * P_j / D`` with the divisor
    ``D`` set so that the index starts at ``index_base``; open and close are exact functions of the
    constituents' rounded prices (then rounded to the tick); the index's high/low excursion is half
    the cap-weighted sum of the constituents' excursions.
Volatility index
    ``log VIX`` is an Ornstein-Uhlenbeck process reverting (half-life 1.5 sessions) to
    ``log REGIME_VIX[s]``; its shocks are ``-0.75 f + sqrt(1 - 0.75**2) v`` with independent
    ``v``, so it rises when the market falls (negative correlation with index returns) and tracks
    the regime's realised volatility. Overnight it moves 20 % of the way to the new regime's level
    plus a gap shock tied to the market's overnight gap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from tronlab.data.bars import Timeframe, normalize_bars
from tronlab.data.calendars import Session, TradingCalendar, get_calendar

__all__ = [
    "DEFAULT_END",
    "DEFAULT_SYMBOLS",
    "REGIMES",
    "REGIME_TRANSITIONS",
    "REGIME_VIX",
    "REGIME_VOL",
    "REGIME_VOLUME",
    "SymbolSpec",
    "SyntheticMarket",
    "generate_market",
]

REGIMES: tuple[str, ...] = ("calm", "normal", "volatile")
#: Row-stochastic session-to-session transition matrix over :data:`REGIMES` (sticky diagonal).
REGIME_TRANSITIONS = np.array(
    [
        [0.88, 0.10, 0.02],
        [0.07, 0.86, 0.07],
        [0.04, 0.16, 0.80],
    ]
)
#: Volatility multiplier per regime (applied to each symbol's annualised volatility).
REGIME_VOL = np.array([0.6, 1.0, 2.0])
#: Volume multiplier per regime.
REGIME_VOLUME = np.array([0.8, 1.0, 1.5])
#: Level (in volatility points) the volatility index reverts to in each regime.
REGIME_VIX = np.array([11.0, 14.5, 25.0])

#: The last date of the default window; fixed so results never depend on today's date.
DEFAULT_END = date(2025, 12, 31)

_TRADING_DAYS = 252
_OVERNIGHT_SHARE = 0.2  # share of daily variance carried by the overnight gap
_T_DOF = 5.0
_VIX_LEVERAGE = 0.75  # weight of -market factor in the VIX shock
_VIX_DAILY_VOL = 0.07  # daily log-vol of the VIX in the normal regime
_VIX_HALF_LIFE_SESSIONS = 1.5
_VIX_OVERNIGHT_PULL = 0.2
_VIX_TICK = 0.01
_INDEX_TICK = 0.05
_WICK = 0.6  # high/low excursion scale, in units of the bar's volatility


@dataclass(frozen=True)
class SymbolSpec:
    """One synthetic stock.

    Parameters
    ----------
    symbol
        Ticker; keep it obviously synthetic (``SYNTH_...``).
    price
        Price at the first bar, in the quote currency.
    volatility
        Annualised return volatility in the ``normal`` regime.
    shares
        Shares outstanding; the index weights constituents by ``shares * price``.
    daily_volume
        Average shares traded per regular session in the ``normal`` regime.
    tick
        Price increment; every price is rounded to it.
    """

    symbol: str
    price: float
    volatility: float = 0.25
    shares: float = 1e9
    daily_volume: float = 5e6
    tick: float = 0.05

    def __post_init__(self) -> None:
        if not self.symbol:
            raise ValueError("symbol must not be empty")
        if self.price <= 0 or self.volatility <= 0 or self.shares <= 0 or self.tick <= 0:
            raise ValueError(f"{self.symbol}: price, volatility, shares and tick must be > 0")
        if self.daily_volume < 0:
            raise ValueError(f"{self.symbol}: daily_volume must be >= 0")


#: The default universe: five NSE-like large caps at realistic late-2025 rupee levels.
DEFAULT_SYMBOLS: tuple[SymbolSpec, ...] = (
    SymbolSpec("SYNTH_RELI", 1450.0, 0.22, 13.5e9, 10e6),
    SymbolSpec("SYNTH_HDFC", 985.0, 0.20, 15.3e9, 15e6),
    SymbolSpec("SYNTH_TCS", 3150.0, 0.21, 3.6e9, 2.5e6),
    SymbolSpec("SYNTH_INFY", 1580.0, 0.25, 4.15e9, 7e6),
    SymbolSpec("SYNTH_ITC", 405.0, 0.18, 12.5e9, 12e6),
)


@dataclass(frozen=True, eq=False)
class SyntheticMarket:
    """A generated market: one canonical bar frame per symbol plus how it was made."""

    bars: dict[str, pd.DataFrame]
    stocks: tuple[str, ...]
    index_symbol: str
    vix_symbol: str
    #: Regime label per session, indexed by session date.
    regimes: pd.Series
    sessions: tuple[Session, ...]
    seed: int
    timeframe: Timeframe
    calendar: TradingCalendar
    correlation: float
    specs: tuple[SymbolSpec, ...] = field(default=())

    @property
    def symbols(self) -> tuple[str, ...]:
        """Every symbol: the stocks, then the index, then the volatility index."""
        return (*self.stocks, self.index_symbol, self.vix_symbol)

    def tick(self, symbol: str) -> float:
        """The price tick ``symbol`` is rounded to."""
        if symbol == self.vix_symbol:
            return _VIX_TICK
        if symbol == self.index_symbol:
            return _INDEX_TICK
        for spec in self.specs:
            if spec.symbol == symbol:
                return spec.tick
        raise KeyError(symbol)

    def write_csv(self, directory: str | Path) -> list[Path]:
        """Write one CSV per symbol in the shared-data format; return the paths.

        Files are named ``SYMBOL_TIMEFRAME_FIRSTDATE_LASTDATE.csv`` (dates in the calendar's time
        zone) with a ``timestamp,open,high,low,close,volume`` header, ISO 8601 timestamps carrying
        the exchange's UTC offset (``2025-10-01T09:15:00+05:30``) and integer volume.
        """
        out_dir = Path(directory)
        out_dir.mkdir(parents=True, exist_ok=True)
        tz = self.calendar.tz
        paths: list[Path] = []
        for symbol in self.symbols:
            frame = self.bars[symbol]
            stamps, first, last = _iso_local(frame["timestamp"], tz)
            decimals = _decimals(self.tick(symbol))
            # Plain string joins: several times faster than DataFrame.to_csv here.
            columns: list[list[str]] = [stamps]
            for col in ("open", "high", "low", "close"):
                values = np.round(frame[col].to_numpy(), decimals).tolist()
                columns.append([repr(v) for v in values])
            columns.append([str(v) for v in frame["volume"].to_numpy().astype(np.int64).tolist()])
            rows = "".join(",".join(row) + "\n" for row in zip(*columns, strict=True))
            path = out_dir / f"{symbol}_{self.timeframe.label}_{first}_{last}.csv"
            path.write_text("timestamp,open,high,low,close,volume\n" + rows, encoding="utf-8")
            paths.append(path)
        return paths


def generate_market(
    seed: int = 7,
    days: int = 60,
    *,
    start: date | None = None,
    calendar: str | TradingCalendar = "NSE",
    symbols: Sequence[SymbolSpec] | None = None,
    timeframe: str | Timeframe = "1m",
    correlation: float = 0.6,
    index_symbol: str = "SYNTH_NIFTY",
    vix_symbol: str = "SYNTH_VIX",
    index_base: float = 24000.0,
) -> SyntheticMarket:
    """Generate a deterministic synthetic market (see the module docstring for the model).

    Parameters
    ----------
    seed
        Seed of the random generator; the same seed gives byte-identical frames.
    days
        Number of trading sessions.
    start
        First date to consider; the market then covers the first ``days`` sessions on or after
        it. By default the last ``days`` sessions ending on :data:`DEFAULT_END`.
    calendar
        Calendar name (``"NSE"``, ``"NYSE"``, ``"24x7"``) or a :class:`TradingCalendar`.
    symbols
        Stock universe (default :data:`DEFAULT_SYMBOLS`).
    timeframe
        Bar length of the returned frames; prices are simulated at 1 minute and aggregated.
    correlation
        Pairwise correlation of the stocks' returns, in ``[0, 1)``.
    index_symbol, vix_symbol
        Names of the cap-weighted index and of the volatility index.
    index_base
        Index level at the first bar.
    """
    if days <= 0:
        raise ValueError(f"days must be > 0, got {days}")
    if not 0.0 <= correlation < 1.0:
        raise ValueError(f"correlation must be in [0, 1), got {correlation}")
    if index_base <= 0:
        raise ValueError(f"index_base must be > 0, got {index_base}")
    specs = tuple(DEFAULT_SYMBOLS if symbols is None else symbols)
    if not specs:
        raise ValueError("symbols must not be empty")
    names = [s.symbol for s in specs] + [index_symbol, vix_symbol]
    if len(set(names)) != len(names):
        raise ValueError(f"symbol names must be unique, got {names}")
    tf = Timeframe.parse(timeframe)
    cal = get_calendar(calendar) if isinstance(calendar, str) else calendar

    sessions = _pick_sessions(cal, days, start)
    grid = _MinuteGrid.build(cal, sessions)
    rng = np.random.default_rng(seed)
    n_sess, n_bars, n_stocks = len(sessions), grid.size, len(specs)

    regime = _regime_path(rng, n_sess)
    bar_regime = regime[grid.session]

    # Shocks: market factor and idiosyncratic, intraday and overnight.
    f = _student(rng, n_bars)
    e = _student(rng, (n_stocks, n_bars))
    gap_f = _student(rng, n_sess)
    gap_e = _student(rng, (n_stocks, n_sess))
    wick = np.abs(rng.standard_normal((2, n_stocks, n_bars)))
    vol_noise = rng.standard_normal((n_stocks, n_bars))
    vix_v = rng.standard_normal(n_bars)
    vix_gap_v = rng.standard_normal(n_sess)
    vix_wick = np.abs(rng.standard_normal((2, n_bars)))

    sq_rho, sq_idio = math.sqrt(correlation), math.sqrt(1.0 - correlation)
    vols = np.array([s.volatility for s in specs])[:, None]
    # Per-bar scale of a unit-volatility asset.
    bar_scale = REGIME_VOL[bar_regime] * np.sqrt(
        (1.0 - _OVERNIGHT_SHARE) * grid.vol_profile / (_TRADING_DAYS * grid.typical)
    )
    shock = sq_rho * f + sq_idio * e  # (stocks, bars), unit variance
    intraday = vols * bar_scale * shock
    gap_scale = REGIME_VOL[regime] * math.sqrt(_OVERNIGHT_SHARE / _TRADING_DAYS) * grid.has_gap
    gaps = vols * gap_scale * (sq_rho * gap_f + sq_idio * gap_e)  # (stocks, sessions)

    total = intraday.copy()
    total[:, grid.first] += gaps
    log_p0 = np.log([s.price for s in specs])[:, None]
    log_close = log_p0 + np.cumsum(total, axis=1)
    log_open = log_close - intraday
    ticks = np.array([s.tick for s in specs])[:, None]
    open_, high, low, close = _ohlc(
        log_open, log_close, vols * bar_scale * _WICK, wick, ticks, grid.is_first
    )
    top, bottom = np.maximum(open_, close), np.minimum(open_, close)

    daily_volume = np.array([s.daily_volume for s in specs])[:, None]
    activity = 0.6 + 0.5 * np.abs(shock)
    volume = np.rint(
        daily_volume
        / grid.typical
        * grid.volume_profile
        * REGIME_VOLUME[bar_regime]
        * activity
        * np.exp(0.35 * vol_noise - 0.5 * 0.35**2)
    )

    # Cap-weighted index from the constituents' rounded prices.
    shares = np.array([s.shares for s in specs])[:, None]
    divisor = float(np.sum(shares[:, 0] * np.array([s.price for s in specs]))) / index_base
    i_open = np.sum(shares * open_, axis=0) / divisor
    i_close = np.sum(shares * close, axis=0) / divisor
    up = np.sum(shares * (high - top), axis=0) / divisor * 0.5
    down = np.sum(shares * (bottom - low), axis=0) / divisor * 0.5
    i_open, i_close = _round_tick(i_open, _INDEX_TICK), _round_tick(i_close, _INDEX_TICK)
    i_top, i_bottom = np.maximum(i_open, i_close), np.minimum(i_open, i_close)
    i_high = np.maximum(_round_tick(i_top + up, _INDEX_TICK), i_top)
    i_low = np.minimum(_round_tick(i_bottom - down, _INDEX_TICK), i_bottom)

    v_log_open, v_log_close, v_eta = _vix_path(grid, regime, f, vix_v, gap_f, vix_gap_v)
    v_open, v_high, v_low, v_close = _ohlc(
        v_log_open, v_log_close, _WICK * v_eta, vix_wick, _VIX_TICK, grid.is_first
    )

    zeros = np.zeros(n_bars)
    ohlcv: dict[str, tuple[np.ndarray, ...]] = {
        spec.symbol: (open_[j], high[j], low[j], close[j], volume[j])
        for j, spec in enumerate(specs)
    }
    ohlcv[index_symbol] = (i_open, i_high, i_low, i_close, zeros)
    ohlcv[vix_symbol] = (v_open, v_high, v_low, v_close, zeros)

    buckets = _Buckets.build(cal, sessions, grid, tf)
    bars = {sym: buckets.frame(values) for sym, values in ohlcv.items()}
    regimes = pd.Series(
        [REGIMES[r] for r in regime],
        index=pd.Index([s.date for s in sessions], name="session"),
        name="regime",
        dtype=object,
    )
    return SyntheticMarket(
        bars=bars,
        stocks=tuple(s.symbol for s in specs),
        index_symbol=index_symbol,
        vix_symbol=vix_symbol,
        regimes=regimes,
        sessions=tuple(sessions),
        seed=seed,
        timeframe=tf,
        calendar=cal,
        correlation=correlation,
        specs=specs,
    )


# --------------------------------------------------------------------------------------------
# helpers


def _pick_sessions(cal: TradingCalendar, days: int, start: date | None) -> list[Session]:
    lo, hi = cal.first_date, cal.last_date
    span = 2 * days + 14
    while True:
        if start is None:
            last = min(DEFAULT_END, hi)
            first = max(last - timedelta(days=span), lo)
            found = cal.sessions(first, last)
            chosen, exhausted = found[-days:], first <= lo
        else:
            last = min(start + timedelta(days=span), hi)
            found = cal.sessions(max(start, lo), last)
            chosen, exhausted = found[:days], last >= hi
        if len(found) >= days:
            return list(chosen)
        if exhausted:
            raise ValueError(
                f"the {cal.name} calendar ({lo}..{hi}) has only {len(found)} sessions "
                f"{'before ' + str(DEFAULT_END) if start is None else 'from ' + str(start)}, "
                f"fewer than days={days}"
            )
        span *= 2


def _regime_path(rng: np.random.Generator, n: int) -> np.ndarray:
    """Sticky Markov chain over regimes, one state per session."""
    cum = np.cumsum(REGIME_TRANSITIONS, axis=1)
    evals, evecs = np.linalg.eig(REGIME_TRANSITIONS.T)
    stationary = np.real(evecs[:, np.argmin(np.abs(evals - 1.0))])
    stationary = np.cumsum(stationary / stationary.sum())
    u = rng.random(n)
    path = np.empty(n, dtype=np.int64)
    state = int(np.searchsorted(stationary, u[0], side="right"))
    path[0] = min(state, len(REGIMES) - 1)
    for i in range(1, n):
        state = int(np.searchsorted(cum[path[i - 1]], u[i], side="right"))
        path[i] = min(state, len(REGIMES) - 1)
    return path


def _student(rng: np.random.Generator, shape: int | tuple[int, ...]) -> np.ndarray:
    """Student-t draws scaled to unit variance (fat tails, same covariance structure)."""
    return rng.standard_t(_T_DOF, size=shape) * math.sqrt((_T_DOF - 2.0) / _T_DOF)


def _round_tick(x: np.ndarray, tick: float | np.ndarray) -> np.ndarray:
    # The second round removes float noise such as 1450.0500000000002.
    return np.round(np.round(x / tick) * tick, 6)


def _u_shape(x: np.ndarray, head: float, tail: float, width: float) -> np.ndarray:
    return 1.0 + head * np.exp(-x / width) + tail * np.exp(-(1.0 - x) / width)


@dataclass(frozen=True)
class _MinuteGrid:
    """All 1-minute bar starts of the chosen sessions, flattened, with per-bar metadata."""

    starts: np.ndarray  # int64 ns since epoch, UTC
    session: np.ndarray  # session position of each bar
    local: np.ndarray  # position of each bar within its session
    first: np.ndarray  # index of each session's first bar
    is_first: np.ndarray  # bar is the first of its session
    has_gap: np.ndarray  # session starts after a pause in trading (gets an overnight gap)
    vol_profile: np.ndarray  # U-shaped intraday variance multiplier, mean 1 on a full session
    volume_profile: np.ndarray  # U-shaped intraday volume multiplier, mean 1 on a full session
    typical: float  # median session length, minutes

    @property
    def size(self) -> int:
        return int(self.starts.size)

    @classmethod
    def build(cls, cal: TradingCalendar, sessions: Sequence[Session]) -> _MinuteGrid:
        i0, _ = cal.positions(sessions[0].date, sessions[-1].date)
        bar_grid = cal.bar_grid(sessions[0].date, sessions[-1].date, "1m")
        starts = np.asarray(bar_grid.start, dtype=np.int64)
        session = np.asarray(bar_grid.session, dtype=np.int64) - i0
        lengths = np.bincount(session, minlength=len(sessions))
        if np.any(lengths == 0):
            raise ValueError("a calendar session has no 1-minute bars")
        first = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        local = np.arange(starts.size) - first[session]
        is_first = np.zeros(starts.size, dtype=bool)
        is_first[first] = True
        opens = np.array([_ts_ns(s.open) for s in sessions], dtype=np.int64)
        closes = np.array([_ts_ns(s.close) for s in sessions], dtype=np.int64)
        has_gap = np.ones(len(sessions))
        has_gap[0] = 0.0
        has_gap[1:] = (opens[1:] > closes[:-1]).astype(float)
        typical = float(np.median(lengths))
        frac = (local + 0.5) / lengths[session]
        ref = (np.arange(int(typical)) + 0.5) / typical
        vol_shape = (1.4, 0.5, 0.07)
        volume_shape = (2.5, 1.8, 0.06)
        vol_profile = _u_shape(frac, *vol_shape) / _u_shape(ref, *vol_shape).mean()
        volume_profile = _u_shape(frac, *volume_shape) / _u_shape(ref, *volume_shape).mean()
        return cls(
            starts=starts,
            session=session,
            local=local,
            first=first,
            is_first=is_first,
            has_gap=has_gap,
            vol_profile=vol_profile,
            volume_profile=volume_profile,
            typical=typical,
        )


def _vix_path(
    grid: _MinuteGrid,
    regime: np.ndarray,
    f: np.ndarray,
    v: np.ndarray,
    gap_f: np.ndarray,
    gap_v: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log-OU volatility index: returns (log open, log close, per-bar log-vol)."""
    n_sess = regime.size
    target = np.log(REGIME_VIX[regime])
    a = 1.0 - math.log(2.0) / (_VIX_HALF_LIFE_SESSIONS * grid.typical)
    lev = _VIX_LEVERAGE
    eta = (
        _VIX_DAILY_VOL
        * np.sqrt(REGIME_VOL[regime][grid.session])
        * np.sqrt(grid.vol_profile / grid.typical)
    )
    eps = eta * (-lev * f + math.sqrt(1.0 - lev**2) * v)
    # Within a session y_t = x_t - target_s follows y_t = a*y_{t-1} + eps_t, so
    # y_t = a^(t+1) y_{-1} + a^t * sum_{i<=t} eps_i a^(-i)  (t = position in the session).
    pw = a ** grid.local.astype(float)
    csum = np.cumsum(eps / pw)
    base = np.concatenate(([0.0], csum))[grid.first][grid.session]
    h = pw * (csum - base)
    decay = a * pw
    gap_eta = _VIX_DAILY_VOL * math.sqrt(_OVERNIGHT_SHARE) * np.sqrt(REGIME_VOL[regime])
    gap_eps = gap_eta * (-lev * gap_f + math.sqrt(1.0 - lev**2) * gap_v) * grid.has_gap
    last = np.concatenate((grid.first[1:], [grid.size])) - 1
    y_open = np.empty(n_sess)  # log level just before each session's first bar, minus target
    x_prev = target[0]
    for s in range(n_sess):
        pull = _VIX_OVERNIGHT_PULL if grid.has_gap[s] else 0.0
        x_open = x_prev + pull * (target[s] - x_prev) + gap_eps[s]
        y_open[s] = x_open - target[s]
        x_prev = target[s] + decay[last[s]] * y_open[s] + h[last[s]]
    y_start = y_open[grid.session]
    log_close = target[grid.session] + decay * y_start + h
    log_open = np.where(grid.is_first, target[grid.session] + y_start, 0.0)
    log_open[~grid.is_first] = log_close[np.flatnonzero(~grid.is_first) - 1]
    return log_open, log_close, eta


def _ohlc(
    log_open: np.ndarray,
    log_close: np.ndarray,
    excursion: np.ndarray,
    wick: np.ndarray,
    tick: float | np.ndarray,
    is_first: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Tick-rounded bars from a log-price path (last axis = bars).

    ``open`` repeats the previous rounded close inside a session; ``high``/``low`` extend
    ``max/min(open, close)`` by ``excursion * wick`` (log units). Rounding is monotone, so the
    bars are valid OHLC.
    """
    close = _round_tick(np.exp(log_close), tick)
    open_ = _round_tick(np.exp(log_open), tick)
    cont = np.flatnonzero(~is_first)
    open_[..., cont] = close[..., cont - 1]
    top, bottom = np.maximum(open_, close), np.minimum(open_, close)
    high = np.maximum(_round_tick(top * np.exp(excursion * wick[0]), tick), top)
    low = np.minimum(_round_tick(bottom * np.exp(-excursion * wick[1]), tick), bottom)
    return open_, high, low, close


@dataclass(frozen=True)
class _Buckets:
    """Maps 1-minute bars onto the bars of the requested timeframe."""

    bounds: np.ndarray  # index of the first minute of each output bar
    stamps: np.ndarray  # int64 ns UTC start of each output bar

    @classmethod
    def build(
        cls, cal: TradingCalendar, sessions: Sequence[Session], grid: _MinuteGrid, tf: Timeframe
    ) -> _Buckets:
        if tf.seconds == 60:
            return cls(np.arange(grid.size), grid.starts)
        if not tf.is_intraday:
            if tf.seconds != 86400:
                raise ValueError(f"unsupported timeframe {tf}: use minutes, hours or 1d")
            i0, i1 = cal.positions(sessions[0].date, sessions[-1].date)
            stamps = np.asarray(cal.session_midnights(np.arange(i0, i1)), dtype=np.int64)
            return cls(grid.first, stamps)
        starts = np.asarray(cal.bar_grid(sessions[0].date, sessions[-1].date, tf).start)
        idx = np.searchsorted(starts, grid.starts, side="right") - 1
        if np.any(idx < 0):
            raise ValueError(f"calendar's {tf} bars do not cover its 1-minute bars")
        bounds = np.flatnonzero(np.diff(idx, prepend=-1))
        return cls(bounds, starts[idx[bounds]])

    def frame(self, values: tuple[np.ndarray, ...]) -> pd.DataFrame:
        o, h, low, c, v = values
        if self.bounds.size != o.size:
            last = np.concatenate((self.bounds[1:], [o.size])) - 1
            o, c = o[self.bounds], c[last]
            h = np.maximum.reduceat(h, self.bounds)
            low = np.minimum.reduceat(low, self.bounds)
            v = np.add.reduceat(v, self.bounds)
        frame = pd.DataFrame(
            {
                "timestamp": pd.to_datetime(self.stamps, utc=True),
                "open": o,
                "high": h,
                "low": low,
                "close": c,
                "volume": v,
            }
        )
        return normalize_bars(frame)


def _ts_ns(ts: object) -> int:
    return int(pd.Timestamp(ts).as_unit("ns").value)  # type: ignore[arg-type]


def _iso_local(stamps: pd.Series, tz: object) -> tuple[list[str], str, str]:
    """ISO 8601 local strings with ``+HH:MM`` offsets, and the first/last local dates."""
    utc = pd.DatetimeIndex(stamps)
    local = utc.tz_convert(tz)  # type: ignore[arg-type]
    naive = local.tz_localize(None).as_unit("ns")
    offset_s = (naive.asi8 - utc.as_unit("ns").asi8) // 1_000_000_000
    text = np.datetime_as_string(naive.to_numpy().astype("datetime64[s]"), unit="s").tolist()
    suffix = {int(o): _fmt_offset(int(o)) for o in np.unique(offset_s)}
    out = [t + suffix[o] for t, o in zip(text, offset_s.tolist(), strict=True)]
    first = str(naive[0].date()) if len(naive) else "none"
    last = str(naive[-1].date()) if len(naive) else "none"
    return out, first, last


def _fmt_offset(seconds: int) -> str:
    sign = "+" if seconds >= 0 else "-"
    minutes = abs(seconds) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _decimals(tick: float) -> int:
    exponent = Decimal(str(tick)).normalize().as_tuple().exponent
    return max(0, -int(exponent))
