"""InstrumentId and ClientOrderId."""

from __future__ import annotations

import base64
import hashlib
import random
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tronlab.model import (
    BASE32_ALPHABET,
    ClientOrderId,
    ClientOrderIdGenerator,
    InstrumentId,
    ValidationError,
    Venue,
    base32_encode,
    strategy_slot,
)

T0 = datetime(2025, 1, 2, 3, 45, 6, 789000, tzinfo=UTC)
COID = re.compile(r"^[0-9A-Z]{20}$")


# ---------------------------------------------------------------------- InstrumentId


@pytest.mark.parametrize(
    ("text", "venue", "symbol"),
    [
        ("NSE:RELIANCE", Venue.NSE, "RELIANCE"),
        ("NFO:NIFTY24DEC24000CE", Venue.NFO, "NIFTY24DEC24000CE"),
        ("NSE:NIFTY 50", Venue.NSE, "NIFTY 50"),
        ("NSE:M&M", Venue.NSE, "M&M"),
        ("CRYPTO:BTC/USD", Venue.CRYPTO, "BTC/USD"),
    ],
)
def test_instrument_id_parse_and_format_round_trip(text: str, venue: Venue, symbol: str) -> None:
    iid = InstrumentId.parse(text)
    assert (iid.venue, iid.symbol) == (venue, symbol)
    assert str(iid) == text
    assert InstrumentId.parse(str(iid)) == iid


@pytest.mark.parametrize(
    "text", ["RELIANCE", "XNSE:RELIANCE", "NSE:", "NSE: RELIANCE", "NSE:A:B", "nse:RELIANCE"]
)
def test_instrument_id_rejects_bad_text(text: str) -> None:
    with pytest.raises(ValidationError):
        InstrumentId.parse(text)


def test_instrument_id_accepts_venue_string_and_is_hashable() -> None:
    a = InstrumentId("NSE", "INFY")  # type: ignore[arg-type]
    assert a.venue is Venue.NSE
    assert {a: 1}[InstrumentId(Venue.NSE, "INFY")] == 1
    assert sorted([InstrumentId(Venue.NSE, "B"), InstrumentId(Venue.NSE, "A")])[0].symbol == "A"


# ---------------------------------------------------------------------- ClientOrderId


@pytest.mark.parametrize(
    "bad", ["", "ABC", "A" * 19, "A" * 21, "abcdefghij0123456789", "ABCDEFGHIJ012345678-", 12]
)
def test_client_order_id_validates_format(bad: object) -> None:
    with pytest.raises(ValidationError):
        ClientOrderId(bad)  # type: ignore[arg-type]


def test_client_order_id_accepts_20_chars() -> None:
    cid = ClientOrderId("0123456789ABCDEFGHIJ")
    assert str(cid) == "0123456789ABCDEFGHIJ"
    assert cid.slot == "01"


def _reference_signal_id(*fields: str) -> str:
    """Independent computation: RFC 4648 base32 mapped onto the Crockford alphabet."""
    digest = hashlib.sha256("|".join(fields).encode()).digest()
    rfc = base64.b32encode(digest).decode()
    table = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", BASE32_ALPHABET)
    return rfc.translate(table)[:20]


def test_from_signal_is_base32_sha256_prefix() -> None:
    cid = ClientOrderId.from_signal("ZD1234", "orb", "2025-01-02T09:20:00Z#long", 0)
    assert cid.value == _reference_signal_id("ZD1234", "orb", "2025-01-02T09:20:00Z#long", "0")
    assert COID.match(cid.value)


def test_from_signal_golden_value_is_stable() -> None:
    # Ids are persisted and sent to brokers: the formula must never change silently.
    assert ClientOrderId.from_signal("acct", "orb", "sig1").value == "5THW50Q8ABNGJGP4C3EE"


def test_from_signal_is_deterministic_and_sensitive_to_every_field() -> None:
    base = ClientOrderId.from_signal("acct", "strat", "key", 1)
    assert ClientOrderId.from_signal("acct", "strat", "key", 1) == base
    assert ClientOrderId.from_signal("acct", "strat", "key", "1") == base
    variants = {
        ClientOrderId.from_signal("acct2", "strat", "key", 1),
        ClientOrderId.from_signal("acct", "strat2", "key", 1),
        ClientOrderId.from_signal("acct", "strat", "key2", 1),
        ClientOrderId.from_signal("acct", "strat", "key", 2),
    }
    assert base not in variants
    assert len(variants) == 4


def test_from_signal_separator_cannot_be_smuggled() -> None:
    a = ClientOrderId.from_signal("a|b", "c", "k")
    b = ClientOrderId.from_signal("a", "b|c", "k")
    assert a != b


@pytest.mark.parametrize(
    ("account", "strategy", "key", "leg"),
    [("", "s", "k", 0), ("a", "", "k", 0), ("a", "s", "", 0), ("a", "s", "k", -1)],
)
def test_from_signal_rejects_empty_fields(account: str, strategy: str, key: str, leg: int) -> None:
    with pytest.raises(ValidationError):
        ClientOrderId.from_signal(account, strategy, key, leg)


def test_base32_encode() -> None:
    assert base32_encode(0, 3) == "000"
    assert base32_encode(31, 2) == "0Z"
    assert base32_encode(32, 2) == "10"
    with pytest.raises(ValidationError):
        base32_encode(32**2, 2)


def test_generated_id_layout() -> None:
    gen = ClientOrderIdGenerator("AB", random.Random(7))
    cid = gen.next(T0)
    assert COID.match(cid.value)
    assert cid.slot == "AB"
    ms = (T0 - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
    assert cid.value[2:12] == base32_encode(ms, 10)
    expected_rand = random.Random(7).getrandbits(40)
    assert cid.value[12:] == base32_encode(expected_rand, 8)


def test_generator_is_reproducible_with_a_seeded_rng() -> None:
    a = ClientOrderIdGenerator("AB", random.Random(42))
    b = ClientOrderIdGenerator("AB", random.Random(42))
    times = [T0 + timedelta(milliseconds=i) for i in (0, 0, 5, 3, 100)]
    assert [a.next(t) for t in times] == [b.next(t) for t in times]


def test_generator_accepts_any_timezone() -> None:
    ist = timezone(timedelta(hours=5, minutes=30))
    a = ClientOrderIdGenerator("AB", random.Random(1)).next(T0)
    b = ClientOrderIdGenerator("AB", random.Random(1)).next(T0.astimezone(ist))
    assert a == b


def test_generator_rejects_naive_and_pre_epoch_times_and_bad_slots() -> None:
    gen = ClientOrderIdGenerator("AB", random.Random(1))
    with pytest.raises(ValidationError, match="timezone-aware"):
        gen.next(datetime(2025, 1, 2, 3, 4))
    with pytest.raises(ValidationError):
        gen.next(datetime(1969, 12, 31, tzinfo=UTC))
    for slot in ("A", "ab", "A-", "ABC"):
        with pytest.raises(ValidationError):
            ClientOrderIdGenerator(slot)


def test_generator_default_rng_produces_valid_unique_ids() -> None:
    gen = ClientOrderIdGenerator(strategy_slot("vwap"))
    ids = [gen.next(T0) for _ in range(200)]
    assert len(set(ids)) == 200
    assert all(COID.match(i.value) for i in ids)


def test_strategy_slot() -> None:
    slot = strategy_slot("orb")
    assert re.fullmatch(r"[0-9A-Z]{2}", slot)
    assert strategy_slot("orb") == slot
    assert ClientOrderIdGenerator(slot).slot == slot


@given(
    seed=st.integers(0, 2**32),
    steps=st.lists(st.integers(-50, 50), min_size=1, max_size=60),
)
def test_generated_ids_strictly_increase_even_if_the_clock_steps_back(
    seed: int, steps: list[int]
) -> None:
    gen = ClientOrderIdGenerator("Q7", random.Random(seed))
    t = T0
    ids = []
    for step in steps:
        t += timedelta(milliseconds=step)
        ids.append(gen.next(t).value)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_random_part_overflow_rolls_into_the_next_millisecond() -> None:
    class MaxRng:
        def getrandbits(self, k: int, /) -> int:
            return (1 << k) - 1

    gen = ClientOrderIdGenerator("AB", MaxRng())
    first, second = gen.next(T0), gen.next(T0)
    assert first.value[12:] == "ZZZZZZZZ"
    assert second.value[2:12] > first.value[2:12]
    assert second > first
