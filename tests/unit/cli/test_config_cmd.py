import json
from pathlib import Path

from typer.testing import CliRunner

from tronlab.cli.app import app

runner = CliRunner()


def _invoke(home: Path, *args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, ["--home", str(home), *args], env=env or {})


def test_config_show_json_masks_secrets(tmp_path: Path) -> None:
    env = {
        "TRONLAB_SECRETS__KITE_API_SECRET": "very-secret-value",
        "TRONLAB_DATABASE_URL": "postgresql+psycopg://me:pw123@db/tl",
    }
    result = _invoke(tmp_path, "config", "show", "--json", env=env)
    assert result.exit_code == 0, result.output
    assert "very-secret-value" not in result.output
    assert "pw123" not in result.output
    data = json.loads(result.stdout)
    assert data["settings"]["home"] == str(tmp_path.resolve())
    assert data["settings"]["secrets"]["kite_api_secret"] == "********"
    assert data["sources"]["secrets.kite_api_secret"] == "environment"


def test_config_show_table(tmp_path: Path) -> None:
    result = _invoke(tmp_path, "config", "show")
    assert result.exit_code == 0, result.output
    assert "database.url" in result.stdout
    assert "logging.level" in result.stdout


def test_config_validate_reports_errors_and_warnings(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("logging:\n  level: LOUD\ndata:\n  csv_dirs: [nowhere]\n")
    result = _invoke(tmp_path, "config", "validate", str(bad), "--json")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["valid"] is False
    assert any(e.startswith("logging.level:") for e in data["errors"])

    good = tmp_path / "good.yaml"
    good.write_text("data:\n  csv_dirs: [nowhere]\n")
    result = _invoke(tmp_path, "config", "validate", str(good), "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data == {
        "valid": True,
        "errors": [],
        "warnings": [f"data.csv_dirs: directory not found: {tmp_path.resolve() / 'nowhere'}"],
    }


def test_invalid_environment_refuses_to_start(tmp_path: Path) -> None:
    result = _invoke(tmp_path, "data", "list", env={"TRONLAB_LOGGING__LEVEL": "LOUD"})
    assert result.exit_code == 2
    assert "logging.level" in result.output


def test_version_and_help() -> None:
    assert runner.invoke(app, ["--version"]).stdout.startswith("tronlab ")
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("config", "data", "db", "demo"):
        assert command in result.stdout
