"""Is a Sharpe ratio skill or luck? PSR, MinTRL, DSR, bootstrap intervals, PBO, a plain
verdict and a paired A/B test. Formulas and thresholds: cognition.md section 2.

Conventions (cognition.md 2): ``returns`` are per-period (daily unless stated) excess returns;
SR = mean / sd (``ddof=1``) **per period, not annualised**; skewness and kurtosis are the
sample moments (``scipy.stats.skew`` / ``kurtosis(fisher=False)``, biased), kurtosis 3 for a
normal. Annualise for display only: ``SR_ann = SR * sqrt(periods_per_year)``
(:func:`deannualise_sharpe` goes the other way). ``sr_benchmark``, ``sr_variance`` and
``trial_sharpes`` are per-period too.

* PSR(SR*) = Phi((SR - SR*) sqrt(T - 1) / sqrt(1 - g3 SR + (g4 - 1)/4 SR^2))   (2.1)
* MinTRL = 1 + (1 - g3 SR + (g4 - 1)/4 SR^2) (z_{1-a} / (SR - SR*))^2 periods  (2.2)
* DSR = PSR(SR0), SR0 = sqrt(V) ((1 - gamma) z_{1-1/N} + gamma z_{1-1/(N e)})  (2.3)
  (the expected maximum of N zero-skill trials; ``N = 1`` gives SR0 = 0, DSR = PSR)

Thresholds: PSR >= 0.95, DSR >= 0.95, PBO <= 0.2 pass / <= 0.5 warn / > 0.5 reject.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as st

from tronlab.analytics._checks import AnalyticsInputError, as_returns, json_value
from tronlab.analytics.bootstrap import (
    BootstrapCI,
    bootstrap_ci,
    check_alpha,
    percentile_interval,
    resampled_stat,
)
from tronlab.analytics.pbo import PBO_PASS, PBO_REJECT, PBOResult, pbo_cscv, pbo_label

__all__ = [
    "DSR_THRESHOLD",
    "EULER_GAMMA",
    "PSR_THRESHOLD",
    "BootstrapCI",
    "PBOResult",
    "SharpeStats",
    "bootstrap_ci",
    "deannualise_sharpe",
    "deflated_sharpe_ratio",
    "dsr_from_stats",
    "expected_max_sharpe",
    "min_track_record_length",
    "min_trl_from_stats",
    "paired_difference_test",
    "pbo_cscv",
    "pbo_label",
    "probabilistic_sharpe_ratio",
    "psr_from_stats",
    "sharpe_stats",
    "significance_report",
    "verdict",
]

EULER_GAMMA = 0.5772156649015329
PSR_THRESHOLD = 0.95
DSR_THRESHOLD = 0.95
NAN = float("nan")


@dataclass(frozen=True)
class SharpeStats:
    """Per-period Sharpe ratio of a sample with the moments PSR needs."""

    sr: float
    n_obs: int
    skew: float
    kurtosis: float  # non-excess (normal = 3)


def sharpe_stats(returns: Any) -> SharpeStats:
    """SR (``ddof=1``), T, sample skewness and kurtosis; ``nan`` SR for a constant or
    shorter-than-2 series."""
    r = as_returns(returns)
    n = len(r)
    if n < 2 or r.max() == r.min():
        return SharpeStats(NAN, n, NAN, NAN)
    return SharpeStats(
        sr=float(r.mean() / r.std(ddof=1)),
        n_obs=n,
        skew=float(st.skew(r, bias=True)),
        kurtosis=float(st.kurtosis(r, fisher=False, bias=True)),
    )


def deannualise_sharpe(sr_ann: float, periods_per_year: float) -> float:
    """Per-period Sharpe from an annualised one: ``sr_ann / sqrt(periods_per_year)``."""
    return float(sr_ann) / math.sqrt(float(periods_per_year))


def _sr_var_term(sr: float, skew: float, kurtosis: float) -> float:
    return 1.0 - skew * sr + (kurtosis - 1.0) / 4.0 * sr * sr


def psr_from_stats(
    sr: float,
    n_obs: int,
    skew: float = 0.0,
    kurtosis: float = 3.0,
    sr_benchmark: float = 0.0,
) -> float:
    """PSR (cognition.md 2.1) from summary statistics; ``nan`` when undefined (T < 2, a NaN
    input, or a non-positive variance term from extreme skew)."""
    if n_obs < 2 or not all(map(math.isfinite, (sr, skew, kurtosis, sr_benchmark))):
        return NAN
    term = _sr_var_term(sr, skew, kurtosis)
    if term <= 0:
        return NAN
    z = (sr - sr_benchmark) * math.sqrt(n_obs - 1) / math.sqrt(term)
    return float(st.norm.cdf(z))


def probabilistic_sharpe_ratio(returns: Any, sr_benchmark: float = 0.0) -> float:
    """P(true per-period SR > ``sr_benchmark``) given the sample's SR, length, skew, kurtosis."""
    s = sharpe_stats(returns)
    return psr_from_stats(s.sr, s.n_obs, s.skew, s.kurtosis, sr_benchmark)


def min_trl_from_stats(
    sr: float,
    skew: float = 0.0,
    kurtosis: float = 3.0,
    sr_benchmark: float = 0.0,
    alpha: float = 0.05,
) -> float:
    """MinTRL in periods (cognition.md 2.2); ``inf`` when SR <= SR* (no length suffices)."""
    a = check_alpha(alpha)
    if not all(map(math.isfinite, (sr, skew, kurtosis, sr_benchmark))):
        return NAN
    if sr <= sr_benchmark:
        return math.inf
    term = _sr_var_term(sr, skew, kurtosis)
    if term <= 0:
        return NAN
    z = float(st.norm.ppf(1.0 - a))
    return 1.0 + term * (z / (sr - sr_benchmark)) ** 2


def min_track_record_length(returns: Any, sr_benchmark: float = 0.0, alpha: float = 0.05) -> float:
    """Periods of returns like these needed for PSR(``sr_benchmark``) >= 1 - ``alpha``."""
    s = sharpe_stats(returns)
    return min_trl_from_stats(s.sr, s.skew, s.kurtosis, sr_benchmark, alpha)


def expected_max_sharpe(n_trials: int, sr_variance: float) -> float:
    """SR0, the expected best per-period SR of ``n_trials`` zero-skill trials whose SRs have
    variance ``sr_variance`` (cognition.md 2.3)."""
    n = int(n_trials)
    if n < 1 or n != n_trials:
        raise AnalyticsInputError(f"n_trials must be a whole number >= 1, got {n_trials!r}")
    v = float(sr_variance)
    if not math.isfinite(v) or v < 0:
        raise AnalyticsInputError(f"sr_variance must be finite and >= 0, got {sr_variance!r}")
    if n == 1:
        return 0.0
    z1 = st.norm.ppf(1.0 - 1.0 / n)
    z2 = st.norm.ppf(1.0 - 1.0 / (n * math.e))
    return float(math.sqrt(v) * ((1.0 - EULER_GAMMA) * z1 + EULER_GAMMA * z2))


def dsr_from_stats(
    sr: float,
    n_obs: int,
    n_trials: int,
    sr_variance: float,
    skew: float = 0.0,
    kurtosis: float = 3.0,
) -> float:
    """DSR = PSR(SR0) from summary statistics."""
    return psr_from_stats(sr, n_obs, skew, kurtosis, expected_max_sharpe(n_trials, sr_variance))


def _trial_variance(
    n_trials: int, sr_variance: float | None, trial_sharpes: Any | None
) -> float | None:
    if sr_variance is not None:
        return float(sr_variance)
    if trial_sharpes is not None:
        t = as_returns(trial_sharpes, "trial_sharpes")
        if len(t) < 2:
            raise AnalyticsInputError("trial_sharpes needs at least 2 values for a variance")
        return float(t.var(ddof=1))
    return 0.0 if int(n_trials) == 1 else None


def deflated_sharpe_ratio(
    returns: Any,
    n_trials: int,
    sr_variance: float | None = None,
    trial_sharpes: Any | None = None,
) -> float:
    """DSR of ``returns`` after ``n_trials`` trials (count *every* backtest, prompt version
    and tweak). ``sr_variance`` = variance of the trials' per-period SRs, or pass their
    ``trial_sharpes`` (variance with ``ddof=1``); neither is needed when ``n_trials == 1``."""
    v = _trial_variance(n_trials, sr_variance, trial_sharpes)
    if v is None:
        raise AnalyticsInputError(
            f"deflating over {n_trials} trials needs sr_variance or trial_sharpes "
            "(per-period Sharpe ratios of the trials)"
        )
    s = sharpe_stats(returns)
    return dsr_from_stats(s.sr, s.n_obs, n_trials, v, s.skew, s.kurtosis)


# ------------------------------------------------------------------------------------ verdict
def _fmt(x: float) -> str:
    return f"{x:.3f}"


def verdict(
    *,
    psr: float | None = None,
    dsr: float | None = None,
    pbo: float | None = None,
    n_obs: int | None = None,
    min_trl: float | None = None,
    n_trials: int | None = None,
) -> dict[str, Any]:
    """A plain-words judgement from the skill-vs-luck statistics that are known.

    ``label`` is ``"likely_luck"`` (PSR < 0.95, DSR < 0.95 or PBO > 0.5), ``"inconclusive"``
    (PBO in (0.2, 0.5], or nothing could be computed) or ``"passes"``; ``sentence`` says it
    plainly and ``reasons`` lists each finding."""
    luck, caution, reasons = False, False, []
    known = [x for x in (psr, dsr, pbo) if x is not None and math.isfinite(x)]
    if psr is not None and math.isfinite(psr):
        if psr < PSR_THRESHOLD:
            luck = True
            more = ""
            if min_trl is not None and n_obs is not None:
                if math.isinf(min_trl):
                    more = "; the Sharpe is not above the benchmark, so no track record suffices"
                elif math.isfinite(min_trl):
                    more = f"; about {max(0, math.ceil(min_trl - n_obs))} more periods needed"
            reasons.append(
                f"PSR {_fmt(psr)} < {PSR_THRESHOLD}: the Sharpe ratio is not "
                f"distinguishable from the benchmark at 95 %{more}"
            )
        else:
            reasons.append(f"PSR {_fmt(psr)} >= {PSR_THRESHOLD}")
    if dsr is not None and math.isfinite(dsr):
        tries = f"the best of {n_trials} trials" if n_trials else "the best of the trials run"
        if dsr < DSR_THRESHOLD:
            luck = True
            reasons.append(
                f"DSR {_fmt(dsr)} < {DSR_THRESHOLD}: as {tries}, this Sharpe is not clearly "
                "above the best that luck alone would produce"
            )
        else:
            reasons.append(f"DSR {_fmt(dsr)} >= {DSR_THRESHOLD} (deflated for {tries})")
    if pbo is not None and math.isfinite(pbo):
        if pbo > PBO_REJECT:
            luck = True
            reasons.append(
                f"PBO {_fmt(pbo)} > {PBO_REJECT}: the in-sample winner usually "
                "ranks below the median out of sample"
            )
        elif pbo > PBO_PASS:
            caution = True
            reasons.append(f"PBO {_fmt(pbo)} in ({PBO_PASS}, {PBO_REJECT}]: overfitting risk")
        else:
            reasons.append(f"PBO {_fmt(pbo)} <= {PBO_PASS}")
    if luck:
        label, head = "likely_luck", "Likely luck"
        if psr is not None and psr < 0.5:  # PSR below one half: the Sharpe is below the benchmark
            head += " (no evidence of skill: the Sharpe ratio is below the benchmark)"
    elif caution or not known:
        label, head = "inconclusive", "Inconclusive"
        if not known:
            reasons.append("no statistic could be computed (too few or constant returns)")
    else:
        label, head = "passes", "Passes the luck checks (evidence, not proof, of skill)"
    return {
        "label": label,
        "likely_luck": luck,
        "sentence": f"{head}: {'; '.join(reasons)}.",
        "reasons": reasons,
    }


def significance_report(
    returns: Any,
    n_trials: int = 1,
    *,
    sr_benchmark: float = 0.0,
    sr_variance: float | None = None,
    trial_sharpes: Any | None = None,
    periods_per_year: float | None = None,
    alpha: float = 0.05,
    pbo: float | PBOResult | None = None,
    n_boot: int = 2000,
    seed: int | None = 0,
    block: float | None = None,
) -> dict[str, Any]:
    """Every skill-vs-luck number for one return series as a JSON-safe dict, with
    ``verdict`` (sentence), ``label``, ``likely_luck`` and ``notes`` on anything undefined.

    Per-period values: ``sr``, ``expected_max_sr``, ``sharpe_ci``; with ``periods_per_year``
    also ``sr_ann``, ``expected_max_sr_ann``, ``sharpe_ci_ann`` and ``min_trl_years``."""
    s = sharpe_stats(returns)
    notes: list[str] = []
    psr = psr_from_stats(s.sr, s.n_obs, s.skew, s.kurtosis, sr_benchmark)
    min_trl = min_trl_from_stats(s.sr, s.skew, s.kurtosis, sr_benchmark, alpha)
    if math.isnan(s.sr):
        notes.append("fewer than 2 returns or constant returns: the Sharpe ratio is undefined")
    elif math.isnan(psr):
        notes.append("skewness/kurtosis make the SR variance term non-positive: PSR undefined")
    v = _trial_variance(n_trials, sr_variance, trial_sharpes)
    dsr = e_max = NAN
    if v is None:
        notes.append(f"DSR needs sr_variance or trial_sharpes for n_trials = {n_trials}")
    else:
        e_max = expected_max_sharpe(n_trials, v)
        dsr = psr_from_stats(s.sr, s.n_obs, s.skew, s.kurtosis, e_max)
    pbo_value = pbo.pbo if isinstance(pbo, PBOResult) else pbo
    ci = bootstrap_ci(returns, "sharpe", n_boot, alpha, seed, block)
    out: dict[str, Any] = {
        "n_obs": s.n_obs,
        "sr": s.sr,
        "skew": s.skew,
        "kurtosis": s.kurtosis,
        "t_stat": s.sr * math.sqrt(s.n_obs) if s.n_obs else NAN,
        "sr_benchmark": sr_benchmark,
        "psr": psr,
        "min_trl": min_trl,
        "periods_needed": max(0.0, min_trl - s.n_obs) if not math.isnan(min_trl) else NAN,
        "n_trials": int(n_trials),
        "sr_variance": v,
        "expected_max_sr": e_max,
        "dsr": dsr,
        "pbo": pbo_value,
        "pbo_label": pbo_label(pbo_value) if pbo_value is not None else None,
        "sharpe_ci": [ci.low, ci.high],
        "alpha": alpha,
    }
    if ci.note:
        notes.append(f"bootstrap: {ci.note}")
    if periods_per_year is not None:
        root = math.sqrt(periods_per_year)
        out.update(
            sr_ann=s.sr * root,
            expected_max_sr_ann=e_max * root,
            sharpe_ci_ann=[ci.low * root, ci.high * root],
            min_trl_years=min_trl / periods_per_year,
        )
    v_out = verdict(
        psr=psr,
        dsr=dsr if v is not None and n_trials > 1 else None,
        pbo=pbo_value,
        n_obs=s.n_obs,
        min_trl=min_trl,
        n_trials=int(n_trials),
    )
    out.update(
        verdict=v_out["sentence"],
        label=v_out["label"],
        likely_luck=v_out["likely_luck"],
        reasons=v_out["reasons"],
        notes=notes,
    )
    return {k: json_value(val) for k, val in out.items()}


# ----------------------------------------------------------------------------- A/B (paired)
def _paired(a: Any, b: Any) -> tuple[np.ndarray, int]:
    if isinstance(a, pd.Series) and isinstance(b, pd.Series):
        joined = pd.concat({"a": a, "b": b}, axis=1, join="inner")
        dropped = len(a) + len(b) - 2 * len(joined)
        return np.column_stack(
            [as_returns(joined["a"], "a_returns"), as_returns(joined["b"], "b_returns")]
        ), dropped
    ra, rb = as_returns(a, "a_returns"), as_returns(b, "b_returns")
    if len(ra) != len(rb):
        raise AnalyticsInputError(
            f"paired test needs returns over the same periods: {len(ra)} vs {len(rb)} values "
            "(pass pandas Series to align them on their index)"
        )
    return np.column_stack([ra, rb]), 0


def _p_value(boot: np.ndarray, observed: float) -> float:
    """Two-sided bootstrap p-value of H0: difference = 0, from the centred resamples."""
    b = boot[np.isfinite(boot)]
    if len(b) == 0 or not math.isfinite(observed):
        return NAN
    return float((1 + np.sum(np.abs(b - observed) >= abs(observed))) / (1 + len(b)))


def paired_difference_test(
    a_returns: Any,
    b_returns: Any,
    n_boot: int = 2000,
    seed: int | None = 0,
    *,
    alpha: float = 0.05,
    block: float | None = None,
    periods_per_year: float | None = None,
) -> dict[str, Any]:
    """Does B beat A? Paired bootstrap (the same resampled periods for both; ``block`` = mean
    block length of a stationary bootstrap) of the differences B - A in mean return and in
    per-period Sharpe, with percentile CIs, two-sided p-values and a verdict sentence.
    Series are aligned on their common index (``n_dropped`` counts the rest)."""
    x, dropped = _paired(a_returns, b_returns)
    a = check_alpha(alpha)
    n = len(x)
    if n < 3:
        raise AnalyticsInputError(f"paired test needs at least 3 common periods, got {n}")
    means = x.mean(axis=0)
    sa, sb = sharpe_stats(x[:, 0]).sr, sharpe_stats(x[:, 1]).sr
    boot_mean = resampled_stat(x, "mean", n_boot, seed, block)
    boot_sr = resampled_stat(x, "sharpe", n_boot, seed, block)
    d_mean, d_sr = float(means[1] - means[0]), sb - sa
    mean_diffs, sr_diffs = boot_mean[:, 1] - boot_mean[:, 0], boot_sr[:, 1] - boot_sr[:, 0]
    out: dict[str, Any] = {
        "n_obs": n,
        "n_dropped": dropped,
        "mean_a": float(means[0]),
        "mean_b": float(means[1]),
        "mean_diff": d_mean,
        "mean_diff_ci": list(percentile_interval(mean_diffs, a)),
        "mean_diff_p": _p_value(mean_diffs, d_mean),
        "sharpe_a": sa,
        "sharpe_b": sb,
        "sharpe_diff": d_sr,
        "sharpe_diff_ci": list(percentile_interval(sr_diffs, a)),
        "sharpe_diff_p": _p_value(sr_diffs, d_sr),
        "alpha": a,
        "n_boot": n_boot,
        "seed": seed,
        "block": block,
    }
    if periods_per_year is not None:
        root = math.sqrt(periods_per_year)
        out.update(
            sharpe_a_ann=sa * root,
            sharpe_b_ann=sb * root,
            sharpe_diff_ann=d_sr * root,
            mean_diff_ann=d_mean * periods_per_year,
        )
    out.update(_ab_verdict(out, a))
    return {k: json_value(v) for k, v in out.items()}


def _ab_verdict(r: dict[str, Any], alpha: float) -> dict[str, Any]:
    p_sr, p_mean = r["sharpe_diff_p"], r["mean_diff_p"]
    lvl = f"{alpha:.0%}"

    def part(name: str, diff: float, p: float, digits: int) -> str:
        if not (math.isfinite(diff) and math.isfinite(p)):
            return f"{name} B - A undefined (constant returns)"
        return f"{name} B - A = {diff:+.{digits}f} per period (p = {p:.3f})"

    detail = (
        f"{part('Sharpe', r['sharpe_diff'], p_sr, 4)}, {part('mean', r['mean_diff'], p_mean, 6)}"
    )
    sig_sr = math.isfinite(p_sr) and p_sr < alpha
    sig_mean = math.isfinite(p_mean) and p_mean < alpha
    if not (sig_sr or sig_mean):
        return {
            "winner": None,
            "label": "no_significant_difference",
            "verdict": f"No significant difference at {lvl}: the gap between A and B could "
            f"be luck ({detail}).",
        }
    diff = r["sharpe_diff"] if sig_sr else r["mean_diff"]
    winner = "B" if diff > 0 else "A"
    what = "Sharpe ratio" if sig_sr else "mean return"
    also = " and mean return" if sig_sr and sig_mean else ""
    return {
        "winner": winner,
        "label": f"{winner.lower()}_better",
        "verdict": f"{winner} is better on {what}{also}, unlikely to be luck at {lvl} ({detail}).",
    }
