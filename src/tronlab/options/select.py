"""Pick option contracts from a list of instruments: live expiries, strikes around the money.

Pure functions on :class:`~tronlab.model.Instrument` lists (e.g. ``ctx.instruments("NIFTY")``),
no I/O. Conventions:

* an option is *live* at ``now`` while its expiry instant (15:30 IST on the expiry date) is
  more than ``min_left`` away;
* the **at-the-money** strike is the listed strike nearest the spot (a tie goes to the lower
  strike);
* the **n-th out-of-the-money** strike of a call is the n-th listed strike strictly above the
  spot, of a put the n-th strictly below (``n = 1``: the first OTM strike);
* ``offset`` steps count listed strikes from the ATM one (``+1`` the next strike up).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from tronlab.model.enums import InstrumentKind, OptionRight
from tronlab.model.instruments import Instrument
from tronlab.options.time import expiry_instant

__all__ = [
    "atm_strike",
    "live_options",
    "nearest_expiry",
    "offset_strike",
    "option_at",
    "otm_strike",
    "strikes_of",
]


def live_options(
    instruments: Iterable[Instrument],
    now: datetime,
    *,
    underlying: str | None = None,
    min_left: timedelta = timedelta(0),
) -> list[Instrument]:
    """The options of ``instruments`` (of ``underlying`` when given) expiring more than
    ``min_left`` after ``now``, in symbol order."""
    out = []
    for inst in instruments:
        if inst.kind is not InstrumentKind.OPT or inst.expiry is None or inst.strike is None:
            continue
        if underlying is not None and (inst.underlying or "").upper() != underlying.upper():
            continue
        if expiry_instant(inst.expiry) - now > min_left:
            out.append(inst)
    return sorted(out, key=lambda i: i.symbol)


def nearest_expiry(
    instruments: Iterable[Instrument],
    now: datetime,
    *,
    underlying: str | None = None,
    min_left: timedelta = timedelta(0),
) -> date | None:
    """The nearest expiry date among the live options (``None`` when there is none)."""
    live = live_options(instruments, now, underlying=underlying, min_left=min_left)
    return min((i.expiry for i in live if i.expiry is not None), default=None)


def strikes_of(
    instruments: Iterable[Instrument], expiry: date, right: OptionRight | None = None
) -> list[Decimal]:
    """The listed strikes of the options expiring on ``expiry`` (of ``right`` when given),
    ascending."""
    found = {
        i.strike
        for i in instruments
        if i.kind is InstrumentKind.OPT
        and i.expiry == expiry
        and i.strike is not None
        and (right is None or i.right is right)
    }
    return sorted(s for s in found if s is not None)


def atm_strike(strikes: Sequence[Decimal], spot: float) -> Decimal:
    """The strike nearest ``spot`` (a tie goes to the lower strike)."""
    if not strikes:
        raise ValueError("no strikes to choose from")
    level = Decimal(repr(float(spot)))
    return min(strikes, key=lambda k: (abs(k - level), k))


def otm_strike(strikes: Sequence[Decimal], spot: float, right: OptionRight, n: int = 1) -> Decimal:
    """The ``n``-th out-of-the-money strike of ``right`` (``n >= 1``; ValueError when the
    list has too few)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    level = Decimal(repr(float(spot)))
    if right is OptionRight.CALL:
        side = sorted(k for k in strikes if k > level)
    else:
        side = sorted((k for k in strikes if k < level), reverse=True)
    if len(side) < n:
        raise ValueError(f"fewer than {n} out-of-the-money {right.kite} strikes around {spot}")
    return side[n - 1]


def offset_strike(strikes: Sequence[Decimal], atm: Decimal, steps: int) -> Decimal:
    """The strike ``steps`` listed strikes away from ``atm`` (negative: below)."""
    ordered = sorted(strikes)
    if atm not in ordered:
        raise ValueError(f"{atm} is not a listed strike")
    i = ordered.index(atm) + steps
    if not 0 <= i < len(ordered):
        raise ValueError(
            f"no strike {steps:+d} steps from {atm} (listed {ordered[0]}..{ordered[-1]})"
        )
    return ordered[i]


def option_at(
    instruments: Iterable[Instrument], expiry: date, strike: Decimal, right: OptionRight
) -> Instrument:
    """The option with that expiry, strike and right (ValueError when it is not listed)."""
    for inst in instruments:
        if (
            inst.kind is InstrumentKind.OPT
            and inst.expiry == expiry
            and inst.strike == strike
            and inst.right is right
        ):
            return inst
    raise ValueError(f"no {strike} {right.kite} option expiring on {expiry.isoformat()}")
