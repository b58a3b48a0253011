"""The forward ``F`` that Black-76 prices on (interfaces.md 6).

Two sources, in order of preference when both are live:

* the same-expiry **future**: its price is the forward (the futures/forward convexity
  difference is negligible at index-option tenors), see :func:`forward_from_future`;
* **put-call parity** at the at-the-money strike, ``F = K + e^{rT}(C − P)``, choosing the
  strike where ``|C − P|`` is smallest (where the parity relation is least sensitive to quote
  noise and to the rate), see :func:`parity_forward`.

Using ``F`` avoids estimating a dividend yield for the index.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from tronlab.options.pricing import FloatArray


class ParityForward(NamedTuple):
    """The parity-implied forward and the strike (and quotes) it came from."""

    forward: float
    strike: float
    call: float
    put: float
    position: int
    """Index of ``strike`` in the input arrays."""


def forward_from_future(future_price: ArrayLike) -> float | FloatArray:
    """The forward from the same-expiry future's price (identity, validated: > 0, finite)."""
    arr = np.asarray(future_price, dtype=np.float64)
    if not np.all(np.isfinite(arr) & (arr > 0)):
        raise ValueError("future price must be finite and > 0")
    return float(arr) if arr.ndim == 0 else arr


def parity_forwards(
    strikes: ArrayLike, calls: ArrayLike, puts: ArrayLike, t: ArrayLike, r: ArrayLike
) -> FloatArray:
    """``K + e^{rT}(C − P)`` for every strike (NaN where a quote is missing or not > 0).

    ``calls``/``puts`` are discounted premiums at the same strikes and expiry; ``t`` in years,
    ``r`` a decimal. Their spread across strikes shows how consistent the chain is.
    """
    k, c, p, tt, rr = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64)
                                           for a in (strikes, calls, puts, t, r)))  # fmt: skip
    with np.errstate(invalid="ignore"):
        ok = (k > 0) & (c > 0) & (p > 0) & np.isfinite(c) & np.isfinite(p) & np.isfinite(k)
        out: FloatArray = np.where(ok, k + np.exp(rr * tt) * (c - p), np.nan)
    return out


def parity_forward(
    strikes: ArrayLike, calls: ArrayLike, puts: ArrayLike, t: float, r: float
) -> ParityForward:
    """The parity-implied forward ``F = K + e^{rT}(C − P)`` at the strike minimising
    ``|C − P|`` among strikes with both quotes (finite, > 0).

    ``strikes``, ``calls``, ``puts``: 1-d arrays of one expiry's chain (discounted
    premiums); ``t`` in years; ``r`` a decimal. Raises ``ValueError`` when no strike has both
    quotes or when the arrays differ in length.
    """
    k = np.asarray(strikes, dtype=np.float64).ravel()
    c = np.asarray(calls, dtype=np.float64).ravel()
    p = np.asarray(puts, dtype=np.float64).ravel()
    if not (k.size == c.size == p.size):
        raise ValueError("strikes, calls and puts must have the same length")
    fwd = parity_forwards(k, c, p, t, r)
    usable = np.isfinite(fwd)
    if not usable.any():
        raise ValueError("no strike has both a call and a put quote")
    gap = np.where(usable, np.abs(c - p), np.inf)
    i = int(np.argmin(gap))
    return ParityForward(float(fwd[i]), float(k[i]), float(c[i]), float(p[i]), i)
