"""The fast-move check computes the high, low and move of window + current price in one pass;
this pins it to the direct formula (join the prices, then ``move_pct``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.risk.rulectx_limits import T0, ctx, intent, minute_bars

from tronlab.model import Side
from tronlab.risk.rules.rate_limit import to_ns
from tronlab.risk.rules.volatility import VolatilityConfig, VolatilityRule, move_pct

CFG = {"max_move_pct": 1e9, "move_minutes": 5}
_MIN_NS = 60_000_000_000


def _direct(ends: list[int], closes: list[float], price: float | None) -> dict[str, Any]:
    """The values the check reports, computed the plain way."""
    now_ns = to_ns(T0)
    e, c = np.asarray(ends, dtype=np.int64), np.asarray(closes, dtype=float)
    keep = (e >= now_ns - 5 * _MIN_NS) & (e <= now_ns) & np.isfinite(c) & (c > 0)
    window = c[keep]
    current = price if price is not None and math.isfinite(price) and price > 0 else None
    prices = window if current is None else np.append(window, current)
    out: dict[str, Any] = {"move_bars": len(window)}
    if len(prices) < 2:
        out["move_pct"] = None
        return out
    cur = float(prices[-1])
    out.update(
        move_pct=move_pct(prices, cur),
        window_high=float(np.max(prices)),
        window_low=float(np.min(prices)),
        current_price=cur,
    )
    return out


closes_st = st.lists(
    st.one_of(
        st.floats(min_value=0.01, max_value=1e4, allow_nan=False),
        st.sampled_from([0.0, -1.0, math.nan, math.inf]),
    ),
    max_size=9,
)


@settings(max_examples=300)
@given(closes_st, st.one_of(st.none(), st.floats(min_value=0.01, max_value=1e4)))
def test_move_values_match_the_direct_formula(closes: list[float], price: float | None) -> None:
    ends, closes = minute_bars(closes, T0) if closes else ([], [])
    rule = VolatilityRule(VolatilityConfig(**CFG))
    values: dict[str, Any] = {}
    c = ctx(
        now=T0,
        last_prices={} if price is None else {"INFY": price},
        bars={"INFY": (ends, closes)},
    )
    move = rule._move("INFY", c, values)
    expected = _direct(ends, closes, price)
    assert move == expected["move_pct"]
    for key, value in expected.items():
        assert values[key] == value, key
    d = rule.check(intent(Side.BUY, 10), c)
    assert d is None or d.values.get("skipped") == ["move"]
