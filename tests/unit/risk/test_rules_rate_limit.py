"""Rate-limit rule: sliding second and minute windows, the day cap, headroom, pruning, and a
property test that a caller appending approvals never gets more than the caps admitted."""

from __future__ import annotations

import json
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from tests.unit.risk.rulectx_limits import T0, ctx, intent

from tronlab.model import Side
from tronlab.risk.context import RiskState
from tronlab.risk.decision import RiskAction, RiskDecision
from tronlab.risk.rules.rate_limit import (
    MINUTE_NS,
    SECOND_NS,
    RateLimitConfig,
    RateLimitRule,
    from_ns,
    prune,
    to_ns,
    window_slot,
)

MS = timedelta(milliseconds=1)


def _state(times: list[datetime], orders_today: int | None = None) -> RiskState:
    state = RiskState(day=T0.date())
    state.order_times_ns.extend(to_ns(t) for t in times)
    state.orders_today = len(times) if orders_today is None else orders_today
    return state


def _check(
    state: RiskState, now: datetime, rule: RateLimitRule | None = None, *, is_entry: bool = True
) -> RiskDecision | None:
    rule = rule or RateLimitRule()
    return rule.check(intent(Side.BUY, 1), ctx(now=now, state=state, is_entry=is_entry))


def _approve(state: RiskState, now: datetime) -> None:
    """What the governor does after an approval."""
    state.order_times_ns.append(to_ns(now))
    state.orders_today += 1


def test_ten_in_a_second_then_denied() -> None:
    state = RiskState(day=T0.date())
    for i in range(10):
        now = T0 + i * 10 * MS
        assert _check(state, now) is None
        _approve(state, now)
    d = _check(state, T0 + 500 * MS)
    assert d is not None
    assert (d.action, d.reason_code, d.rule) == (RiskAction.DENY, "RATE_LIMIT_SECOND", "rate_limit")
    retry = T0 + timedelta(seconds=1)
    assert d.values["retry_at"] == retry.isoformat()
    assert retry.isoformat() in d.message
    assert d.values["orders_last_second"] == 10
    assert d.values["per_second"] == 10
    json.dumps(dict(d.values))


@pytest.mark.parametrize(
    ("offset_ms", "denied"),
    [(999, True), (1000, False), (1001, False)],
)
def test_second_window_boundary(offset_ms: int, denied: bool) -> None:
    state = _state([T0 + i * 100 * MS for i in range(10)])  # T0 .. T0+900ms
    d = _check(state, T0 + offset_ms * MS)
    assert (d is not None) is denied


def test_exits_are_rate_limited_too() -> None:
    state = _state([T0] * 10)
    d = _check(state, T0, is_entry=False)
    assert d is not None
    assert d.reason_code == "RATE_LIMIT_SECOND"


def test_minute_window() -> None:
    # 400 orders spread over 59.85 s, one every 150 ms: never 10 in one second
    times = [T0 + timedelta(milliseconds=150 * i) for i in range(400)]
    state = _state(times)
    now = times[-1] + timedelta(milliseconds=100)
    d = _check(state, now)
    assert d is not None
    assert d.reason_code == "RATE_LIMIT_MINUTE"
    assert d.values["orders_last_minute"] == 400
    assert d.values["retry_at"] == (T0 + timedelta(minutes=1)).isoformat()
    assert _check(state, T0 + timedelta(minutes=1)) is None


def test_longest_wait_wins() -> None:
    # minute full, and the second too: the minute slot frees later
    times = [T0 + timedelta(milliseconds=150 * i) for i in range(390)]
    times += [times[-1] + MS * (i + 1) for i in range(10)]
    now = times[-1] + MS
    d = _check(_state(times), now)
    assert d is not None
    assert d.reason_code == "RATE_LIMIT_MINUTE"


def test_second_wins_when_it_frees_later() -> None:
    times = [T0 + MS * i for i in range(400)]  # 400 in 0.4 s
    now = T0 + timedelta(seconds=59, milliseconds=900)
    times += [now - MS * i for i in range(10, 0, -1)]  # 10 in the last 10 ms
    state = _state(times)
    rule = RateLimitRule(RateLimitConfig(per_minute=410))
    d = _check(state, now, rule)
    assert d is not None
    # both windows are full: the minute frees at T0 + 60 s, the second 0.89 s later
    assert d.values["orders_last_minute"] == 410
    slot_second = now - MS * 10 + timedelta(seconds=1)
    assert slot_second > T0 + timedelta(minutes=1)
    assert d.reason_code == "RATE_LIMIT_SECOND"
    assert d.values["retry_at"] == slot_second.isoformat()


def test_day_cap() -> None:
    state = _state([], orders_today=5000)
    d = _check(state, T0)
    assert d is not None
    assert (d.reason_code, d.values["retry_at"]) == ("RATE_LIMIT_DAY", None)
    assert _check(_state([], orders_today=4999), T0) is None


def test_headroom_scales_the_caps() -> None:
    cfg = RateLimitConfig(headroom=0.9)
    assert cfg.caps == (9, 360, 4500)
    assert RateLimitConfig(headroom=0.29, per_minute=100).caps == (2, 29, 1450)
    assert RateLimitConfig(headroom=0.01).caps == (1, 4, 50)  # never below one
    rule = RateLimitRule(cfg)
    state = _state([T0] * 9)
    d = _check(state, T0, rule)
    assert d is not None
    assert d.values["per_second"] == 9
    assert _check(_state([T0] * 8), T0, rule) is None
    assert _check(_state([], orders_today=4500), T0, rule) is not None


def test_disabled_passes() -> None:
    rule = RateLimitRule(RateLimitConfig(enabled=False))
    assert _check(_state([T0] * 50, orders_today=10**6), T0, rule) is None


def test_check_prunes_stale_timestamps() -> None:
    state = _state([T0, T0 + MS, T0 + timedelta(seconds=30)])
    assert _check(state, T0 + timedelta(seconds=60, milliseconds=1)) is None
    assert list(state.order_times_ns) == [to_ns(T0 + timedelta(seconds=30))]
    assert state.orders_today == 3  # the day counter is not touched


def test_prune() -> None:
    state = _state([T0 + timedelta(seconds=s) for s in (0, 10, 20, 61)])
    now_ns = to_ns(T0 + timedelta(seconds=70))
    assert prune(state, now_ns) == 2  # 0 s and exactly 10 s (= now - 60 s) are stale
    assert list(state.order_times_ns) == [to_ns(T0 + timedelta(seconds=s)) for s in (20, 61)]
    assert prune(state, now_ns) == 0
    assert prune(RiskState(), now_ns) == 0


def test_window_slot() -> None:
    newest_first = [10 * SECOND_NS, 9 * SECOND_NS, 5 * SECOND_NS]
    assert window_slot(newest_first, 10 * SECOND_NS, SECOND_NS, 3) == (1, None)
    assert window_slot(newest_first, 10 * SECOND_NS, 6 * SECOND_NS, 3) == (3, 11 * SECOND_NS)
    assert window_slot(newest_first, 10 * SECOND_NS, MINUTE_NS, 2) == (2, 69 * SECOND_NS)
    assert window_slot([], 0, SECOND_NS, 1) == (0, None)


def test_ns_conversions() -> None:
    t = datetime(2025, 1, 6, 4, 30, 0, 123456, tzinfo=UTC)
    assert to_ns(t) == 1736137800_123456000
    assert from_ns(to_ns(t)) == t
    assert from_ns(to_ns(t) + 1) == t + timedelta(microseconds=1)  # rounded up


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"per_second": 0}, "greater than 0"),
        ({"per_minute": -1}, "greater than 0"),
        ({"per_day": "many"}, "valid integer"),
        ({"headroom": 0}, "greater than 0"),
        ({"headroom": 1.2}, "less than or equal to 1"),
        ({"headroom": float("nan")}, "finite"),
        ({"per_hour": 5}, "Extra inputs are not permitted"),
    ],
)
def test_config_validation(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        RateLimitConfig(**kwargs)


def test_config_defaults_follow_zerodha() -> None:
    cfg = RateLimitConfig()
    assert (cfg.per_second, cfg.per_minute, cfg.per_day, cfg.headroom) == (10, 400, 5000, 1.0)


# ----------------------------------------------------------------- property


def _count(admitted: list[int], t: int, width: int) -> int:
    return sum(1 for x in admitted if t - width < x <= t)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    gaps_us=st.lists(
        st.one_of(
            st.just(0), st.integers(1, 2_000), st.integers(1, 400_000), st.integers(1, 9_000_000)
        ),
        min_size=1,
        max_size=250,
    ),
    per_second=st.integers(1, 6),
    per_minute=st.integers(1, 40),
    per_day=st.integers(1, 120),
    headroom=st.sampled_from([1.0, 0.9, 0.5]),
)
def test_windows_never_admit_more_than_the_caps(
    gaps_us: list[int], per_second: int, per_minute: int, per_day: int, headroom: float
) -> None:
    cfg = RateLimitConfig(
        per_second=per_second, per_minute=per_minute, per_day=per_day, headroom=headroom
    )
    cap_s, cap_m, cap_d = cfg.caps
    rule = RateLimitRule(cfg)
    state = RiskState(day=T0.date())
    admitted: list[int] = []
    now = T0
    for gap in gaps_us:
        now += timedelta(microseconds=gap)
        d = _check(state, now, rule)
        if d is None:
            _approve(state, now)
            admitted.append(to_ns(now))
            continue
        assert d.action is RiskAction.DENY
        # the denial was warranted, and its retry time is exact
        now_ns = to_ns(now)
        if d.reason_code == "RATE_LIMIT_DAY":
            assert len(admitted) >= cap_d
            continue
        assert _count(admitted, now_ns, SECOND_NS) >= cap_s or (
            _count(admitted, now_ns, MINUTE_NS) >= cap_m
        )
        retry = datetime.fromisoformat(d.values["retry_at"])
        assert retry > now
        probe = RiskState(day=T0.date(), orders_today=state.orders_today)
        probe.order_times_ns = deque(state.order_times_ns, maxlen=10_000)
        assert _check(probe, retry, rule) is None
        probe.order_times_ns = deque(state.order_times_ns, maxlen=10_000)
        assert _check(probe, retry - timedelta(microseconds=1), rule) is not None

    assert len(admitted) <= cap_d
    for t in admitted:
        assert _count(admitted, t, SECOND_NS) <= cap_s
        assert _count(admitted, t, MINUTE_NS) <= cap_m
