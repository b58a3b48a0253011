"""``tronlab features list|describe|compute`` end to end on a tmp home with synthetic bars.

The registry grows as feature modules land, so these tests rely only on the session and
cross-asset features of ``tronlab.features.context`` and never on feature counts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import Result
from typer.testing import CliRunner

from tronlab.cli.app import app
from tronlab.data.store import BarStore
from tronlab.features.registry import Bars, compute, registry, select
from tronlab.storage import Database
from tronlab.storage import feature_store as fs_db

runner = CliRunner()
MINE = ["minutes_since_open", "minutes_to_close", "day_of_week", "expiry_day", "or_pos_15",
        "gap_prev_close", "vix_level", "vix_pct_250", "vix_chg_5", "rs_index_20"]  # fmt: skip


def _run(home: Path, *args: str) -> Result:
    return runner.invoke(app, ["--home", str(home), *args], env={})


def _json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    assert _run(home, "data", "generate", "--days", "3", "--json").exit_code == 0
    return home


def _records(home: Path) -> list[fs_db.FeatureStoreRecord]:
    db = Database(f"sqlite:///{home / 'tronlab.db'}")
    try:
        return list(fs_db.list(db, limit=None))
    finally:
        db.dispose()


# ------------------------------------------------------------------------- list / describe


def test_list_json_and_group_filter(home: Path) -> None:
    listed = _json(_run(home, "features", "list", "--json"))
    names = [f["name"] for f in listed]
    assert set(MINE) <= set(names)
    assert names == list(registry())  # sorted by group, then name
    doc = next(f for f in listed if f["name"] == "gap_prev_close")
    assert doc["group"] == "session"
    assert doc["warmup"] == 2
    assert doc["memory"] >= doc["warmup"]
    assert "all" in doc["sets"]
    assert "session" in doc["sets"]

    session = _json(_run(home, "features", "list", "--group", "session", "--json"))
    assert {f["group"] for f in session} == {"session"}
    assert {"minutes_since_open", "or_pos_15"} <= {f["name"] for f in session}

    unknown = _run(home, "features", "list", "--group", "nope")
    assert unknown.exit_code == 2
    assert "session" in unknown.output  # lists the groups


def test_list_table(home: Path) -> None:
    result = _run(home, "features", "list", "-g", "cross")
    assert result.exit_code == 0, result.output
    assert "vix_pct_250" in result.stdout
    assert "group(s): cross" in " ".join(result.stdout.split())


def test_describe(home: Path) -> None:
    doc = _json(_run(home, "features", "describe", "or_pos_15", "--json"))
    assert doc["name"] == "or_pos_15"
    assert doc["group"] == "session"
    assert "opening range" in doc["description"]
    table = _run(home, "features", "describe", "rs_index_20")
    assert table.exit_code == 0
    assert "close/close[t-20]" in " ".join(table.stdout.split())  # markup is escaped

    typo = _run(home, "features", "describe", "or_pos15")
    assert typo.exit_code == 2
    assert "did you mean or_pos_15" in typo.output


# ------------------------------------------------------------------------------- compute


def test_compute_caches_records_and_writes(home: Path, tmp_path: Path) -> None:
    args = ["features", "compute", "--symbol", "SYNTH_RELI", "--set", "session",
            "--vix", "SYNTH_VIX", "--index", "SYNTH_NIFTY", "--json"]  # fmt: skip
    first = _json(_run(home, *args, "--out", str(tmp_path / "f.parquet")))
    n_features = len(select("session"))
    assert first["cache_hit"] is False
    assert first["rows"] == 3 * 375
    assert first["features"] == n_features
    assert 0.0 < first["nan_share"] < 1.0
    assert first["set_version"].startswith("sha256:")
    assert first["extra"] == {"vix": "SYNTH_VIX", "index": "SYNTH_NIFTY"}
    path = Path(first["path"])
    assert path.is_file()
    assert path.is_relative_to(home / "features")

    second = _json(_run(home, *args, "--out", str(tmp_path / "f.csv")))
    assert second["cache_hit"] is True
    assert second["path"] == first["path"]
    recs = [r for r in _records(home) if r.feature_set == "session" and r.symbol == "SYNTH_RELI"]
    assert len(recs) == 1
    assert (recs[0].rows, recs[0].columns, recs[0].path) == (1125, n_features, str(path))
    assert recs[0].set_version == first["set_version"]

    # the written frames hold the same values as a direct computation
    parquet = pd.read_parquet(tmp_path / "f.parquet")
    csv = pd.read_csv(tmp_path / "f.csv")
    assert list(parquet.columns) == ["timestamp", *(f.name for f in select("session"))]
    assert list(csv.columns) == list(parquet.columns)
    store = BarStore(home / "bars")
    bars = store.read("SYNTH_RELI", "1m")
    extra = {
        "vix": store.read("SYNTH_VIX", "1m")["close"].to_numpy(),
        "index": store.read("SYNTH_NIFTY", "1m")["close"].to_numpy(),
    }
    want = compute(Bars.from_frame(bars, tz="Asia/Kolkata", extra=extra), "session")
    for name in MINE:
        np.testing.assert_array_equal(parquet[name].to_numpy(), want[name], err_msg=name)
        np.testing.assert_allclose(csv[name].to_numpy(), want[name], rtol=1e-12, err_msg=name)
    assert not np.isnan(parquet["rs_index_20"].to_numpy()[20:]).any()

    refreshed = _json(_run(home, *args, "--refresh"))
    assert refreshed["cache_hit"] is False
    assert refreshed["path"] == first["path"]


def test_compute_range_is_warmed_up(home: Path) -> None:
    out = _json(
        _run(home, "features", "compute", "-s", "SYNTH_TCS", "--set", "gap_prev_close,day_of_week",
             "--start", "2025-12-30", "--end", "2025-12-31", "--json")
    )  # fmt: skip
    assert out["feature_set"] == "custom"
    assert out["features"] == 2
    assert out["rows"] == 375  # one session
    assert out["warmup_bars"] == 375  # the session before feeds the gap
    assert out["nan_share"] == 0.0
    assert out["start"] == "2025-12-30T03:45:00+00:00"
    assert out["end"] == "2025-12-30T09:59:00+00:00"
    frame = pd.read_parquet(out["path"])
    assert len(frame) == 375
    assert (frame["day_of_week"] == 1.0).all()  # Tuesday


def test_compute_every_registered_feature(home: Path) -> None:
    out = _json(_run(home, "features", "compute", "-s", "SYNTH_INFY", "--json"))
    assert out["feature_set"] == "all"
    assert out["features"] == len(registry())
    assert out["rows"] == 1125
    note = _run(home, "features", "compute", "-s", "SYNTH_INFY")
    assert note.exit_code == 0, note.output
    text = " ".join(note.stdout.split())
    assert "cache hit" in text
    assert "give --vix SYMBOL" in text  # the cross-asset features had no series


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["-s", "NOPE"], 1, "no bars stored for NOPE"),
        (["-s", "SYNTH_RELI", "--set", "nope"], 2, "unknown feature set"),
        (["-s", "SYNTH_RELI", "--set", "session,rsi14x"], 2, "unknown features"),
        (["-s", "SYNTH_RELI", "--out", "x.xlsx"], 2, ".parquet or .csv"),
        (["-s", "SYNTH_RELI", "--timeframe", "7x"], 2, "invalid timeframe"),
        (["-s", "SYNTH_RELI", "--vix", "NOPE_VIX"], 1, "NOPE_VIX"),
        (["-s", "SYNTH_RELI", "--start", "2030-01-01"], 1, "no SYNTH_RELI 1m bars"),
    ],
)
def test_compute_errors(home: Path, args: list[str], code: int, message: str) -> None:
    result = _run(home, "features", "compute", *args)
    assert result.exit_code == code, result.output
    assert message in " ".join(result.output.split())
