"""Chain analytics: ATM strike and IV, the OTM smile, put-call ratio and max pain.

All functions take an :class:`~tronlab.options.chain.OptionChain`.

* :func:`atm_strike` -- the listed strike closest to the chain's forward (ties: lower strike).
* :func:`atm_iv` -- mean of the CE and PE implied volatilities at that strike, ignoring NaN.
* :func:`smile` -- strike -> IV from out-of-the-money options: puts for ``K < F``, calls for
  ``K > F`` (the mean of both at ``K == F``); by default only ``iv_status == "OK"`` quotes.
* :func:`put_call_ratio` -- ``Σ PE / Σ CE`` of open interest (or volume).
* :func:`max_pain` -- the settlement price, among listed strikes, at which option holders'
  total intrinsic payout is smallest::

      pain(S) = Σ_K  OI_CE(K) · max(S − K, 0)  +  OI_PE(K) · max(K − S, 0)
      max_pain = argmin_{S ∈ strikes} pain(S)      (ties: the lowest such strike)

  (payout in index points × units of open interest; NaN OI counts as 0).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd

from tronlab.options.chain import OptionChain


def atm_strike(chain: OptionChain) -> float:
    """The listed strike closest to ``chain.forward`` (the lower one on a tie)."""
    k = chain.strikes
    if k.size == 0:
        raise ValueError("empty chain")
    return float(k[int(np.argmin(np.abs(k - chain.forward)))])


def atm_iv(chain: OptionChain) -> float:
    """Mean of the CE and PE IVs at :func:`atm_strike`, ignoring NaN (NaN when both are)."""
    k = atm_strike(chain)
    ivs = chain.frame.loc[chain.frame["strike"] == k, "iv"].to_numpy(dtype=np.float64)
    ivs = ivs[np.isfinite(ivs)]
    return float(ivs.mean()) if ivs.size else math.nan


def smile(chain: OptionChain, *, ok_only: bool = True) -> pd.Series:
    """Strike -> implied volatility from OTM options: puts below the forward, calls above
    (both averaged at a strike equal to the forward). ``ok_only`` keeps only quotes with
    status ``OK`` (drops price-floor quotes, whose IV is just an upper bound). Sorted by
    strike, NaN dropped; the Series is named ``"iv"``."""
    f = chain.frame
    otm = ((f["right"] == "PE") & (f["strike"] <= chain.forward)) | (
        (f["right"] == "CE") & (f["strike"] >= chain.forward)
    )
    keep = otm & f["iv"].notna()
    if ok_only:
        keep &= f["iv_status"] == "OK"
    out = f[keep].groupby("strike")["iv"].mean().sort_index()
    out.name = "iv"
    return out


def put_call_ratio(chain: OptionChain, by: Literal["oi", "volume"] = "oi") -> float:
    """``Σ PE[by] / Σ CE[by]`` over the chain (NaN counts as 0; NaN when the CE sum is 0)."""
    if by not in ("oi", "volume"):
        raise ValueError(f"by must be 'oi' or 'volume', got {by!r}")
    f = chain.frame
    calls = float(f.loc[f["right"] == "CE", by].fillna(0).sum())
    puts = float(f.loc[f["right"] == "PE", by].fillna(0).sum())
    return puts / calls if calls > 0 else math.nan


def pain_curve(chain: OptionChain) -> pd.Series:
    """``pain(S)`` (see the module docstring) for every listed strike ``S``."""
    f = chain.frame
    k = chain.strikes
    ce = f[f["right"] == "CE"].groupby("strike")["oi"].sum().reindex(k, fill_value=0.0)
    pe = f[f["right"] == "PE"].groupby("strike")["oi"].sum().reindex(k, fill_value=0.0)
    ce_oi = np.nan_to_num(ce.to_numpy(dtype=np.float64))
    pe_oi = np.nan_to_num(pe.to_numpy(dtype=np.float64))
    s = k[:, None]
    pain = (ce_oi * np.maximum(s - k, 0.0) + pe_oi * np.maximum(k - s, 0.0)).sum(axis=1)
    return pd.Series(pain, index=pd.Index(k, name="strike"), name="pain")


def max_pain(chain: OptionChain) -> float:
    """The strike minimising :func:`pain_curve` (the lowest one on a tie)."""
    curve = pain_curve(chain)
    if curve.empty:
        raise ValueError("empty chain")
    return float(curve.index[int(np.argmin(curve.to_numpy()))])
