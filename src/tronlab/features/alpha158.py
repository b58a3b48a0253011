"""qlib's Alpha158 feature set (158 features, group ``alpha158``), with qlib's definitions.

Sources (read offline from the ``microsoft/qlib`` repository):

* the expressions and names: ``Alpha158DL.get_feature_config`` in
  ``qlib/contrib/data/loader.py`` (commit 0320bdd) and ``Alpha158.get_feature_config`` /
  ``parse_config_to_fields`` in ``qlib/contrib/data/handler.py`` (commit 0112d06). The
  default config is ``{"kbar": {}, "price": {"windows": [0], "feature": ["OPEN", "HIGH",
  "LOW", "VWAP"]}, "rolling": {}}``: the 9 KBAR features, ``OPEN0 HIGH0 LOW0 VWAP0`` (no
  ``VOLUME`` block, so no ``VOLUME0``) and 29 rolling families over windows
  ``[5, 10, 20, 30, 60]``: 9 + 4 + 29 * 5 = 158. (The ``MIN`` family is gated by
  ``use("LOW")`` in qlib; with the default ``include=None`` it is included.)
* the operators: ``qlib/data/ops.py`` (commit 53ad2ff): ``Rolling._load_internal`` runs
  ``series.rolling(N, min_periods=1).<func>()`` for ``Mean``, ``Sum``, ``Std`` (pandas,
  ``ddof=1``), ``Max``, ``Min``; ``Quantile`` is ``rolling.quantile(q)`` (pandas default
  linear interpolation); ``Rank`` is ``rolling.rank(pct=True)`` (pandas >= 1.4; method
  "average"; the pre-1.4 fallback ``percentileofscore(x1, x1[-1]) / 100`` is the same
  number); ``IdxMax``/``IdxMin`` are ``rolling.apply(lambda x: x.argmax() + 1, raw=True)``
  (1-based position of the first extreme counted from the *oldest* bar of the window, so
  ``IMAX = 1`` when the newest bar holds the maximum); ``Ref(x, N)`` is ``shift(N)``;
  ``Greater``/``Less``/``Abs``/``Log``/``Sign`` are ``np.maximum``/``np.minimum``/
  ``np.abs``/``np.log``/``np.sign``; ``Corr`` is pandas ``rolling(N, min_periods=1).corr``
  set to NaN where either input's rolling std is ``np.isclose(.., 0, atol=2e-05)``;
  ``Rsquare`` gets the same NaN rule on its input's rolling std. ``Slope``, ``Rsquare`` and
  ``Resi`` are the Cython ``rolling_slope/rsquare/resi`` of ``qlib/data/_libs/rolling.pyx``
  (commit 99ebd87): least squares of the window on positions ``1..N`` (newest = ``N``),
  NaN skipped; ``Resi`` is the residual of the newest value. An older ``ops.py`` (commit
  08f3d27) had ``Rank`` = ``percentileofscore(..) / len(x1)`` (a bug fixed since); this
  module follows the current definition. Kernels: :mod:`tronlab.features.alpha158_ops`.

Differences from a qlib run, all deliberate:

* **Warm-up.** qlib evaluates every rolling operator with ``min_periods=1``, so the first
  ``N-1`` bars of an instrument get partial-window values (and ``Mean($close>Ref($close,1),
  N)`` counts the NaN comparison of the very first bar as a False). Here the first
  ``warmup - 1`` values are NaN, with ``warmup = N`` for operators on raw fields and
  ``N + 1`` when the expression uses ``Ref(., 1)`` (CORD, CNTP/N/D, SUMP/N/D, WVMA,
  VSUMP/N/D) or is ``ROC{N}`` (``Ref($close, N)``): then every window is complete. From
  index ``warmup - 1`` on, values are qlib's (qlib itself loads ``get_extended_window_size``
  bars of extra history for that reason). Missing values inside a window (NaN or inf bars)
  are handled as qlib/pandas do (skipped by the rolling operators, see the kernels).
* **Precision.** qlib stores fields as little-endian float32 (``.bin`` files read with
  ``dtype="<f"``); here everything is float64. pandas' ``Std``/``Corr`` and qlib's Cython
  ``Slope``/``Rsquare``/``Resi`` keep running sums over the whole series, whose rounding
  drifts (measured: pandas' 5-bar std off by up to ~1e-8 relative on quiet windows, and a
  flat window's std 9e-7 instead of 0 after 500 bars); here each window is computed
  directly, so a value is exact to rounding and depends only on its window. The tests
  compare all 158 features with a pandas evaluation of qlib's expressions to 1e-9 (the
  few pandas-drift points against exact rational arithmetic instead).
* **$vwap.** qlib reads a ``$vwap`` field from its data. Bars carry none, so ``VWAP0`` uses
  ``bars.extra["vwap"]`` when present and otherwise the bar's typical price
  ``(high + low + close) / 3`` (an approximation, documented in the feature).
* **Zero volume** (indices, some bars): computed as qlib would, no guard added:
  ``VMA``/``VSTD`` divide by ``$volume + 1e-12`` (huge values), ``Log($volume/Ref($volume,
  1)+1)`` is ``+inf`` (0 before) or NaN (0/0), which pandas' rolling treats as missing, so
  ``CORD`` uses the remaining bars (NaN if fewer than 2 or constant).
* Prices are used as given (qlib uses adjusted prices ``$close * $factor``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tronlab.features.alpha158_ops import (
    rolling_corr,
    rolling_max_idx,
    rolling_mean_std,
    rolling_min_idx,
    rolling_quantiles_rank,
    rolling_signed_sums,
    rolling_stats_regression,
)
from tronlab.features.registry import Bars, register_many

__all__ = ["ALPHA158_NAMES", "QLIB_EXPRESSIONS", "WINDOWS", "compute_alpha158"]

Array = np.ndarray
WINDOWS: tuple[int, ...] = (5, 10, 20, 30, 60)

_KBAR: tuple[tuple[str, str, str], ...] = (
    ("KMID", "($close-$open)/$open", "body of the bar relative to the open"),
    ("KLEN", "($high-$low)/$open", "range of the bar relative to the open"),
    ("KMID2", "($close-$open)/($high-$low+1e-12)", "body as a fraction of the range"),
    ("KUP", "($high-Greater($open, $close))/$open", "upper shadow relative to the open"),
    (
        "KUP2",
        "($high-Greater($open, $close))/($high-$low+1e-12)",
        "upper shadow as a fraction of the range",
    ),
    ("KLOW", "(Less($open, $close)-$low)/$open", "lower shadow relative to the open"),
    (
        "KLOW2",
        "(Less($open, $close)-$low)/($high-$low+1e-12)",
        "lower shadow as a fraction of the range",
    ),
    ("KSFT", "(2*$close-$high-$low)/$open", "close position within the bar, over the open"),
    (
        "KSFT2",
        "(2*$close-$high-$low)/($high-$low+1e-12)",
        "close position within the bar, over the range",
    ),
)
_KBAR_INPUTS = {
    "KMID": ("open", "close"),
    "KLEN": ("open", "high", "low"),
}

_PRICE: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("OPEN0", "$open/$close", ("open", "close"), "open over close"),
    ("HIGH0", "$high/$close", ("high", "close"), "high over close"),
    ("LOW0", "$low/$close", ("low", "close"), "low over close"),
    (
        "VWAP0",
        "$vwap/$close",
        ("high", "low", "close"),
        "vwap over close; $vwap = bars.extra['vwap'] when given, else the typical price "
        "(high+low+close)/3 (qlib reads a $vwap field; this is an approximation)",
    ),
)

# (family, expression template with {d}, inputs, extra warm-up beyond d, meaning)
_ROLLING: tuple[tuple[str, str, tuple[str, ...], int, str], ...] = (
    ("ROC", "Ref($close, {d})/$close", ("close",), 1, "close {d} bars ago over close"),
    ("MA", "Mean($close, {d})/$close", ("close",), 0, "{d}-bar mean close over close"),
    ("STD", "Std($close, {d})/$close", ("close",), 0, "{d}-bar std (ddof=1) of close / close"),
    (
        "BETA",
        "Slope($close, {d})/$close",
        ("close",),
        0,
        "slope of the {d}-bar regression of close on 1..{d}, over close",
    ),
    (
        "RSQR",
        "Rsquare($close, {d})",
        ("close",),
        0,
        "R² of the {d}-bar regression of close on 1..{d} (NaN when std(close) <= 2e-5)",
    ),
    (
        "RESI",
        "Resi($close, {d})/$close",
        ("close",),
        0,
        "residual of the last close from the {d}-bar regression line, over close",
    ),
    ("MAX", "Max($high, {d})/$close", ("high", "close"), 0, "{d}-bar highest high over close"),
    ("MIN", "Min($low, {d})/$close", ("low", "close"), 0, "{d}-bar lowest low over close"),
    (
        "QTLU",
        "Quantile($close, {d}, 0.8)/$close",
        ("close",),
        0,
        "80% quantile (linear interpolation) of {d} closes over close",
    ),
    (
        "QTLD",
        "Quantile($close, {d}, 0.2)/$close",
        ("close",),
        0,
        "20% quantile (linear interpolation) of {d} closes over close",
    ),
    (
        "RANK",
        "Rank($close, {d})",
        ("close",),
        0,
        "percentile rank (average ties, /count) of the close among the last {d} closes",
    ),
    (
        "RSV",
        "($close-Min($low, {d}))/(Max($high, {d})-Min($low, {d})+1e-12)",
        ("high", "low", "close"),
        0,
        "close position in the {d}-bar high-low range",
    ),
    (
        "IMAX",
        "IdxMax($high, {d})/{d}",
        ("high",),
        0,
        "1-based position (from the oldest bar) of the {d}-bar highest high, over {d}",
    ),
    (
        "IMIN",
        "IdxMin($low, {d})/{d}",
        ("low",),
        0,
        "1-based position (from the oldest bar) of the {d}-bar lowest low, over {d}",
    ),
    (
        "IMXD",
        "(IdxMax($high, {d})-IdxMin($low, {d}))/{d}",
        ("high", "low"),
        0,
        "position of the {d}-bar high minus that of the low, over {d}",
    ),
    (
        "CORR",
        "Corr($close, Log($volume+1), {d})",
        ("close", "volume"),
        0,
        "{d}-bar correlation of close and log(volume+1)",
    ),
    (
        "CORD",
        "Corr($close/Ref($close,1), Log($volume/Ref($volume, 1)+1), {d})",
        ("close", "volume"),
        1,
        "{d}-bar correlation of the close ratio and log(volume ratio + 1)",
    ),
    (
        "CNTP",
        "Mean($close>Ref($close, 1), {d})",
        ("close",),
        1,
        "fraction of the last {d} bars that closed up",
    ),
    (
        "CNTN",
        "Mean($close<Ref($close, 1), {d})",
        ("close",),
        1,
        "fraction of the last {d} bars that closed down",
    ),
    (
        "CNTD",
        "Mean($close>Ref($close, 1), {d})-Mean($close<Ref($close, 1), {d})",
        ("close",),
        1,
        "up fraction minus down fraction over {d} bars",
    ),
    (
        "SUMP",
        "Sum(Greater($close-Ref($close, 1), 0), {d})/(Sum(Abs($close-Ref($close, 1)), {d})+1e-12)",
        ("close",),
        1,
        "total gain over total absolute change, {d} bars (RSI-like)",
    ),
    (
        "SUMN",
        "Sum(Greater(Ref($close, 1)-$close, 0), {d})/(Sum(Abs($close-Ref($close, 1)), {d})+1e-12)",
        ("close",),
        1,
        "total loss over total absolute change, {d} bars",
    ),
    (
        "SUMD",
        "(Sum(Greater($close-Ref($close, 1), 0), {d})-Sum(Greater(Ref($close, 1)-$close, 0), {d}))"
        "/(Sum(Abs($close-Ref($close, 1)), {d})+1e-12)",
        ("close",),
        1,
        "(gain - loss) over total absolute change, {d} bars",
    ),
    (
        "VMA",
        "Mean($volume, {d})/($volume+1e-12)",
        ("volume",),
        0,
        "{d}-bar mean volume over volume",
    ),
    (
        "VSTD",
        "Std($volume, {d})/($volume+1e-12)",
        ("volume",),
        0,
        "{d}-bar volume std (ddof=1) over volume",
    ),
    (
        "WVMA",
        "Std(Abs($close/Ref($close, 1)-1)*$volume, {d})"
        "/(Mean(Abs($close/Ref($close, 1)-1)*$volume, {d})+1e-12)",
        ("close", "volume"),
        1,
        "coefficient of variation of |return| * volume over {d} bars",
    ),
    (
        "VSUMP",
        "Sum(Greater($volume-Ref($volume, 1), 0), {d})"
        "/(Sum(Abs($volume-Ref($volume, 1)), {d})+1e-12)",
        ("volume",),
        1,
        "total volume increase over total absolute volume change, {d} bars",
    ),
    (
        "VSUMN",
        "Sum(Greater(Ref($volume, 1)-$volume, 0), {d})"
        "/(Sum(Abs($volume-Ref($volume, 1)), {d})+1e-12)",
        ("volume",),
        1,
        "total volume decrease over total absolute volume change, {d} bars",
    ),
    (
        "VSUMD",
        "(Sum(Greater($volume-Ref($volume, 1), 0), {d})"
        "-Sum(Greater(Ref($volume, 1)-$volume, 0), {d}))"
        "/(Sum(Abs($volume-Ref($volume, 1)), {d})+1e-12)",
        ("volume",),
        1,
        "(volume increase - decrease) over total absolute volume change, {d} bars",
    ),
)


def _specs() -> list[dict[str, Any]]:
    specs: list[dict[str, Any]] = []

    def add(
        name: str, expr: str, inputs: tuple[str, ...], window: int, warmup: int, what: str
    ) -> None:
        specs.append(
            {
                "name": name,
                "group": "alpha158",
                "inputs": inputs,
                "window": window,
                "warmup": warmup,
                "memory": warmup,
                "description": f"qlib Alpha158 {name} = {expr}: {what}.",
                "reference": f"qlib:{expr}",
            }
        )

    for name, expr, what in _KBAR:
        inputs = _KBAR_INPUTS.get(name, ("open", "high", "low", "close"))
        add(name, expr, inputs, 0, 1, what)
    for name, expr, inputs, what in _PRICE:
        add(name, expr, inputs, 0, 1, what)
    for family, template, inputs, extra, what in _ROLLING:
        for d in WINDOWS:
            expr = template.format(d=d)
            add(f"{family}{d}", expr, inputs, d, d + extra, what.format(d=d))
    return specs


_SPECS = _specs()
ALPHA158_NAMES: tuple[str, ...] = tuple(s["name"] for s in _SPECS)
QLIB_EXPRESSIONS: dict[str, str] = {s["name"]: s["reference"][5:] for s in _SPECS}
_WARMUP: dict[str, int] = {s["name"]: s["warmup"] for s in _SPECS}
if len(ALPHA158_NAMES) != 158 or len(set(ALPHA158_NAMES)) != 158:  # pragma: no cover
    raise RuntimeError("Alpha158 must define 158 distinct features")


def _col(a: Array) -> Array:
    # a C-contiguous writeable float64 array: one numba specialisation per kernel
    return np.require(np.asarray(a, dtype=np.float64), requirements=["C", "W"])


def _ref1(x: Array) -> Array:
    """``Ref(x, 1)`` (``shift(1)``: NaN first)."""
    out = np.empty_like(x)
    out[:1] = np.nan
    out[1:] = x[:-1]
    return out


def compute_alpha158(bars: Bars) -> dict[str, Array]:
    """All 158 features over ``bars`` (values before each feature's warm-up are NaN).

    Each output array is allocated once and filled in place by the kernels of
    :mod:`tronlab.features.alpha158_ops` and in-place numpy operations (at 1M bars the
    158 outputs are 1.26 GB; temporaries are a handful of input-sized arrays).
    """
    o, h, lo, c, v = (_col(a) for a in (bars.open, bars.high, bars.low, bars.close, bars.volume))
    n = len(c)
    out = {name: np.empty(n) for name in ALPHA158_NAMES}
    with np.errstate(all="ignore"):
        vwap = _col(bars.extra["vwap"]) if "vwap" in bars.extra else (h + lo + c) / 3.0
        tmp = np.empty(n)
        rng = h - lo + 1e-12
        body_hi = np.maximum(o, c)
        body_lo = np.minimum(o, c)
        np.divide(c - o, o, out=out["KMID"])
        np.divide(h - lo, o, out=out["KLEN"])
        np.divide(c - o, rng, out=out["KMID2"])
        np.divide(h - body_hi, o, out=out["KUP"])
        np.divide(h - body_hi, rng, out=out["KUP2"])
        np.divide(body_lo - lo, o, out=out["KLOW"])
        np.divide(body_lo - lo, rng, out=out["KLOW2"])
        np.divide(2 * c - h - lo, o, out=out["KSFT"])
        np.divide(2 * c - h - lo, rng, out=out["KSFT2"])
        np.divide(o, c, out=out["OPEN0"])
        np.divide(h, c, out=out["HIGH0"])
        np.divide(lo, c, out=out["LOW0"])
        np.divide(vwap, c, out=out["VWAP0"])
        del rng, body_hi, body_lo, vwap

        c1 = _ref1(c)
        v1 = _ref1(v)
        dc = c - c1
        dv = v - v1
        log_v = np.log(v + 1)
        ratio_c = c / c1
        log_ratio_v = np.log(v / v1 + 1)
        wv = np.abs(c / c1 - 1) * v
        vol_eps = v + 1e-12
        del c1, v1

        for d in WINDOWS:
            f = {fam: out[f"{fam}{d}"] for fam in _FAMILIES}
            roc = f["ROC"]
            roc[: min(d, n)] = np.nan
            roc[d:] = c[:-d]
            roc /= c
            rolling_stats_regression(c, d, f["MA"], f["STD"], f["BETA"], f["RSQR"], f["RESI"])
            for fam in ("MA", "STD", "BETA", "RESI"):
                f[fam] /= c
            rolling_quantiles_rank(c, d, 0.8, 0.2, f["QTLU"], f["QTLD"], f["RANK"])
            f["QTLU"] /= c
            f["QTLD"] /= c
            rolling_max_idx(h, d, f["MAX"], f["IMAX"])
            rolling_min_idx(lo, d, f["MIN"], f["IMIN"])
            # RSV = ($close-Min($low, d))/(Max($high, d)-Min($low, d)+1e-12)
            np.subtract(c, f["MIN"], out=f["RSV"])
            np.subtract(f["MAX"], f["MIN"], out=tmp)
            tmp += 1e-12
            f["RSV"] /= tmp
            f["MAX"] /= c
            f["MIN"] /= c
            np.subtract(f["IMAX"], f["IMIN"], out=f["IMXD"])
            for fam in ("IMAX", "IMIN", "IMXD"):
                f[fam] /= d
            rolling_corr(c, log_v, d, f["CORR"])
            rolling_corr(ratio_c, log_ratio_v, d, f["CORD"])
            # SUMP/SUMN/SUMD and CNTP/CNTN/CNTD from the close differences
            rolling_signed_sums(dc, d, f["SUMP"], f["SUMN"], tmp, f["CNTP"], f["CNTN"])
            np.subtract(f["SUMP"], f["SUMN"], out=f["SUMD"])
            tmp += 1e-12
            for fam in ("SUMP", "SUMN", "SUMD"):
                f[fam] /= tmp
            f["CNTP"] /= d
            f["CNTN"] /= d
            np.subtract(f["CNTP"], f["CNTN"], out=f["CNTD"])
            # (the volume up/down counts are not used: VSUMD's row takes them, then VSUMD)
            rolling_signed_sums(dv, d, f["VSUMP"], f["VSUMN"], tmp, f["VSUMD"], f["VSUMD"])
            np.subtract(f["VSUMP"], f["VSUMN"], out=f["VSUMD"])
            tmp += 1e-12
            for fam in ("VSUMP", "VSUMN", "VSUMD"):
                f[fam] /= tmp
            rolling_mean_std(v, d, f["VMA"], f["VSTD"])
            f["VMA"] /= vol_eps
            f["VSTD"] /= vol_eps
            rolling_mean_std(wv, d, tmp, f["WVMA"])
            tmp += 1e-12
            f["WVMA"] /= tmp
    for name, arr in out.items():
        arr[: _WARMUP[name] - 1] = np.nan
    return out


_FAMILIES: tuple[str, ...] = tuple(family for family, *_ in _ROLLING)

FEATURES = register_many(_SPECS, compute_alpha158)
