"""Probability of Backtest Overfitting by combinatorially symmetric cross-validation (CSCV).

Bailey, Borwein, López de Prado & Zhu (2017), J. Computational Finance 20(4); steps as in
cognition.md 2.4:

1. ``M`` = T x N per-period returns, one column per trial / configuration.
2. Rows split into ``S`` contiguous blocks (``S`` even; ``numpy.array_split`` sizes).
3. Every choice of ``S/2`` blocks is an in-sample set ``J``, the rest out-of-sample.
4. ``n*`` = column with the best in-sample Sharpe (first on ties); ``w`` = OOS rank of ``n*``
   (1 = worst, ties share their average rank) / (N + 1); ``lambda = ln(w / (1 - w))``.
5. PBO = share of splits with ``lambda <= 0``; also the slope of OOS on IS Sharpe of ``n*``
   (degradation) and P(OOS Sharpe of ``n*`` < 0).

Sharpe here is per period (``mean / sd``, ``ddof=1``); a constant column has Sharpe ``+inf``,
``-inf`` or 0 by the sign of its mean. Policy thresholds: PBO <= 0.2 pass, 0.2-0.5 warn,
> 0.5 reject. Columns that are exactly identical tie at the median OOS rank, ``lambda = 0``,
so they count as overfit (PBO 1.0): the selection carried no information.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from tronlab.analytics._checks import AnalyticsInputError, json_value

__all__ = ["PBO_PASS", "PBO_REJECT", "PBOResult", "pbo_cscv", "pbo_label"]

PBO_PASS = 0.2
PBO_REJECT = 0.5
_CELLS_PER_CHUNK = 2_000_000


def pbo_label(pbo: float) -> str:
    """``"pass"`` (<= 0.2), ``"warn"`` (<= 0.5), ``"reject"`` (> 0.5) or ``"undefined"``."""
    if not np.isfinite(pbo):
        return "undefined"
    return "pass" if pbo <= PBO_PASS else "warn" if pbo <= PBO_REJECT else "reject"


@dataclass(frozen=True)
class PBOResult:
    """CSCV outcome; the arrays have one entry per split (``n_combinations``)."""

    pbo: float
    logits: np.ndarray
    is_sharpe: np.ndarray  # in-sample Sharpe of the selected column n*
    oos_sharpe: np.ndarray  # its out-of-sample Sharpe
    selected: np.ndarray  # n* per split (column position)
    degradation_slope: float  # OOS-on-IS regression slope over the splits
    degradation_intercept: float
    prob_oos_loss: float  # share of splits where n* has OOS Sharpe < 0
    n_splits: int
    n_combinations: int
    n_strategies: int
    n_obs: int
    label: str

    def as_dict(self, with_arrays: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "pbo": self.pbo,
            "label": self.label,
            "degradation_slope": self.degradation_slope,
            "degradation_intercept": self.degradation_intercept,
            "prob_oos_loss": self.prob_oos_loss,
            "n_splits": self.n_splits,
            "n_combinations": self.n_combinations,
            "n_strategies": self.n_strategies,
            "n_obs": self.n_obs,
        }
        if with_arrays:
            out.update(
                logits=self.logits,
                is_sharpe=self.is_sharpe,
                oos_sharpe=self.oos_sharpe,
                selected=self.selected,
            )
        return {k: json_value(v) for k, v in out.items()}


def _matrix(perf_matrix: Any) -> np.ndarray:
    m = perf_matrix.to_numpy() if isinstance(perf_matrix, pd.DataFrame) else perf_matrix
    try:
        arr = np.asarray(m, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise AnalyticsInputError(f"perf_matrix must be numeric: {exc}") from exc
    if arr.ndim != 2:
        raise AnalyticsInputError(f"perf_matrix must be 2-D (T x N), got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise AnalyticsInputError("perf_matrix has NaN or infinite values; align the trials first")
    if arr.shape[1] < 2:
        raise AnalyticsInputError("PBO needs at least 2 strategies (columns)")
    return arr


def _sharpe(mu: np.ndarray, s: np.ndarray, q: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Sharpe from centred block sums: column mean ``mu``, sums ``s`` and squares ``q`` of
    ``x - mu`` over ``n`` rows (``s``, ``q``: C x N; ``n``: C)."""
    nn = n[:, None]
    centred_mean = s / nn
    var = np.maximum((q - s * centred_mean) / (nn - 1.0), 0.0)
    mean = mu[None, :] + centred_mean
    sd = np.sqrt(var)
    flat = sd <= 1e-10 * np.abs(mean)  # a constant column (up to rounding)
    with np.errstate(divide="ignore", invalid="ignore"):
        edge = np.where(mean == 0.0, 0.0, np.sign(mean) * np.inf)
        return np.where(flat, edge, mean / sd)


def _oos_rank(oos: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Average rank (1 = worst) of column ``chosen[c]`` within row ``c`` of ``oos``."""
    val = np.take_along_axis(oos, chosen[:, None], axis=1)
    below = (oos < val).sum(axis=1)
    ties = (oos == val).sum(axis=1)
    rank: np.ndarray = below + (ties + 1) / 2.0
    return rank


def pbo_cscv(perf_matrix: Any, n_splits: int = 16) -> PBOResult:
    """PBO of choosing the best in-sample column of ``perf_matrix`` (T x N returns, array or
    DataFrame). ``n_splits`` = S, even, with at least 2 rows per block; C(S, S/2) splits
    (12,870 for S = 16)."""
    m = _matrix(perf_matrix)
    t_obs, n_strat = m.shape
    s_blocks = int(n_splits)
    if s_blocks < 2 or s_blocks % 2:
        raise AnalyticsInputError(f"n_splits must be an even number >= 2, got {n_splits}")
    if t_obs < 2 * s_blocks:
        raise AnalyticsInputError(
            f"{t_obs} rows are too few for {s_blocks} blocks (need >= 2 rows per block)"
        )
    mu = m.mean(axis=0)
    blocks = np.array_split(m - mu, s_blocks)
    bs = np.stack([b.sum(axis=0) for b in blocks])  # S x N
    bq = np.stack([(b * b).sum(axis=0) for b in blocks])
    bn = np.array([len(b) for b in blocks], dtype=np.float64)
    combos = np.array(list(combinations(range(s_blocks), s_blocks // 2)))
    mask = np.zeros((len(combos), s_blocks))
    np.put_along_axis(mask, combos, 1.0, axis=1)

    chunk = max(1, _CELLS_PER_CHUNK // n_strat)
    is_sr, oos_sr, chosen, ranks = [], [], [], []
    for c0 in range(0, len(mask), chunk):
        ins = mask[c0 : c0 + chunk]
        outs = 1.0 - ins
        sr_in = _sharpe(mu, ins @ bs, ins @ bq, ins @ bn)
        sr_out = _sharpe(mu, outs @ bs, outs @ bq, outs @ bn)
        best = np.argmax(sr_in, axis=1)
        chosen.append(best)
        ranks.append(_oos_rank(sr_out, best))
        is_sr.append(np.take_along_axis(sr_in, best[:, None], axis=1)[:, 0])
        oos_sr.append(np.take_along_axis(sr_out, best[:, None], axis=1)[:, 0])
    omega = np.concatenate(ranks) / (n_strat + 1.0)
    logits = np.log(omega / (1.0 - omega))
    ins_best, oos_best = np.concatenate(is_sr), np.concatenate(oos_sr)
    fit = np.isfinite(ins_best) & np.isfinite(oos_best)
    slope = intercept = float("nan")
    if fit.sum() >= 2 and np.ptp(ins_best[fit]) > 0:
        slope, intercept = (float(v) for v in np.polyfit(ins_best[fit], oos_best[fit], 1))
    pbo = float(np.mean(logits <= 0.0))
    return PBOResult(
        pbo=pbo,
        logits=logits,
        is_sharpe=ins_best,
        oos_sharpe=oos_best,
        selected=np.concatenate(chosen),
        degradation_slope=slope,
        degradation_intercept=intercept,
        prob_oos_loss=float(np.mean(oos_best < 0.0)),
        n_splits=s_blocks,
        n_combinations=len(combos),
        n_strategies=n_strat,
        n_obs=t_obs,
        label=pbo_label(pbo),
    )
