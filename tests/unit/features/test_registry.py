"""Properties of every registered feature: NaN warm-up, no look-ahead, and streaming (the
batch definition evaluated on the last ``memory`` bars) equal to batch after warm-up."""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pandas as pd
import pytest

from tronlab.data.synthetic import generate_market
from tronlab.features.registry import Bars, StreamingFeatures, compute, registry, select


def _cumulative(name: str) -> bool:
    return registry()[name].description.startswith("CUMULATIVE")


@cache
def _bars() -> Bars:
    m = generate_market(seed=3, days=12)  # ~4,500 one-minute bars with volume, NSE sessions
    df = m.bars["SYNTH_RELI"]
    extra = {
        "vix": m.bars["SYNTH_VIX"]["close"].to_numpy(dtype=float),
        "index": m.bars["SYNTH_NIFTY"]["close"].to_numpy(dtype=float),
    }
    return Bars.from_frame(df, tz="Asia/Kolkata", extra=extra)


def _slice(b: Bars, stop: int) -> Bars:
    s = slice(0, stop)
    return Bars(
        b.open[s], b.high[s], b.low[s], b.close[s], b.volume[s], b.start_ns[s], b.end_ns[s],
        b.session[s], {k: v[s] for k, v in b.extra.items()}, b.tz,
    )  # fmt: skip


@cache
def _batch() -> dict[str, np.ndarray]:
    return compute(_bars(), "all")


def test_registry_metadata() -> None:
    reg = registry()
    assert reg, "no features registered"
    for name, f in reg.items():
        assert f.name == name
        assert f.group
        assert f.description
        assert f.inputs
        assert 1 <= f.warmup <= f.memory
    # the same computation serves names of one group only once per compute() call
    assert set(_batch()) == set(reg)


def test_warmup_values_are_nan_never_backfilled() -> None:
    for name, values in _batch().items():
        f = registry()[name]
        head = values[: f.warmup - 1]
        assert np.isnan(head).all(), f"{name}: a value before its warm-up ({f.warmup})"


def test_no_look_ahead_for_any_feature() -> None:
    b = _bars()
    t = len(b) // 2
    rng = np.random.default_rng(7)
    scale = rng.uniform(0.7, 1.4, len(b) - t - 1)
    changed = Bars(
        b.open.copy(), b.high.copy(), b.low.copy(), b.close.copy(), b.volume.copy(),
        b.start_ns, b.end_ns, b.session,
        {k: np.r_[v[: t + 1], v[t + 1 :] * scale] for k, v in b.extra.items()}, b.tz,
    )  # fmt: skip
    for arr in (changed.open, changed.high, changed.low, changed.close):
        arr[t + 1 :] *= scale
    changed.volume[t + 1 :] *= scale[::-1]
    after = compute(changed, "all")
    for name, before in _batch().items():
        np.testing.assert_array_equal(
            before[: t + 1], after[name][: t + 1], err_msg=f"{name} looks ahead"
        )


@pytest.mark.parametrize("t", [300, 1000, 2222, 3500])
def test_windowed_evaluation_equals_batch(t: int) -> None:
    """What StreamingFeatures computes at bar t equals the batch value at t."""
    b = _bars()
    if t >= len(b):
        pytest.skip("series too short")
    batch = _batch()
    for f in select("all"):
        if _cumulative(f.name):
            continue
        window = _slice(b, t + 1).tail(f.memory)
        got = f.compute(window)[f.name][-1]
        want = batch[f.name][t]
        if math.isnan(want):
            assert math.isnan(got), f"{f.name} at {t}: {got} vs NaN"
        else:
            assert got == pytest.approx(want, rel=1e-9, abs=1e-9), f"{f.name} at {t}"


def test_streaming_features_bar_by_bar() -> None:
    b = _bars()
    # a sample of windowed features from every group, and every cumulative one
    windowed = [f.name for f in select("all") if not _cumulative(f.name)]
    names = windowed[::6] + [f.name for f in select("all") if _cumulative(f.name)]
    stream = StreamingFeatures(names, tz=b.tz, extra_names=tuple(b.extra))
    batch = _batch()
    frame = pd.DataFrame({"o": b.open})
    n = min(len(frame), 400)
    for i in range(n):
        bar = type("B", (), {})()
        bar.open, bar.high, bar.low, bar.close, bar.volume = (
            b.open[i], b.high[i], b.low[i], b.close[i], b.volume[i],
        )  # fmt: skip
        bar.start_ns, bar.end_ns, bar.session = b.start_ns[i], b.end_ns[i], b.session[i]
        values = stream.update(bar, {k: float(v[i]) for k, v in b.extra.items()})
    for name in names:
        want = batch[name][n - 1]
        got = values[name]
        assert (math.isnan(want) and math.isnan(got)) or got == pytest.approx(
            want, rel=1e-9, abs=1e-9
        ), name
