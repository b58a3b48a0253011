"""The regime table (validation, the packaged default) and the daily plan document."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tronlab.strategy import available_strategies
from tronlab.strategy.plan import (
    REGIMES,
    DailyPlan,
    PlanError,
    PlannedStrategy,
    RegimeTable,
    default_regime_table,
    load_regime_table,
    parse_regime_table,
)

LIBRARY = ("vwap", "orb", "scalp", "range_reversal")


def _doc() -> dict[str, Any]:
    rules: dict[str, Any] = {r: {"direction": "both", "strategies": []} for r in REGIMES}
    rules["trending_calm"] = {
        "direction": "trend",
        "note": "quiet trend",
        "strategies": [
            {"name": "sma_cross", "risk": 0.5, "params": {"fast": 5, "slow": 20}},
            {"name": "sma_cross", "id": "sma_slow", "risk": 0.3, "params": {"slow": 100}},
        ],
    }
    rules["ranging_calm"] = {
        "strategies": [{"name": "sma_cross", "risk": 0.2, "params": {"fast": 5, "slow": 20}}]
    }
    return {"name": "mine", "regimes": rules}


def test_a_valid_table_parses_with_ids_and_params() -> None:
    table = RegimeTable.from_dict(_doc(), "mine.yaml")
    rule = table.rule("trending_calm")
    assert rule.direction == "trend"
    assert rule.note == "quiet trend"
    assert [(a.id, a.name, a.risk) for a in rule.strategies] == [
        ("sma_cross", "sma_cross", 0.5),
        ("sma_slow", "sma_cross", 0.3),
    ]
    assert list(table.allocations()) == ["sma_cross", "sma_slow"]
    assert table.problems() == []
    assert table.rule("ranging_calm").direction == "both"  # the default direction
    again = RegimeTable.from_dict(table.to_dict(), "round-trip")
    assert again.to_dict() == table.to_dict()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["regimes"].pop("stand_aside"), r"no rule for regime\(s\) \['stand_aside'\]"),
        (lambda d: d["regimes"].update(bullish={}), r"unknown regime\(s\) \['bullish'\]"),
        (lambda d: d["regimes"]["stand_aside"].update(direction="up"), "'up' is not one of"),
        (lambda d: d["regimes"]["trending_calm"]["strategies"][0].update(risk=0.9),
         "risk budgets add up to 1.2"),
        (lambda d: d["regimes"]["trending_calm"]["strategies"][0].update(risk=0),
         r"risk: 0 must be a fraction of equity in \(0, 1\]"),
        (lambda d: d["regimes"]["trending_calm"]["strategies"][1].pop("id"), "appear twice"),
        (lambda d: d["regimes"]["ranging_calm"]["strategies"][0].update(params={}),
         "id 'sma_cross' means sma_cross"),
        (lambda d: d["regimes"]["stand_aside"].update(strategy=[]),
         r"unknown key\(s\) \['strategy'\]"),
        (lambda d: d.update(regimes=[]), "'regimes' must map"),
    ],
)  # fmt: skip
def test_table_errors_name_the_key(edit: Any, message: str) -> None:
    doc = copy.deepcopy(_doc())
    edit(doc)
    with pytest.raises(PlanError, match=message):
        RegimeTable.from_dict(doc, "mine.yaml")


def test_unregistered_strategies_and_bad_params_are_problems() -> None:
    doc = _doc()
    doc["regimes"]["ranging_volatile"]["strategies"] = [
        {"name": "sma_crosss", "risk": 0.1},
        {"name": "sma_cross", "id": "typo", "risk": 0.1, "params": {"fats": 3}},
    ]
    problems = RegimeTable.from_dict(doc, "mine.yaml").problems()
    assert any("'sma_crosss' is not registered" in p for p in problems)
    assert any("typo" in p and "did you mean 'fast'" in p for p in problems)


def test_yaml_files_load_and_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(json.dumps(_doc()))
    assert load_regime_table(path).name == "mine"
    assert load_regime_table(None) is default_regime_table()
    with pytest.raises(PlanError, match="cannot read regime table"):
        load_regime_table(tmp_path / "missing.yaml")
    with pytest.raises(PlanError, match=r"bad\.yaml: not valid YAML"):
        parse_regime_table("regimes: [", "bad.yaml")


def test_the_packaged_table_covers_every_regime() -> None:
    table = default_regime_table()
    assert set(table.rules) == set(REGIMES)
    assert table.rule("stand_aside").strategies == ()
    names = {a.name for a in table.allocations().values()}
    assert names == set(LIBRARY)


def test_the_packaged_table_names_only_registered_strategies() -> None:
    missing = [n for n in LIBRARY if n not in available_strategies()]
    if missing:
        pytest.skip(f"library strategies not registered yet: {missing}")
    assert default_regime_table().problems() == []


def _plan() -> DailyPlan:
    return DailyPlan(
        date=date(2025, 12, 1),
        symbol="NIFTY",
        regime="trending_calm",
        direction="long",
        strategies=(PlannedStrategy("orb", "orb", {"range_minutes": 15}, 0.4),),
        inputs={"adx": 31.2, "vix": None, "nan": float("nan")},
        explanation="because",
        name="default",
    )


def test_plan_dict_round_trip() -> None:
    plan = _plan()
    doc = plan.to_dict()
    assert doc["inputs"]["nan"] is None  # JSON has no NaN
    assert json.loads(json.dumps(doc)) == doc
    back = DailyPlan.from_dict(doc)
    assert back.to_dict() == doc
    assert back.strategy_ids == ("orb",)
    assert back.budget("orb") == 0.4
    assert back.budget("vwap") is None
    assert back.total_risk == 0.4


def test_plan_checks() -> None:
    with pytest.raises(PlanError, match="regime 'sideways'"):
        DailyPlan(date(2025, 1, 1), "X", "sideways", "both", (), {}, "")
    with pytest.raises(PlanError, match="direction 'up'"):
        DailyPlan(date(2025, 1, 1), "X", "stand_aside", "up", (), {}, "")
    with pytest.raises(PlanError, match="not a daily plan document"):
        DailyPlan.from_dict({"date": "2025-01-01"})
