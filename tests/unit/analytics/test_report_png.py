"""PNGs of the main charts: one file per chart, real pictures (not blank), same bytes for the
same data, and pictures that say "no trades" when there are none."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import image
from tests.unit.analytics.report_runs import report_data

from tronlab.analytics.report import write_pngs

NAMES = ["equity.png", "monthly_returns.png", "daily_pnl.png", "candles_SYNTH_RELI.png",
         "candles_SYNTH_TCS.png"]  # fmt: skip


def _varied(path: Path) -> float:
    pixels = image.imread(path)[..., :3]
    return float(pixels.std())


def test_one_png_per_chart_each_a_real_picture(tmp_path: Path) -> None:
    paths = write_pngs(report_data(), tmp_path / "png")
    assert [p.name for p in paths] == NAMES
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert p.stat().st_size > 10_000, p.name
        assert _varied(p) > 0.05, p.name  # not one flat colour
        h, w = image.imread(p).shape[:2]
        assert w >= 800, p.name
        assert h >= 150, p.name


def test_same_data_same_bytes(tmp_path: Path) -> None:
    a = write_pngs(report_data(), tmp_path / "a")
    b = write_pngs(report_data(), tmp_path / "b")
    for x, y in zip(a, b, strict=True):
        assert x.read_bytes() == y.read_bytes(), x.name


def test_zero_trades_still_draws(tmp_path: Path) -> None:
    paths = write_pngs(report_data(slow=1000, days=2), tmp_path)
    assert [p.name for p in paths] == NAMES
    candles = image.imread(paths[3])[..., :3]
    assert np.unique(candles.reshape(-1, 3), axis=0).shape[0] > 20  # candles, not a blank
