"""An approximate, SPAN-like initial margin for an NSE F&O portfolio, per underlying.

This is a **risk estimate, not the exchange's number**: NSE publishes its SPAN risk
parameter files daily (price scan ranges, volatility scan ranges, short option minimum,
calendar spread charges) and brokers add their own. The defaults of :class:`SpanParams`
are round approximations of NSE's parameters; configure them per underlying when it matters.

Method (per underlying; every expiry of the underlying moves together)
----------------------------------------------------------------------
1. **Scan risk.** Each position is revalued under the 16 scenarios of :data:`SCENARIOS`:
   the forward moves by ``fraction × PSR`` (relative: ``F·(1 + fraction·PSR)``) and the
   volatility by ``±VSR`` (absolute, floored at 0) or not at all:

   ====  ===================  =========  ======
   no.   price move (× PSR)   vol        weight
   ====  ===================  =========  ======
   1-2   0                    +VSR, −VSR  1
   3-6   +1/3, −1/3           ±VSR        1
   7-10  +2/3, −2/3           ±VSR        1
   11-14 +3/3, −3/3           ±VSR        1
   15    +2 (extreme)         unchanged  0.35
   16    −2 (extreme)         unchanged  0.35
   ====  ===================  =========  ======

   Options are revalued with Black-76 at the scenario forward and volatility and the *same*
   time to expiry (no look-ahead decay); futures and shares linearly (``size × ΔF``). The
   weighted portfolio loss of each scenario is computed and the scan risk is the worst one,
   floored at 0. No inter-month spread charge and no inter-commodity credit.
2. **Short option minimum.** ``rate × F × Σ |size|`` over short option positions.
3. **SPAN requirement** ``= max(scan risk, short option minimum)``. **Net option value is
   not deducted**: premium received on short options does not reduce the margin, and
   premium paid for long options does not add to it (the buyer pays it in cash).
4. **Exposure margin** on gross positions: ``rate × |size| × F`` for every future and
   every *short* option (long options carry none). Equity positions are not F&O and are
   rejected.
5. **Total** ``= SPAN requirement + exposure``, summed over underlyings.

Defaults (:class:`SpanParams`): index PSR 6% and stock PSR 10% of the forward; VSR 4 vol
points; extreme moves 2 × PSR at 35%; short option minimum 3% (index) / 7.5% (stock) of
notional; exposure 2% (index) / 3.5% (stock) of notional. An underlying is an index when its
name is in ``SpanParams.indices`` (NIFTY, BANKNIFTY, FINNIFTY, MIDCPNIFTY, NIFTYNXT50,
SENSEX, BANKEX by default). Expired contracts (expiry instant before ``now``) are ignored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import numpy as np
import pandas as pd

from tronlab.model.enums import InstrumentKind
from tronlab.model.instruments import Instrument
from tronlab.options.portfolio import Leg, PriceMap, VolMap, prepare_legs
from tronlab.options.pricing import black76_price

SCENARIOS: tuple[tuple[float, int, float], ...] = (
    (0.0, 1, 1.0),
    (0.0, -1, 1.0),
    (1 / 3, 1, 1.0),
    (1 / 3, -1, 1.0),
    (-1 / 3, 1, 1.0),
    (-1 / 3, -1, 1.0),
    (2 / 3, 1, 1.0),
    (2 / 3, -1, 1.0),
    (-2 / 3, 1, 1.0),
    (-2 / 3, -1, 1.0),
    (1.0, 1, 1.0),
    (1.0, -1, 1.0),
    (-1.0, 1, 1.0),
    (-1.0, -1, 1.0),
)
"""The 14 regular scenarios as ``(price move × PSR, vol direction, weight)``; the two extreme
scenarios (15, 16) are appended from :class:`SpanParams` (``±extreme_multiple``, vol
unchanged, weight ``extreme_weight``). See :func:`scenario_grid`."""

DEFAULT_INDICES = frozenset(
    {"NIFTY", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "NIFTYNXT50", "SENSEX", "BANKEX"}
)


@dataclass(frozen=True)
class SpanParams:
    """Risk parameters (decimals: 0.06 = 6%; vol scan in absolute vol, 0.04 = 4 points).

    ``price_scan_overrides`` maps an underlying name to its own price scan range and wins
    over the index/stock default. Approximations of NSE's published parameters.
    """

    index_price_scan: float = 0.06
    stock_price_scan: float = 0.10
    vol_scan: float = 0.04
    extreme_multiple: float = 2.0
    extreme_weight: float = 0.35
    index_short_option_min: float = 0.03
    stock_short_option_min: float = 0.075
    index_exposure: float = 0.02
    stock_exposure: float = 0.035
    indices: frozenset[str] = DEFAULT_INDICES
    price_scan_overrides: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        rates = {
            "index_price_scan": self.index_price_scan,
            "stock_price_scan": self.stock_price_scan,
            "vol_scan": self.vol_scan,
            "extreme_multiple": self.extreme_multiple,
            "extreme_weight": self.extreme_weight,
            "index_short_option_min": self.index_short_option_min,
            "stock_short_option_min": self.stock_short_option_min,
            "index_exposure": self.index_exposure,
            "stock_exposure": self.stock_exposure,
            **{f"price_scan_overrides[{k}]": v for k, v in self.price_scan_overrides.items()},
        }
        for name, value in rates.items():
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be finite and >= 0, got {value!r}")
        scans = [self.index_price_scan, self.stock_price_scan, *self.price_scan_overrides.values()]
        if any(v * self.extreme_multiple >= 1 for v in scans):
            raise ValueError("price scan range × extreme_multiple must be < 1 (100%)")

    def is_index(self, underlying: str) -> bool:
        """Whether ``underlying`` takes the index rates."""
        return underlying in self.indices

    def price_scan(self, underlying: str) -> float:
        """Price scan range of ``underlying`` as a fraction of its forward."""
        if underlying in self.price_scan_overrides:
            return float(self.price_scan_overrides[underlying])
        return self.index_price_scan if self.is_index(underlying) else self.stock_price_scan

    def short_option_min_rate(self, underlying: str) -> float:
        """Short option minimum charge of ``underlying`` as a fraction of notional."""
        if self.is_index(underlying):
            return self.index_short_option_min
        return self.stock_short_option_min

    def exposure_rate(self, underlying: str) -> float:
        """Exposure margin of ``underlying`` as a fraction of notional."""
        return self.index_exposure if self.is_index(underlying) else self.stock_exposure


def scenario_grid(params: SpanParams | None = None) -> pd.DataFrame:
    """The 16 scenarios (index 1..16) with columns ``price_move`` (fraction of the price scan
    range), ``vol_move`` (−1, 0 or +1 times the vol scan range) and ``weight``."""
    p = params or SpanParams()
    rows = [
        *SCENARIOS,
        (p.extreme_multiple, 0, p.extreme_weight),
        (-p.extreme_multiple, 0, p.extreme_weight),
    ]
    return pd.DataFrame(
        rows,
        columns=["price_move", "vol_move", "weight"],
        index=pd.RangeIndex(1, len(rows) + 1, name="scenario"),
    )


@dataclass(frozen=True, slots=True)
class MarginBreakdown:
    """Margin in currency. ``scan_risk``, ``short_option_min`` and ``exposure`` are sums over
    underlyings; ``total = Σ_u max(scan_risk_u, short_option_min_u) + exposure_u``.

    ``by_underlying`` (index ``underlying``): ``price_scan``, ``scan_risk``,
    ``worst_scenario`` (1..16, 0 when nothing is at risk), ``short_option_min``, ``span``,
    ``exposure``, ``total``. ``scenario_losses``: weighted loss per scenario (rows 1..16) per
    underlying (columns); positive is a loss.
    """

    scan_risk: float
    exposure: float
    short_option_min: float
    total: float
    by_underlying: pd.DataFrame
    scenario_losses: pd.DataFrame


def _scenario_losses(
    legs: list[Leg], grid: pd.DataFrame, psr: float, vsr: float, r: float
) -> np.ndarray:
    """Weighted loss of ``legs`` (one underlying) in each scenario of ``grid``."""
    move = grid["price_move"].to_numpy(dtype=np.float64)[:, None]
    dvol = grid["vol_move"].to_numpy(dtype=np.float64)[:, None] * vsr
    weight = grid["weight"].to_numpy(dtype=np.float64)
    fwd = np.array([leg.forward for leg in legs])[None, :]
    size = np.array([leg.size for leg in legs])[None, :]
    scen_fwd = fwd * (1.0 + move * psr)
    pnl = size * (scen_fwd - fwd)  # linear legs
    opt = np.array([leg.is_option for leg in legs])
    if opt.any():
        o_legs = [leg for leg in legs if leg.is_option]
        k = np.array([leg.strike for leg in o_legs])
        t = np.array([leg.t for leg in o_legs])
        vol = np.array([leg.vol for leg in o_legs])
        call = np.array([leg.is_call for leg in o_legs])
        base = black76_price(fwd[:, opt], k, t, vol, r, call)
        scen = black76_price(scen_fwd[:, opt], k, t, np.maximum(vol + dvol, 0.0), r, call)
        pnl[:, opt] = size[:, opt] * (scen - base)
    losses: np.ndarray = -pnl.sum(axis=1) * weight
    return losses


@dataclass(frozen=True, slots=True)
class UnderlyingMargin:
    """The SPAN-like figures of one underlying's legs (see :func:`underlying_margin`)."""

    price_scan: float
    scan_risk: float
    worst: int  # index (0-based) of the worst scenario
    somc: float
    exposure: float
    losses: np.ndarray


def underlying_margin(
    name: str, legs: list[Leg], grid: pd.DataFrame, p: SpanParams, r: float
) -> UnderlyingMargin:
    """Scan risk, worst scenario, short option minimum and exposure margin of the live legs
    of one underlying (steps 1, 2 and 4 of the module docstring)."""
    psr = p.price_scan(name)
    loss = _scenario_losses(legs, grid, psr, p.vol_scan, r)
    worst = int(np.argmax(loss))
    scan = max(float(loss[worst]), 0.0)
    short_opts = sum(-leg.size * leg.forward for leg in legs if leg.is_option and leg.size < 0)
    somc = p.short_option_min_rate(name) * short_opts
    gross = sum(abs(leg.size) * leg.forward for leg in legs if not leg.is_option or leg.size < 0)
    return UnderlyingMargin(psr, scan, worst, somc, p.exposure_rate(name) * gross, loss)


def span_like_margin(
    positions: Mapping[Instrument, Decimal | float],
    underlying_prices: PriceMap,
    vols: VolMap,
    now: datetime,
    r: float = 0.065,
    params: SpanParams | None = None,
) -> MarginBreakdown:
    """Approximate SPAN-style margin of an F&O portfolio (method and defaults in the module
    docstring). Inputs are as for :func:`~tronlab.options.portfolio.portfolio_greeks`:
    signed quantities in units, forwards by underlying name or ``(underlying, expiry)``, a
    flat volatility or one per option, an aware ``now``.

    Example: long 75 NIFTY futures at 24,000 need ``0.06 × 1.8M = 108,000`` scan risk plus
    ``0.02 × 1.8M = 36,000`` exposure, 144,000 in all.

    Raises ``ValueError`` for equity or index positions and for missing prices or vols.
    """
    p = params or SpanParams()
    legs = prepare_legs(positions, underlying_prices, vols, now)
    for leg in legs:
        if leg.instrument.kind not in (InstrumentKind.FUT, InstrumentKind.OPT):
            raise ValueError(f"{leg.instrument.id} is not a future or an option")
    live = [leg for leg in legs if not leg.expired and leg.size != 0]
    grid = scenario_grid(p)
    groups: dict[str, list[Leg]] = {}
    for leg in live:
        groups.setdefault(leg.key, []).append(leg)
    rows = []
    losses: dict[str, np.ndarray] = {}
    for name in sorted(groups):
        u = underlying_margin(name, groups[name], grid, p, float(r))
        psr, scan, worst, somc, exposure = u.price_scan, u.scan_risk, u.worst, u.somc, u.exposure
        losses[name] = u.losses
        span = max(scan, somc)
        rows.append(
            {
                "underlying": name,
                "price_scan": psr,
                "scan_risk": scan,
                "worst_scenario": worst + 1 if scan > 0 else 0,
                "short_option_min": somc,
                "span": span,
                "exposure": exposure,
                "total": span + exposure,
            }
        )
    columns = [
        "underlying", "price_scan", "scan_risk", "worst_scenario", "short_option_min", "span",
        "exposure", "total",
    ]  # fmt: skip
    by = pd.DataFrame(rows, columns=columns).set_index("underlying")
    scen = pd.DataFrame(losses, index=grid.index)
    return MarginBreakdown(
        scan_risk=float(by["scan_risk"].sum()),
        exposure=float(by["exposure"].sum()),
        short_option_min=float(by["short_option_min"].sum()),
        total=float(by["total"].sum()),
        by_underlying=by,
        scenario_losses=scen,
    )
