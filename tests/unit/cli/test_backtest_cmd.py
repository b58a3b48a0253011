"""`tronlab backtest`, `runs list|show` and `strategies` end to end on a tmp home."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tronlab.cli.app import app

runner = CliRunner()


def _run(home: Path, *args: str):
    return runner.invoke(app, ["--home", str(home), *args], env={})


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    assert _run(home, "data", "generate", "--days", "3", "--json").exit_code == 0
    return home


ARGS = ["-s", "sma_cross", "--symbol", "SYNTH_RELI", "-p", "fast=5", "-p", "slow=20",
        "-p", "quantity=10", "-p", "tick=0.05"]  # fmt: skip


def test_backtest_json_then_runs_show(home: Path) -> None:
    out = _run(home, "backtest", *ARGS, "--json")
    assert out.exit_code == 0, out.output
    summary = json.loads(out.stdout)
    for key in ("run_id", "trades", "net_pnl", "fees", "final_equity"):
        assert key in summary
    assert summary["trades"] > 0

    listed = json.loads(_run(home, "runs", "list", "--json").stdout)
    assert summary["run_id"] in [r["run_id"] for r in listed]

    shown = _run(home, "runs", "show", summary["run_id"][:15], "--json")
    assert shown.exit_code == 0, shown.output
    doc = json.loads(shown.stdout)
    assert doc["run_id"] == summary["run_id"]
    s = doc["summary"]
    assert (s["trades"], s["net_pnl"], s["fees"], s["final_equity"]) == (
        summary["trades"], summary["net_pnl"], summary["fees"], summary["final_equity"]
    )  # fmt: skip
    fill = doc["fills"][0]
    assert set(fill) >= {"time", "symbol", "side", "qty", "price", "fee", "client_order_id"}
    assert fill["time"].endswith("+05:30")
    trade = doc["trades"][0]
    assert set(trade) >= {
        "symbol", "side", "qty", "entry_time", "entry_price", "exit_time", "exit_price",
        "pnl", "fees", "entry_reason", "exit_reason",
    }  # fmt: skip
    assert doc["equity_curve"][-1]["equity"] == pytest.approx(s["final_equity"], abs=0.01)
    assert doc["config"]["fingerprint"].startswith("sha256:")
    assert doc["config"]["code_version"]
    assert len(doc["fills"]) == s["fills"]

    table = _run(home, "runs", "show", summary["run_id"])
    assert table.exit_code == 0
    assert "trades" in table.stdout


def test_backtest_table_output(home: Path) -> None:
    out = _run(home, "backtest", *ARGS, "--no-save")
    assert out.exit_code == 0, out.output
    assert "net PnL" in out.stdout
    assert "final equity" in out.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-s", "sma_crosss", "--symbol", "SYNTH_RELI"], "did you mean 'sma_cross'"),
        (["-s", "sma_cross", "--symbol", "SYNTH_RELI", "-p", "fats=3"], "did you mean 'fast'"),
        (["-s", "sma_cross", "--symbol", "SYNTH_RELI", "-p", "fast=x"], "'x' is not int"),
        (["-s", "sma_cross", "--symbol", "NOPE"], "NOPE"),
        (["-s", "sma_cross", "--symbol", "SYNTH_RELI", "--costs", "free"], "cost model"),
    ],
)
def test_bad_input_is_a_clear_error(home: Path, args: list[str], message: str) -> None:
    out = _run(home, "backtest", *args, "--no-save")
    assert out.exit_code != 0
    assert message in out.output


def test_unknown_run(home: Path) -> None:
    out = _run(home, "runs", "show", "nope")
    assert out.exit_code == 1
    assert "run nope not found" in out.output


def test_strategies_lists_parameters() -> None:
    out = runner.invoke(app, ["strategies", "--json"])
    assert out.exit_code == 0
    params = json.loads(out.stdout)["sma_cross"]
    assert params["fast"]["type"] == "int"
    assert params["fast"]["low"] == 2
