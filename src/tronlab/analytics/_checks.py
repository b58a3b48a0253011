"""Input checks and JSON helpers shared by the analytics modules (private).

Policy of the whole package: input that cannot be right (NaN or infinite values, a
non-positive equity level, an unsorted time index, a missing column) raises
:class:`AnalyticsInputError` with a message that says what to fix; a statistic that is
mathematically undefined for valid input (fewer than two observations, zero volatility, no
losing trades) is ``nan`` and the report functions say why in their ``notes``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from tronlab.model import ValidationError


class AnalyticsInputError(ValidationError):
    """Input to an analytics function is unusable (NaN, non-positive equity, wrong shape)."""

    default_code = "ANALYTICS_INPUT"


def as_returns(returns: Any, name: str = "returns") -> np.ndarray:
    """``returns`` as a 1-D float64 array; raises on NaN/inf or a non-1-D input."""
    if isinstance(returns, pd.DataFrame):
        raise AnalyticsInputError(f"{name} must be one series, got a DataFrame")
    try:
        arr = np.asarray(returns, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise AnalyticsInputError(f"{name} must be numeric: {exc}") from exc
    if arr.ndim != 1:
        raise AnalyticsInputError(f"{name} must be 1-D, got shape {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise AnalyticsInputError(
            f"{name} contain {int(bad.sum())} NaN or infinite value(s) (first at position "
            f"{int(np.argmax(bad))}); drop or fill them before computing statistics"
        )
    return arr


def as_equity(equity: Any, name: str = "equity") -> pd.Series:
    """``equity`` as a float Series with a sorted index and positive finite values."""
    if isinstance(equity, pd.DataFrame):
        if "equity" not in equity.columns:
            raise AnalyticsInputError(
                f"{name}: a DataFrame needs an 'equity' column, got {list(equity.columns)}"
            )
        frame = equity.set_index("time") if "time" in equity.columns else equity
        equity = frame["equity"]
    if not isinstance(equity, pd.Series):
        equity = pd.Series(np.asarray(equity, dtype=np.float64))
    s: pd.Series = equity.astype(np.float64)
    values = s.to_numpy()
    bad = ~np.isfinite(values)
    if bad.any():
        raise AnalyticsInputError(
            f"{name} contains {int(bad.sum())} NaN or infinite value(s) (first at "
            f"{s.index[int(np.argmax(bad))]!r})"
        )
    if (values <= 0).any():
        first = s.index[int(np.argmax(values <= 0))]
        raise AnalyticsInputError(
            f"{name} must stay positive to define returns and drawdowns; it is "
            f"{values[values <= 0][0]:g} at {first!r}"
        )
    if not s.index.is_monotonic_increasing:
        raise AnalyticsInputError(f"{name} index must be sorted in increasing time order")
    return s


def check_positive(value: float, name: str) -> float:
    v = float(value)
    if not math.isfinite(v) or v <= 0:
        raise AnalyticsInputError(f"{name} must be a positive finite number, got {value!r}")
    return v


def with_initial(equity: pd.Series, initial_equity: float | None) -> np.ndarray:
    """Equity levels with ``initial_equity`` prepended (when given)."""
    values = equity.to_numpy(dtype=np.float64)
    if initial_equity is None:
        return values
    return np.concatenate([[check_positive(initial_equity, "initial_equity")], values])


# ------------------------------------------------------------------------------- JSON helpers
def json_value(value: Any) -> Any:
    """A JSON-native version of ``value``: non-finite floats -> None, numpy scalars -> Python,
    timestamps -> ISO 8601, timedeltas -> seconds; containers recursively."""
    if value is None or value is pd.NaT or isinstance(value, bool | str):
        return None if value is pd.NaT else value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, pd.Timestamp | datetime):
        return pd.Timestamp(value).isoformat()
    if isinstance(value, pd.Timedelta | timedelta):
        return pd.Timedelta(value).total_seconds()
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return [json_value(v) for v in value.tolist()]
    if isinstance(value, Iterable):
        return [json_value(v) for v in value]
    try:
        return float(value)  # Decimal and friends
    except (TypeError, ValueError):
        return str(value)
