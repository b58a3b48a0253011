"""Properties of the governor over random order and price streams, through the engine:
after a loss-limit breach no entry is approved that day; entries per day never exceed the
cap; no entry after the cutoff; every MIS position is flat after the square-off; the
position limit is never exceeded; the state survives a JSON round trip unchanged."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.engine.scripted import SESSION_OPEN, bars, order, run

from tronlab.model import Product, Side
from tronlab.risk import RiskState
from tronlab.risk.profiles import build_governor, risk_profile

IST = "Asia/Kolkata"
MAX_QTY = 40


def _market(seed: int) -> pd.DataFrame:
    """Two sessions of the last 45 minutes (14:45-15:29 IST): cutoff and square-off inside."""
    rng = np.random.default_rng(seed)
    frames = []
    for day in range(2):
        start = SESSION_OPEN + pd.Timedelta(days=day, minutes=330)  # 14:45
        steps = rng.normal(0, 0.004, 45).cumsum()
        close = np.round(100 * np.exp(steps) / 0.05) * 0.05
        opens = np.r_[close[0], close[:-1]]
        rows = [
            (o, max(o, c) + 0.05, min(o, c) - 0.05, c, 10_000.0)
            for o, c in zip(opens, close, strict=True)
        ]
        frames.append(bars(rows, start=start))
    return pd.concat(frames, ignore_index=True)


actions = st.lists(
    st.tuples(st.integers(0, 89), st.sampled_from(["buy", "sell"]), st.integers(1, 30)),
    max_size=40,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), acts=actions)
def test_risk_properties_hold(seed: int, acts: list[tuple[int, str, int]]) -> None:
    config = risk_profile(
        "tron-default",
        {
            "daily_loss": {"max_loss": Decimal(60)},
            "limits": {"max_qty_per_symbol": Decimal(MAX_QTY)},
            "cooldown": {"enabled": False},
        },
    )
    gov = build_governor(config)
    script: dict[int, list] = {}
    for bar, side, qty in acts:
        script.setdefault(bar, []).append(order(side, "TEST", qty, product=Product.MIS))
    engine, _ = run([], script, frame=_market(seed), risk=gov, cash="100000")

    by_day: dict[object, list[dict]] = {}
    for d in gov.decisions:
        by_day.setdefault(pd.Timestamp(d["ts"]).tz_convert(IST).date(), []).append(d)
    for decisions in by_day.values():
        approved_entries = [
            d
            for d in decisions
            if d["decision"] != "deny" and d.get("entry") and d["strategy"] != "risk"
        ]
        # entries per day never exceed the cap
        assert len(approved_entries) <= 3
        # no entry at or after the 15:00 cutoff
        for d in approved_entries:
            assert pd.Timestamp(d["ts"]).tz_convert(IST).time() < pd.Timestamp("15:00").time()
        # after a loss-limit breach, no entry that day
        breach = next(
            (i for i, d in enumerate(decisions) if d["reason_code"] == "DAILY_LOSS_LIMIT"), None
        )
        if breach is not None:
            assert not any(
                d["decision"] != "deny" and d.get("entry") for d in decisions[breach + 1 :]
            )

    # the position limit holds after every fill; MIS positions are flat at each day's end
    pos = Decimal(0)
    day_end: dict[object, Decimal] = {}
    for f in engine.fills:
        pos += f.quantity if f.side is Side.BUY else -f.quantity
        assert abs(pos) <= MAX_QTY
        day_end[pd.Timestamp(f.ts).tz_convert(IST).date()] = pos
    assert all(q == 0 for q in day_end.values()), day_end

    # the governor's state survives a round trip through its stored form
    assert RiskState.from_dict(gov.state.to_dict()).to_dict() == gov.state.to_dict()
