"""Volatility rule: VIX and close-to-close ATR% thresholds, the fast-move check with its lock and
resume rule, missing data passing with a record, and config validation."""

from __future__ import annotations

import json
import math
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError
from tests.unit.risk.rulectx_limits import T0, ctx, intent, minute_bars

from tronlab.model import Side
from tronlab.risk.context import Lock, RiskState
from tronlab.risk.decision import RiskAction, RiskDecision
from tronlab.risk.rules.volatility import (
    VolatilityConfig,
    VolatilityRule,
    close_to_close_atr,
    move_pct,
)

VIX = "INDIAVIX"
MIN = timedelta(minutes=1)
FLAT = [100.0] * 6  # bars ending now-5m .. now


def _check(
    cfg: dict[str, Any],
    *,
    closes: list[float] | None = None,
    price: float | None = 100.0,
    vix: float | None = None,
    now: Any = T0,
    state: RiskState | None = None,
    is_entry: bool = True,
    symbol: str = "INFY",
) -> RiskDecision | None:
    rule = VolatilityRule(VolatilityConfig(**cfg))
    bars = {} if closes is None else {"INFY": minute_bars(closes, now)}
    c = ctx(
        now=now,
        state=state,
        is_entry=is_entry,
        last_prices={} if price is None else {"INFY": price},
        reference={} if vix is None else {VIX: vix},
        bars=bars,
    )
    return rule.check(intent(Side.BUY, 10, symbol=symbol), c)


# ----------------------------------------------------------------- VIX


@pytest.mark.parametrize(
    ("vix", "denied"), [(19.99, False), (20.0, False), (20.01, True), (35.0, True)]
)
def test_vix_threshold(vix: float, denied: bool) -> None:
    d = _check({"vix_symbol": VIX, "max_vix": 20.0}, vix=vix)
    if not denied:
        assert d is None
        return
    assert d is not None
    assert (d.action, d.reason_code, d.rule) == (RiskAction.DENY, "VIX_ABOVE_LIMIT", "volatility")
    assert d.values["vix"] == vix
    assert d.values["max_vix"] == 20.0
    json.dumps(dict(d.values))


@pytest.mark.parametrize("vix", [None, math.nan, 0.0, -1.0])
def test_missing_vix_passes_with_a_record(vix: float | None) -> None:
    d = _check({"vix_symbol": VIX, "max_vix": 20.0}, vix=vix)
    assert d is not None
    assert (d.action, d.quantity) == (RiskAction.APPROVE, 10)
    assert d.values["skipped"] == ["vix"]
    assert d.values["vix"] is None
    assert "vix" in d.message


# ----------------------------------------------------------------- ATR% (close to close)

ZIGZAG = [100.0 if i % 2 == 0 else 101.0 for i in range(15)]  # |change| = 1, last close 100


@pytest.mark.parametrize(("limit", "denied"), [(1.0, False), (1.5, False), (0.99, True)])
def test_atr_threshold(limit: float, denied: bool) -> None:
    d = _check({"max_atr_pct": limit}, closes=ZIGZAG)
    if not denied:
        assert d is None
        return
    assert d is not None
    assert d.reason_code == "ATR_ABOVE_LIMIT"
    assert d.values["atr_pct"] == pytest.approx(1.0)
    assert d.values["atr_bars"] == 15


def test_atr_uses_only_the_last_period_changes() -> None:
    calm_then_wild = [100.0, 150.0, *([100.0] * 15)]  # the wild change is 15 changes back
    assert _check({"max_atr_pct": 0.5}, closes=calm_then_wild) is None


def test_atr_too_few_bars_passes_with_a_record() -> None:
    d = _check({"max_atr_pct": 0.5}, closes=ZIGZAG[:14])
    assert d is not None
    assert d.action is RiskAction.APPROVE
    assert d.values["skipped"] == ["atr"]
    assert d.values["atr_pct"] is None


def test_close_to_close_atr() -> None:
    assert close_to_close_atr(np.array([1.0, 2.0, 4.0, 3.0]), 3) == pytest.approx(4 / 3)
    assert close_to_close_atr(np.array([1.0, 2.0, 4.0, 3.0]), 2) == pytest.approx(1.5)
    assert close_to_close_atr(np.array([1.0, 2.0]), 2) is None
    assert close_to_close_atr(np.array([1.0, math.nan, 2.0, 4.0]), 2) == pytest.approx(1.5)


# ----------------------------------------------------------------- fast move

MOVE = {"max_move_pct": 2.0, "move_minutes": 5, "resume_after_minutes": 15}


@pytest.mark.parametrize(
    ("closes", "price", "denied"),
    [
        (FLAT, 102.0, False),  # exactly +2%
        (FLAT, 102.01, True),
        (FLAT, 98.0, False),  # -2% of the high
        (FLAT, 97.9, True),
        ([100.0, 100.0, 103.0, 100.0, 100.0, 100.0], 100.0, True),  # spike and back: 2.9% fall
        ([97.0, 97.5, 98.0, 98.5, 99.0, 99.0], 99.0, True),  # steady climb of 2.06%
        ([90.0, 90.0, 90.0, 90.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0], 100.0, False),
    ],
)
def test_fast_move_window(closes: list[float], price: float, denied: bool) -> None:
    d = _check(MOVE, closes=closes, price=price)
    if not denied:
        assert d is None
        return
    assert d is not None
    assert (d.action, d.reason_code) == (RiskAction.DENY, "FAST_MOVE")
    assert d.values["move_pct"] > 2.0
    assert d.values["move_minutes"] == 5


def test_fast_move_without_a_last_price_uses_the_last_close() -> None:
    d = _check(MOVE, closes=[100.0, 100.0, 100.0, 100.0, 100.0, 103.0], price=None)
    assert d is not None
    assert d.reason_code == "FAST_MOVE"
    assert d.values["current_price"] == 103.0


def test_fast_move_ignores_bars_after_now() -> None:
    rule = VolatilityRule(VolatilityConfig(**MOVE))
    ends, closes = minute_bars([100.0] * 6 + [150.0], T0 + MIN)  # last bar ends after now
    c = ctx(now=T0, last_prices={"INFY": 100.0}, bars={"INFY": (ends, closes)})
    assert rule.check(intent(Side.BUY, 10), c) is None


@pytest.mark.parametrize(("closes", "price"), [(None, 100.0), (None, None), ([100.0], None)])
def test_fast_move_too_little_data_passes_with_a_record(
    closes: list[float] | None, price: float | None
) -> None:
    d = _check(MOVE, closes=closes, price=price)
    assert d is not None
    assert d.action is RiskAction.APPROVE
    assert d.values["skipped"] == ["move"]
    assert d.values["move_pct"] is None


def test_move_pct() -> None:
    assert move_pct(np.array([100.0, 103.0]), 103.0) == pytest.approx(3.0)
    assert move_pct(np.array([100.0, 95.0]), 95.0) == pytest.approx(5.0)
    assert move_pct(np.array([100.0, 100.0]), 100.0) == 0.0


def test_fast_move_locks_the_symbol_and_resumes_by_the_stated_rule() -> None:
    state = RiskState(day=T0.date())
    d = _check(MOVE, closes=FLAT, price=103.0, state=state)
    assert d is not None
    assert d.reason_code == "FAST_MOVE"
    until = T0 + timedelta(minutes=15)
    assert d.values["locked_until"] == until.isoformat()
    assert len(state.locks) == 1
    lock = state.locks[0]
    assert (lock.rule, lock.symbol, lock.until) == ("volatility", "INFY", until)
    assert "FAST_MOVE" not in lock.reason  # the reason is the human message
    assert "moved 3.00%" in lock.reason

    # 5 minutes later the market is calm, but the lock holds
    calm = T0 + timedelta(minutes=5)
    d = _check(MOVE, closes=FLAT, price=100.0, now=calm, state=state)
    assert d is not None
    assert d.reason_code == "FAST_MOVE"
    assert d.values["locked_until"] == until.isoformat()
    # another symbol is not locked (it has no bars here, so the check is skipped, not denied)
    d = _check(MOVE, closes=FLAT, price=100.0, now=calm, state=state, symbol="RELIANCE")
    assert d is not None
    assert d.action is RiskAction.APPROVE

    # the lock has expired but the move still shows in the window: locked again
    d = _check(MOVE, closes=[100.0] * 5 + [103.0], price=103.0, now=until, state=state)
    assert d is not None
    assert d.reason_code == "FAST_MOVE"
    assert len(state.locks) == 1  # replaced, not stacked
    assert state.locks[0].until == until + timedelta(minutes=15)

    # expired and calm: entries resume
    later = until + timedelta(minutes=15)
    assert _check(MOVE, closes=FLAT, price=100.0, now=later, state=state) is None


def test_other_rules_locks_are_left_alone() -> None:
    state = RiskState(day=T0.date())
    other = Lock(rule="cooldown", reason="x", until=T0 + timedelta(hours=1), symbol="INFY")
    state.locks.append(other)
    _check(MOVE, closes=FLAT, price=103.0, state=state)
    assert state.locks[0] is other
    assert len(state.locks) == 2
    assert _check(MOVE, closes=FLAT, price=100.0, state=RiskState(locks=[other])) is None


def test_no_lock_when_resume_is_zero() -> None:
    state = RiskState(day=T0.date())
    d = _check({**MOVE, "resume_after_minutes": 0}, closes=FLAT, price=103.0, state=state)
    assert d is not None
    assert d.reason_code == "FAST_MOVE"
    assert state.locks == []


# ----------------------------------------------------------------- together


ALL = {"vix_symbol": VIX, "max_vix": 20.0, "max_atr_pct": 5.0, **MOVE}


def test_exits_always_pass() -> None:
    state = RiskState(locks=[Lock("volatility", "x", T0 + MIN, "INFY")])
    d = _check(ALL, closes=ZIGZAG, price=150.0, vix=80.0, is_entry=False, state=state)
    assert d is None


def test_disabled_and_unconfigured_pass() -> None:
    assert _check({**ALL, "enabled": False}, closes=ZIGZAG, price=150.0, vix=80.0) is None
    assert _check({}, closes=None, price=None) is None


def test_every_breach_is_recorded_and_the_move_still_locks() -> None:
    state = RiskState(day=T0.date())
    d = _check(ALL, closes=FLAT, price=103.0, vix=30.0, state=state)
    assert d is not None
    assert d.reason_code == "VIX_ABOVE_LIMIT"
    assert d.values["breaches"] == ["VIX_ABOVE_LIMIT", "FAST_MOVE"]
    assert len(state.locks) == 1


def test_missing_data_is_listed_alongside_a_denial() -> None:
    d = _check(ALL, closes=None, price=None, vix=30.0)
    assert d is not None
    assert d.reason_code == "VIX_ABOVE_LIMIT"
    assert d.values["skipped"] == ["atr", "move"]


def test_all_clear() -> None:
    assert _check(ALL, closes=[100.0] * 15, price=100.5, vix=12.0) is None


# ----------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_vix": 20.0}, "max_vix needs vix_symbol"),
        ({"vix_symbol": ""}, "at least 1 character"),
        ({"max_vix": 0, "vix_symbol": VIX}, "greater than 0"),
        ({"atr_period": 0}, "greater than or equal to 1"),
        ({"max_atr_pct": float("inf")}, "finite"),
        ({"max_move_pct": -1}, "greater than 0"),
        ({"move_minutes": 0}, "greater than or equal to 1"),
        ({"resume_after_minutes": -5}, "greater than or equal to 0"),
        ({"vix": 20}, "Extra inputs are not permitted"),
    ],
)
def test_config_validation(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        VolatilityConfig(**kwargs)


def test_config_defaults() -> None:
    cfg = VolatilityConfig()
    assert (cfg.vix_symbol, cfg.max_vix, cfg.atr_period, cfg.max_atr_pct) == (None, None, 14, None)
    assert (cfg.max_move_pct, cfg.move_minutes, cfg.resume_after_minutes) == (None, 5, 15)
