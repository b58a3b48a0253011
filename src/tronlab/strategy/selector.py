"""The regime selector: before the open, classify the day and draw its plan from a table.

Pure domain code: daily bars in, a :class:`~tronlab.strategy.plan.DailyPlan` out, no I/O.

What it reads (only days **before** the plan's date; later rows are cut off, so a caller
cannot leak the future into a plan):

* the index's daily bars: ADX with +DI/-DI (Wilder, ``adx_period``), ATR as a percentage of
  the last close (``atr_period``), and the realised volatility of daily log returns
  (``rv_window`` days, annualised with 252) with its percentile over ``lookback`` days;
* optionally the volatility index's daily closes (India VIX): its last close and that
  close's percentile over ``lookback`` days. Without it (or when its last close is not from
  the index's last session) the realised volatility stands in, and the explanation says so;
* the overnight gap: today's open against the previous close, when the open is known (the
  first bar of the session). Planning strictly before the open, pass no open: the gap is
  then left out and the explanation says so;
* an optional sentiment score in [-1, 1] (news, a model): it tilts or tempers the bias.

Regimes (see :data:`tronlab.strategy.plan.REGIMES`):

``stand_aside``
    VIX >= ``vix_stand_aside`` (without a VIX: realised vol >= ``rv_stand_aside``), or
    |gap| >= ``gap_stand_aside_pct``, or fewer daily bars than the indicators need.
``trending_*`` / ``ranging_*``
    ADX >= ``adx_trend`` is trending, below it ranging. With ``adx_trend_percentile`` set, a
    day is also trending when its ADX ranks at or above that percentile of the ADX over
    ``lookback`` days (trending *for this index*: a series whose ADX never reaches the
    textbook 25, such as the synthetic market's random-walk index, still has its more
    directional stretches).
``*_volatile`` / ``*_calm``
    Volatile when any of: the VIX percentile >= ``volatile_percentile`` or VIX >=
    ``vix_volatile`` (without a VIX the same with realised vol and ``rv_volatile``);
    ATR% >= ``atr_volatile_pct``; |gap| >= ``gap_volatile_pct``. Otherwise calm.

A percentile is the current value's rank among the last ``lookback`` values (the current one
included): the share below it, ties counting half (a flat series sits at 50 %); it is used
once ``min_percentile_days`` values exist.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from datetime import date
from typing import Any, Protocol

import numpy as np
import pandas as pd

from tronlab.features import ADX, ATR
from tronlab.strategy.plan import (
    RANGING_CALM,
    RANGING_VOLATILE,
    STAND_ASIDE,
    TRENDING_CALM,
    TRENDING_VOLATILE,
    DailyPlan,
    PlannedStrategy,
    RegimeTable,
    default_regime_table,
)

_YEAR = 252


@dataclass(frozen=True)
class SelectorConfig:
    """Thresholds and windows of the selector (see the module docstring)."""

    adx_period: int = 14
    atr_period: int = 14
    adx_trend: float = 25.0
    adx_trend_percentile: float | None = None
    rv_window: int = 20
    lookback: int = 252
    min_percentile_days: int = 20
    volatile_percentile: float = 0.70
    vix_volatile: float = 18.0
    vix_stand_aside: float = 28.0
    rv_volatile: float = 0.25
    rv_stand_aside: float = 0.50
    atr_volatile_pct: float = 2.0
    gap_volatile_pct: float = 1.0
    gap_stand_aside_pct: float = 3.0
    sentiment_threshold: float = 0.5
    sentiment_conflict_scale: float = 0.5

    def __post_init__(self) -> None:
        problems = []
        for name in ("adx_period", "atr_period", "rv_window", "lookback", "min_percentile_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 2:
                problems.append(f"{name} must be an integer >= 2, got {value!r}")
        for name in ("volatile_percentile", "sentiment_threshold", "sentiment_conflict_scale"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                problems.append(f"{name} must be in [0, 1], got {value!r}")
        pct = self.adx_trend_percentile
        if pct is not None and not 0.0 < pct <= 1.0:
            problems.append(f"adx_trend_percentile must be in (0, 1] or None, got {pct!r}")
        for name in ("adx_trend", "vix_volatile", "rv_volatile", "atr_volatile_pct"):
            if getattr(self, name) <= 0:
                problems.append(f"{name} must be > 0, got {getattr(self, name)!r}")
        for low, high in (
            ("vix_volatile", "vix_stand_aside"),
            ("rv_volatile", "rv_stand_aside"),
            ("gap_volatile_pct", "gap_stand_aside_pct"),
        ):
            if getattr(self, low) > getattr(self, high):
                problems.append(f"{low} ({getattr(self, low)}) must not exceed {high}")
        if problems:
            raise ValueError("selector config: " + "; ".join(problems))

    @property
    def min_days(self) -> int:
        """Daily bars needed before the first real classification."""
        return max(2 * self.adx_period, self.atr_period + 1, self.rv_window + 1)

    def with_overrides(self, overrides: Mapping[str, Any]) -> SelectorConfig:
        """A copy with some thresholds changed (text values are converted to the setting's
        type); unknown names get a "did you mean" hint."""
        names = [f.name for f in fields(self)]
        values: dict[str, Any] = {}
        for key, value in overrides.items():
            if key not in names:
                close = difflib.get_close_matches(key, names, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ValueError(f"unknown selector setting {key!r}{hint} (settings: {names})")
            current = getattr(self, key)
            kind = float if current is None else type(current)
            if isinstance(value, str):
                try:
                    value = kind(value.strip())
                except ValueError:
                    raise ValueError(f"{key}: {value!r} is not {kind.__name__}") from None
            values[key] = value
        return replace(self, **values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DailySeries:
    """Daily bars by session date (oldest first)."""

    dates: tuple[date, ...]
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.dates)
        for name in ("open", "high", "low", "close"):
            arr = np.asarray(getattr(self, name), dtype=np.float64)
            if arr.shape != (n,):
                raise ValueError(f"daily series: {name} has {arr.shape} values for {n} dates")
            object.__setattr__(self, name, arr)
        if any(b <= a for a, b in zip(self.dates, self.dates[1:], strict=False)):
            raise ValueError("daily series: dates must be strictly increasing")

    def __len__(self) -> int:
        return len(self.dates)

    @classmethod
    def from_rows(cls, rows: Sequence[tuple[date, float, float, float, float]]) -> DailySeries:
        """From ``(date, open, high, low, close)`` rows."""
        cols = list(zip(*rows, strict=True)) if rows else [(), (), (), (), ()]
        return cls(tuple(cols[0]), *(np.array(c, dtype=np.float64) for c in cols[1:]))

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, tz: str = "UTC") -> DailySeries:
        """From a daily bar frame (``timestamp`` at the session date's local midnight, as the
        bar store keeps them; the dates are taken in ``tz``)."""
        ts = pd.DatetimeIndex(frame["timestamp"])
        local = ts.tz_convert(tz) if ts.tz is not None else ts
        return cls(
            tuple(d.date() for d in local),
            *(frame[c].to_numpy(dtype=np.float64) for c in ("open", "high", "low", "close")),
        )

    def before(self, day: date) -> DailySeries:
        """The sessions strictly before ``day``."""
        k = sum(1 for d in self.dates if d < day)
        if k == len(self.dates):
            return self
        return DailySeries(
            self.dates[:k], self.open[:k], self.high[:k], self.low[:k], self.close[:k]
        )


@dataclass(frozen=True)
class RegimeReading:
    """The classification of one day, with the numbers behind it."""

    regime: str
    trend: int  # +1 up (+DI > -DI), -1 down, 0 undecided
    inputs: Mapping[str, Any]
    reasons: tuple[str, ...]


class Planner(Protocol):
    """What the composite ``auto`` strategy asks each morning (the selector, or a stand-in)."""

    def plan(
        self,
        day: date,
        index: DailySeries,
        *,
        vix: DailySeries | None = None,
        today_open: float | None = None,
        sentiment: float | None = None,
        symbol: str = "",
    ) -> DailyPlan: ...


class RegimeSelector:
    """Classifies a day (:meth:`classify`) and draws its plan from a regime table (:meth:`plan`)."""

    def __init__(
        self, config: SelectorConfig | None = None, table: RegimeTable | None = None
    ) -> None:
        self.config = config or SelectorConfig()
        self.table = table or default_regime_table()

    # ------------------------------------------------------------------ classification
    def classify(
        self,
        day: date,
        index: DailySeries,
        *,
        vix: DailySeries | None = None,
        today_open: float | None = None,
        sentiment: float | None = None,
    ) -> RegimeReading:
        """The regime of ``day`` from the sessions before it (see the module docstring)."""
        cfg = self.config
        if sentiment is not None and not -1.0 <= sentiment <= 1.0:
            raise ValueError(f"sentiment must be in [-1, 1], got {sentiment}")
        hist = index.before(day)
        vix_hist = vix.before(day) if vix is not None else None
        inputs: dict[str, Any] = {"history_days": len(hist), "sentiment": sentiment}
        reasons: list[str] = []
        n = len(hist)
        prev_close = float(hist.close[-1]) if n else None
        inputs["prev_close"] = prev_close
        inputs["today_open"] = today_open
        gap = None
        if prev_close and today_open is not None and prev_close > 0:
            gap = (today_open / prev_close - 1.0) * 100.0
        inputs["gap_pct"] = _round(gap)
        if n < cfg.min_days:
            reasons.append(
                f"warm-up: {n} daily bars before {day}, the indicators need {cfg.min_days}"
            )
            inputs["warmup"] = True
            return RegimeReading(STAND_ASIDE, 0, inputs, tuple(reasons))

        adx = ADX(cfg.adx_period)
        atr = ATR(cfg.atr_period)
        adx_path: list[float] = []
        for h, lo, c in zip(
            hist.high.tolist(), hist.low.tolist(), hist.close.tolist(), strict=True
        ):
            adx.push_hlc(h, lo, c)
            atr.push_hlc(h, lo, c)
            if adx.ready:
                adx_path.append(adx.value[0])
        adx_v, plus_di, minus_di = adx.value
        atr_pct = atr.value / hist.close[-1] * 100.0
        rv_series = _realised_vol(hist.close, cfg.rv_window)
        rv = float(rv_series[-1])
        rv_pct, rv_days = _percentile(rv_series, cfg.lookback, cfg.min_percentile_days)
        inputs.update(
            adx=_round(adx_v),
            plus_di=_round(plus_di),
            minus_di=_round(minus_di),
            atr_pct=_round(atr_pct),
            realized_vol=_round(rv),
            realized_vol_percentile=_round(rv_pct),
        )
        trend = 1 if plus_di > minus_di else -1 if minus_di > plus_di else 0
        trending = adx_v >= cfg.adx_trend
        arrow = {1: "+DI above -DI: up", -1: "-DI above +DI: down", 0: "DI level"}[trend]
        adx_text = f"ADX {adx_v:.1f} {'>=' if trending else '<'} {cfg.adx_trend:g}"
        if cfg.adx_trend_percentile is not None and not trending:
            adx_pct, adx_days = _percentile(
                np.asarray(adx_path), cfg.lookback, cfg.min_percentile_days
            )
            inputs["adx_percentile"] = _round(adx_pct)
            if adx_pct is not None:
                trending = adx_pct >= cfg.adx_trend_percentile
                sign = ">=" if trending else "<"
                adx_text += (
                    f", percentile {adx_pct:.0%} of {adx_days} days {sign} "
                    f"{cfg.adx_trend_percentile:.0%}"
                )
        reasons.append(f"{adx_text}: {'trending' if trending else 'ranging'} ({arrow})")

        vix_level = vix_pct = None
        vix_days = 0
        if vix_hist is not None and len(vix_hist):
            if vix_hist.dates[-1] == hist.dates[-1]:
                vix_level = float(vix_hist.close[-1])
                vix_pct, vix_days = _percentile(
                    vix_hist.close, cfg.lookback, cfg.min_percentile_days
                )
            else:
                reasons.append(
                    f"the volatility index's last close ({vix_hist.dates[-1]}) is not from the "
                    f"index's last session ({hist.dates[-1]}): not used"
                )
        inputs.update(
            vix=_round(vix_level),
            vix_percentile=_round(vix_pct),
            vol_source="vix" if vix_level is not None else "realized",
        )
        if vix_level is not None:
            level, pct, days = vix_level, vix_pct, vix_days
            vol_high, vol_extreme = cfg.vix_volatile, cfg.vix_stand_aside
            label, fmt = "VIX", f"{vix_level:.2f}"
            high_txt, extreme_txt = f"{vol_high:g}", f"{vol_extreme:g}"
        else:
            level, pct, days = rv, rv_pct, rv_days
            vol_high, vol_extreme = cfg.rv_volatile, cfg.rv_stand_aside
            label, fmt = "realised vol", f"{rv:.1%}"
            high_txt, extreme_txt = f"{vol_high:.0%}", f"{vol_extreme:.0%}"
            reasons.append("no volatility index: realised volatility of the index stands in")

        if level >= vol_extreme:
            reasons.append(f"{label} {fmt} >= {extreme_txt}: extreme, stand aside")
            return RegimeReading(STAND_ASIDE, trend, inputs, tuple(reasons))
        if gap is not None and abs(gap) >= cfg.gap_stand_aside_pct:
            reasons.append(
                f"overnight gap {gap:+.2f}% beyond ±{cfg.gap_stand_aside_pct:g}%: stand aside"
            )
            return RegimeReading(STAND_ASIDE, trend, inputs, tuple(reasons))

        volatile: list[str] = []
        pct_text = "" if pct is None else f" (percentile {pct:.0%} of {days} days)"
        if level >= vol_high:
            volatile.append(f"{label} {fmt} >= {high_txt}{pct_text}")
        elif pct is not None and pct >= cfg.volatile_percentile:
            volatile.append(f"{label} {fmt}{pct_text} >= {cfg.volatile_percentile:.0%}")
        if atr_pct >= cfg.atr_volatile_pct:
            volatile.append(f"ATR {atr_pct:.2f}% >= {cfg.atr_volatile_pct:g}%")
        if gap is not None and abs(gap) >= cfg.gap_volatile_pct:
            volatile.append(f"overnight gap {gap:+.2f}% beyond ±{cfg.gap_volatile_pct:g}%")
        if volatile:
            reasons.append("volatile: " + "; ".join(volatile))
        else:
            calm = [
                f"{label} {fmt}{pct_text} below {high_txt}"
                + ("" if pct is None else f", percentile < {cfg.volatile_percentile:.0%}"),
                f"ATR {atr_pct:.2f}% < {cfg.atr_volatile_pct:g}%",
            ]
            calm.append("gap unknown (planned before the open)" if gap is None else
                        f"gap {gap:+.2f}%")  # fmt: skip
            reasons.append("calm: " + ", ".join(calm))
        if trending:
            regime = TRENDING_VOLATILE if volatile else TRENDING_CALM
        else:
            regime = RANGING_VOLATILE if volatile else RANGING_CALM
        return RegimeReading(regime, trend, inputs, tuple(reasons))

    # ------------------------------------------------------------------ the plan
    def plan(
        self,
        day: date,
        index: DailySeries,
        *,
        vix: DailySeries | None = None,
        today_open: float | None = None,
        sentiment: float | None = None,
        symbol: str = "",
    ) -> DailyPlan:
        """Classify ``day`` and turn the table's rule for its regime into a plan."""
        reading = self.classify(day, index, vix=vix, today_open=today_open, sentiment=sentiment)
        rule = self.table.rule(reading.regime)
        cfg = self.config
        reasons = list(reading.reasons)
        direction = rule.direction
        if direction == "trend":
            trending = reading.regime in (TRENDING_CALM, TRENDING_VOLATILE)
            direction = {1: "long", -1: "short"}.get(reading.trend, "both") if trending else "both"
            reasons.append(f"direction follows the trend: {direction}")
        scale = 1.0
        if sentiment is not None and abs(sentiment) >= cfg.sentiment_threshold:
            leaning = "long" if sentiment > 0 else "short"
            if direction == "both":
                direction = leaning
                reasons.append(f"sentiment {sentiment:+.2f} tilts the bias to {leaning}")
            elif direction != leaning:
                scale = cfg.sentiment_conflict_scale
                reasons.append(
                    f"sentiment {sentiment:+.2f} disagrees with {direction}: budgets x{scale:g}"
                )
        chosen = tuple(
            PlannedStrategy(a.id, a.name, dict(a.params), round(a.risk * scale, 6))
            for a in rule.strategies
        )
        what = (
            ", ".join(f"{s.id} ({s.risk_budget:.0%})" for s in chosen)
            if chosen
            else "no new positions"
        )
        head = f"{day} {symbol or 'index'}: {reading.regime}"
        note = f" Table note: {rule.note}." if rule.note else ""
        explanation = (
            f"{head}. " + ". ".join(reasons) + f". Plan: {what}; direction {direction}.{note}"
        )
        inputs = {**reading.inputs, "trend": reading.trend}
        return DailyPlan(
            date=day,
            symbol=symbol,
            regime=reading.regime,
            direction=direction,
            strategies=chosen,
            inputs=inputs,
            explanation=explanation,
            name=self.table.name,
        )


def _realised_vol(close: np.ndarray, window: int) -> np.ndarray:
    """Annualised standard deviation (ddof 1) of the last ``window`` daily log returns, per
    day (NaN until ``window`` returns exist)."""
    out = np.full(len(close), np.nan)
    if len(close) <= window:
        return out
    rets = np.diff(np.log(close))
    view = np.lib.stride_tricks.sliding_window_view(rets, window)
    out[window:] = view.std(axis=1, ddof=1) * math.sqrt(_YEAR)
    return out


def _percentile(values: np.ndarray, lookback: int, minimum: int) -> tuple[float | None, int]:
    """Percentile rank of the last value among the last ``lookback`` values (the share below
    it, ties counting half; ``None`` when fewer than ``minimum`` values exist) and how many
    values that was."""
    window = np.asarray(values, dtype=np.float64)
    window = window[~np.isnan(window)][-lookback:]
    if len(window) < minimum:
        return None, len(window)
    last = window[-1]
    below = np.count_nonzero(window < last) + 0.5 * np.count_nonzero(window == last)
    return float(below / len(window)), len(window)


def _round(value: float | None, digits: int = 4) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)
