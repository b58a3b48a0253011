"""`tronlab risk events|status|kill|resume|profiles` and `--profile` on backtest."""

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
        "-p", "quantity=10", "-p", "tick=0.05", "--product", "MIS"]  # fmt: skip


def test_backtest_under_tron_default_explains_every_denial(home: Path) -> None:
    out = _run(home, "backtest", *ARGS, "--json")
    assert out.exit_code == 0, out.output
    summary = json.loads(out.stdout)
    assert summary["summary"]["initial_cash"] == 100_000  # the profile's capital
    denials = summary["summary"]["risk_denials"]
    assert denials > 0
    events = json.loads(_run(home, "risk", "events", "--json").stdout)
    assert events["run_id"] == summary["run_id"]
    denied = [e for e in events["events"] if e["decision"] == "deny"]
    assert len(denied) == denials
    for e in denied:
        assert e["rule"]
        assert e["reason"]
        assert e["message"]
        assert e["symbol"] == "SYNTH_RELI"
    # the same through --denials, and a table for people
    only = json.loads(_run(home, "risk", "events", "--denials", "--json").stdout)["events"]
    assert len(only) == denials
    table = _run(home, "risk", "events", "--denials")
    assert table.exit_code == 0
    assert "deny" in table.stdout

    status = json.loads(_run(home, "risk", "status", "--json").stdout)
    assert status["state"]["entries"] <= 3
    assert status["state"]["trading_state"] in ("ACTIVE", "REDUCING")


def test_research_profile_has_no_rules(home: Path) -> None:
    out = _run(home, "backtest", *ARGS, "--profile", "research", "--cash", "1000000", "--json")
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["summary"]["risk_denials"] == 0


def test_kill_and_resume(home: Path) -> None:
    assert _run(home, "risk", "kill", "--reason", "fat finger on desk").exit_code == 0
    status = json.loads(_run(home, "risk", "status", "--json").stdout)
    assert status["kill_switch"] == {"on": True, "reason": "fat finger on desk"}
    assert _run(home, "risk", "resume").exit_code == 0
    assert json.loads(_run(home, "risk", "status", "--json").stdout)["kill_switch"]["on"] is False


def test_profiles_and_bad_profile(home: Path) -> None:
    docs = json.loads(runner.invoke(app, ["risk", "profiles", "--json"]).stdout)
    assert docs["tron-default"]["daily_loss"]["max_loss"] == "500"
    assert docs["production"]["capital"] == "1000000"
    bad = _run(home, "backtest", *ARGS, "--profile", "yolo")
    assert bad.exit_code == 2
    assert "unknown risk profile 'yolo'" in bad.output
