"""Locate the peer benchmark suite and put it on ``sys.path`` (for ``import common``).

The suite lives outside this repository; ``TRONLAB_PEER_BENCH`` points at its
``engines`` folder, default ``<repo>/../shared/bench/engines``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PEER_DIR = Path(
    os.environ.get("TRONLAB_PEER_BENCH", str(REPO.parent / "shared" / "bench" / "engines"))
).resolve()


def add_to_path() -> Path:
    """Make ``import common`` work; exit with a clear message when the suite is missing."""
    if not (PEER_DIR / "common.py").is_file():
        sys.exit(f"peer benchmark suite not found at {PEER_DIR} (set TRONLAB_PEER_BENCH)")
    if str(PEER_DIR) not in sys.path:
        sys.path.insert(0, str(PEER_DIR))
    return PEER_DIR
