"""How a resting order meets a bar: the intrabar path rule, gaps, slippage and participation.

Pure functions on floats; the simulated exchange turns their answers into fills.

**Path assumption** (TradingView's broker emulator, interfaces.md 5.2): inside a bar the price
travels open -> nearer extreme -> farther extreme -> close, i.e. ``open -> high -> low -> close``
when ``high - open < open - low`` and ``open -> low -> high -> close`` otherwise. It moves
continuously along each leg, so a level between two path points is touched exactly once per
leg that spans it.

**Rules** (prices per unit, before slippage):

* MARKET fills at the bar's open (``market_fill="next_open"``, the default: an order decided
  on bar t's close meets bar t+1) or at the deciding bar's close (``"close"``: the convention
  of the peer benchmarks and of TradingView's ``process_orders_on_close``).
* LIMIT buy at L: the open if ``open <= L`` (a gap through the limit fills at the better open),
  else L when the path reaches L. Conservative by default (``limit_fill="through"``): the price
  must trade *beyond* L by at least one tick, because a touch does not prove that the queue
  ahead of us was filled. ``limit_fill="touch"`` gives TradingView parity. Sells mirror this.
* STOP buy at S: the open if ``open >= S`` (gap), else S when the path reaches S. Sells mirror.
* STOP_LIMIT buy (S, L): triggers like a stop; from the trigger point on it is a limit at L
  and can fill later on the same path (e.g. triggered on the way up, filled on the way down).
  An order triggered but not filled rests as a limit order on the next bars.
* Slippage worsens MARKET and STOP fills (never a limit fill beyond its limit) and is rounded
  to the tick against us (buys up, sells down).
* A bar's fillable quantity is capped by ``participation * bar volume`` (rounded down to the
  lot); a bar with zero volume (index data) is not capped. What is left stays working.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Protocol

MarketFill = Literal["next_open", "close"]
LimitFill = Literal["through", "touch"]


class SlippageModel(Protocol):
    """Adverse price move, as a price difference >= 0, for a fill of ``qty`` at ``price``."""

    def slip(self, price: float, qty: float, bar_volume: float) -> float: ...


@dataclass(frozen=True)
class NoSlippage:
    def slip(self, price: float, qty: float, bar_volume: float) -> float:
        return 0.0


@dataclass(frozen=True)
class FixedBps:
    """A constant cost of ``bps`` basis points of the price."""

    bps: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.bps) and self.bps >= 0):
            raise ValueError(f"slippage bps must be >= 0, got {self.bps}")

    def slip(self, price: float, qty: float, bar_volume: float) -> float:
        return price * self.bps * 1e-4


@dataclass(frozen=True)
class FixedTicks:
    """A constant number of ticks (TradingView's ``slippage`` setting)."""

    ticks: int
    tick: float

    def slip(self, price: float, qty: float, bar_volume: float) -> float:
        return self.ticks * self.tick


@dataclass(frozen=True)
class VolumeImpact:
    """Square-root market impact: ``base_bps + coefficient * sqrt(qty / bar_volume)`` (as a
    fraction of price, coefficient in bps), capped at ``max_bps``. Zero-volume bars pay
    ``max_bps``: trading into a bar with no reported volume is assumed to be expensive."""

    coefficient_bps: float = 10.0
    base_bps: float = 0.0
    max_bps: float = 100.0

    def slip(self, price: float, qty: float, bar_volume: float) -> float:
        if bar_volume <= 0:
            bps = self.max_bps
        else:
            bps = min(
                self.max_bps, self.base_bps + self.coefficient_bps * math.sqrt(qty / bar_volume)
            )
        return price * bps * 1e-4


def slippage_from_spec(spec: str, tick: float = 0.01) -> SlippageModel:
    """``none``, ``bps:5``, ``ticks:2``, ``impact:10`` (coefficient in bps)."""
    name, _, arg = spec.partition(":")
    name = name.strip().lower()
    try:
        if name in ("", "none", "0"):
            return NoSlippage()
        if name == "bps":
            return FixedBps(float(arg))
        if name == "ticks":
            return FixedTicks(int(arg), tick)
        if name == "impact":
            return VolumeImpact(float(arg) if arg else 10.0)
    except ValueError as exc:
        raise ValueError(f"bad slippage spec {spec!r}: {exc}") from None
    raise ValueError(f"unknown slippage model {spec!r}: use none, bps:N, ticks:N or impact:N")


@dataclass(frozen=True)
class FillConfig:
    """Fill conventions of the simulated exchange (see the module docstring)."""

    market_fill: MarketFill = "next_open"
    limit_fill: LimitFill = "through"
    participation: float | None = None  # max share of a bar's volume, e.g. 0.1
    slippage: SlippageModel = NoSlippage()
    latency_bars: int = 0  # extra bars before an order can first fill
    latency_ms: int = 0  # an order can only meet bars that start after it arrived

    def __post_init__(self) -> None:
        if self.market_fill not in ("next_open", "close"):
            raise ValueError(f"market_fill must be next_open or close, got {self.market_fill!r}")
        if self.limit_fill not in ("through", "touch"):
            raise ValueError(f"limit_fill must be through or touch, got {self.limit_fill!r}")
        if self.participation is not None and not 0 < self.participation <= 1:
            raise ValueError(f"participation must be in (0, 1], got {self.participation}")
        if self.latency_bars < 0 or self.latency_ms < 0:
            raise ValueError("latency must be >= 0")
        if self.market_fill == "close" and (self.latency_bars or self.latency_ms):
            raise ValueError("market_fill='close' cannot be combined with latency")


def path(o: float, h: float, low: float, c: float) -> tuple[float, float, float, float]:
    """The four path points of a bar (see the module docstring)."""
    if h - o < o - low:
        return (o, h, low, c)
    return (o, low, h, c)


@dataclass(frozen=True, slots=True)
class Touch:
    """Where the path first reaches a level: the price paid and the leg (0 = at the open)."""

    price: float
    leg: int


def first_touch_up(points: tuple[float, ...], level: float, start_leg: int = 0) -> Touch | None:
    """First place from ``start_leg`` where price >= ``level`` (a buy stop, a sell limit).

    Leg 0 is the open itself; leg ``j`` is the move from ``points[j-1]`` to ``points[j]``."""
    if start_leg == 0:
        if points[0] >= level:
            return Touch(points[0], 0)
        start_leg = 1
    for leg in range(start_leg, len(points)):
        a, b = points[leg - 1], points[leg]
        if max(a, b) >= level:
            return Touch(a if a >= level else level, leg)
    return None


def first_touch_down(points: tuple[float, ...], level: float, start_leg: int = 0) -> Touch | None:
    """First place from ``start_leg`` where price <= ``level`` (a buy limit, a sell stop)."""
    if start_leg == 0:
        if points[0] <= level:
            return Touch(points[0], 0)
        start_leg = 1
    for leg in range(start_leg, len(points)):
        a, b = points[leg - 1], points[leg]
        if min(a, b) <= level:
            return Touch(a if a <= level else level, leg)
    return None


def limit_touch(
    points: tuple[float, ...],
    is_buy: bool,
    limit: float,
    tick: float,
    mode: LimitFill,
    start_leg: int = 0,
) -> Touch | None:
    """Where a limit order fills on this path, or ``None``.

    At the open a marketable limit fills at the open (price improvement on a gap). Later on
    the path it fills at the limit; with ``mode="through"`` only if the price trades at least
    one tick beyond it."""
    if start_leg == 0:
        o = points[0]
        if (is_buy and o <= limit) or (not is_buy and o >= limit):
            return Touch(o, 0)
        start_leg = 1
    beyond = tick * 0.5 if mode == "through" else 0.0
    if is_buy:
        t = first_touch_down(points, limit - beyond, start_leg)
    else:
        t = first_touch_up(points, limit + beyond, start_leg)
    return None if t is None else Touch(limit, t.leg)


def stop_touch(points: tuple[float, ...], is_buy: bool, stop: float) -> Touch | None:
    """Where a stop triggers on this path (a gap beyond the stop triggers at the open)."""
    return first_touch_up(points, stop) if is_buy else first_touch_down(points, stop)


def capacity(qty: float, bar_volume: float, participation: float | None, lot: float) -> float:
    """How much of ``qty`` this bar can fill under the participation cap (a multiple of lot)."""
    if participation is None or bar_volume <= 0:
        return qty
    cap = math.floor(bar_volume * participation / lot) * lot
    return min(qty, cap)


def apply_slippage(price: float, is_buy: bool, slip: float, tick: float) -> float:
    """Worsen ``price`` by ``slip`` and round to the tick against the trader."""
    if slip <= 0:
        return price
    if is_buy:
        return math.ceil((price + slip) / tick - 1e-9) * tick
    return max(tick, math.floor((price - slip) / tick + 1e-9) * tick)
