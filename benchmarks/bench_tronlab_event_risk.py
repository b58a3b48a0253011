#!/usr/bin/env python3
"""tronlab's event engine with every risk-governor rule on (limits that never bind here).

The same workload and contract as ``bench_tronlab_event.py`` (which it reuses); only the
risk hop differs, so the two rows of one run give the governor's cost.

    .venv/bin/python benchmarks/bench_tronlab_event_risk.py --data bars_100000.parquet
"""
# bench-max-bars: 1000000

from __future__ import annotations

import bench_tronlab_event as event  # sibling script: also puts the peer suite on sys.path
import common

import tronlab


def run(df, cfg):
    return event.run(df, cfg, risk=True)


if __name__ == "__main__":
    common.main("tronlab-event-risk", tronlab.__version__, event.prepare, run)
