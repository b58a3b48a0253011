"""The regime selector: thresholds, no look-ahead, explanations, the synthetic market's regimes
and (when the shared data is there) real NIFTY / India VIX daily bars."""

from __future__ import annotations

import dataclasses
import os
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tronlab.data.resample import resample
from tronlab.data.synthetic import generate_market
from tronlab.strategy.plan import REGIMES, STAND_ASIDE, RegimeTable
from tronlab.strategy.selector import DailySeries, RegimeSelector, SelectorConfig

IST = "Asia/Kolkata"
REPO = Path(__file__).resolve().parents[3]
DATA = Path(os.environ.get("TRONLAB_SHARED_DATA", REPO.parent / "shared" / "data"))

TABLE = RegimeTable.from_dict(
    {
        "name": "test",
        "regimes": {
            "trending_calm": {"direction": "trend", "strategies": [{"name": "a", "risk": 0.4}]},
            "trending_volatile": {"direction": "trend", "strategies": [{"name": "a", "risk": 0.2}]},
            "ranging_calm": {"direction": "both", "strategies": [{"name": "b", "risk": 0.5}]},
            "ranging_volatile": {"direction": "both", "strategies": [{"name": "b", "risk": 0.25}]},
            "stand_aside": {"direction": "both", "strategies": []},
        },
    }
)


def _series(
    closes: np.ndarray, spread: float = 0.004, start: date = date(2024, 1, 1)
) -> DailySeries:
    """Daily bars around ``closes`` (open = previous close, a fixed relative range)."""
    closes = np.asarray(closes, dtype=float)
    opens = np.concatenate([[closes[0]], closes[:-1]])
    high = np.maximum(opens, closes) * (1 + spread)
    low = np.minimum(opens, closes) * (1 - spread)
    dates = tuple(start + timedelta(days=i) for i in range(len(closes)))
    return DailySeries(dates, opens, high, low, closes)


def _flat_vix(level: float, n: int, start: date = date(2024, 1, 1)) -> DailySeries:
    return _series(np.full(n, level), spread=0.01, start=start)


TREND = _series(20000 * np.exp(np.linspace(0, 0.25, 80)))  # a steady climb


def _mean_reverting(n: int = 80, seed: int = 0) -> np.ndarray:
    """Log prices of an AR(1) with coefficient 0.3: every move is mostly undone."""
    rng = np.random.default_rng(seed)
    x = np.zeros(n)
    for i in range(1, n):
        x[i] = 0.3 * x[i - 1] + rng.normal(0.0, 0.006)
    return 20000 * np.exp(x)


CHOP = _series(_mean_reverting())  # back and forth
DAY = date(2024, 1, 1) + timedelta(days=80)  # the session after the last bar


@pytest.fixture(scope="module")
def synthetic() -> tuple[DailySeries, DailySeries, list[str]]:
    market = generate_market(seed=7, days=150)
    daily = {
        s: DailySeries.from_frame(resample(market.bars[s], market.calendar, "1d"), IST)
        for s in ("SYNTH_NIFTY", "SYNTH_VIX")
    }
    return daily["SYNTH_NIFTY"], daily["SYNTH_VIX"], list(market.regimes)


def test_trend_and_range_are_told_apart() -> None:
    sel = RegimeSelector(table=TABLE)
    up = sel.plan(DAY, TREND, vix=_flat_vix(12.0, 80), symbol="IDX")
    assert up.regime == "trending_calm"
    assert up.direction == "long"  # the table says "trend" and +DI leads
    assert up.inputs["adx"] >= 25
    assert up.inputs["plus_di"] > up.inputs["minus_di"]
    assert [(s.id, s.risk_budget) for s in up.strategies] == [("a", 0.4)]

    down = sel.plan(DAY, _series(TREND.close[::-1].copy()), vix=_flat_vix(12.0, 80))
    assert down.regime == "trending_calm"
    assert down.direction == "short"

    chop = sel.plan(DAY, CHOP, vix=_flat_vix(12.0, 80))
    assert chop.regime == "ranging_calm"
    assert chop.inputs["adx"] < 25
    assert chop.direction == "both"


def test_adx_percentile_calls_a_relatively_directional_day_trending() -> None:
    # chop for 70 days, then a mild drift: the ADX rises to the top of its own history
    # without reaching the textbook 25
    chop = _mean_reverting(70, seed=1)
    closes = np.concatenate([chop, chop[-1] * np.exp(np.linspace(0.002, 0.035, 14))])
    day = date(2024, 1, 1) + timedelta(days=len(closes))
    series = _series(closes, spread=0.006)
    plain = RegimeSelector(table=TABLE).plan(day, series, vix=_flat_vix(12.0, len(closes)))
    assert plain.inputs["adx"] < 25
    assert plain.regime == "ranging_calm"
    assert "adx_percentile" not in plain.inputs
    relative = RegimeSelector(SelectorConfig(adx_trend_percentile=0.8), TABLE).plan(
        day, series, vix=_flat_vix(12.0, len(closes))
    )
    assert relative.inputs["adx_percentile"] >= 0.8
    assert relative.regime == "trending_calm"
    assert "percentile" in relative.explanation
    assert (
        SelectorConfig().with_overrides({"adx_trend_percentile": "0.7"}).adx_trend_percentile == 0.7
    )
    with pytest.raises(ValueError, match="adx_trend_percentile"):
        SelectorConfig(adx_trend_percentile=1.5)


def test_volatility_from_vix_level_percentile_atr_and_gap() -> None:
    sel = RegimeSelector(table=TABLE)
    assert sel.plan(DAY, CHOP, vix=_flat_vix(20.0, 80)).regime == "ranging_volatile"
    rising = _series(np.linspace(10.0, 16.0, 80), spread=0.01)  # the last close tops them all
    plan = sel.plan(DAY, CHOP, vix=rising)
    assert plan.regime == "ranging_volatile"
    assert plan.inputs["vix_percentile"] == pytest.approx(79.5 / 80, abs=1e-4)
    assert "percentile" in plan.explanation
    wide = _series(CHOP.close, spread=0.02)  # ATR% above 2
    assert sel.plan(DAY, wide, vix=_flat_vix(12.0, 80)).regime == "ranging_volatile"
    prev = float(CHOP.close[-1])
    gap = sel.plan(DAY, CHOP, vix=_flat_vix(12.0, 80), today_open=prev * 1.015)
    assert gap.regime == "ranging_volatile"
    assert gap.inputs["gap_pct"] == pytest.approx(1.5)
    assert "gap +1.50%" in gap.explanation


def test_stand_aside_on_extreme_vix_gap_or_warm_up() -> None:
    sel = RegimeSelector(table=TABLE)
    extreme = sel.plan(DAY, TREND, vix=_flat_vix(35.0, 80))
    assert extreme.regime == STAND_ASIDE
    assert extreme.strategies == ()
    assert "VIX 35.00 >= 28" in extreme.explanation
    prev = float(TREND.close[-1])
    crash = sel.plan(DAY, TREND, vix=_flat_vix(12.0, 80), today_open=prev * 0.96)
    assert crash.regime == STAND_ASIDE
    assert "gap -4.00%" in crash.explanation
    short = _series(TREND.close[:10])
    warm = sel.plan(date(2024, 1, 11), short)
    assert warm.regime == STAND_ASIDE
    assert warm.inputs["warmup"] is True
    assert "warm-up: 10 daily bars" in warm.explanation


def test_without_vix_realised_volatility_stands_in_and_says_so() -> None:
    sel = RegimeSelector(table=TABLE)
    plan = sel.plan(DAY, CHOP)
    assert plan.inputs["vol_source"] == "realized"
    assert plan.inputs["vix"] is None
    assert "realised volatility of the index stands in" in plan.explanation
    stale = sel.plan(DAY, CHOP, vix=_flat_vix(35.0, 70))  # the VIX stops 10 sessions early
    assert stale.inputs["vol_source"] == "realized"
    assert stale.regime != STAND_ASIDE  # its old 35 is not read
    assert "is not from the index's last session (2024-03-20): not used" in stale.explanation
    wild = _series(20000 * np.exp(np.cumsum(np.tile([0.05, -0.05], 40))), spread=0.01)
    assert sel.plan(DAY, wild).regime == STAND_ASIDE  # realised vol far above 50%


def test_no_look_ahead_rows_from_the_day_on_are_ignored(
    synthetic: tuple[DailySeries, DailySeries, list[str]],
) -> None:
    index, vix, _ = synthetic
    sel = RegimeSelector()
    day = index.dates[100]
    cut = index.before(day)
    assert cut.dates[-1] < day
    assert len(cut) == 100
    full = sel.plan(day, index, vix=vix, symbol="X")
    truncated = sel.plan(day, cut, vix=vix.before(day), symbol="X")
    assert full == truncated
    # scramble every bar from the day on: the plan cannot change
    noisy = DailySeries(
        index.dates,
        *(np.where(np.arange(len(index)) >= 100, a * 1.3, a) for a in
          (index.open, index.high, index.low, index.close)),
    )  # fmt: skip
    assert sel.plan(day, noisy, vix=vix, symbol="X") == full


def test_synthetic_vix_regimes_are_recognised(
    synthetic: tuple[DailySeries, DailySeries, list[str]],
) -> None:
    """The generator's regime of the previous session sets the VIX level the plan reads."""
    index, vix, labels = synthetic
    sel = RegimeSelector()
    seen: dict[str, list[str]] = {"calm": [], "volatile": []}
    for i in range(30, len(index)):
        plan = sel.plan(index.dates[i], index, vix=vix)
        assert plan.regime in REGIMES
        if labels[i - 1] in seen:
            seen[labels[i - 1]].append(plan.regime)
    calm = [r.endswith("_calm") for r in seen["calm"]]
    loud = [r.endswith("_volatile") or r == STAND_ASIDE for r in seen["volatile"]]
    assert len(calm) > 20
    assert sum(calm) / len(calm) >= 0.8
    assert len(loud) > 10
    assert sum(loud) / len(loud) >= 0.8


def test_sentiment_tilts_or_tempers() -> None:
    sel = RegimeSelector(table=TABLE)
    vix = _flat_vix(12.0, 80)
    tilted = sel.plan(DAY, CHOP, vix=vix, sentiment=0.8)
    assert tilted.direction == "long"
    assert "tilts the bias to long" in tilted.explanation
    assert sel.plan(DAY, CHOP, vix=vix, sentiment=0.2).direction == "both"  # below threshold
    against = sel.plan(DAY, TREND, vix=vix, sentiment=-0.9)
    assert against.direction == "long"
    assert [s.risk_budget for s in against.strategies] == [0.2]  # 0.4 halved
    with pytest.raises(ValueError, match=r"sentiment must be in \[-1, 1\]"):
        sel.plan(DAY, CHOP, sentiment=1.5)


def test_config_checks_and_overrides() -> None:
    with pytest.raises(ValueError, match="adx_period must be an integer >= 2"):
        SelectorConfig(adx_period=1)
    with pytest.raises(ValueError, match=r"vix_volatile .* must not exceed vix_stand_aside"):
        SelectorConfig(vix_volatile=30.0, vix_stand_aside=20.0)
    with pytest.raises(ValueError, match="did you mean 'adx_trend'"):
        SelectorConfig().with_overrides({"adx_trnd": "20"})
    with pytest.raises(ValueError, match="'x' is not float"):
        SelectorConfig().with_overrides({"adx_trend": "x"})
    cfg = SelectorConfig().with_overrides({"adx_trend": "20", "adx_period": "10"})
    assert (cfg.adx_trend, cfg.adx_period) == (20.0, 10)
    assert cfg.min_days == 21
    assert dataclasses.asdict(cfg) == cfg.to_dict()
    loose = RegimeSelector(cfg.with_overrides({"adx_trend": 5.0}), TABLE)
    assert loose.plan(DAY, CHOP, vix=_flat_vix(12.0, 80)).regime.startswith("trending")


def test_daily_series_checks_its_input() -> None:
    with pytest.raises(ValueError, match="strictly increasing"):
        DailySeries((date(2024, 1, 2), date(2024, 1, 1)), *([np.ones(2)] * 4))
    with pytest.raises(ValueError, match="close has"):
        DailySeries((date(2024, 1, 1),), np.ones(1), np.ones(1), np.ones(1), np.ones(2))
    assert len(DailySeries.from_rows([])) == 0


@pytest.mark.realdata
def test_real_nifty_march_2020_is_a_day_to_stand_aside() -> None:
    nifty_csv = DATA / "nse" / "NIFTY50_1d_2007-01-02_2022-11-07.csv"
    vix_csv = DATA / "nse" / "INDIAVIX_1d_2016-01-01_2023-03-31.csv"
    if not (nifty_csv.exists() and vix_csv.exists()):
        pytest.skip(f"shared data not available under {DATA}")

    def load(path: Path) -> DailySeries:
        frame = pd.read_csv(path)
        frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
        return DailySeries.from_frame(frame, IST)

    nifty, vix = load(nifty_csv), load(vix_csv)
    sel = RegimeSelector()
    crash = sel.plan(date(2020, 3, 23), nifty, vix=vix, symbol="NIFTY50")
    assert crash.regime == STAND_ASIDE
    assert crash.inputs["vix"] > 28  # India VIX closed near 67 on 2020-03-20
    assert crash.inputs["gap_pct"] is None  # no open given: planned before the open
    alone = sel.plan(date(2020, 3, 23), nifty, symbol="NIFTY50")  # realised vol alone
    assert alone.regime == STAND_ASIDE
    assert alone.inputs["realized_vol"] > 0.5
    calm_year = [sel.plan(d, nifty, vix=vix).regime for d in nifty.dates if d.year == 2017]
    assert STAND_ASIDE not in calm_year  # India VIX stayed far below 28 all of 2017
    assert {r.split("_")[0] for r in calm_year} == {"trending", "ranging"}
    before_votes = sel.plan(date(2019, 5, 16), nifty, vix=vix)  # the election-result week
    assert before_votes.regime == STAND_ASIDE
    assert before_votes.inputs["vix"] >= 28
