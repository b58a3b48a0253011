"""Walk-forward harness: window planning, stitching, fitting without look-ahead, determinism."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tronlab.data.calendars import get_calendar
from tronlab.data.store import BarStore
from tronlab.data.synthetic import generate_market
from tronlab.engine.backtest import BacktestConfig, run_backtest
from tronlab.engine.walkforward import (
    TrainWindow,
    WalkForwardSpec,
    plan_windows,
    walk_forward,
)

SYMBOL = "SYNTH_RELI"
BASE = {"quantity": 10, "tick": 0.05}
CONFIG = BacktestConfig(
    symbols=(SYMBOL,), timeframe="5m", costs="zero", params={"fast": 3, "slow": 10, **BASE}
)
GRID = ({"fast": 3, "slow": 10}, {"fast": 5, "slow": 20}, {"fast": 8, "slow": 30})


@cache
def _market() -> dict[str, pd.DataFrame]:
    return generate_market(seed=3, days=18, timeframe="5m").bars


def _frames() -> dict[str, pd.DataFrame]:
    return {SYMBOL: _market()[SYMBOL].copy()}


def _local_date(ts: pd.Series) -> pd.Series:
    return ts.dt.tz_convert("Asia/Kolkata").dt.date


def grid_fit(window: TrainWindow) -> dict[str, Any]:
    """The example optimiser: the grid point with the best training net PnL (first on ties)."""
    scored = [(window.backtest({**p, **BASE}).summary["net_pnl"], -i) for i, p in enumerate(GRID)]
    best = GRID[-max(scored)[1]]
    return {**best, **BASE}


# ------------------------------------------------------------------------------ planning

DAYS = [date(2025, 1, 1) + timedelta(days=i) for i in range(10)]


def test_rolling_windows_tile_the_test_sessions() -> None:
    windows = plan_windows(DAYS, WalkForwardSpec(train=3, test=2))
    assert [(w.train, w.test) for w in windows] == [
        (tuple(DAYS[0:3]), tuple(DAYS[3:5])),
        (tuple(DAYS[2:5]), tuple(DAYS[5:7])),
        (tuple(DAYS[4:7]), tuple(DAYS[7:9])),
    ]  # DAYS[9] is left over: no whole test window fits
    assert [w.index for w in windows] == [0, 1, 2]


def test_anchored_windows_train_from_the_first_session_and_step_can_skip() -> None:
    windows = plan_windows(DAYS, WalkForwardSpec(train=2, test=2, step=3, anchored=True))
    assert [w.train_start for w in windows] == [DAYS[0]] * 3
    assert [w.train_end for w in windows] == [DAYS[1], DAYS[4], DAYS[7]]
    assert [w.test for w in windows] == [(DAYS[2], DAYS[3]), (DAYS[5], DAYS[6]), (DAYS[8], DAYS[9])]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"train": 3, "test": 0}, "test must be >= 1"),
        ({"train": -1, "test": 2}, "train must be >= 0"),
        ({"train": 3, "test": 2, "step": 1}, "overlapping test windows"),
    ],
)
def test_bad_specs_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WalkForwardSpec(**kwargs)


def test_too_few_or_unsorted_sessions_are_refused() -> None:
    with pytest.raises(
        ValueError, match="at least train \\+ test = 12 sessions; the period has 10"
    ):
        plan_windows(DAYS, WalkForwardSpec(train=8, test=4))
    with pytest.raises(ValueError, match="sorted and distinct"):
        plan_windows([DAYS[1], DAYS[0]], WalkForwardSpec(train=1, test=1))


# ------------------------------------------------------------------------------ fixed params


def test_windows_are_calendar_sessions_and_results_chain_their_equity() -> None:
    wf = walk_forward("sma_cross", CONFIG, WalkForwardSpec(train=4, test=3), frames=_frames())
    sessions = [s.date for s in get_calendar("NSE").sessions(date(2025, 12, 1), date(2025, 12, 31))]
    tested = [d for w in wf.windows for d in w.window.test]
    assert date(2025, 12, 25) not in tested  # an NSE holiday is no session
    assert tested == sessions[sessions.index(tested[0]) : sessions.index(tested[-1]) + 1]
    assert len(wf.windows) == 4
    assert len(tested) == 12
    assert len(wf.unused_sessions) == 18 - 4 - 12

    cash = CONFIG.initial_cash
    for w in wf.windows:
        # each window is exactly run_backtest on its test sessions, starting at the chained cash
        bars = _frames()[SYMBOL]
        days = _local_date(bars["timestamp"])
        test_bars = bars[(days >= w.window.test_start) & (days <= w.window.test_end)]
        direct = run_backtest(
            "sma_cross",
            replace(CONFIG, initial_cash=cash, start=w.window.test_start.isoformat(),
                    end=(w.window.test_end + timedelta(days=1)).isoformat()),
            frames={SYMBOL: test_bars.reset_index(drop=True)},
        )  # fmt: skip
        assert w.result.to_json(with_run=False) == direct.to_json(with_run=False)
        assert w.params == CONFIG.params
        assert w.summary["initial_cash"] == float(cash)
        first_bar = pd.Timestamp(w.summary["first_bar"]).date()
        last_bar = pd.Timestamp(w.summary["last_bar"]).date()
        assert (first_bar, last_bar) == (w.window.test_start, w.window.test_end)
        cash = Decimal(str(w.summary["final_equity"]))

    s = wf.summary
    assert s["final_equity"] == float(cash)
    net = sum(Decimal(str(w.summary["net_pnl"])) for w in wf.windows)
    assert Decimal(str(s["net_pnl"])) == net  # stitched PnL = sum of the windows' PnLs
    assert s["trades"] == len(wf.trades) == sum(w.summary["trades"] for w in wf.windows) > 0
    curve = wf.equity_curve
    assert len(curve) == sum(len(w.result.equity) for w in wf.windows)
    assert curve["time"].is_monotonic_increasing
    assert curve["time"].is_unique
    assert curve["equity"].iloc[-1] == pytest.approx(s["final_equity"], abs=0.01)
    assert [r["window"] for r in wf.trades_records()] == sorted(
        r["window"] for r in wf.trades_records()
    )


def test_positions_open_at_a_window_end_are_marked_and_reported() -> None:
    wf = walk_forward("sma_cross", CONFIG, WalkForwardSpec(train=4, test=3), frames=_frames())
    carried = [w for w in wf.windows if w.open_at_end]
    assert carried, "this market should leave a crossover position open at some window end"
    for w in carried:
        open_trades = [t for t in w.result.trades if t.is_open]
        assert len(open_trades) == w.open_at_end
        # the engine marks it at the window's last close; the next window starts in cash
        last_close = float(w.result.equity[-1])
        assert last_close == pytest.approx(w.summary["final_equity"], abs=0.01)
    assert wf.summary["open_at_window_end"] == sum(w.open_at_end for w in wf.windows)


def test_same_inputs_give_byte_identical_results() -> None:
    spec = WalkForwardSpec(train=5, test=2, anchored=True)
    a = walk_forward("sma_cross", CONFIG, spec, frames=_frames(), fit=grid_fit)
    b = walk_forward("sma_cross", CONFIG, spec, frames=_frames(), fit=grid_fit)
    assert a.to_json(with_run=False) == b.to_json(with_run=False)
    assert a.to_dict()["spec"] == {"train": 5, "test": 2, "step": 2, "anchored": True}


def test_period_is_clipped_to_config_start_and_end() -> None:
    cfg = replace(CONFIG, start="2025-12-15", end="2025-12-24")  # end exclusive
    wf = walk_forward("sma_cross", cfg, WalkForwardSpec(train=2, test=2), frames=_frames())
    assert wf.windows[0].window.train_start == date(2025, 12, 15)
    assert max(d for w in wf.windows for d in w.window.test) <= date(2025, 12, 23)


# ------------------------------------------------------------------------------ fitting


def test_grid_search_fit_picks_the_best_training_params() -> None:
    spec = WalkForwardSpec(train=4, test=3)
    wf = walk_forward("sma_cross", CONFIG, spec, frames=_frames(), fit=grid_fit)
    bars = _frames()[SYMBOL]
    days = _local_date(bars["timestamp"])
    chosen = []
    for w in wf.windows:
        train_bars = bars[(days >= w.window.train_start) & (days <= w.window.train_end)]
        pnl = [
            run_backtest(
                "sma_cross", replace(CONFIG, params={**p, **BASE}),
                frames={SYMBOL: train_bars.reset_index(drop=True)},
            ).summary["net_pnl"]
            for p in GRID
        ]  # fmt: skip
        best = GRID[int(np.argmax(pnl))]  # argmax: the first of equal maxima
        assert dict(w.params) == {**best, **BASE}
        chosen.append(best["fast"])
    assert len(set(chosen)) > 1, "the grid should choose differently across windows"


def test_fit_sees_only_training_bars() -> None:
    seen: list[tuple[int, date, date, date]] = []

    def spy(window: TrainWindow) -> Mapping[str, Any]:
        frame = window.bars()[SYMBOL]
        last_bar = _local_date(frame["timestamp"]).max()
        run = window.backtest({**GRID[0], **BASE})
        seen.append((window.index, last_bar, pd.Timestamp(run.summary["last_bar"]).date(),
                     window.end))  # fmt: skip
        assert frame["timestamp"].is_monotonic_increasing
        return {**GRID[0], **BASE}

    wf = walk_forward("sma_cross", CONFIG, WalkForwardSpec(train=4, test=3), frames=_frames(),
                      fit=spy)  # fmt: skip
    assert len(seen) == len(wf.windows)
    for (k, last_bar, last_run_bar, train_end), w in zip(seen, wf.windows, strict=True):
        assert k == w.window.index
        assert last_bar == last_run_bar == train_end == w.window.train_end
        assert train_end < w.window.test_start


def test_perturbing_the_future_does_not_change_earlier_choices() -> None:
    """No look-ahead: rewrite every bar from window k's test start on; the parameters chosen
    for windows 0..k stay the same while window k's test result changes."""
    spec = WalkForwardSpec(train=4, test=3)
    base = walk_forward("sma_cross", CONFIG, spec, frames=_frames(), fit=grid_fit)
    k = 1
    cut = base.windows[k].window.test_start
    frames = _frames()
    bars = frames[SYMBOL]
    future = _local_date(bars["timestamp"]) >= cut
    rng = np.random.default_rng(0)
    factor = np.exp(np.cumsum(rng.normal(0, 0.004, int(future.sum()))))
    for col in ("open", "high", "low", "close"):
        bars.loc[future, col] = (bars.loc[future, col] * factor / 0.05).round() * 0.05
    bars.loc[future, "high"] = bars.loc[future, ["open", "high", "low", "close"]].max(axis=1)
    bars.loc[future, "low"] = bars.loc[future, ["open", "high", "low", "close"]].min(axis=1)
    moved = walk_forward("sma_cross", CONFIG, spec, frames=frames, fit=grid_fit)
    for i in range(k + 1):
        assert moved.windows[i].params == base.windows[i].params
    for i in range(k):
        assert moved.windows[i].result.to_json(with_run=False) == base.windows[i].result.to_json(
            with_run=False
        )
    assert moved.windows[k].summary["net_pnl"] != base.windows[k].summary["net_pnl"]


# ------------------------------------------------------------------------------ bar store


def test_bar_store_and_frames_give_the_same_walk_forward(tmp_path: Path) -> None:
    store = BarStore(tmp_path / "bars")
    store.write(SYMBOL, "5m", _frames()[SYMBOL], calendar="NSE", source="test")
    spec = WalkForwardSpec(train=4, test=3)
    from_store = walk_forward("sma_cross", CONFIG, spec, store=store, fit=grid_fit)
    from_frames = walk_forward("sma_cross", CONFIG, spec, frames=_frames(), fit=grid_fit)
    assert from_store.to_json(with_run=False) == from_frames.to_json(with_run=False)


# ------------------------------------------------------------------------------ bad input


def test_bad_input_is_refused_with_clear_messages() -> None:
    from tronlab.strategy import get_strategy

    spec = WalkForwardSpec(train=4, test=3)
    with pytest.raises(TypeError, match="fresh instance"):
        walk_forward(get_strategy("sma_cross")(), CONFIG, spec, frames=_frames())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="fit callback needs a training window"):
        walk_forward("sma_cross", CONFIG, WalkForwardSpec(train=0, test=3), frames=_frames(),
                     fit=grid_fit)  # fmt: skip
    with pytest.raises(ValueError, match="BarStore or in-memory frames"):
        walk_forward("sma_cross", CONFIG, spec)
    with pytest.raises(ValueError, match="no frames for SYNTH_TCS"):
        walk_forward("sma_cross", replace(CONFIG, symbols=("SYNTH_TCS",)), spec, frames=_frames())
    with pytest.raises(ValueError, match="the period has 3"):
        walk_forward("sma_cross", replace(CONFIG, start="2025-12-29"), spec, frames=_frames())


def test_a_gap_in_the_bars_names_the_window() -> None:
    frames = _frames()
    bars = frames[SYMBOL]
    days = _local_date(bars["timestamp"])
    frames[SYMBOL] = bars[(days < date(2025, 12, 22)) | (days > date(2025, 12, 24))]
    with pytest.raises(ValueError, match=r"window 3 \(2025-12-22\.\.2025-12-24\): no SYNTH_RELI"):
        walk_forward("sma_cross", CONFIG, WalkForwardSpec(train=2, test=3), frames=frames)


def test_a_recorder_stores_every_test_window_as_a_trial(tmp_path: Path) -> None:
    from tronlab.storage import Database, migrate
    from tronlab.storage.backtests import BacktestRecorder, load_run
    from tronlab.storage.experiments import count_trials

    url = f"sqlite:///{tmp_path / 'wf.db'}"
    migrate.upgrade(url)
    db = Database(url)
    try:
        wf = walk_forward("sma_cross", CONFIG, WalkForwardSpec(train=4, test=3), frames=_frames(),
                          recorder=BacktestRecorder(db))  # fmt: skip
        ids = [w.result.run_id for w in wf.windows]
        assert len(set(ids)) == len(ids) == 4
        assert count_trials(db, "sma_cross") == 4
        stored = load_run(db, str(ids[2]))
        assert stored["summary"]["net_pnl"] == wf.windows[2].summary["net_pnl"]
        assert stored["config"]["start"] == wf.windows[2].window.test_start.isoformat()
        assert [w["run_id"] for w in wf.to_dict()["windows"]] == ids
    finally:
        db.dispose()
