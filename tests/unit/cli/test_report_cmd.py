"""`tronlab report RUN` end to end on a tmp home: generate bars, backtest, report (HTML and
PNGs), resampled candles, a symbol without bars, an unknown run."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tronlab.cli.app import app
from tronlab.cli.report_cmd import sessions_per_year
from tronlab.data.calendars import get_calendar

runner = CliRunner()


def _run(home: Path, *args: str):
    return runner.invoke(app, ["--home", str(home), *args], env={})


@pytest.fixture(scope="module")
def home_and_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    home = tmp_path_factory.mktemp("home")
    assert _run(home, "data", "generate", "--days", "3", "--json").exit_code == 0
    out = _run(
        home, "backtest", "-s", "sma_cross", "--symbol", "SYNTH_RELI", "--symbol", "SYNTH_TCS",
        "-p", "fast=5", "-p", "slow=20", "-p", "quantity=10", "-p", "tick=0.05",
        "--product", "MIS", "--json",
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    return home, json.loads(out.stdout)["run_id"]


def test_report_writes_html_and_pngs(home_and_run: tuple[Path, str], tmp_path: Path) -> None:
    home, run_id = home_and_run
    out = _run(home, "report", run_id[:15], "--png", str(tmp_path / "png"), "--json")
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    html = Path(doc["html"])
    assert html == home / "reports" / f"{run_id}.html"
    page = html.read_text(encoding="utf-8")
    assert run_id in page
    assert doc["bytes"] == html.stat().st_size
    assert [Path(p).name for p in doc["pngs"]] == [
        "equity.png", "monthly_returns.png", "daily_pnl.png", "candles_SYNTH_RELI.png",
        "candles_SYNTH_TCS.png",
    ]  # fmt: skip
    assert all(Path(p).stat().st_size > 10_000 for p in doc["pngs"])
    assert doc["notes"] == []
    assert doc["verdict"]
    # 3 days of 1m bars (1,125 a symbol) fit in 5,000 candles: shown as they are
    assert "SYNTH_RELI: 1m bars" in page
    # trades carry their entry order's confidence, read from the database
    rows = re.findall(r'<td class="num" data-sort="(0\.\d+)">0\.\d\d</td>', page)
    assert rows, "no confidence column values"
    # risk events come from the database too: the tron-default profile denies entries
    assert "notable;" in page
    assert "denial: " in page


def test_report_resamples_to_fit_max_candles(
    home_and_run: tuple[Path, str], tmp_path: Path
) -> None:
    home, run_id = home_and_run
    out = _run(home, "report", run_id, "--out", str(tmp_path / "r.html"), "--max-candles", "100")
    assert out.exit_code == 0, out.output
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    # 1,125 one-minute bars over 3 sessions: 5m gives 228 candles, 15m gives 78
    assert "SYNTH_RELI: 15m candles, resampled from 1m" in page
    assert "report" in out.stdout


def test_symbol_without_bars_gets_a_note(home_and_run: tuple[Path, str], tmp_path: Path) -> None:
    home, run_id = home_and_run
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    shutil.rmtree(copy / "bars" / "timeframe=1m" / "symbol=SYNTH_TCS")
    out = _run(copy, "report", run_id, "--json")
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    note = "SYNTH_TCS: no 1m bars in the bar store, candlestick chart left out"
    assert doc["notes"] == [note]
    page = Path(doc["html"]).read_text(encoding="utf-8")
    assert note in page
    assert "SYNTH_RELI: 1m bars" in page
    assert "chart-candles-1" not in page


def test_unknown_run_and_bad_options(home_and_run: tuple[Path, str]) -> None:
    home, _ = home_and_run
    out = _run(home, "report", "nope")
    assert out.exit_code == 1
    assert "run nope not found" in out.output
    home_, run_id = home_and_run
    out = _run(home_, "report", run_id, "--trials", "0")
    assert out.exit_code == 2
    out = _run(home_, "report", run_id, "--sr-variance", "-1")
    assert out.exit_code == 2
    assert "--sr-variance must be > 0" in out.output


def test_trials_and_variance_reach_the_deflated_sharpe(
    home_and_run: tuple[Path, str], tmp_path: Path
) -> None:
    home, run_id = home_and_run
    out = _run(home, "report", run_id, "--out", str(tmp_path / "r.html"), "--trials", "20",
               "--sr-variance", "0.01", "--json")  # fmt: skip
    assert out.exit_code == 0, out.output
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<dt>configurations tried</dt><dd>20</dd>" in page
    assert "likely luck" in json.loads(out.stdout)["verdict"].lower()


def test_sessions_per_year_counts_the_calendar() -> None:
    nse = get_calendar("NSE")
    n = sessions_per_year(nse, "2025-12-31T15:30:00+05:30")
    assert n == len(nse.sessions(date(2025, 1, 1), date(2025, 12, 31)))
    assert 240 <= n <= 252
    assert sessions_per_year(None, "2025-12-31") == 252.0
    assert sessions_per_year(nse, None) == 252.0


# ------------------------------------------------------------------ trials from the database

SMA = ["-s", "sma_cross", "--symbol", "SYNTH_RELI", "-p", "slow=20", "-p", "quantity=10",
       "-p", "tick=0.05", "--product", "MIS", "--profile", "research", "--json"]  # fmt: skip


def _backtest(home: Path, *args: str) -> dict:
    out = _run(home, "backtest", *SMA, *args)
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)


def _daily_sharpe(home: Path, run_id: str) -> float:
    """The per-day Sharpe ratio of a stored run, from `runs show --json` (independently of
    the report's code path: sessions' last equity against the previous one)."""
    import pandas as pd

    doc = json.loads(_run(home, "runs", "show", run_id, "--json").stdout)
    eq = pd.DataFrame(doc["equity_curve"])
    eq["day"] = pd.to_datetime(eq["time"], utc=True).dt.tz_convert("Asia/Kolkata").dt.date
    closes = np.array([doc["summary"]["initial_cash"], *eq.groupby("day")["equity"].last()])
    returns = closes[1:] / closes[:-1] - 1
    return float(returns.mean() / returns.std(ddof=1))


def test_trials_default_to_the_strategys_stored_backtests(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert _run(home, "data", "generate", "--days", "3", "--json").exit_code == 0
    ids = [_backtest(home, "-p", f"fast={fast}")["run_id"] for fast in (3, 5, 8)]
    other = _run(home, "backtest", "-s", "vwap", "--symbol", "SYNTH_NIFTY", "--json")
    assert other.exit_code == 0, other.output  # another strategy: not a trial of sma_cross
    out = _run(home, "report", ids[0], "--out", str(tmp_path / "r.html"), "--json")
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["n_trials"] == 3
    expected = float(np.var([_daily_sharpe(home, r) for r in ids], ddof=1))
    assert doc["sr_variance"] == pytest.approx(expected, rel=1e-9)
    assert doc["dsr"] is not None
    [note] = doc["notes"]
    assert note.startswith("deflated Sharpe ratio over 3 trials (stored backtests of sma_cross)")
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<dt>configurations tried</dt><dd>3</dd>" in page
    # given explicitly, --trials and --sr-variance win
    out = _run(home, "report", ids[0], "--out", str(tmp_path / "s.html"), "--trials", "7",
               "--sr-variance", "0.02", "--json")  # fmt: skip
    doc = json.loads(out.stdout)
    assert (doc["n_trials"], doc["sr_variance"], doc["notes"]) == (7, 0.02, [])


def test_the_note_says_why_the_deflated_sharpe_is_missing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert _run(home, "data", "generate", "--days", "3", "--json").exit_code == 0
    traded = _backtest(home, "-p", "fast=5")
    # one session of 375 bars never fills a 1000-bar SMA: no trade, a flat equity
    flat = _backtest(home, "-p", "fast=5", "-p", "slow=1000", "--end", "2025-12-30")
    assert flat["trades"] == 0
    out = _run(home, "report", traded["run_id"], "--out", str(tmp_path / "r.html"), "--json")
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["n_trials"] == 2
    assert doc["sr_variance"] is None
    assert doc["dsr"] is None
    [note] = doc["notes"]
    assert "left out" in note
    assert "1 of 2 have one" in note
    assert "give --sr-variance" in note
