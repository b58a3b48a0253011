"""`tronlab backtest` end to end with the intraday library and the daily plan: ``orb``,
``vwap``, ``scalp``, ``range_reversal`` and ``auto`` on the synthetic NIFTY index, on its
future and on its options, with the tron-default risk profile, Zerodha costs and MIS.

The store holds 32 synthetic sessions; every run trades the last four (``--start``). ``auto``
warms its selector up on the store's daily bars before the start (28 sessions, what its
default ADX period needs), so it plans from the first session of the run.
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from tronlab.cli.app import app
from tronlab.data.store import BarStore
from tronlab.engine.derivatives import load_derivatives

runner = CliRunner()
INDEX = "SYNTH_NIFTY"
START = "2025-12-26"  # the last four of the 32 sessions: 26, 29, 30 and 31 December
IST = "Asia/Kolkata"
STRATEGIES = ("orb", "vwap", "scalp", "range_reversal", "auto")
INSTRUMENTS = {  # name -> (backtest options, the strategies' instrument mapper)
    "index": ((), "underlying"),
    "future": (("--derivatives", "future"), "future"),
    "options": (("--derivatives", "options", "--strikes", "0"), "option_atm"),
}
# the governor squares intraday positions off at 15:20 (the index, as equity) and 15:25 (F&O)
SQUARE_OFF = {"index": "15:20", "future": "15:25", "options": "15:25"}


def _run(home: Path, *args: str) -> Any:
    return runner.invoke(app, ["--home", str(home), *args], env={})


def _mapper_params(strategy: str, mapper: str) -> list[str]:
    """``auto`` hands the mapper to its children (it declares no ``instrument`` itself)."""
    if strategy == "auto":
        return ["-p", f"child_params=instrument={mapper}"]
    return ["-p", f"instrument={mapper}"]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    out = _run(home, "data", "generate", "--days", "32", "--json")
    assert out.exit_code == 0, out.output
    return home


@pytest.fixture(scope="module")
def runs(home: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """Every (strategy, instrument) run: the backtest's JSON and `runs show --json`."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for strategy in STRATEGIES:
        for name, (options, mapper) in INSTRUMENTS.items():
            result = _run(
                home, "backtest", "-s", strategy, "--symbol", INDEX, "--start", START,
                "--profile", "tron-default", "--costs", "zerodha", "--product", "MIS",
                "--cash", "5000000", *options, *_mapper_params(strategy, mapper), "--json",
            )  # fmt: skip
            assert result.exit_code == 0, f"{strategy} on {name}: {result.output}"
            doc = json.loads(result.stdout)
            shown = _run(home, "runs", "show", doc["run_id"], "--json", "--no-equity")
            assert shown.exit_code == 0, shown.output
            out[(strategy, name)] = {"run": doc, "shown": json.loads(shown.stdout)}
    return out


def _lots(home: Path, kind: str) -> dict[str, int]:
    """Lot size of every synthetic contract the CLI built for these runs."""
    market, _ = load_derivatives(BarStore(home / "bars"), INDEX, "1m", START, None, kind,
                                 strikes_each_side=0)  # fmt: skip
    return {sym: inst.lot_size for sym, inst in market.instruments.items()}


def test_every_run_succeeds_and_is_stored(runs: dict[tuple[str, str], dict[str, Any]]) -> None:
    assert len(runs) == len(STRATEGIES) * len(INSTRUMENTS)
    for (strategy, name), r in runs.items():
        doc, shown = r["run"], r["shown"]
        assert doc["run_id"], (strategy, name)
        assert shown["run_id"] == doc["run_id"]
        assert shown["strategy"] == strategy
        assert doc["summary"]["strategy_errors"] == 0, (strategy, name, shown["strategy_errors"])
        assert doc["summary"]["first_bar"].startswith(START)


def test_trades_happen_on_every_instrument(runs: dict[tuple[str, str], dict[str, Any]]) -> None:
    traded: dict[str, set[str]] = defaultdict(set)
    for (strategy, name), r in runs.items():
        if r["run"]["summary"]["trades"] > 0:
            traded[name].add(strategy)
    assert traded["index"] == set(STRATEGIES)  # the index itself: every strategy trades
    assert traded["future"]  # a lot of the future costs margin: some strategies
    assert traded["options"]
    assert "auto" in traded["index"]  # the plan chose strategies from the first session


def test_futures_and_options_fill_in_whole_lots(
    home: Path, runs: dict[tuple[str, str], dict[str, Any]]
) -> None:
    for name, kind in (("future", "future"), ("options", "options")):
        lots = _lots(home, kind)
        fills = [f for s in STRATEGIES for f in runs[(s, name)]["shown"]["fills"]]
        derivative = [f for f in fills if f["symbol"] != INDEX]
        assert derivative, f"no {name} fills"
        assert not [f for f in fills if f["symbol"] == INDEX]  # the index is only the signal
        for f in derivative:
            qty = Decimal(repr(f["qty"]))
            assert qty % lots[f["symbol"]] == 0, f


def test_nothing_fills_after_the_square_off_and_days_end_flat(
    runs: dict[tuple[str, str], dict[str, Any]],
) -> None:
    for (strategy, name), r in runs.items():
        held: dict[str, Decimal] = defaultdict(Decimal)
        last_day: dict[str, Any] = {}
        for f in sorted(r["shown"]["fills"], key=lambda f: f["time"]):
            local = pd.Timestamp(f["time"]).tz_convert(IST)
            assert local.strftime("%H:%M") <= SQUARE_OFF[name], (strategy, name, f)
            sym = f["symbol"]
            if sym in last_day and last_day[sym] != local.date():
                assert held[sym] == 0, f"{strategy} on {name}: {sym} carried overnight"
            last_day[sym] = local.date()
            qty = Decimal(repr(f["qty"]))
            held[sym] += qty if f["side"] == "BUY" else -qty
        assert all(q == 0 for q in held.values()), (strategy, name, dict(held))


def test_auto_stores_its_daily_plans(runs: dict[tuple[str, str], dict[str, Any]]) -> None:
    for name in INSTRUMENTS:
        doc, shown = runs[("auto", name)]["run"], runs[("auto", name)]["shown"]
        assert doc["plans"] == 4  # one per session of the run
        assert doc["warmup_sessions"] == {INDEX: 28}
        plans = shown["plans"]
        assert [p["date"] for p in plans] == ["2025-12-26", "2025-12-29", "2025-12-30",
                                              "2025-12-31"]  # fmt: skip
        assert {p["name"] for p in plans} == {f"auto@{doc['run_id']}"}
        assert {p["symbol"] for p in plans} == {INDEX}  # the index, never a contract
        assert any(p["regime"] != "stand_aside" for p in plans)  # warmed up: it plans
    # other strategies make no plans
    assert runs[("orb", "index")]["shown"]["plans"] == []
    assert runs[("orb", "index")]["run"]["plans"] == 0


def test_a_paper_session_of_the_plan_stores_each_days_plan(home: Path) -> None:
    args = ["paper", "-s", "auto", "--symbol", INDEX, "--symbol", "SYNTH_VIX", "--start", START,
            "--speed", "1e9", "--session", "plan-paper", "--json"]  # fmt: skip
    out = _run(home, *args)
    assert out.exit_code == 0, out.output
    run_id = json.loads(out.stdout)["run_id"]
    shown = json.loads(_run(home, "runs", "show", run_id, "--json").stdout)
    plans = shown["plans"]
    assert [p["date"] for p in plans] == ["2025-12-26", "2025-12-29", "2025-12-30", "2025-12-31"]
    assert all(p["inputs"]["history_days"] >= 28 for p in plans)  # warmed up on the store
    again = _run(home, *args)  # resuming the finished session stores the same plans once
    assert again.exit_code == 0, again.output
    assert json.loads(_run(home, "runs", "show", run_id, "--json").stdout)["plans"] == plans
