"""Rolling operators of qlib's expression engine, as numba kernels, for the Alpha158 set.

Each kernel reads a float64 series and a window ``w`` and writes into caller-provided output
arrays of the same length (no allocation per feature: at 1M bars every array is 8 MB). The
value at ``t`` uses ``x[t-w+1 .. t]`` only; values ``t < w-1`` are NaN (qlib runs pandas with
``min_periods=1`` and so gives partial-window values there; :mod:`tronlab.features.alpha158`
documents that). Inside a full window the kernels follow the semantics qlib inherits,
including how missing values are skipped:

* pandas-backed operators (``Mean``, ``Sum``, ``Std``, ``Max``, ``Min``, ``Quantile``,
  ``Rank``, ``IdxMax``/``IdxMin`` via ``rolling.apply``, ``Corr``): pandas first turns
  ``±inf`` into NaN (``BaseWindow._prep_values``), then aggregates the non-NaN values of the
  window (``min_periods=1``). ``Std`` uses ``ddof=1`` and is NaN with fewer than 2 values;
  a window of equal values has mean exactly that value and std exactly 0 (pandas intends
  the same, GH#42064, but its running sums can leave a residue after a long history).
  ``Corr`` (``roll_corr``) pairs the bars where both inputs are finite and is NaN when
  either side is constant there.
* the Cython regression operators (``Slope``, ``Rsquare``, ``Resi``,
  ``qlib/data/_libs/rolling.pyx``) skip NaN only and regress the window on the positions
  ``1..w`` (oldest = 1, newest = ``w``).

Each window is computed directly (sums in bar order, then centred second-moment sums),
not with running sums, so results agree with pandas/qlib to rounding (pandas and qlib's
Cython keep running sums that drift slightly over long series) and a value depends only on
its window's bars, bit for bit, whatever the length of the series it is computed in. Windows
without missing values take a chunked path whose inner loops run over ``t`` (vectorised by
LLVM) and do the same arithmetic in the same order as the general per-window path.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = [
    "STD_ATOL",
    "rolling_corr",
    "rolling_max_idx",
    "rolling_mean_std",
    "rolling_min_idx",
    "rolling_quantiles_rank",
    "rolling_signed_sums",
    "rolling_stats_regression",
]

_NAN = math.nan
#: ``np.isclose(std, 0, atol=2e-05)`` in qlib's ``Rsquare``/``Corr``: ``|std| <= 2e-5``
STD_ATOL = 2e-05
_B = 512  # chunk of output bars for the vectorised path

_jit = numba.njit(cache=True, nogil=True, error_model="numpy")
_jit_inline = numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")


@_jit_inline
def _ok(v: float) -> bool:
    """Finite (pandas turns ±inf into NaN before rolling)."""
    return v - v == 0.0


@_jit_inline
def _all_ok(x: np.ndarray, lo: int, hi: int) -> bool:
    for j in range(lo, hi):  # noqa: SIM110 (a plain loop for numba)
        if not _ok(x[j]):
            return False
    return True


@_jit_inline
def _runs(x: np.ndarray, lo: int, hi: int, run: np.ndarray) -> None:
    """``run[j-lo]`` = length of the run of equal values ending at ``x[j]`` (within lo..)."""
    run[0] = 1
    for j in range(lo + 1, hi):
        run[j - lo] = run[j - lo - 1] + 1 if x[j] == x[j - 1] else 1


# --------------------------------------------------------------------------- mean / std


@_jit
def _mean_std_at(x: np.ndarray, lo: int, hi: int) -> tuple[float, float]:
    """pandas mean and std (ddof=1) of the finite values of ``x[lo:hi]``."""
    s = 0.0
    c = 0
    first = 0.0
    same = True
    for j in range(lo, hi):
        v = x[j]
        if _ok(v):
            if c == 0:
                first = v
            elif v != first:
                same = False
            s += v
            c += 1
    if c == 0:
        return _NAN, _NAN
    if same:
        return first, (0.0 if c >= 2 else _NAN)
    m = s / c
    ss = 0.0
    for j in range(lo, hi):
        v = x[j]
        if _ok(v):
            d = v - m
            ss += d * d
    return m, math.sqrt(ss / (c - 1))


@_jit
def rolling_mean_std(x: np.ndarray, w: int, mean: np.ndarray, std: np.ndarray) -> None:
    """pandas ``rolling(w, min_periods=1).mean()`` and ``.std()`` (ddof=1), full windows."""
    n = x.shape[0]
    mean[: min(w - 1, n)] = _NAN
    std[: min(w - 1, n)] = _NAN
    acc = np.empty(_B)
    ss = np.empty(_B)
    run = np.empty(_B + w, np.int64)
    for t0 in range(w - 1, n, _B):
        t1 = min(t0 + _B, n)
        b = t1 - t0
        base = t0 - w + 1
        if not _all_ok(x, base, t1):
            for t in range(t0, t1):
                mean[t], std[t] = _mean_std_at(x, t - w + 1, t + 1)
            continue
        a = acc[:b]
        q = ss[:b]
        a[:] = 0.0
        q[:] = 0.0
        for k in range(w):
            xs = x[base + k : base + k + b]
            for i in range(b):
                a[i] += xs[i]
        for i in range(b):
            a[i] = a[i] / w
        for k in range(w):
            xs = x[base + k : base + k + b]
            for i in range(b):
                d = xs[i] - a[i]
                q[i] += d * d
        _runs(x, base, t1, run)
        for i in range(b):
            t = t0 + i
            if run[t - base] >= w:
                mean[t] = x[t]
                std[t] = 0.0 if w >= 2 else _NAN
            else:
                mean[t] = acc[i]
                std[t] = math.sqrt(ss[i] / (w - 1))


# ------------------------------------------------------------ mean / std + regression


@_jit
def _regression_at(x: np.ndarray, t: int, w: int) -> tuple[float, float, float]:
    """qlib Slope/Rsquare/Resi of ``x[t-w+1..t]`` (NaN skipped; positions 1..w); R² is not
    yet NaN-ed by the std rule."""
    c = 0
    sx = 0.0
    sy = 0.0
    first = 0.0
    same = True
    for k in range(w):
        v = x[t - w + 1 + k]
        if not math.isnan(v):
            if c == 0:
                first = v
            elif v != first:
                same = False
            c += 1
            sx += k + 1.0
            sy += v
    if c == 0:
        return _NAN, _NAN, _NAN
    xm = sx / c
    ym = first if same else sy / c
    sxx = 0.0
    sxy = 0.0
    syy = 0.0
    for k in range(w):
        v = x[t - w + 1 + k]
        if not math.isnan(v):
            dx = k + 1.0 - xm
            dy = v - ym
            sxx += dx * dx
            sxy += dx * dy
            syy += dy * dy
    slope = sxy / sxx
    return slope, (sxy * sxy) / (sxx * syy), (x[t] - ym) - slope * (w - xm)


@_jit
def rolling_stats_regression(
    x: np.ndarray,
    w: int,
    mean: np.ndarray,
    std: np.ndarray,
    slope: np.ndarray,
    rsq: np.ndarray,
    resi: np.ndarray,
) -> None:
    """pandas rolling mean and std (ddof=1) and qlib ``Slope``, ``Rsquare``, ``Resi``
    (``rolling.pyx``: least squares of the window's values on their positions ``1..w``; its
    slope, R², and the residual of the newest value ``x[t] - (slope * w + intercept)``).
    As qlib's ``Rsquare`` operator does, R² is NaN where the rolling std is within 2e-5 of 0
    (``np.isclose(std, 0, atol=2e-05)``)."""
    n = x.shape[0]
    for arr in (mean, std, slope, rsq, resi):
        arr[: min(w - 1, n)] = _NAN
    acc = np.empty(_B)
    syy = np.empty(_B)
    sxy = np.empty(_B)
    run = np.empty(_B + w, np.int64)
    # the full-window regression constants, summed as _regression_at does
    sx = 0.0
    for k in range(w):
        sx += k + 1.0
    xm = sx / w
    sxx = 0.0
    for k in range(w):
        dx = k + 1.0 - xm
        sxx += dx * dx
    for t0 in range(w - 1, n, _B):
        t1 = min(t0 + _B, n)
        b = t1 - t0
        base = t0 - w + 1
        if not _all_ok(x, base, t1):
            for t in range(t0, t1):
                m, s = _mean_std_at(x, t - w + 1, t + 1)
                mean[t] = m
                std[t] = s
                slope[t], r2, resi[t] = _regression_at(x, t, w)
                rsq[t] = _NAN if s <= STD_ATOL else r2
            continue
        a = acc[:b]
        q = syy[:b]
        r = sxy[:b]
        a[:] = 0.0
        q[:] = 0.0
        r[:] = 0.0
        for k in range(w):
            xs = x[base + k : base + k + b]
            for i in range(b):
                a[i] += xs[i]
        for i in range(b):
            a[i] = a[i] / w
        _runs(x, base, t1, run)
        for i in range(b):
            if run[t0 + i - base] >= w:
                a[i] = x[t0 + i]
        for k in range(w):
            dx = k + 1.0 - xm
            xs = x[base + k : base + k + b]
            for i in range(b):
                d = xs[i] - a[i]
                q[i] += d * d
                r[i] += dx * d
        for i in range(b):
            t = t0 + i
            same = run[t - base] >= w
            mean[t] = acc[i]
            s = (0.0 if same else math.sqrt(syy[i] / (w - 1))) if w >= 2 else _NAN
            std[t] = s
            bb = sxy[i] / sxx
            slope[t] = bb
            resi[t] = (x[t] - acc[i]) - bb * (w - xm)
            rsq[t] = _NAN if s <= STD_ATOL else (sxy[i] * sxy[i]) / (sxx * syy[i])


# ------------------------------------------------------------------------ signed sums


@_jit
def _signed_sums_at(d: np.ndarray, lo: int, hi: int) -> tuple[float, float, float, int, int]:
    a = 0.0
    b = 0.0
    c = 0
    up = 0
    dn = 0
    for j in range(lo, hi):
        v = d[j]
        if v > 0.0:
            up += 1
        elif v < 0.0:
            dn += 1
        if _ok(v):
            c += 1
            a += max(v, 0.0)
            b += max(-v, 0.0)
    if c == 0:
        return _NAN, _NAN, _NAN, up, dn
    return a, b, a + b, up, dn


@_jit
def rolling_signed_sums(
    d: np.ndarray,
    w: int,
    pos: np.ndarray,
    neg: np.ndarray,
    absolute: np.ndarray,
    n_up: np.ndarray,
    n_down: np.ndarray,
) -> None:
    """For a difference series ``d`` (``x - Ref(x, 1)``): the rolling sums (pandas, finite
    values; NaN when none) of ``Greater(d, 0)``, ``Greater(-d, 0)`` and ``Abs(d)`` (as
    ``pos + neg``), and the counts of ``d > 0`` and ``d < 0`` (``w * Mean(x > Ref(x, 1), w)``:
    a NaN comparison is False, so every bar of the window counts in the mean)."""
    n = d.shape[0]
    for arr in (pos, neg, absolute, n_up, n_down):
        arr[: min(w - 1, n)] = _NAN
    sp = np.empty(_B)
    sn = np.empty(_B)
    cu = np.empty(_B)
    cd = np.empty(_B)
    for t0 in range(w - 1, n, _B):
        t1 = min(t0 + _B, n)
        b = t1 - t0
        base = t0 - w + 1
        if not _all_ok(d, base, t1):
            for t in range(t0, t1):
                pos[t], neg[t], absolute[t], nu, nd = _signed_sums_at(d, t - w + 1, t + 1)
                n_up[t] = nu
                n_down[t] = nd
            continue
        p = sp[:b]
        m = sn[:b]
        u = cu[:b]
        e = cd[:b]
        p[:] = 0.0
        m[:] = 0.0
        u[:] = 0.0
        e[:] = 0.0
        for k in range(w):
            ds = d[base + k : base + k + b]
            for i in range(b):
                v = ds[i]
                p[i] += max(v, 0.0)
                m[i] += max(-v, 0.0)
                u[i] += 1.0 if v > 0.0 else 0.0
                e[i] += 1.0 if v < 0.0 else 0.0
        for i in range(b):
            t = t0 + i
            pos[t] = sp[i]
            neg[t] = sn[i]
            absolute[t] = sp[i] + sn[i]
            n_up[t] = cu[i]
            n_down[t] = cd[i]


# -------------------------------------------------------------------- max/min + index


@_jit
def _extreme_at(x: np.ndarray, lo: int, hi: int, sign: float) -> tuple[float, float]:
    best = 0.0
    pos = -1
    first_nan = -1
    c = 0
    for k in range(hi - lo):
        v = x[lo + k]
        if _ok(v):
            if c == 0 or sign * v > sign * best:
                best = v
                pos = k
            c += 1
        elif first_nan < 0:
            first_nan = k
    if c == 0:
        return _NAN, _NAN
    # np.argmax/np.argmin on the raw window: the first NaN wins, else the first extreme
    return best, (first_nan if first_nan >= 0 else pos) + 1.0


@_jit
def _rolling_extreme(x: np.ndarray, w: int, sign: float, ext: np.ndarray, idx: np.ndarray) -> None:
    n = x.shape[0]
    ext[: min(w - 1, n)] = _NAN
    idx[: min(w - 1, n)] = _NAN
    best = np.empty(_B)
    pos = np.empty(_B)
    for t0 in range(w - 1, n, _B):
        t1 = min(t0 + _B, n)
        b = t1 - t0
        base = t0 - w + 1
        if not _all_ok(x, base, t1):
            for t in range(t0, t1):
                ext[t], idx[t] = _extreme_at(x, t - w + 1, t + 1, sign)
            continue
        bs = best[:b]
        ps = pos[:b]
        bs[:] = x[base : base + b]
        ps[:] = 1.0
        for k in range(1, w):
            kk = k + 1.0
            xs = x[base + k : base + k + b]
            for i in range(b):
                v = xs[i]
                better = sign * v > sign * bs[i]
                bs[i] = v if better else bs[i]
                ps[i] = kk if better else ps[i]
        for i in range(b):
            ext[t0 + i] = best[i]
            idx[t0 + i] = pos[i]


@_jit
def rolling_max_idx(x: np.ndarray, w: int, ext: np.ndarray, idx: np.ndarray) -> None:
    """pandas ``rolling(w).max()`` and qlib ``IdxMax`` (``x.argmax() + 1``: 1-based position
    of the first maximum counted from the oldest bar of the window)."""
    _rolling_extreme(x, w, 1.0, ext, idx)


@_jit
def rolling_min_idx(x: np.ndarray, w: int, ext: np.ndarray, idx: np.ndarray) -> None:
    """pandas ``rolling(w).min()`` and qlib ``IdxMin`` (``x.argmin() + 1``)."""
    _rolling_extreme(x, w, -1.0, ext, idx)


# ---------------------------------------------------------------- quantiles and rank


@_jit_inline
def _search(buf: np.ndarray, cnt: int, v: float, right: bool) -> int:
    lo = 0
    hi = cnt
    while lo < hi:
        mid = (lo + hi) >> 1
        if buf[mid] < v or (right and buf[mid] == v):
            lo = mid + 1
        else:
            hi = mid
    return lo


@_jit_inline
def _quantile(buf: np.ndarray, cnt: int, q: float) -> float:
    # pandas roll_quantile, interpolation="linear"
    if cnt == 1:
        return float(buf[0])
    idx_f = q * (cnt - 1)
    idx = int(idx_f)
    if idx_f == idx:
        return float(buf[idx])
    vlow = float(buf[idx])
    vhigh = float(buf[idx + 1])
    return vlow + (vhigh - vlow) * (idx_f - idx)


@_jit
def rolling_quantiles_rank(
    x: np.ndarray,
    w: int,
    q1: float,
    q2: float,
    out1: np.ndarray,
    out2: np.ndarray,
    rank: np.ndarray,
) -> None:
    """pandas ``rolling(w).quantile(q1)``, ``.quantile(q2)`` (linear interpolation) and
    ``.rank(pct=True)`` (average rank of the newest value among the window's values, over
    their count; NaN when the newest value is missing), from one sorted window."""
    n = x.shape[0]
    for arr in (out1, out2, rank):
        arr[: min(w - 1, n)] = _NAN
    buf = np.empty(w)
    cnt = 0
    for t in range(n):
        v = x[t]
        new_ok = _ok(v)
        old_ok = False
        old = 0.0
        if t >= w:
            old = x[t - w]
            old_ok = _ok(old)
        if new_ok and old_ok:
            # replace the leaving value by the new one and slide it into place
            p = _search(buf, cnt, old, False)
            if v > old:
                while p + 1 < cnt and buf[p + 1] < v:
                    buf[p] = buf[p + 1]
                    p += 1
            else:
                while p > 0 and buf[p - 1] > v:
                    buf[p] = buf[p - 1]
                    p -= 1
            buf[p] = v
        elif new_ok:
            p = _search(buf, cnt, v, True)
            for k in range(cnt, p, -1):
                buf[k] = buf[k - 1]
            buf[p] = v
            cnt += 1
        elif old_ok:
            p = _search(buf, cnt, old, False)
            for k in range(p, cnt - 1):
                buf[k] = buf[k + 1]
            cnt -= 1
        if t < w - 1:
            continue
        if cnt == 0:
            out1[t] = _NAN
            out2[t] = _NAN
            rank[t] = _NAN
            continue
        out1[t] = _quantile(buf, cnt, q1)
        out2[t] = _quantile(buf, cnt, q2)
        if _ok(v):
            lo = _search(buf, cnt, v, False)
            hi = _search(buf, cnt, v, True)
            # pandas: (sum of the tied ranks lo+1..hi) / (hi - lo), then / count
            rank[t] = ((lo + 1 + hi) * 0.5) / cnt
        else:
            rank[t] = _NAN


# ----------------------------------------------------------------------- correlation


@_jit
def _corr_at(x: np.ndarray, y: np.ndarray, lo: int, hi: int) -> float:
    if _mean_std_at(x, lo, hi)[1] <= STD_ATOL or _mean_std_at(y, lo, hi)[1] <= STD_ATOL:
        return _NAN
    c = 0
    sx = 0.0
    sy = 0.0
    fx = 0.0
    fy = 0.0
    same_x = True
    same_y = True
    for j in range(lo, hi):
        a = x[j]
        b = y[j]
        if _ok(a) and _ok(b):
            if c == 0:
                fx = a
                fy = b
            else:
                same_x = same_x and a == fx
                same_y = same_y and b == fy
            c += 1
            sx += a
            sy += b
    if c < 2 or same_x or same_y:
        return _NAN
    mx = sx / c
    my = sy / c
    sxx = 0.0
    syy = 0.0
    sxy = 0.0
    for j in range(lo, hi):
        a = x[j]
        b = y[j]
        if _ok(a) and _ok(b):
            da = a - mx
            db = b - my
            sxx += da * da
            syy += db * db
            sxy += da * db
    return sxy / math.sqrt(sxx * syy)


@_jit
def rolling_corr(x: np.ndarray, y: np.ndarray, w: int, out: np.ndarray) -> None:
    """qlib ``Corr(x, y, w)``: pandas ``x.rolling(w, min_periods=1).corr(y)`` (Pearson over
    the bars where both are finite; NaN with fewer than 2 such bars or a constant side),
    then NaN where either series' own rolling std is within 2e-5 of 0."""
    n = x.shape[0]
    out[: min(w - 1, n)] = _NAN
    ax = np.empty(_B)
    ay = np.empty(_B)
    sxx = np.empty(_B)
    syy = np.empty(_B)
    sxy = np.empty(_B)
    run_x = np.empty(_B + w, np.int64)
    run_y = np.empty(_B + w, np.int64)
    for t0 in range(w - 1, n, _B):
        t1 = min(t0 + _B, n)
        b = t1 - t0
        base = t0 - w + 1
        if w < 2 or not (_all_ok(x, base, t1) and _all_ok(y, base, t1)):
            for t in range(t0, t1):
                out[t] = _corr_at(x, y, t - w + 1, t + 1)
            continue
        mx = ax[:b]
        my = ay[:b]
        qx = sxx[:b]
        qy = syy[:b]
        qxy = sxy[:b]
        mx[:] = 0.0
        my[:] = 0.0
        qx[:] = 0.0
        qy[:] = 0.0
        qxy[:] = 0.0
        for k in range(w):
            xs = x[base + k : base + k + b]
            ys = y[base + k : base + k + b]
            for i in range(b):
                mx[i] += xs[i]
                my[i] += ys[i]
        for i in range(b):
            mx[i] = mx[i] / w
            my[i] = my[i] / w
        for k in range(w):
            xs = x[base + k : base + k + b]
            ys = y[base + k : base + k + b]
            for i in range(b):
                da = xs[i] - mx[i]
                db = ys[i] - my[i]
                qx[i] += da * da
                qy[i] += db * db
                qxy[i] += da * db
        _runs(x, base, t1, run_x)
        _runs(y, base, t1, run_y)
        for i in range(b):
            t = t0 + i
            # the same tests, in the same arithmetic, as _corr_at's
            flat = run_x[t - base] >= w or run_y[t - base] >= w
            sd = min(math.sqrt(sxx[i] / (w - 1)), math.sqrt(syy[i] / (w - 1)))
            if flat or sd <= STD_ATOL:
                out[t] = _NAN
            else:
                out[t] = sxy[i] / math.sqrt(sxx[i] * syy[i])
