"""`tronlab runs compare`: stored runs side by side, as a table and as JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tronlab.cli.app import app

runner = CliRunner()
PARAMS = ["-p", "quantity=10", "-p", "tick=0.05"]


def _run(home: Path, *args: str) -> Any:
    return runner.invoke(app, ["--home", str(home), *args], env={})


@pytest.fixture(scope="module")
def home_and_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    home = tmp_path_factory.mktemp("compare-home")
    assert _run(home, "data", "generate", "--days", "4", "--json").exit_code == 0
    ids = []
    for fast, slow in ((5, 20), (10, 40)):
        out = _run(home, "backtest", "-s", "sma_cross", "--symbol", "SYNTH_RELI",
                   "-p", f"fast={fast}", "-p", f"slow={slow}", *PARAMS, "--json")  # fmt: skip
        assert out.exit_code == 0, out.output
        ids.append(json.loads(out.stdout)["run_id"])
    return home, ids


def test_compare_json_lists_each_run_with_its_metrics(
    home_and_runs: tuple[Path, list[str]],
) -> None:
    home, ids = home_and_runs
    out = _run(home, "runs", "compare", ids[0], ids[1][:17], "--json")
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    assert [r["run_id"] for r in rows] == ids  # in the order given; prefixes resolved
    assert [r["params"]["fast"] for r in rows] == [5, 10]
    for row in rows:
        shown = json.loads(_run(home, "runs", "show", row["run_id"], "--json").stdout)
        s, m = shown["summary"], row["summary"]
        for key in ("trades", "net_pnl", "fees", "return_pct", "max_drawdown_pct", "win_rate"):
            assert m[key] == s[key]
        # daily Sharpe, recomputed by hand from the stored equity curve (NSE 2025: 249 sessions)
        eq = pd.DataFrame(shown["equity_curve"])
        day = pd.to_datetime(eq["time"], utc=True).dt.tz_convert("Asia/Kolkata").dt.date
        levels = np.r_[s["initial_cash"], eq.groupby(day)["equity"].last().to_numpy()]
        r = levels[1:] / levels[:-1] - 1
        assert m["sessions"] == len(r) == 4
        assert m["periods_per_year"] == 249
        assert m["sharpe"] == pytest.approx(r.mean() / r.std(ddof=1) * math.sqrt(249), rel=1e-9)
        assert m["volatility_ann"] == pytest.approx(r.std(ddof=1) * math.sqrt(249), rel=1e-9)


def test_compare_table_shows_the_runs_side_by_side(home_and_runs: tuple[Path, list[str]]) -> None:
    home, ids = home_and_runs
    out = runner.invoke(app, ["--home", str(home), "runs", "compare", *ids], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    for text in (*ids, "Sharpe (ann.)", "max drawdown", "fast=5,slow=20", "fast=10,slow=40"):
        assert text in out.stdout


def test_compare_needs_two_known_runs(home_and_runs: tuple[Path, list[str]]) -> None:
    home, ids = home_and_runs
    one = _run(home, "runs", "compare", ids[0])
    assert one.exit_code == 2
    assert "at least two runs" in one.output
    missing = _run(home, "runs", "compare", ids[0], "nope")
    assert missing.exit_code == 1
    assert "run nope not found" in missing.output
    ambiguous = _run(home, "runs", "compare", ids[0], "2")
    assert ambiguous.exit_code == 1
    assert "ambiguous" in ambiguous.output
