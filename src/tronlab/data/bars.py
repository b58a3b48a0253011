"""The canonical bar frame and timeframes shared by every data component.

A *bar frame* is a :class:`pandas.DataFrame` with exactly the columns of :data:`BAR_COLUMNS`:

``timestamp``
    bar **start** time, tz-aware UTC (``datetime64[ns, UTC]``), strictly increasing.
``open, high, low, close``
    ``float64`` prices.
``volume``
    ``float64`` (indices carry 0; crypto volume is fractional).

Daily bars carry the session date at 00:00 in the exchange time zone, converted to UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd

PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close")
BAR_COLUMNS: tuple[str, ...] = ("timestamp", *PRICE_COLUMNS, "volume")

_TF_RE = re.compile(r"^(\d+)(m|h|d)$")
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, order=True)
class Timeframe:
    """A bar length such as ``1m``, ``5m``, ``15m``, ``1h`` or ``1d``."""

    seconds: int

    @classmethod
    def parse(cls, text: str | Timeframe) -> Timeframe:
        if isinstance(text, Timeframe):
            return text
        m = _TF_RE.match(text.strip().lower())
        if not m or int(m.group(1)) <= 0:
            raise ValueError(
                f"invalid timeframe {text!r}: expected a number and a unit m|h|d, "
                "e.g. 1m, 15m, 1h, 1d"
            )
        return cls(int(m.group(1)) * _UNIT_SECONDS[m.group(2)])

    @property
    def is_intraday(self) -> bool:
        return self.seconds < 86400

    @property
    def delta(self) -> timedelta:
        return timedelta(seconds=self.seconds)

    @property
    def label(self) -> str:
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
            if self.seconds % size == 0:
                return f"{self.seconds // size}{unit}"
        raise ValueError(f"timeframe of {self.seconds}s has no label")

    def __str__(self) -> str:
        return self.label


def empty_bars() -> pd.DataFrame:
    """An empty bar frame with the canonical dtypes."""
    return pd.DataFrame(
        {
            "timestamp": pd.Series([], dtype="datetime64[ns, UTC]"),
            **{c: pd.Series([], dtype="float64") for c in (*PRICE_COLUMNS, "volume")},
        }
    )


def normalize_bars(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with canonical column order and dtypes (timestamps converted to UTC).

    Raises ``ValueError`` when a column is missing or timestamps are naive.
    """
    missing = [c for c in BAR_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"bar frame lacks columns {missing}")
    ts = pd.to_datetime(df["timestamp"])
    if ts.dt.tz is None:
        raise ValueError("bar timestamps must be timezone-aware")
    out = pd.DataFrame({"timestamp": ts.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")})
    for c in (*PRICE_COLUMNS, "volume"):
        out[c] = df[c].to_numpy(dtype=np.float64)
    return out.reset_index(drop=True)
