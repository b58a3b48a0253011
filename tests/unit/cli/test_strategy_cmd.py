"""`tronlab strategy list|new|check` and user strategies in `tronlab backtest`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tronlab.cli.app import app

runner = CliRunner()

RAISES = '''
from tronlab.strategy import Strategy


class Raises(Strategy):
    """Fails on the tenth bar."""

    name = "c_raises"

    def on_start(self, ctx):
        self.n = 0

    def on_bar(self, ctx, bar):
        self.n += 1
        if self.n == 10:
            raise ZeroDivisionError("bad math on bar 10")
'''


def _run(home: Path, *args: str):
    return runner.invoke(app, ["--home", str(home), *args], env={})


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("strategy-home")
    assert _run(home, "data", "generate", "--days", "2", "--json").exit_code == 0
    return home


def test_new_writes_a_template_that_lists_checks_and_backtests(home: Path) -> None:
    out = _run(home, "strategy", "new", "c_breakout")
    assert out.exit_code == 0, out.output
    path = home / "strategies" / "c_breakout.py"
    assert path.exists()
    assert "class CBreakout(Strategy)" in path.read_text()
    assert "tronlab strategy check" in _flat(out.stdout)

    again = _run(home, "strategy", "new", "c_breakout")
    assert again.exit_code == 1
    assert "exists; not overwritten" in _flat(again.output)

    listed = _run(home, "strategy", "list", "--json")
    assert listed.exit_code == 0, listed.output
    entries = {e["name"]: e for e in json.loads(listed.stdout)}
    assert entries["c_breakout"]["source"] == "user"
    assert entries["c_breakout"]["path"] == str(path.resolve())
    assert entries["c_breakout"]["params"]["length"]["default"] == 20
    assert entries["sma_cross"]["source"] == "builtin"
    assert entries["sma_cross"]["params"]["fast"]["low"] == 2
    assert entries["auto"]["doc"].startswith("Daily plan")

    checked = _run(home, "strategy", "check", str(path), "-p", "length=10", "--json")
    assert checked.exit_code == 0, checked.output
    doc = json.loads(checked.stdout)
    (report,) = doc["checks"]
    assert doc["ok"] is True
    assert report["params"] == {"length": 10, "quantity": 1}
    assert report["bars"] == 375  # one synthetic session of SYNTH_NIFTY
    assert report["orders"] > 0
    assert report["errors"] == []

    bt = _run(home, "backtest", "-s", "c_breakout", "--symbol", "SYNTH_RELI", "--no-save")
    assert bt.exit_code == 0, bt.output
    assert "net PnL" in bt.stdout


def test_list_tables_show_builtin_and_user(home: Path) -> None:
    out = _run(home, "strategy", "list")
    assert out.exit_code == 0, out.output
    text = _flat(out.stdout)
    assert "sma_cross" in text
    assert "builtin" in text


def test_the_old_strategies_command_still_works() -> None:
    out = runner.invoke(app, ["strategies", "--json"])
    assert out.exit_code == 0
    params = json.loads(out.stdout)["sma_cross"]
    assert params["slow"]["default"] == 50


def test_check_reports_a_strategy_error_with_exit_1(tmp_path: Path) -> None:
    path = tmp_path / "raises.py"
    path.write_text(RAISES)
    out = runner.invoke(app, ["strategy", "check", str(path)])
    assert out.exit_code == 1
    text = _flat(out.output)
    assert "error in on_bar: ZeroDivisionError: bad math on bar 10" in text
    assert "failed" in text


@pytest.mark.parametrize(
    ("content", "args", "code", "message"),
    [
        ("def broken(:\n", [], 1, "broken.py:1: cannot import: SyntaxError"),
        ("X = 1\n", [], 1, "defines no Strategy subclass"),
        (None, ["-p", "lenght=5"], 2, "did you mean 'length'"),
        (None, ["-p", "length=x"], 2, "'x' is not int"),
        (None, ["-p", "length"], 2, "expected NAME=VALUE"),
        (None, ["--symbol", "NIFTY"], 2, "the synthetic market has"),
        (None, ["--name", "other"], 2, "has no strategy 'other'"),
    ],
)
def test_check_refuses_bad_files_and_parameters(
    tmp_path: Path, content: str | None, args: list[str], code: int, message: str
) -> None:
    path = tmp_path / "broken.py"
    if content is None:  # a valid template under a fresh name
        from tronlab.strategy.user import render_template

        name = "c_check_" + "".join(c for c in message if c.isalpha())[:12].lower()
        content = render_template(name, path)
    path.write_text(content)
    out = runner.invoke(app, ["strategy", "check", str(path), *args])
    assert out.exit_code == code, out.output
    # rich wraps a long temporary path anywhere: compare with all whitespace removed
    assert "".join(message.split()) in "".join(out.output.split())


def test_new_refuses_bad_names(home: Path) -> None:
    for name, message in (("Bad-Name", "not a valid strategy name"), ("sma_cross", "exists")):
        out = _run(home, "strategy", "new", name)
        assert out.exit_code == 2
        assert message in _flat(out.output)


def test_a_broken_user_file_is_a_warning_for_other_commands(tmp_path: Path) -> None:
    (tmp_path / "strategies").mkdir()
    (tmp_path / "strategies" / "bad.py").write_text("import not_a_module_anywhere\n")
    out = _run(tmp_path, "strategy", "list", "--json")
    assert out.exit_code == 0
    assert "user strategy skipped" in _flat(out.stderr)
    assert "ModuleNotFoundError" in _flat(out.stderr)
    assert "sma_cross" in {e["name"] for e in json.loads(out.stdout)}
