"""`tronlab backtest --derivatives`: synthetic futures and options around the index symbol."""

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


SMA = ["-s", "sma_cross", "-p", "fast=5", "-p", "slow=20", "-p", "tick=0.05"]


def test_futures_of_the_index_are_traded_and_settled(home: Path) -> None:
    out = _run(home, "backtest", *SMA, "-p", "quantity=75", "--symbol", "SYNTH_NIFTY",
               "--derivatives", "future", "--cash", "50000000", "--profile", "research",
               "--json")  # fmt: skip
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    s = doc["summary"]
    assert s["bars"] == 4 * 1125  # the index and three sessions of its futures (4 contracts)
    assert s["settlements"] >= 1  # the December future expires on 30 Dec
    shown = json.loads(_run(home, "runs", "show", doc["run_id"], "--json").stdout)
    assert "NIFTY25DECFUT" in shown["config"]["symbols"]
    assert shown["config"]["underlyings"] == {"NIFTY": "SYNTH_NIFTY"}
    traded = {f["symbol"] for f in shown["fills"]}
    assert "NIFTY25DECFUT" in traded


def test_options_with_a_vix_driven_surface(home: Path) -> None:
    out = _run(home, "backtest", "-s", "sma_cross", "-p", "fast=20", "-p", "slow=100",
               "-p", "tick=0.05", "-p", "quantity=975", "--symbol", "SYNTH_NIFTY",
               "--start", "2025-12-30", "--derivatives", "options", "--strikes", "0",
               "--vix", "SYNTH_VIX", "--cash", "50000000", "--profile", "research",
               "--no-save", "--json")  # fmt: skip
    assert out.exit_code == 0, out.output
    s = json.loads(out.stdout)["summary"]
    assert s["bars"] > 2 * 375  # option series were added to the index's two sessions
    assert s["fills"] > 0
    assert s["settlements"] > 0  # options of the 30 Dec expiry held into its close


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--symbol", "SYNTH_RELI", "--derivatives", "future"], "not an F&O underlying"),
        (["--symbol", "SYNTH_NIFTY", "--symbol", "SYNTH_RELI", "--derivatives", "future"],
         "exactly one --symbol"),
        (["--symbol", "SYNTH_NIFTY", "--derivatives", "swaps"], "future, options, both"),
    ],
)  # fmt: skip
def test_bad_derivative_runs_explain(home: Path, args: list[str], message: str) -> None:
    out = _run(home, "backtest", *SMA, *args, "--no-save")
    assert out.exit_code == 2
    assert message in out.output
