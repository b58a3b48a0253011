"""Black-76 (on the forward) and Black-Scholes-Merton (on spot, dividend yield ``q``) prices
and analytical Greeks, vectorised over whole option chains.

Every argument may be a scalar or an array; arrays broadcast against each other (numpy
rules). All-scalar inputs give numpy scalars, anything else arrays of the broadcast shape.

Conventions (interfaces.md section 6; the same as ``vollib``):

* ``t``: years to expiry in calendar time (days / 365); see
  :func:`tronlab.options.time.year_fraction`.
* ``sigma``: annualised volatility as a decimal (0.13 = 13%).
* ``r``, ``q``: continuously compounded annual rates as decimals (0.065 = 6.5%).
* ``is_call``: boolean (array); :func:`as_is_call` converts ``"CE"``/``"PE"``, ``"C"``/``"P"``,
  ``"call"``/``"put"`` or :class:`~tronlab.model.enums.OptionRight` values.

Greek units (the fields of :class:`Greeks`):

========  ==================================================================================
price     premium in currency units (discounted).
delta     dV/dF (Black-76, includes e^{-rT}) or dV/dS (BSM), per 1.0 of the underlying.
gamma     d²V/dF² or d²V/dS², per 1.0² of the underlying.
vega      dV/dσ per 1 vol point, i.e. ×0.01 (σ 13% → 14% changes the price by ``vega``).
theta     dV/dt per calendar day (÷365), t = calendar time, so theta = -dV/dT / 365.
          Black-76 holds the forward F (and r, σ) fixed; BSM holds the spot S (and r, q, σ).
rho       dV/dr per 1% (×0.01). Black-76 holds F fixed: rho = -T·V·0.01. BSM holds S and q
          fixed: rho = ±K·T·e^{-rT}·N(±d2)·0.01.
========  ==================================================================================

Degenerate and invalid inputs: ``t == 0`` or ``sigma == 0`` give the discounted intrinsic
value (delta is a step, ``0.5·e^{-rT}`` exactly at the money); a forward, spot or strike
``<= 0``, a negative ``t`` or ``sigma``, or any NaN/inf input gives NaN in every field.

Normal CDF: :func:`scipy.special.ndtr`, accurate in both tails. Puts use the mirrored formula
``K N(-d2) - F N(-d1)`` (not parity), so out-of-the-money prices keep their relative accuracy.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr

from tronlab.model.enums import OptionRight

FloatArray = NDArray[np.float64]
"""A float64 array; functions here return numpy scalars for all-scalar inputs."""

DAYS_PER_YEAR = 365.0
"""Calendar days per year: T is ``days / 365`` and theta is ``dV/dt / 365``."""

_INV_SQRT_2PI = 0.3989422804014326779399460599343818684758586311649


class Greeks(NamedTuple):
    """Price and Greeks of a batch of options (units in the module docstring).

    ``price`` in currency; ``delta`` per 1.0 of the underlying; ``gamma`` per 1.0²; ``vega``
    per 1 vol point (0.01); ``theta`` per calendar day; ``rho`` per 1% of ``r``.
    """

    price: FloatArray
    delta: FloatArray
    gamma: FloatArray
    vega: FloatArray
    theta: FloatArray
    rho: FloatArray


UNITS: dict[str, str] = {
    "price": "currency units (discounted premium)",
    "delta": "dV/dUnderlying per 1.0 of the underlying (Black-76: dV/dF incl. e^-rT; BSM: dV/dS)",
    "gamma": "per 1.0^2 of the underlying",
    "vega": "per 1 vol point (0.01)",
    "theta": "per calendar day (dV/dt / 365; Black-76 holds F fixed, BSM holds S fixed)",
    "rho": "per 1% of r (0.01); Black-76 holds F fixed (-T*V*0.01), BSM holds S fixed",
}
"""Human-readable units of each :class:`Greeks` field (for CLIs, reports and JSON)."""


def as_is_call(rights: Any) -> NDArray[np.bool_] | bool:
    """Boolean call flags from booleans, or from right codes (``CE``/``PE``, ``C``/``P``,
    ``CALL``/``PUT`` in any case, :class:`OptionRight`); a scalar stays a ``bool``.

    Raises :class:`tronlab.model.errors.ValidationError` for an unknown code.
    """
    if isinstance(rights, bool | np.bool_):
        return bool(rights)
    if isinstance(rights, str):
        return OptionRight.parse(rights) is OptionRight.CALL
    arr = np.asarray(list(rights) if isinstance(rights, Iterable) else rights)
    if arr.dtype == np.bool_:
        return arr
    flat = [OptionRight.parse(str(v)) is OptionRight.CALL for v in arr.ravel().tolist()]
    return np.asarray(flat, dtype=bool).reshape(arr.shape)


def _out(a: FloatArray) -> FloatArray:
    """A 0-d array becomes a numpy scalar (typed as an array for the callers' convenience)."""
    out: FloatArray = a[()] if a.ndim == 0 else a
    return out


def _core(
    underlying: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    sigma: ArrayLike,
    r: ArrayLike,
    q: ArrayLike | None,
    is_call: ArrayLike,
) -> tuple[FloatArray, ...]:
    """Broadcast and validate; return (U, F, K, T, sigma, r, q, w, df, sqrtT, sst, d1).

    Invalid rows get ``U = NaN``, so every quantity derived from it is NaN too."""
    u, k, tt, s, rr, qq, c = np.broadcast_arrays(
        np.asarray(underlying, dtype=np.float64),
        np.asarray(strike, dtype=np.float64),
        np.asarray(t, dtype=np.float64),
        np.asarray(sigma, dtype=np.float64),
        np.asarray(r, dtype=np.float64),
        np.asarray(0.0 if q is None else q, dtype=np.float64),
        np.asarray(is_call, dtype=bool),
    )
    with np.errstate(invalid="ignore"):
        valid = (
            (u > 0) & (k > 0) & (tt >= 0) & (s >= 0)
            & np.isfinite(u) & np.isfinite(k) & np.isfinite(tt) & np.isfinite(s)
            & np.isfinite(rr) & np.isfinite(qq)
        )  # fmt: skip
    # NaN propagates through every formula below, so invalid rows come out all-NaN (and
    # raise no floating-point warnings on the way).
    u, k, tt, s, rr, qq = (np.where(valid, a, np.nan) for a in (u, k, tt, s, rr, qq))
    w = np.where(c, 1.0, -1.0)
    fwd = u if q is None else u * np.exp((rr - qq) * tt)
    df = np.exp(-rr * tt)
    sqrt_t = np.sqrt(tt)
    sst = s * sqrt_t
    x = np.log(fwd / k)
    with np.errstate(divide="ignore", invalid="ignore"):
        limit = np.where(x > 0, np.inf, np.where(x < 0, -np.inf, 0.0))  # σ√T = 0
        d1 = np.where(sst > 0, x / sst + 0.5 * sst, limit)
    d1 = np.where(np.isnan(x) | np.isnan(sst), np.nan, d1)
    return u, fwd, k, tt, s, rr, qq, w, df, sqrt_t, sst, d1


def _greeks(u: FloatArray, *fields: FloatArray) -> Greeks:
    """Pack the fields; rows with an invalid input (``u`` NaN) are NaN in every field."""
    bad = np.isnan(u)
    return Greeks(*(_out(np.where(bad, np.nan, a)) for a in fields))


def _pdf(d: FloatArray) -> FloatArray:
    out: FloatArray = _INV_SQRT_2PI * np.exp(-0.5 * d * d)
    return out


def black76_price(
    forward: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    sigma: ArrayLike,
    r: ArrayLike,
    is_call: ArrayLike,
) -> FloatArray:
    """Black-76 price ``e^{-rT}[F N(d1) - K N(d2)]`` (call) or ``e^{-rT}[K N(-d2) - F N(-d1)]``
    (put), ``d1 = (ln(F/K) + σ²T/2)/(σ√T)``, ``d2 = d1 - σ√T``. Currency units."""
    _, f, k, _, _, _, _, w, df, _, sst, d1 = _core(forward, strike, t, sigma, r, None, is_call)
    d2 = d1 - sst
    return _out(df * w * (f * ndtr(w * d1) - k * ndtr(w * d2)))


def black76(
    forward: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    sigma: ArrayLike,
    r: ArrayLike,
    is_call: ArrayLike,
) -> Greeks:
    """Black-76 price and Greeks on the forward ``F`` (the same-expiry future or the parity
    forward, see :mod:`tronlab.options.forward`).

    Units: delta = dV/dF per 1.0 of F (includes e^{-rT}; QuantLib ``deltaForward``), gamma =
    d²V/dF² per 1.0², vega per vol point (0.01), theta per calendar day with F held fixed
    (``r·V - e^{-rT}F φ(d1) σ/(2√T)``, then /365, as ``vollib.black``), rho per 1% with F held
    fixed (``-T·V·0.01``).
    """
    u, f, k, tt, s, rr, _, w, df, sqrt_t, sst, d1 = _core(
        forward, strike, t, sigma, r, None, is_call
    )
    d2 = d1 - sst
    nd1 = ndtr(w * d1)
    price = df * w * (f * nd1 - k * ndtr(w * d2))
    pdf = _pdf(d1)
    delta = df * w * nd1
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = np.where(pdf > 0, df * pdf / (f * sst), 0.0)
        decay = np.where((pdf > 0) & (s > 0), df * f * pdf * s / (2.0 * sqrt_t), 0.0)
    vega = df * f * pdf * sqrt_t * 0.01
    theta = (rr * price - decay) / DAYS_PER_YEAR
    rho = -tt * price * 0.01
    return _greeks(u, price, delta, gamma, vega, theta, rho)


def bsm_price(
    spot: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    sigma: ArrayLike,
    r: ArrayLike,
    q: ArrayLike,
    is_call: ArrayLike,
) -> FloatArray:
    """Black-Scholes-Merton price with continuous dividend yield ``q``; equals
    :func:`black76_price` with ``F = S·e^{(r-q)T}``. Currency units."""
    _, f, k, _, _, _, _, w, df, _, sst, d1 = _core(spot, strike, t, sigma, r, q, is_call)
    d2 = d1 - sst
    return _out(df * w * (f * ndtr(w * d1) - k * ndtr(w * d2)))


def bsm(
    spot: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    sigma: ArrayLike,
    r: ArrayLike,
    q: ArrayLike,
    is_call: ArrayLike,
) -> Greeks:
    """Black-Scholes-Merton price and Greeks on spot ``S`` with dividend yield ``q``.

    Units: delta = dV/dS per 1.0 of S (``±e^{-qT}N(±d1)``), gamma = d²V/dS² per 1.0², vega per
    vol point (0.01), theta per calendar day with S, r, q held fixed, rho per 1% with S and q
    held fixed (``±K T e^{-rT} N(±d2)·0.01``); the same conventions as
    ``vollib.black_scholes_merton`` and QuantLib's analytic European engine (after scaling).
    """
    u, f, k, tt, s, rr, qq, w, df, sqrt_t, sst, d1 = _core(spot, strike, t, sigma, r, q, is_call)
    d2 = d1 - sst
    nd1 = ndtr(w * d1)
    nd2 = ndtr(w * d2)
    dq = np.exp(-qq * tt)
    price = df * w * (f * nd1 - k * nd2)
    pdf = _pdf(d1)
    delta = dq * w * nd1
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = np.where(pdf > 0, dq * pdf / (u * sst), 0.0)
        decay = np.where((pdf > 0) & (s > 0), dq * u * pdf * s / (2.0 * sqrt_t), 0.0)
    vega = dq * u * pdf * sqrt_t * 0.01
    theta = (-decay + w * (qq * u * dq * nd1 - rr * k * df * nd2)) / DAYS_PER_YEAR
    rho = w * k * tt * df * nd2 * 0.01
    return _greeks(u, price, delta, gamma, vega, theta, rho)


def forward_from_spot(spot: ArrayLike, t: ArrayLike, r: ArrayLike, q: ArrayLike) -> FloatArray:
    """``F = S·e^{(r-q)T}``: the forward that makes :func:`black76` equal :func:`bsm`."""
    s, tt, rr, qq = (np.asarray(a, dtype=np.float64) for a in (spot, t, r, q))
    return _out(np.asarray(s * np.exp((rr - qq) * tt), dtype=np.float64))
