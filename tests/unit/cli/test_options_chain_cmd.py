"""`tronlab options chain`: the EOD chain table/JSON on the shared NIFTY file, and errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tronlab.cli.app import app
from tronlab.options import black76_price

runner = CliRunner()
REPO = Path(__file__).resolve().parents[3]
DATA = Path(os.environ.get("TRONLAB_SHARED_DATA", REPO.parent / "shared" / "data"))
NIFTY = DATA / "nse_options" / "NIFTY_OPTCHAIN_1d_2025-11-14_2025-11-14.csv"
HEAD = "timestamp,underlying,expiry,strike,option_type,open,high,low,close,volume,oi\n"


def _run(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["options", "chain", *args], env=env or {})


def _write_chain(path: Path) -> Path:
    """A 5-strike chain priced at 12% vol around F=1000, on 2025-11-14, expiry 2025-11-25."""
    rows = []
    for k in (900, 950, 1000, 1050, 1100):
        for right in ("CE", "PE"):
            p = float(black76_price(1000.0, k, 11 / 365, 0.12, 0.065, right == "CE"))
            oi = 100 if right == "PE" else 200
            rows.append(f"2025-11-14T15:30:00+05:30,TOY,2025-11-25,{k},{right},1,1,1,"
                        f"{max(p, 0.05):.4f},10,{oi}")  # fmt: skip
    path.write_text(HEAD + "\n".join(rows) + "\n")
    return path


def test_chain_json_on_toy_file(tmp_path: Path) -> None:
    path = _write_chain(tmp_path / "TOY_OPTCHAIN_1d_2025-11-14_2025-11-14.csv")
    out = _run("toy", "--date", "2025-11-14", "--file", str(path), "--json")
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["underlying"] == "TOY"
    assert doc["expiry"] == "2025-11-25"
    assert doc["forward"] == pytest.approx(1000.0, rel=1e-6)
    assert doc["atm_strike"] == 1000.0
    assert doc["atm_iv"] == pytest.approx(0.12, abs=1e-4)
    assert doc["pcr_oi"] == pytest.approx(0.5)
    assert [r["strike"] for r in doc["rows"]] == [900, 950, 1000, 1050, 1100]
    atm = doc["rows"][2]
    assert atm["ce"]["iv_status"] == "OK"
    assert atm["ce"]["delta"] > 0 > atm["pe"]["delta"]
    # default lookup through TRONLAB_SHARED_DATA, table output
    (tmp_path / "nse_options").mkdir()
    _write_chain(tmp_path / "nse_options" / "TOY_OPTCHAIN_1d_2025-11-14_2025-11-14.csv")
    out = _run("TOY", "--date", "2025-11-14", env={"TRONLAB_SHARED_DATA": str(tmp_path)})
    assert out.exit_code == 0, out.output
    assert "ATM strike 1000" in out.stdout
    assert "max pain" in out.stdout


def test_chain_errors(tmp_path: Path) -> None:
    path = _write_chain(tmp_path / "TOY_OPTCHAIN_1d_2025-11-14_2025-11-14.csv")
    out = _run("TOY", "--date", "2025-11-13", "--file", str(path))
    assert out.exit_code == 1
    assert "2025-11-14" in out.output
    assert "dates available" in out.output
    out = _run("TOY", "--date", "2025-11-14", "--expiry", "2025-11-18", "--file", str(path))
    assert out.exit_code == 1
    assert "expiries available: 2025-11-25" in " ".join(out.output.split())
    out = _run("TOY", "--date", "14-11-2025", "--file", str(path))
    assert out.exit_code == 2
    out = _run("TOY", "--date", "2025-11-14", "--file", str(tmp_path / "missing.csv"))
    assert out.exit_code == 1
    assert "no such file" in out.output
    out = _run("TOY", "--date", "2025-11-14", env={"TRONLAB_SHARED_DATA": str(tmp_path)})
    assert out.exit_code == 1
    assert "TOY_OPTCHAIN_1d_" in out.output


@pytest.mark.realdata
def test_chain_json_real_nifty() -> None:
    if not NIFTY.exists():
        pytest.skip(f"shared data not available: {NIFTY}")
    out = _run("NIFTY", "--date", "2025-11-14", "--file", str(NIFTY), "--json")
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["expiry"] == "2025-11-18"
    assert len(doc["expiries_available"]) >= 8
    assert 25000 < doc["forward"] < 27000
    assert abs(doc["atm_strike"] - doc["forward"]) <= 25
    assert 0.05 < doc["atm_iv"] < 0.3
    assert 0.2 < doc["pcr_oi"] < 5
    assert len(doc["rows"]) == 21
    ivs = [r[s]["iv"] for r in doc["rows"] for s in ("ce", "pe") if r[s] and r[s]["iv"]]
    assert np.all((np.array(ivs) > 0.05) & (np.array(ivs) < 1.0))
    out = _run("NIFTY", "--date", "2025-11-14", "--file", str(NIFTY), "--expiry", "2025-11-19")
    assert out.exit_code == 1
    assert "2025-11-25" in out.output
