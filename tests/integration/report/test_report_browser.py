"""The HTML report in a real headless browser (Debian's chromium), offline: every plotly chart
renders, no script error, and a screenshot that is a picture, not a blank page.

Skipped when chromium is not installed; under ``CI=true`` a missing browser fails instead
(``.ci/run`` installs it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image

from tronlab.analytics.report import CandleSeries, build_report_data, write_html
from tronlab.data.synthetic import generate_market
from tronlab.engine.backtest import BacktestConfig, run_backtest

SYMBOLS = ("SYNTH_RELI", "SYNTH_INFY")
CHARTS = 7  # equity, monthly, daily PnL, costs, risk timeline, two candlestick charts
# No name resolves and no proxy is used: the page must render without any network.
OFFLINE = ["--host-resolver-rules=MAP * ~NOTFOUND", "--no-proxy-server"]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    reason = "chromium is not installed (apt-get install chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must run the browser check")
    pytest.skip(reason)


def _browser(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        "--enable-logging=stderr", "--v=0", f"--user-data-dir={profile}", *OFFLINE, *args,
    ]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    bars = generate_market(seed=5, days=8).bars
    frames = {s: bars[s] for s in SYMBOLS}
    config = BacktestConfig(
        symbols=SYMBOLS,
        params={"fast": 5, "slow": 20, "quantity": 10, "tick": 0.05},
        risk_profile="tron-default",
        product="MIS",
    )
    result = run_backtest("sma_cross", config, frames=frames)
    assert result.summary["trades"] > 0
    data = build_report_data(
        result.to_dict(),
        candles=[CandleSeries(s, f, "1m", "1m") for s, f in frames.items()],
        risk_events=result.extra["risk_events"],
    )
    return write_html(data, tmp_path_factory.mktemp("report") / "report.html")


def test_charts_render_without_script_errors(report: Path, tmp_path: Path) -> None:
    binary = _chromium()
    done = _browser(binary, tmp_path / "profile", "--dump-dom", report.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    errors = [line for line in console if "Uncaught" in line or "Error" in line]
    assert errors == [], errors
    dom = done.stdout
    # plotly replaced each empty div by its rendered SVG
    assert len(re.findall(r'class="plot-container plotly"', dom)) == CHARTS
    assert dom.count('class="main-svg"') >= CHARTS
    assert "SYNTH_INFY: 1m bars" in dom


def test_screenshot_is_a_real_picture(report: Path, tmp_path: Path) -> None:
    binary = _chromium()
    shot = tmp_path / "out.png"
    done = _browser(
        binary, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1400,2400",
        report.as_uri(),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.exists()
    assert shot.stat().st_size > 100_000  # a page of charts, not an empty frame
    pixels = image.imread(shot)[..., :3]
    assert pixels.shape[:2] == (2400, 1400)
    assert float(pixels.std()) > 0.05  # not one colour
    colours = np.unique((pixels.reshape(-1, 3) * 255).astype(np.uint8), axis=0)
    assert len(colours) > 200  # text, lines, candles in many shades
