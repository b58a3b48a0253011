#!/usr/bin/env python3
"""tronlab's vectorised fast path: exact-integer SMA signals + the numba simulator.

Follows the peer benchmark contract (``common.py`` of the peer suite): SMA 10/50 crossover,
long only, 100 shares, fills at the signal bar's CLOSE, cash 1,000,000, commission
``RATE x price x qty`` per fill (rounded to the cent per fill, as tronlab does).

The timed run covers ``sma_cross_signals`` (int64 ticks, exact) and ``simulate``; ``prepare``
pulls the OHLC columns out of the DataFrame as float64 arrays. The numba kernel is cached on
disk (``cache=True``); the warm-up pass on 2,000 bars pays the cache load / first compile.

    .venv/bin/python benchmarks/bench_tronlab_vector.py --data bars_1000000.parquet
"""
# bench-max-bars: 5000000

from __future__ import annotations

import _peer  # sibling module: puts the peer suite on sys.path

_peer.add_to_path()

import common  # noqa: E402
import numpy as np  # noqa: E402

import tronlab  # noqa: E402
from tronlab.engine.vector import simulate, sma_cross_signals  # noqa: E402


def prepare(df, cfg):
    return tuple(df[c].to_numpy(dtype=np.float64) for c in ("open", "high", "low", "close"))


def run(prepared, cfg):
    open_, high, low, close = prepared
    entries, exits = sma_cross_signals(close, cfg.fast, cfg.slow, tick=0.01)
    res = simulate(
        open_,
        high,
        low,
        close,
        entries,
        exits,
        quantity=cfg.qty,
        fill="close",
        fee_rate=cfg.commission,
        cash=cfg.cash,
    )
    return res.trade_count, res.net_pnl


if __name__ == "__main__":
    common.main("tronlab-vector", tronlab.__version__, prepare, run)
