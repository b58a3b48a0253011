"""Entry window (session, cutoff, opening window) and the square-off helpers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from tests.unit.risk.rulectx import ist, make_ctx, make_intent

from tronlab.model import InstrumentKind, Product, Side
from tronlab.risk.decision import RiskAction
from tronlab.risk.rules.time_windows import (
    ENTRY_CUTOFF,
    OPENING_WINDOW,
    OUTSIDE_SESSION,
    EntryWindowConfig,
    EntryWindowRule,
    SquareOffConfig,
    square_off_due,
    square_off_schedule,
    square_off_time,
)

DEFAULT = EntryWindowConfig()
OPENING_15 = EntryWindowConfig(no_entry_after_open_minutes=15)
NO_CUTOFF = EntryWindowConfig(entry_cutoff=None)


@pytest.mark.parametrize(
    ("config", "local", "expected"),
    [
        (DEFAULT, ist(9, 14, 59), OUTSIDE_SESSION),
        (DEFAULT, ist(9, 15), None),  # the open itself, no opening window by default
        (DEFAULT, ist(12, 0), None),
        (DEFAULT, ist(14, 59, 59, 999_999), None),
        (DEFAULT, ist(15, 0), ENTRY_CUTOFF),  # exactly at the cutoff
        (DEFAULT, ist(15, 29, 59), ENTRY_CUTOFF),
        (DEFAULT, ist(15, 30), OUTSIDE_SESSION),  # the close is exclusive
        (DEFAULT, ist(20, 0), OUTSIDE_SESSION),
        (OPENING_15, ist(9, 15), OPENING_WINDOW),
        (OPENING_15, ist(9, 29, 59, 999_999), OPENING_WINDOW),
        (OPENING_15, ist(9, 30), None),
        (NO_CUTOFF, ist(15, 10), None),
        (NO_CUTOFF, ist(15, 30), OUTSIDE_SESSION),
        (EntryWindowConfig(entry_cutoff="14:30"), ist(14, 30), ENTRY_CUTOFF),
        (EntryWindowConfig(entry_cutoff="14:30"), ist(14, 29), None),
    ],
)
def test_entry_window(config: EntryWindowConfig, local: datetime, expected: str | None) -> None:
    d = EntryWindowRule(config).check(make_intent(), make_ctx(now=local))
    if expected is None:
        assert d is None
    else:
        assert d is not None
        assert d.action is RiskAction.DENY
        assert d.reason_code == expected
        assert d.rule == "entry_window"


def test_no_session_today() -> None:
    d = EntryWindowRule(DEFAULT).check(make_intent(), make_ctx(now=ist(10, 0), session=None))
    assert d is not None
    assert d.reason_code == OUTSIDE_SESSION
    assert "no session today" in d.message


def test_allow_outside_session_still_applies_the_cutoff() -> None:
    rule = EntryWindowRule(EntryWindowConfig(allow_outside_session=True))
    assert rule.check(make_intent(), make_ctx(now=ist(8, 0), session=None)) is None
    assert rule.check(make_intent(), make_ctx(now=ist(8, 0))) is None  # before the open
    d = rule.check(make_intent(), make_ctx(now=ist(16, 0), session=None))
    assert d is not None
    assert d.reason_code == ENTRY_CUTOFF


def test_cutoff_is_exchange_local_time() -> None:
    """09:30 UTC is 15:00 IST: the cutoff compares the exchange's wall time, not UTC."""
    now = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
    d = EntryWindowRule(DEFAULT).check(make_intent(), make_ctx(now=now))
    assert d is not None
    assert d.reason_code == ENTRY_CUTOFF
    ny = ZoneInfo("America/New_York")
    us_open = datetime(2026, 3, 10, 9, 30, tzinfo=ny)
    us_close = datetime(2026, 3, 10, 16, 0, tzinfo=ny)
    ctx = make_ctx(now=datetime(2026, 3, 10, 14, 59, tzinfo=ny), session=(us_open, us_close), tz=ny)
    assert EntryWindowRule(DEFAULT).check(make_intent(), ctx) is None


@pytest.mark.parametrize("local", [ist(9, 16), ist(15, 10), ist(20, 0), ist(3, 0)])
def test_exits_always_allowed(local: datetime) -> None:
    rule = EntryWindowRule(EntryWindowConfig(no_entry_after_open_minutes=30))
    ctx = make_ctx(now=local, is_entry=False, position_qty="10")
    assert rule.check(make_intent(Side.SELL), ctx) is None
    assert (
        rule.check(make_intent(Side.SELL), make_ctx(now=local, session=None, is_entry=False))
        is None
    )


def test_disabled_passes_everything() -> None:
    rule = EntryWindowRule(EntryWindowConfig(enabled=False))
    assert rule.check(make_intent(), make_ctx(now=ist(15, 10))) is None
    assert rule.check(make_intent(), make_ctx(now=ist(20, 0), session=None)) is None


def test_values_for_the_audit() -> None:
    d = EntryWindowRule(DEFAULT).check(make_intent(), make_ctx(now=ist(15, 0)))
    assert d is not None
    assert d.values == {
        "now": "2026-03-10T09:30:00+00:00",
        "local_now": "2026-03-10T15:00:00+05:30",
        "session_open": "2026-03-10T03:45:00+00:00",
        "session_close": "2026-03-10T10:00:00+00:00",
        "entry_cutoff": "15:00",
    }
    json.dumps(dict(d.values))
    d = EntryWindowRule(OPENING_15).check(make_intent(), make_ctx(now=ist(9, 20)))
    assert d is not None
    assert d.values["allowed_from"] == "2026-03-10T04:00:00+00:00"
    assert d.values["no_entry_after_open_minutes"] == 15


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"entry_cutoff": "25:00"}, "HH:MM"),
        ({"entry_cutoff": "1500"}, "HH:MM"),
        ({"entry_cutoff": "ab:cd"}, "HH:MM"),
        ({"no_entry_after_open_minutes": -1}, "no_entry_after_open_minutes must be >= 0"),
        ({"cutoff": "15:00"}, "cutoff"),
    ],
)
def test_config_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        EntryWindowConfig.model_validate(kwargs)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    seconds=st.integers(0, 86_399),
    micros=st.integers(0, 999_999),
    cutoff=st.sampled_from(["15:00", "14:30", "11:00", "15:29"]),
    opening=st.integers(0, 60),
)
def test_no_entry_at_or_after_the_cutoff(
    seconds: int, micros: int, cutoff: str, opening: int
) -> None:
    local = ist(seconds // 3600, seconds // 60 % 60, seconds % 60, micros)
    cfg = EntryWindowConfig(entry_cutoff=cutoff, no_entry_after_open_minutes=opening)
    d = EntryWindowRule(cfg).check(make_intent(), make_ctx(now=local))
    hh, mm = map(int, cutoff.split(":"))
    last = min(time(hh, mm), time(15, 0))  # never in the last 30 minutes before the 15:30 close
    t = local.time()
    after_open = (t.hour * 60 + t.minute) - (9 * 60 + 15)
    allowed = time(9, 15) <= t < last and after_open >= opening
    assert (d is None) == allowed
    if t >= last:
        assert d is not None


# ---------------------------------------------------------------------------- square-off


def test_square_off_defaults_are_the_nse_times() -> None:
    cfg = SquareOffConfig()
    assert square_off_time(cfg, "EQ") == time(15, 20)
    assert square_off_time(cfg, InstrumentKind.FUT) == time(15, 25)
    assert square_off_time(cfg, "opt") == time(15, 25)
    assert cfg.products == ("MIS",)
    assert square_off_schedule(cfg) == {
        "EQ": time(15, 20),
        "FUT": time(15, 25),
        "OPT": time(15, 25),
    }
    assert square_off_schedule(SquareOffConfig(enabled=False)) == {}
    with pytest.raises(KeyError, match="INDEX"):
        square_off_time(cfg, "INDEX")


@pytest.mark.parametrize(
    ("kind", "product", "local", "due"),
    [
        ("EQ", Product.MIS, ist(15, 19, 59), False),
        ("EQ", Product.MIS, ist(15, 20), True),  # exactly at the time
        ("EQ", Product.MIS, ist(15, 45), True),
        (InstrumentKind.EQ, "INTRADAY", ist(15, 20), True),
        ("EQ", Product.CNC, ist(15, 25), False),  # delivery is carried
        ("EQ", None, ist(15, 25), False),  # no product (Alpaca)
        ("FUT", Product.MIS, ist(15, 24, 59), False),
        ("FUT", Product.MIS, ist(15, 25), True),
        ("OPT", Product.MIS, ist(15, 25), True),
        ("FUT", Product.NRML, ist(15, 25), False),
        ("INDEX", Product.MIS, ist(15, 25), False),  # no time configured
        ("EQ", Product.MIS, ist(9, 30), False),
    ],
)
def test_square_off_due(
    kind: str | InstrumentKind, product: Product | str | None, local: datetime, due: bool
) -> None:
    assert square_off_due(SquareOffConfig(), kind, product, local) is due


def test_square_off_configurable_and_disabled() -> None:
    cfg = SquareOffConfig(times={"eq": "15:15"}, products=("MIS", "NRML"))
    assert cfg.times == {"EQ": "15:15"}
    assert square_off_due(cfg, "EQ", "NRML", ist(15, 15))
    assert not square_off_due(cfg, "FUT", "NRML", ist(15, 30))
    off = SquareOffConfig(enabled=False)
    assert not square_off_due(off, "EQ", Product.MIS, ist(15, 29))
    assert SquareOffConfig.model_validate_json(cfg.model_dump_json()) == cfg


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"times": {"XYZ": "15:20"}}, "unknown instrument kind 'XYZ'"),
        ({"times": {"EQ": "15:61"}}, "HH:MM"),
        ({"products": ("FOO",)}, "unknown product 'FOO'"),
        ({"time": {}}, "time"),
    ],
)
def test_square_off_config_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SquareOffConfig.model_validate(kwargs)
