"""Daily loss limit: currency and percentage limits, the boundary, REDUCING, exits, config."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from tests.unit.risk.rulectx import make_ctx, make_intent

from tronlab.model import Side
from tronlab.risk.context import RiskState, TradingState
from tronlab.risk.decision import RiskAction
from tronlab.risk.rules.daily_loss import (
    DAILY_LOSS_LIMIT,
    DailyLossConfig,
    DailyLossRule,
)


def _state(start: str = "100000", ts: TradingState = TradingState.ACTIVE) -> RiskState:
    return RiskState(start_equity=D(start), trading_state=ts)


@pytest.mark.parametrize(
    ("max_loss", "pct", "equity", "denied"),
    [
        ("500", None, "99501", False),  # loss 499
        ("500", None, "99500", True),  # exactly at the limit
        ("500", None, "99499.99", True),
        ("500", None, "101000", False),  # a profit
        (None, 2.0, "98000.01", False),  # 2 % of 100000 = 2000
        (None, 2.0, "98000", True),
        ("500", 2.0, "99500", True),  # tighter of 500 and 2000
        ("500", 2.0, "99500.01", False),
        ("5000", 2.0, "98000", True),  # tighter of 5000 and 2000
        ("5000", 2.0, "98500", False),
    ],
)
def test_entry_denied_from_the_limit_on(
    max_loss: str | None, pct: float | None, equity: str, denied: bool
) -> None:
    rule = DailyLossRule(
        DailyLossConfig(max_loss=None if max_loss is None else D(max_loss), max_loss_pct=pct)
    )
    state = _state()
    d = rule.check(make_intent(), make_ctx(equity=equity, state=state))
    if denied:
        assert d is not None
        assert d.action is RiskAction.DENY
        assert d.reason_code == DAILY_LOSS_LIMIT
        assert d.rule == "daily_loss"
        assert state.trading_state is TradingState.REDUCING
    else:
        assert d is None
        assert state.trading_state is TradingState.ACTIVE


def test_values_and_message_for_the_audit() -> None:
    rule = DailyLossRule(DailyLossConfig(max_loss=D(500), max_loss_pct=2.0))
    d = rule.check(make_intent(), make_ctx(equity="99400", state=_state()))
    assert d is not None
    assert d.values == {
        "pnl": "-600",
        "limit": "500",
        "start_equity": "100000",
        "equity": "99400",
        "max_loss": "500",
        "max_loss_pct": 2.0,
    }
    json.dumps(dict(d.values))  # JSON-friendly
    assert "-600" in d.message
    assert "500" in d.message


def test_exit_allowed_after_breach_but_state_switches() -> None:
    rule = DailyLossRule(DailyLossConfig())
    state = _state()
    ctx = make_ctx(equity="90000", state=state, is_entry=False, position_qty="10")
    assert rule.check(make_intent(Side.SELL), ctx) is None
    assert state.trading_state is TradingState.REDUCING


def test_halted_state_is_not_downgraded() -> None:
    rule = DailyLossRule(DailyLossConfig())
    state = _state(ts=TradingState.HALTED)
    d = rule.check(make_intent(), make_ctx(equity="90000", state=state))
    assert d is not None
    assert state.trading_state is TradingState.HALTED


def test_breached_is_a_pure_predicate() -> None:
    rule = DailyLossRule(DailyLossConfig(max_loss=D(500)))
    state = _state()
    assert rule.breached(make_ctx(equity="99500", state=state))
    assert not rule.breached(make_ctx(equity="99500.01", state=state))
    assert state.trading_state is TradingState.ACTIVE  # the governor switches it


def test_disabled_passes_everything() -> None:
    rule = DailyLossRule(DailyLossConfig(enabled=False))
    state = _state()
    ctx = make_ctx(equity="1", state=state)
    assert rule.check(make_intent(), ctx) is None
    assert not rule.breached(ctx)
    assert state.trading_state is TradingState.ACTIVE


def test_percentage_needs_a_start_equity() -> None:
    both = DailyLossRule(DailyLossConfig(max_loss=D(500), max_loss_pct=1.0))
    assert both.limit(D(0)) == D(500)
    assert both.limit(D(10000)) == D(100)
    only_pct = DailyLossRule(DailyLossConfig(max_loss=None, max_loss_pct=1.0))
    assert only_pct.limit(D(0)) is None
    assert only_pct.check(make_intent(), make_ctx(equity="-5", state=_state("0"))) is None


def test_defaults() -> None:
    cfg = DailyLossConfig()
    assert cfg.enabled
    assert cfg.max_loss == D(500)
    assert cfg.max_loss_pct is None
    assert not cfg.flatten_on_breach
    assert DailyLossConfig.model_validate_json(cfg.model_dump_json()) == cfg


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_loss": D(-500)}, "max_loss must be a positive"),
        ({"max_loss": D(0)}, "max_loss must be a positive"),
        ({"max_loss": "NaN"}, "max_loss"),
        ({"max_loss_pct": -1.0}, "max_loss_pct must be a percentage"),
        ({"max_loss_pct": 0.0}, "max_loss_pct must be a percentage"),
        ({"max_loss_pct": 150.0}, "max_loss_pct must be a percentage"),
        ({"max_loss_pct": float("inf")}, "max_loss_pct"),
        ({"max_loss": None}, "needs max_loss or max_loss_pct"),
        ({"max_los": 5}, "max_los"),  # typo: unknown keys are rejected
    ],
)
def test_config_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        DailyLossConfig.model_validate(kwargs)


def test_config_is_frozen_and_disabled_needs_no_limit() -> None:
    cfg = DailyLossConfig(enabled=False, max_loss=None)
    with pytest.raises(ValidationError):
        cfg.max_loss = D(1)  # type: ignore[misc]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    start=st.integers(1, 10_000_000),
    pnl_paise=st.integers(-5_000_000, 5_000_000),
    max_loss=st.one_of(st.none(), st.integers(1, 50_000)),
    pct=st.one_of(st.none(), st.sampled_from([0.5, 1.0, 2.0, 2.5, 10.0])),
)
def test_denies_iff_loss_reaches_the_tighter_limit(
    start: int, pnl_paise: int, max_loss: int | None, pct: float | None
) -> None:
    if max_loss is None and pct is None:
        pct = 1.0
    rule = DailyLossRule(
        DailyLossConfig(max_loss=None if max_loss is None else D(max_loss), max_loss_pct=pct)
    )
    pnl = D(pnl_paise) / 100
    limits = [D(max_loss)] if max_loss is not None else []
    if pct is not None:
        limits.append(D(start) * D(str(pct)) / 100)
    expected = pnl <= -min(limits)
    state = _state(str(start))
    d = rule.check(make_intent(), make_ctx(equity=D(start) + pnl, state=state))
    assert (d is not None) == expected
    assert (state.trading_state is TradingState.REDUCING) == expected
