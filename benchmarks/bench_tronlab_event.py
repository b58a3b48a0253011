#!/usr/bin/env python3
"""tronlab's event-driven engine on the peer benchmark workload.

Calls ``tronlab.engine.bench.run_sma_cross_event`` (SMA 10/50 crossover, long only, fixed
quantity, fills at the signal bar's CLOSE, cash 1,000,000, commission ``RATE x notional`` per
fill), which returns ``(trades, pnl)`` from the engine's own records. ``prepare`` hands over
the loaded DataFrame unchanged, so any conversion into the engine's bars is timed as part of
the run.

    .venv/bin/python benchmarks/bench_tronlab_event.py --data bars_100000.parquet
"""
# bench-max-bars: 1000000

from __future__ import annotations

import _peer  # sibling module: puts the peer suite on sys.path

_peer.add_to_path()

import common  # noqa: E402

import tronlab  # noqa: E402
from tronlab.engine import bench as event_bench  # noqa: E402


def prepare(df, cfg):
    return df


def run(df, cfg, risk=False):
    trades, pnl = event_bench.run_sma_cross_event(
        df, cfg.fast, cfg.slow, cfg.qty, cfg.cash, cfg.commission, fill="close", risk=risk
    )
    return trades, pnl


if __name__ == "__main__":
    common.main("tronlab-event", tronlab.__version__, prepare, run)
