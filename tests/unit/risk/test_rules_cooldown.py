"""Cooldown after a losing streak: one lock per streak, COOLDOWN while it is active."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from tests.unit.risk.rulectx import ist, make_ctx, make_intent

from tronlab.model import Side
from tronlab.risk.context import Lock, RiskState
from tronlab.risk.decision import RiskAction, RiskDecision
from tronlab.risk.rules.cooldown import COOLDOWN, CooldownConfig, CooldownRule

T0 = ist(10, 0)
UNTIL = (T0 + timedelta(minutes=30)).astimezone(UTC)


def _check(
    rule: CooldownRule, state: RiskState, at: datetime, *, is_entry: bool = True
) -> RiskDecision | None:
    side = Side.BUY if is_entry else Side.SELL
    return rule.check(make_intent(side), make_ctx(now=at, state=state, is_entry=is_entry))


@pytest.mark.parametrize(("losses", "denied"), [(0, False), (2, False), (3, True), (5, True)])
def test_lock_from_the_threshold_on(losses: int, denied: bool) -> None:
    state = RiskState(consecutive_losses=losses)
    d = _check(CooldownRule(CooldownConfig()), state, T0)
    if denied:
        assert d is not None
        assert d.action is RiskAction.DENY
        assert d.reason_code == COOLDOWN
        assert d.rule == "cooldown"
        assert state.locks == [
            Lock(rule="cooldown", reason=f"{losses} consecutive losing trades", until=UNTIL)
        ]
    else:
        assert d is None
        assert state.locks == []


def test_message_and_values() -> None:
    state = RiskState(consecutive_losses=3)
    d = _check(CooldownRule(CooldownConfig()), state, T0)
    assert d is not None
    assert d.message == (
        "locked until 2026-03-10T05:00:00+00:00 because 3 consecutive losing trades"
    )
    assert d.values == {
        "until": "2026-03-10T05:00:00+00:00",
        "reason": "3 consecutive losing trades",
        "consecutive_losses": 3,
        "after_losses": 3,
        "now": "2026-03-10T04:30:00+00:00",
    }
    json.dumps(dict(d.values))


def test_no_duplicate_locks_and_expiry() -> None:
    rule = CooldownRule(CooldownConfig())
    state = RiskState(consecutive_losses=2)
    assert _check(rule, state, T0 - timedelta(minutes=5)) is None
    state.consecutive_losses = 3
    assert _check(rule, state, T0) is not None
    assert _check(rule, state, T0 + timedelta(minutes=29, seconds=59)) is not None
    assert len(state.locks) == 1
    # the lock ends at `until` (exclusive); the same streak does not lock again
    assert _check(rule, state, T0 + timedelta(minutes=30)) is None
    assert _check(rule, state, T0 + timedelta(minutes=45)) is None
    assert len(state.locks) == 1


def test_a_further_loss_locks_again() -> None:
    rule = CooldownRule(CooldownConfig(minutes=10))
    state = RiskState(consecutive_losses=3)
    assert _check(rule, state, T0) is not None
    state.consecutive_losses = 4  # a trade opened before the lock closed at a loss
    later = T0 + timedelta(minutes=5)
    assert _check(rule, state, later) is not None
    assert len(state.locks) == 1  # not stacked on the active lock
    after = T0 + timedelta(minutes=11)
    d = _check(rule, state, after)
    assert d is not None
    assert d.values["reason"] == "4 consecutive losing trades"
    assert len(state.locks) == 2


def test_a_new_streak_after_a_win_locks_again() -> None:
    rule = CooldownRule(CooldownConfig(minutes=10))
    state = RiskState(consecutive_losses=3)
    assert _check(rule, state, T0) is not None
    state.consecutive_losses = 0  # a win (the governor resets the counter)
    assert _check(rule, state, T0 + timedelta(minutes=20)) is None
    state.consecutive_losses = 3
    assert _check(rule, state, T0 + timedelta(minutes=40)) is not None
    assert len(state.locks) == 2


def test_rest_of_day() -> None:
    state = RiskState(consecutive_losses=2)
    rule = CooldownRule(CooldownConfig(after_losses=2, rest_of_day=True))
    d = _check(rule, state, T0)
    assert d is not None
    assert state.locks[0].until is None
    assert (
        d.message == "locked until the end of the trading day because 2 consecutive losing trades"
    )
    assert d.values["until"] is None
    assert _check(rule, state, ist(15, 29)) is not None


def test_exits_allowed_while_locked_and_lock_added_on_an_exit() -> None:
    rule = CooldownRule(CooldownConfig())
    state = RiskState(consecutive_losses=3)
    assert _check(rule, state, T0, is_entry=False) is None
    assert len(state.locks) == 1  # the lock starts with the first intent seen
    assert _check(rule, state, T0 + timedelta(minutes=1), is_entry=False) is None
    assert _check(rule, state, T0 + timedelta(minutes=1)) is not None


def test_maybe_lock_is_idempotent() -> None:
    rule = CooldownRule(CooldownConfig())
    state = RiskState(consecutive_losses=3)
    now = T0.astimezone(UTC)
    lock = rule.maybe_lock(state, now)
    assert lock is not None
    assert lock.until == UNTIL
    assert rule.maybe_lock(state, now) is None
    assert rule.active_lock(state, now) is lock
    assert rule.active_lock(state, UNTIL) is None


def test_resume_after_restart_does_not_relock_the_same_streak() -> None:
    state = RiskState(consecutive_losses=3)
    assert _check(CooldownRule(CooldownConfig()), state, T0) is not None
    restored = RiskState.from_dict(json.loads(json.dumps(state.to_dict())))
    fresh = CooldownRule(CooldownConfig())
    assert _check(fresh, restored, T0 + timedelta(minutes=10)) is not None  # still locked
    assert _check(fresh, restored, T0 + timedelta(minutes=31)) is None  # expired, same streak
    assert len(restored.locks) == 1


def test_other_rules_locks_are_not_cooldowns() -> None:
    state = RiskState(locks=[Lock(rule="volatility", reason="VIX spike", until=None)])
    assert _check(CooldownRule(CooldownConfig()), state, T0) is None


def test_disabled_passes_everything() -> None:
    state = RiskState(consecutive_losses=10)
    rule = CooldownRule(CooldownConfig(enabled=False))
    assert _check(rule, state, T0) is None
    assert rule.maybe_lock(state, T0) is None
    assert state.locks == []


def test_defaults_round_trip() -> None:
    cfg = CooldownConfig()
    assert (cfg.after_losses, cfg.minutes, cfg.rest_of_day) == (3, 30, False)
    assert CooldownConfig.model_validate_json(cfg.model_dump_json()) == cfg


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"after_losses": 0}, "after_losses must be >= 1"),
        ({"after_losses": -3}, "after_losses must be >= 1"),
        ({"minutes": 0}, "minutes must be >= 1"),
        ({"minutes": -5}, "rest_of_day"),
        ({"minute": 5}, "minute"),
    ],
)
def test_config_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        CooldownConfig.model_validate(kwargs)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    after=st.integers(1, 4),
    length=st.integers(1, 45),
    steps=st.lists(
        st.tuples(st.sampled_from(["loss", "win", "none"]), st.integers(0, 20)), max_size=40
    ),
)
def test_streak_invariants(after: int, length: int, steps: list[tuple[str, int]]) -> None:
    """At most one active cooldown lock; an entry is denied iff one is active; reaching the
    threshold always locks."""
    rule = CooldownRule(CooldownConfig(after_losses=after, minutes=length))
    state = RiskState()
    now = T0.astimezone(UTC)
    for outcome, advance in steps:
        now += timedelta(minutes=advance)
        before = state.consecutive_losses
        if outcome == "loss":
            state.consecutive_losses += 1
        elif outcome == "win":
            state.consecutive_losses = 0
        d = rule.check(make_intent(), make_ctx(now=now, state=state))
        active = [lk for lk in state.locks if lk.active(now, "INFY")]
        assert len(active) <= 1
        assert (d is not None) == bool(active)
        if before < after <= state.consecutive_losses:
            assert d is not None
            assert d.reason_code == COOLDOWN
