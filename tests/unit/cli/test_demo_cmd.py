"""`make run` runs `tronlab demo`: it must work on an empty home and be repeatable, and it runs
the daily plan under the risk governor, stores the run and its plans and writes the report."""

import json
from pathlib import Path

from typer.testing import CliRunner

from tronlab.cli.app import app

runner = CliRunner()


def test_demo_data_steps_on_empty_home_then_again(tmp_path: Path) -> None:
    home = tmp_path / "home"
    args = ["--home", str(home), "demo", "--days", "5", "--warmup", "0", "--no-report"]
    first = runner.invoke(app, args, env={})
    assert first.exit_code == 0, first.output
    assert "0 missing or stray bars" in first.stdout
    assert "BROKEN_1m_2025-12-01_2025-12-01.csv:3 OHLC_INCONSISTENT" in first.stdout
    assert (home / "tronlab.db").is_file()

    listing = json.loads(runner.invoke(app, ["--home", str(home), "data", "list", "--json"]).stdout)
    series = {(r["symbol"], r["timeframe"]): r["rows"] for r in listing}
    assert series[("SYNTH_NIFTY", "1d")] == 5
    assert series[("SYNTH_NIFTY", "5m")] == 5 * 75
    assert ("BROKEN", "1m") not in series  # the broken file was rejected, nothing stored

    second = runner.invoke(app, args, env={})
    assert second.exit_code == 0, second.output
    assert "(0 new)" in second.stdout  # deterministic: the same market again
    assert "hash chain of 2 entries verified" in second.stdout


def test_demo_runs_the_daily_plan_and_writes_the_report(tmp_path: Path) -> None:
    home = tmp_path / "home"
    out = runner.invoke(
        app, ["--home", str(home), "demo", "--days", "12", "--warmup", "25", "--json"], env={}
    )
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    (run_id,) = doc["run_ids"]
    report = Path(doc["report"])
    assert report.is_file()
    assert report.stat().st_size > 1_000_000  # plotly.js is inside
    assert run_id in report.name
    s = doc["summary"]
    assert s["trades"] > 0
    assert s["strategy_errors"] == 0
    assert s["final_equity"] == round(100_000 + s["net_pnl"], 2)  # tron-default's capital
    assert sum(doc["regimes"].values()) == 12  # one plan per traded session, none warming up
    assert "stand_aside" not in doc["regimes"] or doc["regimes"]["stand_aside"] < 12
    assert set(doc["per_strategy"]) <= {
        "orb", "range_reversal", "scalp", "vwap_reversion", "vwap_trend"
    }  # fmt: skip
    assert sum(r["trades"] for r in doc["per_strategy"].values()) == s["trades"]
    assert doc["significance"]["verdict"]

    shown = json.loads(
        runner.invoke(app, ["--home", str(home), "runs", "show", run_id, "--json"]).stdout
    )
    assert shown["strategy"] == "auto"
    assert len(shown["plans"]) == 12
    assert all(f["time"] >= "2025" for f in shown["fills"])
