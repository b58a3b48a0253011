"""User strategies from a directory: import, register, report broken files, describe, and the
template of ``tronlab strategy new`` (which must run as written)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tronlab.data.synthetic import generate_market
from tronlab.engine.backtest import BacktestConfig, run_backtest
from tronlab.strategy import ParamError, available_strategies, get_strategy
from tronlab.strategy.user import (
    UserStrategyError,
    check_new_name,
    class_name,
    describe_strategy,
    load_strategy_file,
    load_user_strategies,
    render_template,
)

GOOD = '''
from tronlab.strategy import Param, Strategy


class First(Strategy):
    """First user strategy.

    More text."""

    name = "u_first"
    size = Param(int, 3, low=1, high=9, doc="units")


class Second(First):
    """Second one."""

    name = "u_second"


class _Helper:
    pass
'''


def test_a_directory_loads_good_files_and_reports_broken_ones(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(GOOD)
    (tmp_path / "broken.py").write_text("def oops(:\n")
    (tmp_path / "raises.py").write_text("x = 1\nraise RuntimeError('no data')\n")
    (tmp_path / "empty.py").write_text("X = 1\n")
    (tmp_path / "_private.py").write_text("raise SystemExit('never imported')\n")
    (tmp_path / "notes.txt").write_text("not python")
    report = load_user_strategies(tmp_path)
    assert [c.name for c in report.strategies] == ["u_first", "u_second"]
    assert get_strategy("u_first") is report.strategies[0]
    errors = {Path(k).name: v for k, v in report.errors.items()}
    assert set(errors) == {"broken.py", "raises.py", "empty.py"}
    assert "broken.py:1: cannot import: SyntaxError" in errors["broken.py"]
    assert "raises.py:2: cannot import: RuntimeError: no data" in errors["raises.py"]
    assert "defines no Strategy subclass" in errors["empty.py"]
    # loading again reuses the import (no "name taken" error)
    assert load_strategy_file(tmp_path / "good.py") == report.strategies


def test_describe_a_user_strategy(tmp_path: Path) -> None:
    (tmp_path / "described.py").write_text(
        GOOD.replace("u_first", "u_desc").replace("u_second", "u_desc2")
    )
    cls = load_strategy_file(tmp_path / "described.py")[0]
    doc = describe_strategy(cls)
    assert doc["source"] == "user"
    assert doc["path"] == str((tmp_path / "described.py").resolve())
    assert doc["doc"] == "First user strategy."
    assert doc["params"]["size"] == {
        "type": "int", "default": 3, "low": 1, "high": 9, "choices": None, "doc": "units",
    }  # fmt: skip
    builtin = describe_strategy(get_strategy("sma_cross"))
    assert (builtin["source"], builtin["path"]) == ("builtin", None)


def test_a_name_taken_by_a_builtin_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "clash.py"
    path.write_text(GOOD.replace("u_first", "sma_cross").replace("u_second", "u_clash"))
    with pytest.raises(UserStrategyError, match="strategy name 'sma_cross' is taken by SmaCross"):
        load_strategy_file(path)


def test_missing_or_not_python(tmp_path: Path) -> None:
    with pytest.raises(UserStrategyError, match="no such file"):
        load_strategy_file(tmp_path / "nope.py")
    (tmp_path / "x.txt").write_text("")
    with pytest.raises(UserStrategyError, match=r"a strategy file is a \.py file"):
        load_strategy_file(tmp_path / "x.txt")
    assert load_user_strategies(tmp_path / "absent").strategies == []
    assert load_user_strategies(None).errors == {}


def test_new_names_are_checked() -> None:
    assert check_new_name("my_idea_2") == "my_idea_2"
    for bad in ("MyIdea", "2fast", "with-dash", "class", ""):
        with pytest.raises(UserStrategyError, match="not a valid strategy name"):
            check_new_name(bad)
    with pytest.raises(UserStrategyError, match="already exists"):
        check_new_name("sma_cross")
    assert class_name("my_idea_2") == "MyIdea2"


def test_the_template_loads_validates_and_trades(tmp_path: Path) -> None:
    path = tmp_path / "u_template.py"
    path.write_text(render_template("u_template", path))
    (cls,) = load_strategy_file(path)
    assert cls.__name__ == "UTemplate"
    assert "u_template" in available_strategies()
    with pytest.raises(ParamError, match="did you mean 'length'"):
        cls(lenght=5)
    with pytest.raises(ParamError, match="whipsaws"):
        cls(length=3, quantity=2)
    market = generate_market(seed=7, days=1)
    result = run_backtest(
        cls(length=10),
        BacktestConfig(symbols=("SYNTH_NIFTY",), costs="zero"),
        frames={"SYNTH_NIFTY": market.bars["SYNTH_NIFTY"]},
    )
    assert result.summary["strategy_errors"] == 0
    assert result.summary["trades"] > 0
