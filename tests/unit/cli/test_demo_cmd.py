"""`make run` runs `tronlab demo`: it must work on an empty home and be repeatable."""

import json
from pathlib import Path

from typer.testing import CliRunner

from tronlab.cli.app import app

runner = CliRunner()


def test_demo_on_empty_home_then_again(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = runner.invoke(app, ["--home", str(home), "demo", "--days", "5"], env={})
    assert first.exit_code == 0, first.output
    assert "0 missing or stray bars" in first.stdout
    assert "BROKEN_1m_2025-12-01_2025-12-01.csv:3 OHLC_INCONSISTENT" in first.stdout
    assert (home / "tronlab.db").is_file()

    listing = json.loads(runner.invoke(app, ["--home", str(home), "data", "list", "--json"]).stdout)
    series = {(r["symbol"], r["timeframe"]): r["rows"] for r in listing}
    assert series[("SYNTH_NIFTY", "1d")] == 5
    assert series[("SYNTH_NIFTY", "5m")] == 5 * 75
    assert ("BROKEN", "1m") not in series  # the broken file was rejected, nothing stored

    second = runner.invoke(app, ["--home", str(home), "demo", "--days", "5"], env={})
    assert second.exit_code == 0, second.output
    assert "(0 new)" in second.stdout  # deterministic: the same market again
    assert "hash chain of 2 entries verified" in second.stdout
