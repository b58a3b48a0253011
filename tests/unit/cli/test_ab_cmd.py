"""`tronlab ab`: CONFIG parsing, same-data rules, and the stored experiment end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tronlab.cli.ab_cmd import ArmSpec, build_configs, parse_arm
from tronlab.cli.app import app

runner = CliRunner()
FIXED = "quantity=10,tick=0.05"
A = f"sma_cross:fast=5,slow=20,{FIXED}"
B = f"sma_cross:fast=10,slow=50,{FIXED}"


def _run(home: Path, *args: str) -> Any:
    return runner.invoke(app, ["--home", str(home), *args], env={})


# ------------------------------------------------------------------------------ CONFIG parsing


def test_strategy_specs_parse_into_name_and_params() -> None:
    arm = parse_arm("sma_cross:fast=5,slow=20")
    assert (arm.strategy, arm.params, arm.settings) == (
        "sma_cross",
        {"fast": "5", "slow": "20"},
        {},
    )
    assert parse_arm("sma_cross").params == {}
    assert parse_arm("sma_cross:").strategy == "sma_cross"
    user = parse_arm("my_pkg.strats:Breakout:lookback=20")
    assert (user.strategy, user.params) == ("my_pkg.strats:Breakout", {"lookback": "20"})
    assert parse_arm("my_pkg.strats:Breakout").strategy == "my_pkg.strats:Breakout"
    with pytest.raises(ValueError, match="expected NAME=VALUE"):
        parse_arm("sma_cross:fast=5,slow")
    with pytest.raises(ValueError, match="empty CONFIG"):
        parse_arm("  ")


def test_yaml_and_json_configs(tmp_path: Path) -> None:
    y = tmp_path / "a.yaml"
    y.write_text(
        "strategy: sma_cross\nparams: {fast: 5, slow: 20}\nsymbols: SYNTH_TCS\n"
        "start: 2025-12-01\ncosts: zero\n"
    )
    arm = parse_arm(str(y))
    assert arm.strategy == "sma_cross"
    assert arm.params == {"fast": 5, "slow": 20}
    assert arm.settings == {"symbols": ["SYNTH_TCS"], "start": "2025-12-01", "costs": "zero"}
    j = tmp_path / "b.json"
    j.write_text(json.dumps({"strategy": "sma_cross", "params": {"fast": 8}, "slippage": "bps:2"}))
    assert parse_arm(str(j)).settings == {"slippage": "bps:2"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("strategy: sma_cross\nfoo: 1\n", "unknown key\\(s\\) foo"),
        ("params: {fast: 5}\n", "'strategy' must name a strategy"),
        ("- a\n- b\n", "a backtest config is a mapping"),
        ("strategy: sma_cross\nparams: [1]\n", "'params' must be a mapping"),
        ("strategy: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_config_files_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        parse_arm(str(path))
    with pytest.raises(ValueError, match="cannot read config"):
        parse_arm(str(tmp_path / "missing.yaml"))


def test_both_arms_must_share_their_data_unless_the_command_line_sets_it() -> None:
    a = ArmSpec("a", "sma_cross", {}, {"symbols": ["SYNTH_RELI"], "costs": "zero"})
    b = ArmSpec("b", "sma_cross", {}, {"symbols": ["SYNTH_TCS"]})
    with pytest.raises(ValueError, match=r"same data: symbols is .*\(give --symbol"):
        build_configs(a, b, {}, default_symbols=())
    cfg_a, cfg_b = build_configs(a, b, {"symbols": ["SYNTH_ITC"], "end": None}, default_symbols=())
    assert cfg_a.symbols == cfg_b.symbols == ("SYNTH_ITC",)
    assert (cfg_a.costs, cfg_b.costs) == ("zero", "zerodha")  # other settings may differ
    assert cfg_a.risk_profile == "tron-default"
    forced, _ = build_configs(a, b, {"symbols": ["X"], "costs": "alpaca"}, default_symbols=())
    assert forced.costs == "alpaca"
    lower = ArmSpec("c", "sma_cross", {}, {"symbols": ["synth_tcs"]})
    assert build_configs(lower, b, {}, default_symbols=())[0].symbols == ("SYNTH_TCS",)


# ------------------------------------------------------------------------------ end to end


@pytest.fixture(scope="module")
def empty_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ab-home")


@pytest.fixture(scope="module")
def experiment(empty_home: Path) -> dict[str, Any]:
    out = _run(empty_home, "ab", "--a", A, "--b", B, "--days", "12", "--n-boot", "500",
               "--json")  # fmt: skip
    assert out.exit_code == 0, out.output
    doc: dict[str, Any] = json.loads(out.stdout)
    return doc


def test_ab_on_the_synthetic_market_stores_both_runs_and_the_experiment(
    empty_home: Path, experiment: dict[str, Any]
) -> None:
    doc = experiment
    assert doc["kind"] == "ab"
    assert doc["a"]["config"]["spec"] == A
    assert doc["a"]["config"]["params"] == {"fast": 5, "slow": 20, "quantity": 10, "tick": 0.05}
    assert doc["b"]["config"]["params"]["slow"] == 50
    assert doc["a"]["config"]["symbols"] == doc["b"]["config"]["symbols"] == ["SYNTH_RELI"]
    test = doc["stats"]["test"]
    assert doc["verdict"] == test["verdict"]
    assert test["n_obs"] == 12
    assert test["n_boot"] == 500
    lo, hi = test["mean_diff_ci"]
    assert lo <= test["mean_diff"] <= hi

    listed = json.loads(_run(empty_home, "runs", "list", "--json").stdout)
    ids = {r["run_id"] for r in listed}
    assert {doc["a"]["run_id"], doc["b"]["run_id"]} <= ids

    # the test pairs the stored runs' daily returns (last equity of each session)
    means = []
    for side in ("a", "b"):
        run = json.loads(_run(empty_home, "runs", "show", doc[side]["run_id"], "--json").stdout)
        eq = pd.DataFrame(run["equity_curve"])
        day = pd.to_datetime(eq["time"], utc=True).dt.tz_convert("Asia/Kolkata").dt.date
        closes = eq.groupby(day)["equity"].last().to_numpy()
        levels = np.r_[run["summary"]["initial_cash"], closes]
        returns = levels[1:] / levels[:-1] - 1
        assert len(returns) == 12
        means.append(returns.mean())
        assert doc["stats"][side]["final_equity"] == run["summary"]["final_equity"]
    assert test["mean_a"] == pytest.approx(means[0], rel=1e-6, abs=1e-9)
    assert test["mean_b"] == pytest.approx(means[1], rel=1e-6, abs=1e-9)
    assert test["mean_diff"] == pytest.approx(means[1] - means[0], rel=1e-6, abs=1e-9)


def test_ab_is_deterministic_and_an_arm_against_itself_is_no_difference(
    empty_home: Path, experiment: dict[str, Any]
) -> None:
    again = json.loads(
        _run(empty_home, "ab", "--a", A, "--b", B, "--days", "12", "--n-boot", "500",
             "--json").stdout
    )  # fmt: skip
    assert again["experiment_id"] != experiment["experiment_id"]
    assert again["stats"] == experiment["stats"]
    same = _run(empty_home, "ab", "--a", A, "--b", A, "--days", "12", "--n-boot", "200", "--json")
    assert same.exit_code == 0, same.output
    test = json.loads(same.stdout)["stats"]["test"]
    assert test["mean_diff"] == 0
    assert test["winner"] is None
    assert test["verdict"].startswith("No significant difference")


def test_ab_table_output_with_a_config_file_on_stored_bars(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert _run(home, "data", "generate", "--days", "6", "--json").exit_code == 0
    cfg = tmp_path / "b.yaml"
    cfg.write_text("strategy: sma_cross\nparams: {fast: 8, slow: 30, quantity: 10, tick: 0.05}\n"
                   "costs: zero\n")  # fmt: skip
    out = _run(home, "ab", "--a", A, "--b", str(cfg), "--symbol", "SYNTH_TCS", "--n-boot", "200")
    assert out.exit_code == 0, out.output
    assert "synthetic market" not in out.stdout  # bars come from the store
    for text in ("A/B SYNTH_TCS 1m", "Sharpe (ann.)", "paired bootstrap", "experiment"):
        assert text in out.stdout
    verdict = " ".join(out.stdout.split())
    assert "No significant difference at 5%" in verdict or "is better on" in verdict


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["--a", "sma_crosss", "--b", B], "did you mean 'sma_cross'", 2),
        (["--a", "sma_cross:fats=3", "--b", B], "did you mean 'fast'", 2),
        (["--a", A, "--b", B, "--symbol", "NOPE"], "synthetic market has no NOPE", 2),
        (["--a", A, "--b", B, "--start", "2025-12-30"], "at least 3 common periods", 2),
        (["--a", A, "--b", B, "--start", "2030-01-01"], "synthetic market covers", 2),
    ],
)
def test_ab_bad_input(tmp_path: Path, args: list[str], message: str, code: int) -> None:
    out = _run(tmp_path, "ab", *args, "--days", "5")
    assert out.exit_code == code, out.output
    assert message in " ".join(out.output.split())
