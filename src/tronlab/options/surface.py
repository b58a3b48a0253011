"""Volatility surfaces for synthetic option chains: ``sigma(k, t)`` with ``k = log(K/F)``.

Three shapes, all plain frozen dataclasses with a vectorised ``vol(k, t)``:

* :class:`FlatVol` -- the same ``sigma`` for every strike and expiry.
* :class:`SkewSurface` -- a quadratic smile in log-moneyness with a linear term structure::

      atm(t)   = atm_vol + term_slope * (t - t_ref)
      sigma    = max(min_vol, atm(t) + skew * k + curvature * k**2)

  ``k = log(K/F)`` (0 at the money, < 0 for low strikes), ``t`` in years, ``t_ref`` the tenor
  at which ``atm_vol`` applies (30 days by default). An index smile has ``skew < 0`` (puts
  dearer than calls) and ``curvature > 0`` (both wings lifted); e.g. ``skew=-0.5`` adds 2.5
  vol points at ``K = 0.95 F``. ``term_slope`` is vol (decimal) per year of tenor. The floor
  ``min_vol`` keeps far wings positive.
* :class:`VixDrivenSurface` -- a :class:`SkewSurface` whose ``atm_vol`` is a VIX-like index
  level / 100 (India VIX 13.5 -> 13.5% ATM vol).

All volatilities are decimals (0.13 = 13%). Core-service layer: numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike

from tronlab.options.pricing import FloatArray


class VolSurface(Protocol):
    """Anything giving a volatility for log-moneyness ``k = log(K/F)`` and tenor ``t``."""

    def vol(self, k: ArrayLike, t: ArrayLike) -> FloatArray: ...


def _shape(k: ArrayLike, t: ArrayLike) -> tuple[FloatArray, FloatArray]:
    kk, tt = np.broadcast_arrays(np.asarray(k, dtype=np.float64), np.asarray(t, dtype=np.float64))
    return kk, tt


@dataclass(frozen=True)
class FlatVol:
    """The same volatility ``sigma`` (decimal, > 0) everywhere."""

    sigma: float

    def __post_init__(self) -> None:
        if not (np.isfinite(self.sigma) and self.sigma > 0):
            raise ValueError(f"sigma must be finite and > 0, got {self.sigma}")

    def vol(self, k: ArrayLike, t: ArrayLike) -> FloatArray:
        kk, _ = _shape(k, t)
        out: FloatArray = np.full(kk.shape, self.sigma, dtype=np.float64)
        return out


@dataclass(frozen=True)
class SkewSurface:
    """``sigma(k, t) = max(min_vol, atm_vol + term_slope·(t − t_ref) + skew·k + curvature·k²)``
    with ``k = log(K/F)``; see the module docstring."""

    atm_vol: float
    skew: float = 0.0
    curvature: float = 0.0
    term_slope: float = 0.0
    t_ref: float = 30 / 365
    min_vol: float = 0.01

    def __post_init__(self) -> None:
        if not (np.isfinite(self.atm_vol) and self.atm_vol > 0):
            raise ValueError(f"atm_vol must be finite and > 0, got {self.atm_vol}")
        if not self.min_vol > 0:
            raise ValueError(f"min_vol must be > 0, got {self.min_vol}")

    def vol(self, k: ArrayLike, t: ArrayLike) -> FloatArray:
        kk, tt = _shape(k, t)
        atm = self.atm_vol + self.term_slope * (tt - self.t_ref)
        out: FloatArray = np.maximum(self.min_vol, atm + self.skew * kk + self.curvature * kk**2)
        return out


@dataclass(frozen=True)
class VixDrivenSurface:
    """A :class:`SkewSurface` with ``atm_vol = vix_level / 100`` (a VIX-like index value, e.g.
    India VIX 13.5 -> 0.135)."""

    vix_level: float
    skew: float = -0.5
    curvature: float = 1.0
    term_slope: float = 0.0
    t_ref: float = 30 / 365
    min_vol: float = 0.01

    @property
    def atm_vol(self) -> float:
        return self.vix_level / 100.0

    @property
    def surface(self) -> SkewSurface:
        return SkewSurface(self.atm_vol, self.skew, self.curvature, self.term_slope,
                           self.t_ref, self.min_vol)  # fmt: skip

    def vol(self, k: ArrayLike, t: ArrayLike) -> FloatArray:
        return self.surface.vol(k, t)
