"""Entry caps per day and per strategy."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from tests.unit.risk.rulectx import make_ctx, make_intent

from tronlab.model import Side
from tronlab.risk.context import RiskState
from tronlab.risk.decision import RiskAction
from tronlab.risk.rules.entries import (
    MAX_ENTRIES_PER_DAY,
    MAX_ENTRIES_PER_STRATEGY,
    MaxEntriesConfig,
    MaxEntriesRule,
)

DAY = MAX_ENTRIES_PER_DAY
STRAT = MAX_ENTRIES_PER_STRATEGY


@pytest.mark.parametrize(
    ("config", "entries", "by_strategy", "strategy", "expected"),
    [
        ({}, 0, {}, "s1", None),
        ({}, 2, {"s1": 2}, "s1", None),
        ({}, 3, {"s1": 3}, "s1", DAY),  # the default cap of 3, exactly reached
        ({}, 4, {}, "s1", DAY),
        ({"max_per_day": None}, 100, {"s1": 100}, "s1", None),
        ({"max_per_day": 0}, 0, {}, "s1", DAY),
        ({"per_strategy": {"orb": 1}}, 1, {"orb": 1}, "orb", STRAT),
        ({"per_strategy": {"orb": 1}}, 1, {"orb": 1}, "x", None),
        ({"per_strategy": {"orb": 1}}, 0, {}, "orb", None),
        ({"per_strategy": {"off": 0}}, 0, {}, "off", STRAT),
        ({"default_per_strategy": 2}, 2, {"x": 2}, "x", STRAT),
        ({"default_per_strategy": 2}, 1, {"x": 1}, "x", None),
        ({"default_per_strategy": 2, "per_strategy": {"orb": 5}}, 2, {"orb": 2}, "orb", None),
        ({"max_per_day": 10, "default_per_strategy": 2}, 2, {"x": 2}, "y", None),
        ({"per_strategy": {"orb": 1}}, 3, {"orb": 1}, "orb", DAY),  # the day cap first
    ],
)
def test_entry_caps(
    config: dict[str, object],
    entries: int,
    by_strategy: dict[str, int],
    strategy: str,
    expected: str | None,
) -> None:
    rule = MaxEntriesRule(MaxEntriesConfig.model_validate(config))
    state = RiskState(entries=entries, entries_by_strategy=dict(by_strategy))
    d = rule.check(make_intent(strategy_id=strategy), make_ctx(state=state))
    if expected is None:
        assert d is None
    else:
        assert d is not None
        assert d.action is RiskAction.DENY
        assert d.reason_code == expected
        assert d.rule == "max_entries"
    assert state.entries == entries  # the rule only decides; the governor counts


def test_exits_are_never_capped() -> None:
    rule = MaxEntriesRule(MaxEntriesConfig(max_per_day=0, default_per_strategy=0))
    state = RiskState(entries=10, entries_by_strategy={"s1": 10})
    ctx = make_ctx(state=state, is_entry=False, position_qty="10")
    assert rule.check(make_intent(Side.SELL), ctx) is None


def test_disabled_passes_everything() -> None:
    rule = MaxEntriesRule(MaxEntriesConfig(enabled=False, max_per_day=0))
    assert rule.check(make_intent(), make_ctx(state=RiskState(entries=5))) is None


def test_values_for_the_audit() -> None:
    rule = MaxEntriesRule(MaxEntriesConfig(max_per_day=3, per_strategy={"orb": 1}))
    d = rule.check(make_intent(), make_ctx(state=RiskState(entries=3)))
    assert d is not None
    assert d.values == {"entries": 3, "max_per_day": 3}
    assert "3 entries today" in d.message
    state = RiskState(entries=1, entries_by_strategy={"orb": 1})
    d = rule.check(make_intent(strategy_id="orb"), make_ctx(state=state))
    assert d is not None
    assert d.values == {"strategy_id": "orb", "entries": 1, "cap": 1}
    assert "'orb'" in d.message
    json.dumps(dict(d.values))


def test_defaults_round_trip() -> None:
    cfg = MaxEntriesConfig()
    assert (cfg.max_per_day, cfg.per_strategy, cfg.default_per_strategy) == (3, {}, None)
    cfg2 = MaxEntriesConfig(per_strategy={"a": 1}, default_per_strategy=2)
    assert MaxEntriesConfig.model_validate_json(cfg2.model_dump_json()) == cfg2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_per_day": -1}, "max_per_day must be >= 0"),
        ({"default_per_strategy": -2}, "default_per_strategy must be >= 0"),
        ({"per_strategy": {"orb": -1}}, r"per_strategy\['orb'\] must be >= 0"),
        ({"per_strategy": {"orb": 1.5}}, "per_strategy"),
        ({"max_per_dy": 3}, "max_per_dy"),
    ],
)
def test_config_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        MaxEntriesConfig.model_validate(kwargs)


STRATEGIES = ("a", "b", "c")


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    max_per_day=st.one_of(st.none(), st.integers(0, 6)),
    per_strategy=st.dictionaries(st.sampled_from(STRATEGIES), st.integers(0, 3), max_size=2),
    default=st.one_of(st.none(), st.integers(0, 3)),
    intents=st.lists(st.tuples(st.sampled_from(STRATEGIES), st.booleans()), max_size=40),
)
def test_caps_hold_over_random_sequences(
    max_per_day: int | None,
    per_strategy: dict[str, int],
    default: int | None,
    intents: list[tuple[str, bool]],
) -> None:
    """With the caller counting approved entries (as the governor does), no cap is exceeded
    and an entry is denied only when a cap is reached."""
    cfg = MaxEntriesConfig(
        max_per_day=max_per_day, per_strategy=per_strategy, default_per_strategy=default
    )
    rule = MaxEntriesRule(cfg)
    state = RiskState()
    for sid, is_entry in intents:
        d = rule.check(make_intent(strategy_id=sid), make_ctx(state=state, is_entry=is_entry))
        cap = per_strategy.get(sid, default)
        done = state.entries_by_strategy.get(sid, 0)
        at_cap = (max_per_day is not None and state.entries >= max_per_day) or (
            cap is not None and done >= cap
        )
        assert (d is not None) == (is_entry and at_cap)
        if d is None and is_entry:
            state.entries += 1
            state.entries_by_strategy[sid] = done + 1
    if max_per_day is not None:
        assert state.entries <= max_per_day
    for sid, n in state.entries_by_strategy.items():
        cap = per_strategy.get(sid, default)
        assert cap is None or n <= cap
