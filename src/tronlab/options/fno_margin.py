"""Margin and Greeks of a live F&O book, from last prices: what the simulated exchange's funds
check and the risk governor's margin and Greeks rules share.

A *book* is ``Instrument -> signed quantity`` in units (lots × lot size). Contracts that have
expired (15:30 IST on the expiry date at or before ``now``), zero quantities and anything
that is not a future or an option are left out.

Inputs from the market
    ``forward_of(underlying)`` gives an underlying's price (the engine maps ``NIFTY`` to the
    index series of the run, falling back to a future of it); every underlying of the book
    must have one, else :class:`UnpricedError`. ``price_of(symbol)`` gives an option's last
    price, from which its Black-76 implied volatility is solved on that forward; where there
    is no price, or no volatility fits (a quote at the 0.05 floor, a price below intrinsic
    value), ``default_vol`` is used.

Margin (:func:`book_margin`)
    Per underlying, :func:`~tronlab.options.margin.span_like_margin` gives the scan risk, the
    short option minimum and the exposure margin; the value of the *long* options is then
    credited against the scan risk, as SPAN does with the net option value of long options
    (the buyer has paid the premium in full, and a long option cannot lose more than its
    value)::

        requirement_u = max(scan_risk_u - long_option_value_u, short_option_min_u, 0)
                        + exposure_u

    So a book of long options needs no margin (its premium is paid in cash), a short option
    or a future needs its SPAN-like margin, and a hedged book (an iron condor, a future with
    a protective put) needs less than its legs alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import numpy as np
import pandas as pd

from tronlab.model.enums import InstrumentKind, OptionRight
from tronlab.model.instruments import Instrument
from tronlab.options.iv import implied_vol_black76
from tronlab.options.margin import SpanParams, scenario_grid, underlying_margin
from tronlab.options.portfolio import Leg, PortfolioGreeks, portfolio_greeks, prepare_legs
from tronlab.options.pricing import black76_price
from tronlab.options.time import expiry_instant, year_fraction

__all__ = [
    "BookMargin",
    "FnoMargin",
    "MarginQuote",
    "PriceOf",
    "UnpricedError",
    "book_greeks",
    "book_margin",
    "implied_vols",
    "is_fno",
    "live_book",
    "resolve_forwards",
]

PriceOf = Callable[[str], float | None]
"""A symbol (or an underlying name) -> its last price, ``None`` when unknown."""

_FNO = (InstrumentKind.FUT, InstrumentKind.OPT)
_MIN_VOL = 0.01
_MAX_VOL = 3.0


class UnpricedError(ValueError):
    """No price for some underlyings of the book (``underlyings`` names them)."""

    def __init__(self, underlyings: Iterable[str]) -> None:
        self.underlyings = tuple(sorted(set(underlyings)))
        super().__init__(
            "no price for the underlying "
            + ", ".join(self.underlyings)
            + " (map it to the series of its index, e.g. EngineConfig.underlyings)"
        )


def is_fno(instrument: Instrument) -> bool:
    """Whether ``instrument`` is a future or an option."""
    return instrument.kind in _FNO


def _underlying(instrument: Instrument) -> str:
    return instrument.underlying if instrument.underlying is not None else instrument.symbol


def live_book(
    book: Mapping[Instrument, Decimal | float], now: datetime
) -> dict[Instrument, Decimal]:
    """The futures and options of ``book`` with a non-zero quantity that have not expired."""
    out: dict[Instrument, Decimal] = {}
    for inst, qty in book.items():
        q = qty if isinstance(qty, Decimal) else Decimal(repr(float(qty)))
        if q == 0 or not is_fno(inst):
            continue
        if inst.expiry is not None and expiry_instant(inst.expiry) <= now:
            continue
        out[inst] = q
    return out


def resolve_forwards(instruments: Iterable[Instrument], forward_of: PriceOf) -> dict[str, float]:
    """The price of each underlying of ``instruments`` (raises :class:`UnpricedError`)."""
    out: dict[str, float] = {}
    missing: list[str] = []
    for inst in instruments:
        name = _underlying(inst)
        if name in out or name in missing:
            continue
        price = forward_of(name)
        if price is None or not math.isfinite(price) or price <= 0:
            missing.append(name)
        else:
            out[name] = float(price)
    if missing:
        raise UnpricedError(missing)
    return out


def implied_vols(
    options: Iterable[Instrument],
    price_of: PriceOf,
    forwards: Mapping[str, float],
    now: datetime,
    r: float = 0.065,
    default_vol: float = 0.15,
) -> dict[Instrument, float]:
    """Black-76 implied volatility of each option from its last price on its underlying's
    forward, clipped to [1%, 300%]; ``default_vol`` where none can be solved."""
    out: dict[Instrument, float] = {}
    solve: list[tuple[Instrument, float, float, float, float, bool]] = []
    for inst in options:
        if inst.kind is not InstrumentKind.OPT or inst.expiry is None or inst.strike is None:
            continue
        out[inst] = default_vol
        price = price_of(inst.symbol)
        t = float(year_fraction(now, inst.expiry))
        if price is not None and math.isfinite(price) and price > 0 and not math.isnan(t):
            fwd = forwards[_underlying(inst)]
            solve.append((inst, price, fwd, float(inst.strike), t, inst.right is OptionRight.CALL))
    if solve:
        cols = list(zip(*solve, strict=True))
        ivs = np.atleast_1d(implied_vol_black76(cols[1], cols[2], cols[3], cols[4], r, cols[5]).iv)
        for (inst, *_rest), iv in zip(solve, ivs, strict=True):
            if math.isfinite(iv) and iv > 0:
                out[inst] = min(max(float(iv), _MIN_VOL), _MAX_VOL)
    return out


@dataclass(frozen=True, slots=True)
class BookMargin:
    """Margin of a book in currency (method in the module docstring).

    ``total = span + exposure``; ``span`` is the sum over underlyings of
    ``max(scan_risk - long_option_value, short_option_min, 0)``; ``by_underlying`` maps an
    underlying to its requirement.
    """

    total: float
    span: float
    exposure: float
    scan_risk: float
    short_option_min: float
    long_option_value: float
    by_underlying: Mapping[str, float] = field(default_factory=dict)

    @property
    def amount(self) -> Decimal:
        """``total`` as a Decimal rounded to the paisa."""
        return Decimal(repr(round(self.total, 2)))


ZERO_MARGIN = BookMargin(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def book_margin(
    positions: Mapping[Instrument, Decimal | float],
    forwards: Mapping[str, float],
    vols: Mapping[Instrument, float] | float,
    now: datetime,
    r: float = 0.065,
    params: SpanParams | None = None,
    *,
    grid: pd.DataFrame | None = None,
) -> BookMargin:
    """SPAN-like margin of ``positions`` with long options credited (module docstring).
    ``grid`` is :func:`~tronlab.options.margin.scenario_grid` of ``params`` when given."""
    p = params or SpanParams()
    live = live_book(positions, now)
    if not live:
        return ZERO_MARGIN
    legs = prepare_legs(live, forwards, vols, now)
    grid = scenario_grid(p) if grid is None else grid
    groups: dict[str, list[Leg]] = {}
    for leg in legs:
        groups.setdefault(leg.key, []).append(leg)
    by: dict[str, float] = {}
    span = exposure = scan_risk = somc = long_total = 0.0
    for name in sorted(groups):
        group = groups[name]
        u = underlying_margin(name, group, grid, p, float(r))
        longs = [leg for leg in group if leg.is_option and leg.size > 0]
        long_value = 0.0
        if longs:
            values = black76_price(
                np.array([leg.forward for leg in longs]),
                np.array([leg.strike for leg in longs]),
                np.array([leg.t for leg in longs]),
                np.array([leg.vol for leg in longs]),
                r,
                np.array([leg.is_call for leg in longs]),
            )
            long_value = float(np.dot(np.array([leg.size for leg in longs]), values))
        u_span = max(u.scan_risk - long_value, u.somc, 0.0)
        by[name] = u_span + u.exposure
        span += u_span
        exposure += u.exposure
        scan_risk += u.scan_risk
        somc += u.somc
        long_total += long_value
    return BookMargin(
        total=span + exposure,
        span=span,
        exposure=exposure,
        scan_risk=scan_risk,
        short_option_min=somc,
        long_option_value=long_total,
        by_underlying=by,
    )


def book_greeks(
    book: Mapping[Instrument, Decimal | float],
    price_of: PriceOf,
    forward_of: PriceOf,
    now: datetime,
    r: float = 0.065,
    default_vol: float = 0.15,
) -> PortfolioGreeks:
    """Net Greeks (:func:`~tronlab.options.portfolio.portfolio_greeks`) of the live part of
    ``book``, with forwards and implied volatilities from the market (module docstring)."""
    live = live_book(book, now)
    forwards = resolve_forwards(live, forward_of)
    vols = implied_vols(live, price_of, forwards, now, r, default_vol)
    return portfolio_greeks(live, forwards, vols, now, r)


@dataclass(frozen=True)
class FnoMargin:
    """The SPAN-like margin model of an account: risk parameters, rate and fallback vol."""

    params: SpanParams = field(default_factory=SpanParams)
    r: float = 0.065
    default_vol: float = 0.15

    def __post_init__(self) -> None:
        if not (math.isfinite(self.r) and math.isfinite(self.default_vol)):
            raise ValueError("r and default_vol must be finite")
        if self.default_vol <= 0:
            raise ValueError(f"default_vol must be > 0, got {self.default_vol}")
        object.__setattr__(self, "_grid", scenario_grid(self.params))

    def requirement(
        self,
        book: Mapping[Instrument, Decimal | float],
        price_of: PriceOf,
        forward_of: PriceOf,
        now: datetime,
    ) -> BookMargin:
        """Margin of ``book`` at ``now`` (raises :class:`UnpricedError`)."""
        return self.requirements([book], price_of, forward_of, now)[0]

    def requirements(
        self,
        books: Sequence[Mapping[Instrument, Decimal | float]],
        price_of: PriceOf,
        forward_of: PriceOf,
        now: datetime,
    ) -> list[BookMargin]:
        """Margin of each of ``books`` at ``now``, with the forwards and implied
        volatilities of all of them resolved once (raises :class:`UnpricedError`)."""
        lives = [live_book(book, now) for book in books]
        union = {inst for live in lives for inst in live}
        if not union:
            return [ZERO_MARGIN for _ in books]
        forwards = resolve_forwards(sorted(union, key=lambda i: i.symbol), forward_of)
        vols = implied_vols(union, price_of, forwards, now, self.r, self.default_vol)
        grid: pd.DataFrame = getattr(self, "_grid")  # noqa: B009
        return [
            book_margin(live, forwards, vols, now, self.r, self.params, grid=grid) for live in lives
        ]


@dataclass(frozen=True, slots=True)
class MarginQuote:
    """What a set of orders would do to an account's margin (the exchange answers it).

    ``collateral``: funds that can carry margin (equity less the requirement of non-F&O
    positions and less the value of long options, whose premium is spent). ``held``: what is
    already held against it (F&O margin of the positions, margin and premium reserved for
    working orders). ``needed``: what the orders add (margin increase, floored at 0, plus the
    premium of the long options they buy). ``margin_before`` / ``margin_after``: F&O margin of
    the positions and working orders without / with the orders.
    """

    collateral: Decimal
    held: Decimal
    needed: Decimal
    premium: Decimal = Decimal(0)
    margin_before: Decimal = Decimal(0)
    margin_after: Decimal = Decimal(0)

    @property
    def available(self) -> Decimal:
        return self.collateral - self.held

    @property
    def used_after(self) -> Decimal:
        """Everything held once the orders are in: ``held + needed``."""
        return self.held + self.needed
