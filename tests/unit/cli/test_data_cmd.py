"""The data commands end to end through the CLI, on a tmp home (no state shared with ~)."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tronlab.cli.app import app

runner = CliRunner()

GOOD = (
    "timestamp,open,high,low,close,volume\n"
    "2024-01-02T09:15:00+05:30,100,101,99,100.5,1200\n"
    "2024-01-02T09:16:00+05:30,100.5,101,100,100.1,900\n"
    "2024-01-02T09:17:00+05:30,100.1,100.4,99.9,100.2,800\n"
)
BAD = GOOD + (
    "2024-01-02T09:18:00+05:30,100.2,100.1,100.0,100.3,700\n"  # line 5: high < close
    "2024-01-02T09:19:00+05:30,100.3,100.6,100.2,100.4,-1\n"  # line 6: negative volume
)


def _run(home: Path, *args: str):
    return runner.invoke(app, ["--home", str(home), *args], env={})


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def test_import_reject_names_lines_and_exits_nonzero(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "TEST_1m_2024-01-02_2024-01-02.csv"
    path.write_text(BAD)
    result = _run(home, "data", "import", str(path), "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    f = report["files"][0]
    assert f["status"] == "failed"
    assert f["imported"] == 0
    assert [(i["line"], i["code"]) for i in f["issues"]] == [
        (5, "OHLC_INCONSISTENT"),
        (6, "NEGATIVE_VOLUME"),
    ]
    listing = json.loads(_run(home, "data", "list", "--json").stdout)
    assert listing == []


def test_import_skip_then_list_show_and_quarantine(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "TEST_1m_2024-01-02_2024-01-02.csv"
    path.write_text(BAD)
    result = _run(home, "data", "import", str(path), "--on-error", "quarantine")
    assert result.exit_code == 0, result.output
    assert "TEST_1m_2024-01-02_2024-01-02.csv:5" in result.stdout
    quarantined = list((home / "quarantine").glob("*.csv"))
    assert len(quarantined) == 1
    assert quarantined[0].read_text().count("\n") == 3  # header + 2 bad rows

    listing = json.loads(_run(home, "data", "list", "--json").stdout)
    assert [(r["symbol"], r["timeframe"], r["rows"]) for r in listing] == [("TEST", "1m", 3)]
    shown = json.loads(_run(home, "data", "show", "TEST", "-t", "1m", "--json").stdout)
    assert shown["calendar"] == "NSE"
    assert shown["bars"][0]["timestamp"] == "2024-01-02T09:15:00+05:30"


def test_import_missing_file_is_a_usage_error(home: Path, tmp_path: Path) -> None:
    result = _run(home, "data", "import", str(tmp_path / "nope.csv"))
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_show_unknown_series_lists_what_exists(home: Path) -> None:
    result = _run(home, "data", "show", "NOPE")
    assert result.exit_code == 1
    assert "NOPE" in result.output


def test_generate_gaps_resample_roundtrip(home: Path) -> None:
    result = _run(home, "data", "generate", "--seed", "3", "--days", "3", "--json")
    assert result.exit_code == 0, result.output
    gen = json.loads(result.stdout)
    assert {s["symbol"] for s in gen["series"]} >= {"SYNTH_NIFTY", "SYNTH_VIX"}

    gaps = json.loads(_run(home, "data", "gaps", "SYNTH_NIFTY", "--json").stdout)
    assert gaps["missing_sessions"] == []
    assert gaps["partial_sessions"] == []
    assert gaps["totals"]["sessions_expected"] == 3

    res = _run(home, "data", "resample", "SYNTH_NIFTY", "--to", "5m", "--to", "1d", "--json")
    assert res.exit_code == 0, res.output
    out = {r["to"]: r["bars_out"] for r in json.loads(res.stdout)}
    assert out == {"5m": 3 * 75, "1d": 3}


def test_gaps_reports_missing_minutes(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "GAPPY_1m_2024-01-02_2024-01-02.csv"
    path.write_text(GOOD.replace("2024-01-02T09:16:00+05:30,100.5,101,100,100.1,900\n", ""))
    assert _run(home, "data", "import", str(path)).exit_code == 0
    gaps = json.loads(_run(home, "data", "gaps", "GAPPY", "--start", "2024-01-02", "--json").stdout)
    (partial,) = gaps["partial_sessions"]
    assert partial["date"] == "2024-01-02"
    assert partial["present"] == 2
    assert partial["missing"][0] == ["2024-01-02T03:46:00+00:00", "2024-01-02T03:47:00+00:00"]


def test_show_falls_back_to_configured_csv_dirs_and_caches(home: Path, tmp_path: Path) -> None:
    csv_dir = tmp_path / "csv"
    csv_dir.mkdir()
    (csv_dir / "FROMCSV_1m_2024-01-02_2024-01-02.csv").write_text(GOOD)
    env = {"TRONLAB_DATA__CSV_DIRS": f'["{csv_dir}"]'}
    first = runner.invoke(app, ["--home", str(home), "data", "show", "FROMCSV", "--json"], env=env)
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout)
    assert data["served_by"] == "csv:" + str(csv_dir)
    assert data["calendar"] == "NSE"
    assert data["rows"] == 3
    second = runner.invoke(app, ["--home", str(home), "data", "show", "FROMCSV", "--json"], env=env)
    assert json.loads(second.stdout)["served_by"] == "store"
