"""``tronlab db``: upgrade, current, history and downgrade through the real CLI app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from tronlab.cli.app import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TRONLAB_DATABASE_URL", "TRONLAB_CONFIG", "TRONLAB_ENV", "TRONLAB_HOME"):
        monkeypatch.delenv(name, raising=False)


def _invoke(home: Path, *args: str, env: dict[str, str] | None = None, **kw: Any) -> Result:
    return runner.invoke(app, ["--home", str(home), "db", *args], env=env or {}, **kw)


def _json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_upgrade_current_downgrade_in_home(tmp_path: Path) -> None:
    db_file = tmp_path / "tronlab.db"
    fresh = _json(_invoke(tmp_path, "current", "--json"))
    assert fresh["current"] is None
    assert fresh["up_to_date"] is False
    assert not db_file.exists()  # looking does not create the database

    up = _json(_invoke(tmp_path, "upgrade", "--json"))
    assert up == {"url": f"sqlite:///{db_file}", "from": None, "to": "0007"}
    assert db_file.exists()

    now = _json(_invoke(tmp_path, "current", "--json"))
    assert now["current"] == "0007"
    assert now["heads"] == ["0007"]
    assert now["up_to_date"] is True

    hist = _json(_invoke(tmp_path, "history", "--json"))
    assert [(r["revision"], r["is_current"]) for r in hist["revisions"]] == [
        ("0007", True),
        ("0006", False),
        ("0005", False),
        ("0004", False),
        ("0003", False),
        ("0002", False),
        ("0001", False),
    ]

    down = _json(_invoke(tmp_path, "downgrade", "base", "--yes", "--json"))
    assert down["from"] == "0007"
    assert down["to"] is None
    assert _json(_invoke(tmp_path, "current", "--json"))["current"] is None


def test_downgrade_base_asks_first(tmp_path: Path) -> None:
    assert _invoke(tmp_path, "upgrade").exit_code == 0
    refused = _invoke(tmp_path, "downgrade", "base", input="n\n")
    assert refused.exit_code == 1
    assert "Drop every tronlab table" in refused.output
    assert _json(_invoke(tmp_path, "current", "--json"))["current"] == "0007"
    accepted = _invoke(tmp_path, "downgrade", "base", input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert _json(_invoke(tmp_path, "current", "--json"))["current"] is None


def test_downgrade_needs_a_revision(tmp_path: Path) -> None:
    result = _invoke(tmp_path, "downgrade")
    assert result.exit_code == 2


def _text(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return " ".join(result.stdout.split())  # undo rich's line wrapping


def test_human_output(tmp_path: Path) -> None:
    assert "base -> 0007" in _text(_invoke(tmp_path, "upgrade"))
    assert "already at 0007" in _text(_invoke(tmp_path, "upgrade"))
    assert "up to date" in _text(_invoke(tmp_path, "current"))
    assert "Initial schema" in _text(_invoke(tmp_path, "history"))


def test_unknown_revision_is_a_usage_error(tmp_path: Path) -> None:
    result = _invoke(tmp_path, "upgrade", "nope")
    assert result.exit_code == 2
    assert "nope" in result.output


def test_database_url_from_env_with_password_masked(tmp_path: Path) -> None:
    env = {"TRONLAB_DATABASE_URL": "postgresql://tl:hunter2@127.0.0.1:1/tronlab"}
    result = _invoke(tmp_path, "current", "--json", env=env)
    assert result.exit_code == 1
    assert "hunter2" not in result.output
    assert "tl:***@127.0.0.1:1/tronlab" in result.output


def test_round_trip_on_each_backend(tmp_path: Path, database_url: str) -> None:
    env = {"TRONLAB_DATABASE_URL": database_url}
    assert _json(_invoke(tmp_path, "upgrade", "--json", env=env))["to"] == "0007"
    assert _json(_invoke(tmp_path, "current", "--json", env=env))["up_to_date"] is True
    assert _json(_invoke(tmp_path, "downgrade", "base", "-y", "--json", env=env))["to"] is None
