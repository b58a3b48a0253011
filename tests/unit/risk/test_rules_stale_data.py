"""Stale-data guard: bar age against the threshold, per mode."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from tests.unit.risk.rulectx import ist, make_ctx, make_intent, to_ns

from tronlab.model import Side
from tronlab.risk.decision import RiskAction
from tronlab.risk.rules.stale_data import STALE_DATA, StaleDataConfig, StaleDataRule

NOW = ist(10, 0)
NOW_NS = to_ns(NOW)
S = 1_000_000_000  # ns per second


@pytest.mark.parametrize(
    ("mode", "age_ns", "denied"),
    [
        ("paper", 0, False),
        ("paper", 60 * S, False),
        ("paper", 120 * S - 1, False),
        ("paper", 120 * S, False),  # exactly at the threshold is still fresh
        ("paper", 120 * S + 1, True),  # one ns over
        ("paper", 300 * S, True),
        ("live", 500 * S, True),
        ("live", -5 * S, False),  # a bar stamped after now is not stale
        ("backtest", 10_000 * S, False),  # never stale in a backtest by default
        ("paper", None, True),  # no bar yet
        ("live", None, True),
        ("backtest", None, False),
    ],
)
def test_staleness(mode: str, age_ns: int | None, denied: bool) -> None:
    bars = {} if age_ns is None else {"INFY": NOW_NS - age_ns}
    d = StaleDataRule(StaleDataConfig()).check(
        make_intent(), make_ctx(now=NOW, last_bar_ns=bars, mode=mode)
    )
    if denied:
        assert d is not None
        assert d.action is RiskAction.DENY
        assert d.reason_code == STALE_DATA
        assert d.rule == "stale_data"
    else:
        assert d is None


def test_another_symbols_bar_does_not_count() -> None:
    ctx = make_ctx(now=NOW, last_bar_ns={"TCS": NOW_NS})
    d = StaleDataRule(StaleDataConfig()).check(make_intent(), ctx)
    assert d is not None
    assert "no bar for INFY" in d.message
    assert d.values["last_bar"] is None


def test_values_for_the_audit() -> None:
    ctx = make_ctx(now=NOW, last_bar_ns={"INFY": NOW_NS - 150 * S})
    d = StaleDataRule(StaleDataConfig()).check(make_intent(), ctx)
    assert d is not None
    assert d.values == {
        "symbol": "INFY",
        "now": "2026-03-10T04:30:00+00:00",
        "mode": "paper",
        "max_age_seconds": 120.0,
        "last_bar": "2026-03-10T04:27:30+00:00",
        "age_seconds": 150.0,
    }
    assert d.message == "data for INFY is stale: last bar 150.0 s old (limit 120 s)"
    json.dumps(dict(d.values))


def test_exits_always_allowed() -> None:
    rule = StaleDataRule(StaleDataConfig())
    for bars in ({}, {"INFY": NOW_NS - 3600 * S}):
        ctx = make_ctx(now=NOW, last_bar_ns=bars, is_entry=False, position_qty="10")
        assert rule.check(make_intent(Side.SELL), ctx) is None


def test_disabled_passes_everything() -> None:
    rule = StaleDataRule(StaleDataConfig(enabled=False))
    assert rule.check(make_intent(), make_ctx(now=NOW, last_bar_ns={}, mode="live")) is None


def test_configured_modes_and_threshold() -> None:
    rule = StaleDataRule(StaleDataConfig(max_age_seconds=0.5, modes=("backtest",)))
    ctx = make_ctx(now=NOW, last_bar_ns={"INFY": NOW_NS - S}, mode="backtest")
    assert rule.check(make_intent(), ctx) is not None
    ctx = make_ctx(now=NOW, last_bar_ns={"INFY": NOW_NS - S // 2}, mode="backtest")
    assert rule.check(make_intent(), ctx) is None
    ctx = make_ctx(now=NOW, last_bar_ns={}, mode="live")
    assert rule.check(make_intent(), ctx) is None


def test_defaults_round_trip() -> None:
    cfg = StaleDataConfig()
    assert (cfg.max_age_seconds, cfg.modes) == (120.0, ("paper", "live"))
    assert StaleDataConfig.model_validate_json(cfg.model_dump_json()) == cfg


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_age_seconds": 0}, "max_age_seconds must be a positive"),
        ({"max_age_seconds": -1}, "max_age_seconds must be a positive"),
        ({"max_age_seconds": float("inf")}, "max_age_seconds"),
        ({"max_age_seconds": float("nan")}, "max_age_seconds"),
        ({"modes": ("papr",)}, "did you mean 'paper'"),
        ({"modes": ("sim",)}, "unknown mode 'sim'"),
        ({"max_age": 5}, "max_age"),
    ],
)
def test_config_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        StaleDataConfig.model_validate(kwargs)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    age_ns=st.integers(-60 * S, 1_000 * S),
    max_age=st.sampled_from([1.0, 30.0, 120.0, 299.5]),
    mode=st.sampled_from(["backtest", "paper", "live"]),
)
def test_denied_iff_older_than_the_threshold(age_ns: int, max_age: float, mode: str) -> None:
    rule = StaleDataRule(StaleDataConfig(max_age_seconds=max_age))
    ctx = make_ctx(now=NOW, last_bar_ns={"INFY": NOW_NS - age_ns}, mode=mode)
    d = rule.check(make_intent(), ctx)
    assert (d is not None) == (mode != "backtest" and age_ns > int(max_age * S))
