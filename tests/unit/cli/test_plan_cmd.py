"""`tronlab plan`: the synthetic market when nothing is imported, the bar store otherwise;
the plan is stored (one per day and key) and printed as a table or JSON."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tronlab.cli.app import app
from tronlab.storage import Database
from tronlab.storage.plans import PlanStore
from tronlab.strategy.plan import REGIMES, DailyPlan

runner = CliRunner()


def _run(home: Path, *args: str):
    return runner.invoke(app, ["--home", str(home), *args], env={})


def _plans(home: Path) -> list[DailyPlan]:
    db = Database(f"sqlite:///{home / 'tronlab.db'}")
    try:
        return PlanStore(db).list()
    finally:
        db.dispose()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("plan-home")
    assert _run(home, "data", "generate", "--days", "40", "--json").exit_code == 0
    return home


def test_no_bars_imported_plans_on_the_synthetic_market(tmp_path: Path) -> None:
    out = _run(tmp_path, "plan", "--date", "2025-12-01", "--json")
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["date"] == "2025-12-01"
    assert doc["symbol"] == "SYNTH_NIFTY"
    assert doc["regime"] in REGIMES
    assert doc["inputs"]["vol_source"] == "vix"  # SYNTH_VIX
    assert doc["inputs"]["today_open"] is not None  # the day is in the market: its gap is known
    assert doc["explanation"].startswith("2025-12-01 SYNTH_NIFTY: ")
    stored = _plans(tmp_path)
    assert [p.to_dict() for p in stored] == [doc]
    again = _run(tmp_path, "plan", "--date", "2025-12-01", "--json", "--sentiment", "0.9")
    assert again.exit_code == 0, again.output
    (replaced,) = _plans(tmp_path)  # the same day and key: replaced, not added
    assert replaced.inputs["sentiment"] == 0.9


def test_plan_from_the_bar_store_defaults_to_the_next_session(generated: Path) -> None:
    out = _run(generated, "plan", "--json", "--no-save")
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["symbol"] == "SYNTH_NIFTY"
    assert doc["date"] == "2026-01-01"  # the generator's last session is 2025-12-31
    assert doc["inputs"]["today_open"] is None  # planned before the open
    assert doc["inputs"]["history_days"] == 40
    assert "gap unknown" in doc["explanation"] or doc["regime"] == "stand_aside"
    assert not (generated / "tronlab.db").exists() or _plans(generated) == []


def test_table_output_and_options(generated: Path, tmp_path: Path) -> None:
    out = _run(generated, "plan", "--date", "2025-12-31", "--vix", "none", "--set", "adx_trend=10")
    assert out.exit_code == 0, out.output
    text = " ".join(out.stdout.split())
    assert "2025-12-31 SYNTH_NIFTY · regime" in text
    assert "why" in text
    assert "stored in daily_plans" in text
    (plan,) = [p for p in _plans(generated) if p.date == date(2025, 12, 31)]
    assert plan.inputs["vol_source"] == "realized"
    assert "realised volatility of the index stands in" in plan.explanation
    table = tmp_path / "mine.yaml"
    table.write_text(
        "name: mine\nregimes:\n"
        + "".join(f"  {r}:\n    strategies: [{{name: sma_cross, risk: 0.5}}]\n" for r in REGIMES)
    )
    out = _run(generated, "plan", "--date", "2025-12-31", "--table", str(table), "--json")
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["name"] == "mine"
    assert [s["name"] for s in doc["strategies"]] in ([], ["sma_cross"])
    names = {p.name for p in _plans(generated) if p.date == date(2025, 12, 31)}
    assert names == {"default", "mine"}  # one plan per table name


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--symbol", "NOPE"], 2, "--symbol NOPE: not in the bar store"),
        (["--vix", "NOPE"], 2, "--vix NOPE: not in the bar store"),
        (["--set", "adx_trnd=20"], 2, "did you mean 'adx_trend'"),
        (["--date", "2025-13-01"], 2, "not a date"),
        (["--sentiment", "3"], 2, "sentiment must be in [-1, 1]"),
        (["--table", "missing.yaml"], 2, "cannot read regime table"),
    ],
)
def test_bad_input_is_a_clear_error(
    generated: Path, args: list[str], code: int, message: str
) -> None:
    out = _run(generated, "plan", "--no-save", *args)
    assert out.exit_code == code
    assert message in " ".join(out.output.split())


def test_an_explicit_symbol_needs_imported_bars(tmp_path: Path) -> None:
    out = _run(tmp_path, "plan", "--symbol", "NIFTY")
    assert out.exit_code == 1
    assert "no bars for NIFTY in the bar store" in " ".join(out.output.split())
