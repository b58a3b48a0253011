#!/usr/bin/env python3
"""Feature engineering speed: tronlab's registry beside TA-Lib (and the peer suite's numpy
reference) on the ML benchmark workload of ``../shared/bench/ml`` (same GBM bars, seed 42).

Rows:

* ``tronlab-30``: our versions of the peer suite's 30 shared features (TA-Lib conventions);
* ``tronlab-all``: every registered feature (technical indicators, Alpha158, session);
* ``talib``: the peer suite's ``compute_talib`` (29 TA-Lib calls + a numpy VWAP);
* ``numpy``: the peer suite's plain numpy/pandas reference;
* ``pandas-ta`` (native numba code, and with ``talib=True``): run by the peer suite's own
  ``bench_features.py`` under ``--pandas-ta-python`` (pandas-ta 0.4 needs Python 3.12; the
  peer suite's ``requirements-pandas-ta-py312.txt`` builds that venv).

All in one process per library (``--lib``) or, by default, one process running each in
turn. Prints one JSON line per (library, bars), then a table with ratios to TA-Lib, and
the largest difference of our 30 features from TA-Lib after 1,000 bars.

    .venv/bin/python benchmarks/bench_features.py --bars 100000 1000000
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
ML = Path(os.environ.get("TRONLAB_ML_BENCH", REPO.parent / "shared" / "bench" / "ml"))

# our names for the peer suite's 30 columns
OURS_FOR = {
    **{f"sma_{n}": f"sma_{n}" for n in (5, 10, 20, 50, 200)},
    **{f"ema_{n}": f"ema_{n}" for n in (5, 10, 20, 50, 200)},
    "rsi_14": "rsi_14", "macd": "macd", "macd_signal": "macd_signal", "macd_hist": "macd_hist",
    "bb_upper": "bb_upper_20", "bb_middle": "bb_middle_20", "bb_lower": "bb_lower_20",
    "atr_14": "atr_14", "adx_14": "adx_14", "plus_di_14": "plus_di_14",
    "minus_di_14": "minus_di_14", "stoch_k": "stoch_k_14", "stoch_d": "stoch_d_14",
    "obv": "obv", "ad": "ad", "mfi_14": "mfi_14", "cci_20": "cci_20", "roc_10": "roc_10",
    "willr_14": "willr_14", "vwap": "vwap_session",
}  # fmt: skip


def peer_modules():
    if not (ML / "common.py").exists():
        raise SystemExit(f"peer ML benchmark not found at {ML} (set TRONLAB_ML_BENCH)")
    sys.path.insert(0, str(ML))
    import common
    import features_libs

    return common, features_libs


def to_bars(df: pd.DataFrame):
    from tronlab.features.registry import Bars

    frame = df.reset_index().rename(columns={"ts": "timestamp"})
    frame["timestamp"] = pd.DatetimeIndex(frame["timestamp"]).tz_localize("America/New_York")
    return Bars.from_frame(frame, tz="America/New_York", timeframe_ns=60_000_000_000)


def runner(lib: str):
    _common, fl = peer_modules()
    if lib == "talib":
        return lambda df: fl.compute_talib(df)[0]
    if lib == "numpy":
        return lambda df: fl.compute_numpy(df)[0]
    if lib == "pandas-ta-classic":
        return lambda df: fl.compute_pandas_ta_classic(df)[0]
    from tronlab.features.registry import compute, select

    feats = select(list(OURS_FOR.values())) if lib == "tronlab-30" else select("all")

    def run(df: pd.DataFrame) -> dict[str, np.ndarray]:
        return compute(to_bars(df), feats)

    return run


def measure(lib: str, sizes: list[int], repeats: int) -> list[dict]:
    common, fl = peer_modules()
    fn = runner(lib)
    out = []
    for n in sizes:
        df = common.ohlcv_frame(n)
        gc.collect()
        t = time.perf_counter()
        result = fn(df)
        cold = time.perf_counter() - t
        times = []
        for _ in range(repeats):
            gc.collect()
            t = time.perf_counter()
            fn(df)
            times.append(time.perf_counter() - t)
        med = statistics.median(times)
        width = len(result.columns) if hasattr(result, "columns") else len(result)
        rec = {
            "lib": lib,
            "bars": n,
            "features": width,
            "cold_s": round(cold, 4),
            "median_s": round(med, 4),
            "bars_per_s": round(n / med),
        }
        if lib == "tronlab-30" and n <= 1_000_000:
            ref = fl.compute_talib(df)[0]
            worst = {}
            for col, ours in OURS_FOR.items():
                a, b = result[ours], ref[col].to_numpy()
                both = np.isfinite(a) & np.isfinite(b)
                both[:1000] = False
                scale = np.maximum(1.0, np.abs(b[both]))
                worst[col] = float(np.max(np.abs(a[both] - b[both]) / scale)) if both.any() else 0.0
            rec["max_rel_diff_vs_talib_after_1000"] = max(worst.values())
            rec["worst_feature"] = max(worst, key=worst.get)
        print(json.dumps(rec), flush=True)
        out.append(rec)
    return out


def pandas_ta_rows(python: str, sizes: list[int]) -> list[dict]:
    """Run the peer suite's own pandas-ta benchmark in its interpreter; its JSON lines."""
    import subprocess

    rows = []
    for lib in ("pandas_ta", "pandas_ta_talib"):
        cmd = [python, "bench_features.py", "--lib", lib, "--agree-bars", "0", "--bars"]
        cmd += [str(n) for n in sizes]
        done = subprocess.run(  # noqa: S603 - our own benchmark command line
            cmd, cwd=ML, capture_output=True, text=True, check=True, timeout=1800
        )
        for line in done.stdout.splitlines():
            rec = json.loads(line)
            if rec.get("section") == "features":
                name = "pandas-ta (talib=True)" if lib.endswith("talib") else "pandas-ta"
                rows.append(
                    {"lib": name, "bars": rec["bars"], "features": rec["n_features"],
                     "cold_s": rec["cold_s"], "median_s": rec["median_s"],
                     "bars_per_s": rec["bars_per_s"]}
                )  # fmt: skip
                print(json.dumps(rows[-1]), flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bars", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--repeats", type=int, default=3)
    libs_all = ["tronlab-30", "tronlab-all", "talib", "numpy", "pandas-ta-classic"]
    ap.add_argument("--lib", action="append", choices=libs_all)
    ap.add_argument(
        "--pandas-ta-python",
        default=os.environ.get("TRONLAB_PANDAS_TA_PYTHON"),
        help="a Python 3.12 with pandas-ta 0.4 (e.g. ~/.cache/tronlab-bench/pta312/bin/python)",
    )
    args = ap.parse_args()
    libs = args.lib or ["tronlab-30", "tronlab-all", "talib", "numpy"]
    rows = [r for lib in libs for r in measure(lib, args.bars, args.repeats)]
    if args.pandas_ta_python:
        rows += pandas_ta_rows(args.pandas_ta_python, args.bars)
    print("\n| library | bars | features | cold s | median s | bars/s | vs TA-Lib |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    talib = {r["bars"]: r["median_s"] for r in rows if r["lib"] == "talib"}
    for r in rows:
        ratio = talib.get(r["bars"])
        rel = f"{r['median_s'] / ratio:.2f}x" if ratio else ""
        print(f"| {r['lib']} | {r['bars']:,} | {r['features']} | {r['cold_s']} | "
              f"{r['median_s']} | {r['bars_per_s']:,} | {rel} |")  # fmt: skip


if __name__ == "__main__":
    main()
