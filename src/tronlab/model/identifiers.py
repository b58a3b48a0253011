"""Typed identifiers: :class:`InstrumentId` and :class:`ClientOrderId` (interfaces.md 7.5).

Client order ids are 20 characters from ``[0-9A-Z]`` so they fit Kite's 20-character ``tag``
and Alpaca's 48-character ``client_order_id``. Two layouts share that format:

* **generated** (:class:`ClientOrderIdGenerator`): 2-character strategy slot, 10 characters of
  milliseconds since the Unix epoch, 8 random characters. Ids from one slot sort by time.
* **deterministic** (:meth:`ClientOrderId.from_signal`): the first 20 characters of the base32
  SHA-256 of ``account|strategy_id|signal_key|leg``, so a replayed signal or webhook maps to
  the same id and the broker rejects the duplicate.

Base32 here is Crockford's alphabet (``0-9`` then ``A-Z`` without ``I L O U``), which keeps
the id inside ``[0-9A-Z]`` and makes the time component sort lexicographically.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from tronlab.model._values import as_enum, aware_utc, non_empty_str
from tronlab.model.enums import Venue
from tronlab.model.errors import ValidationError

#: Crockford base32 alphabet, in ascending order (so encoded integers sort correctly).
BASE32_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

CLIENT_ORDER_ID_LENGTH = 20
_SLOT_LEN = 2
_TIME_LEN = 10
_RAND_LEN = 8
_RAND_BITS = 5 * _RAND_LEN
_MAX_MS = 32**_TIME_LEN - 1
_COID_RE = re.compile(r"^[0-9A-Z]{20}$")
_SLOT_RE = re.compile(r"^[0-9A-Z]{2}$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


#: Two base32 characters for every 10-bit value: halves the work of encoding ids.
_PAIRS = tuple(a + b for a in BASE32_ALPHABET for b in BASE32_ALPHABET)


def base32_encode(value: int, length: int) -> str:
    """Encode a non-negative integer as exactly ``length`` Crockford base32 characters."""
    if value < 0 or value >= 32**length:
        raise ValidationError(f"{value} does not fit in {length} base32 characters", code="RANGE")
    out = []
    n = length
    while n >= 2:
        out.append(_PAIRS[value & 0x3FF])
        value >>= 10
        n -= 2
    if n:
        out.append(BASE32_ALPHABET[value & 0x1F])
    return "".join(reversed(out))


def _escape(field: str) -> str:
    # Escaping the separator keeps the hash input injective: ("a|b", "c") != ("a", "b|c").
    return field.replace("\\", "\\\\").replace("|", "\\|")


def _hash_base32(text: str, length: int) -> str:
    digest = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest(), "big")
    return base32_encode(digest >> (256 - 5 * length), length)


def strategy_slot(strategy_id: str) -> str:
    """Derive a 2-character slot from a strategy id (base32 SHA-256, 1024 possible slots).

    Slots are a prefix for recognising our own orders at a glance, not a unique key.
    """
    return _hash_base32(non_empty_str(strategy_id, "strategy_id"), _SLOT_LEN)


@dataclass(frozen=True, slots=True, order=True)
class InstrumentId:
    """Broker-neutral identity of an instrument, written ``VENUE:SYMBOL``.

    Parameters
    ----------
    venue
        Trading venue (a :class:`Venue`; its string value is accepted).
    symbol
        Venue symbol, e.g. ``RELIANCE``, ``NIFTY24DEC24000CE``, ``NIFTY 50``, ``BTC/USD``.
        Must be non-empty, without ``:`` and without surrounding whitespace.

    Examples
    --------
    >>> InstrumentId.parse("NFO:NIFTY24DEC24000CE").venue
    <Venue.NFO: 'NFO'>
    """

    venue: Venue
    symbol: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "venue", as_enum(Venue, self.venue, "venue"))
        symbol = non_empty_str(self.symbol, "symbol")
        if ":" in symbol or not symbol.isprintable():
            raise ValidationError(
                f"symbol must be printable and contain no ':', got {symbol!r}", code="BAD_SYMBOL"
            )

    @classmethod
    def parse(cls, text: str) -> InstrumentId:
        """Read ``VENUE:SYMBOL``; raise ``ValidationError`` on anything else."""
        venue, sep, symbol = text.partition(":")
        if not sep:
            raise ValidationError(
                f"instrument id must look like VENUE:SYMBOL, got {text!r}", code="BAD_ID"
            )
        return cls(as_enum(Venue, venue, "venue"), symbol)

    def __str__(self) -> str:
        return f"{self.venue.value}:{self.symbol}"


@dataclass(frozen=True, slots=True, order=True)
class ClientOrderId:
    """Platform-generated order id: exactly 20 characters from ``[0-9A-Z]``.

    Parameters
    ----------
    value
        The id text.
    """

    value: str

    def __post_init__(self) -> None:
        if not isinstance(self.value, str) or not _COID_RE.match(self.value):
            raise ValidationError(
                f"client order id must be 20 characters from [0-9A-Z], got {self.value!r}",
                code="BAD_CLIENT_ORDER_ID",
            )

    def __str__(self) -> str:
        return self.value

    @property
    def slot(self) -> str:
        """The first two characters (the strategy slot, for generated ids)."""
        return self.value[:_SLOT_LEN]

    @classmethod
    def from_signal(
        cls, account: str, strategy_id: str, signal_key: str, leg: int | str = 0
    ) -> ClientOrderId:
        """Deterministic id for one leg of one signal: replaying the signal gives the same id.

        Parameters
        ----------
        account
            Broker account (or paper account) name.
        strategy_id
            Strategy that emitted the signal.
        signal_key
            The signal's idempotency key (webhook id, bar timestamp + rule, ...).
        leg
            Leg number or name for multi-leg signals; ``0`` for a single order.

        Returns
        -------
        ClientOrderId
            ``base32(SHA-256("account|strategy_id|signal_key|leg"))[:20]``, fields with
            ``\\`` and ``|`` backslash-escaped.
        """
        if isinstance(leg, bool) or (isinstance(leg, int) and leg < 0):
            raise ValidationError(f"leg must be a non-negative int or a str, got {leg!r}")
        fields = (
            non_empty_str(account, "account"),
            non_empty_str(strategy_id, "strategy_id"),
            non_empty_str(signal_key, "signal_key"),
            str(leg) if isinstance(leg, int) else non_empty_str(leg, "leg"),
        )
        return cls(_hash_base32("|".join(_escape(f) for f in fields), CLIENT_ORDER_ID_LENGTH))

    @classmethod
    def compose(cls, slot: str, epoch_ms: int, random_bits: int) -> ClientOrderId:
        """Build a generated-layout id from its three parts.

        Parameters
        ----------
        slot
            Two characters from ``[0-9A-Z]``.
        epoch_ms
            Milliseconds since the Unix epoch, ``0 <= epoch_ms < 32**10``.
        random_bits
            40-bit integer, ``0 <= random_bits < 2**40``.
        """
        if not isinstance(slot, str) or not _SLOT_RE.match(slot):
            raise ValidationError(f"slot must be 2 characters from [0-9A-Z], got {slot!r}")
        return cls(
            slot + base32_encode(epoch_ms, _TIME_LEN) + base32_encode(random_bits, _RAND_LEN)
        )


class RandomSource(Protocol):
    """Anything with ``getrandbits``: :class:`random.Random`, :class:`random.SystemRandom`."""

    def getrandbits(self, k: int, /) -> int:
        """Return a non-negative integer with ``k`` random bits."""
        ...


class ClientOrderIdGenerator:
    """Generates unique, time-sortable client order ids for one strategy slot.

    Time is passed in (the model never reads the wall clock) and the random source is
    injected, so a seeded :class:`random.Random` gives reproducible ids in backtests.
    Within one generator ids are strictly increasing: when the time does not advance (same
    millisecond, or a clock step backwards), the previous random part is incremented instead
    of drawing a new one, as ULID's monotonic mode does.

    Parameters
    ----------
    slot
        Two characters from ``[0-9A-Z]``, e.g. ``strategy_slot("orb")``.
    rng
        Random source; defaults to :class:`random.SystemRandom` (OS entropy).
    """

    def __init__(self, slot: str, rng: RandomSource | None = None) -> None:
        ClientOrderId.compose(slot, 0, 0)  # validates the slot
        self._slot = slot
        self._rng: RandomSource = rng if rng is not None else random.SystemRandom()
        self._last_ms = -1
        self._last_rand = 0

    @property
    def slot(self) -> str:
        """The strategy slot every id starts with."""
        return self._slot

    def next(self, ts: datetime) -> ClientOrderId:
        """Return a new id stamped with ``ts`` (tz-aware, not before 1970)."""
        when = aware_utc(ts, "ts")
        ms = (when - _EPOCH) // _MS
        if ms < 0 or ms > _MAX_MS:
            raise ValidationError(f"timestamp {when.isoformat()} is outside the id time range")
        if ms <= self._last_ms:
            ms, rand = self._last_ms, self._last_rand + 1
            if rand >= 1 << _RAND_BITS:
                ms, rand = ms + 1, self._rng.getrandbits(_RAND_BITS)
        else:
            rand = self._rng.getrandbits(_RAND_BITS)
        self._last_ms, self._last_rand = ms, rand
        if ms > _MAX_MS:  # only after a random-part overflow at the very end of the range
            return ClientOrderId.compose(self._slot, ms, rand)  # raises RANGE
        # What compose() builds, without re-checking: the slot was validated at construction,
        # 0 <= ms <= _MAX_MS and 0 <= rand < 2**40 hold here.
        p = _PAIRS  # base32_encode(ms, 10) + base32_encode(rand, 8), unrolled
        text = (
            self._slot
            + p[ms >> 40]
            + p[(ms >> 30) & 0x3FF]
            + p[(ms >> 20) & 0x3FF]
            + p[(ms >> 10) & 0x3FF]
            + p[ms & 0x3FF]
            + p[rand >> 30]
            + p[(rand >> 20) & 0x3FF]
            + p[(rand >> 10) & 0x3FF]
            + p[rand & 0x3FF]
        )
        coid = object.__new__(ClientOrderId)
        object.__setattr__(coid, "value", text)
        return coid
