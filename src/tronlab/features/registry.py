"""The feature registry: named features with metadata, computed in batch over a bar frame
and bar by bar for live use from the same definition.

A feature is a pure function of a :class:`Bars` view (numpy float64 arrays ``open``,
``high``, ``low``, ``close``, ``volume`` and int64 ``start_ns``/``end_ns``/``session``, plus
optional ``extra`` series such as a VIX close aligned to the bars) returning one float64
array of the same length. Value ``t`` may depend only on bars ``0..t`` (no look-ahead); the
first values are NaN until the feature has enough history (never back-filled).

Several features often come from one computation (``bb_upper_20``, ``bb_lower_20`` ...): a
*group function* returns a dict of arrays and registers many names at once
(:func:`register_many`).

**Streaming.** :class:`StreamingFeatures` keeps the last ``memory`` bars and evaluates the
batch definition on that window for each new bar. For finite-window features ``memory`` is
the warm-up, so the streamed value equals the batch value exactly; recursive features
(EMA-based: EMA, RSI, ATR, MACD, ADX, KAMA ...) declare a longer ``memory`` after which the
influence of older bars is below 1e-12 of the value, so streamed and batch agree to 1e-9.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Array = np.ndarray


@dataclass(frozen=True)
class Bars:
    """Read-only arrays of one bar series (and optional aligned extra series)."""

    open: Array
    high: Array
    low: Array
    close: Array
    volume: Array
    start_ns: Array
    end_ns: Array
    session: Array
    extra: Mapping[str, Array] = field(default_factory=dict)
    tz: str = "UTC"

    def __len__(self) -> int:
        return len(self.close)

    def tail(self, n: int) -> Bars:
        """The last ``n`` bars (views)."""
        s = slice(max(0, len(self) - n), len(self))
        return Bars(
            self.open[s], self.high[s], self.low[s], self.close[s], self.volume[s],
            self.start_ns[s], self.end_ns[s], self.session[s],
            {k: v[s] for k, v in self.extra.items()}, self.tz,
        )  # fmt: skip

    @classmethod
    def from_frame(
        cls,
        df: Any,
        *,
        tz: str = "UTC",
        timeframe_ns: int | None = None,
        extra: Mapping[str, Array] | None = None,
    ) -> Bars:
        """From a canonical bar frame (``timestamp`` = bar start, tz-aware, and OHLCV)."""
        import pandas as pd

        ts = pd.DatetimeIndex(df["timestamp"]).as_unit("ns")
        start = ts.asi8.astype(np.int64)
        if timeframe_ns is None:
            diffs = np.diff(start)
            timeframe_ns = int(np.median(diffs)) if len(diffs) else 60_000_000_000
        local = ts.tz_convert(tz)
        session = (local.normalize().tz_localize(None).asi8 // 86_400_000_000_000).astype(np.int64)

        def f(column: str) -> Array:
            return np.ascontiguousarray(df[column].to_numpy(dtype=np.float64))

        return cls(
            f("open"), f("high"), f("low"), f("close"), f("volume"),
            start, start + timeframe_ns, session, dict(extra or {}), tz,
        )  # fmt: skip


GroupFn = Callable[[Bars], Mapping[str, Array]]


@dataclass(frozen=True)
class Feature:
    """One named feature.

    Attributes
    ----------
    name
        ``sma_20``, ``rsi_14``, ``KMID``, ``ROC5``...
    group
        ``ma``, ``momentum``, ``trend``, ``volatility``, ``volume``, ``candle``, ``alpha158``,
        ``session``, ``cross``...
    inputs
        Columns used (``close``, ``high``... or an extra series name).
    window
        The feature's nominal window (0 when it has none).
    warmup
        Bars before the first non-NaN value can appear (values ``0..warmup-2`` are NaN).
    memory
        Bars of history a streamed evaluation needs to equal the batch value to 1e-9.
    description
        What it is, with its formula or reference.
    compute
        The group function that produces it (a dict of arrays keyed by feature name).
    reference
        ``talib:FUNC`` when TA-Lib computes the same thing, ``qlib:EXPR`` for Alpha158.
    """

    name: str
    group: str
    inputs: tuple[str, ...]
    window: int
    warmup: int
    memory: int
    description: str
    compute: GroupFn
    reference: str = ""


_REGISTRY: dict[str, Feature] = {}


def register_many(specs: Iterable[Mapping[str, Any]], compute: GroupFn) -> list[Feature]:
    """Register the features one group function produces. Each spec holds the
    :class:`Feature` fields except ``compute`` (``memory`` defaults to ``warmup``)."""
    out = []
    for spec in specs:
        data = dict(spec)
        data.setdefault("memory", data["warmup"])
        data.setdefault("inputs", ("close",))
        data.setdefault("reference", "")
        feat = Feature(compute=compute, **data)
        if feat.name in _REGISTRY and _REGISTRY[feat.name].compute is not compute:
            raise ValueError(f"feature {feat.name!r} is registered twice")
        if feat.warmup < 1 or feat.memory < feat.warmup:
            raise ValueError(f"feature {feat.name!r}: need 1 <= warmup <= memory")
        _REGISTRY[feat.name] = feat
        out.append(feat)
    return out


def _load() -> None:
    # importing the definition modules registers their features
    import importlib

    for module in ("tronlab.features.ta", "tronlab.features.alpha158", "tronlab.features.context"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:  # a definition module not written yet
            if exc.name != module:
                raise


def registry() -> dict[str, Feature]:
    """Every registered feature by name (sorted by group, then name)."""
    _load()
    return dict(sorted(_REGISTRY.items(), key=lambda kv: (kv[1].group, kv[0])))


FEATURE_SETS: dict[str, Callable[[Feature], bool]] = {
    "all": lambda f: True,
    "alpha158": lambda f: f.group == "alpha158",
    "ta": lambda f: f.group not in ("alpha158", "session", "cross"),
    "session": lambda f: f.group in ("session", "cross"),
}


def select(names: Sequence[str] | str | None = None) -> list[Feature]:
    """Features by set name (``all``, ``alpha158``, ``ta``, ``session``) or explicit names."""
    reg = registry()
    if names is None:
        names = "all"
    if isinstance(names, str):
        pick = FEATURE_SETS.get(names)
        if pick is None:
            if names in reg:
                return [reg[names]]
            raise ValueError(
                f"unknown feature set or name {names!r}; sets: {', '.join(FEATURE_SETS)}"
            )
        return [f for f in reg.values() if pick(f)]
    missing = [n for n in names if n not in reg]
    if missing:
        import difflib

        hints = {n: difflib.get_close_matches(n, reg, n=1) for n in missing}
        text = ", ".join(
            f"{n}" + (f" (did you mean {h[0]}?)" if h else "") for n, h in hints.items()
        )
        raise ValueError(f"unknown features: {text}")
    return [reg[n] for n in names]


def _resolve(features: Sequence[Feature] | Sequence[str] | str | None) -> list[Feature]:
    if isinstance(features, str) or features is None:
        return select(features)
    items = list(features)
    if all(isinstance(f, Feature) for f in items):
        return [f for f in items if isinstance(f, Feature)]
    return select([str(f) for f in items])


def compute(
    bars: Bars, features: Sequence[Feature] | Sequence[str] | str | None = None
) -> dict[str, Array]:
    """Batch values of ``features`` over ``bars`` (each group function runs once)."""
    feats = _resolve(features)
    wanted = {f.name for f in feats}
    out: dict[str, Array] = {}
    done: set[int] = set()
    for f in feats:
        key = id(f.compute)
        if key in done:
            continue
        done.add(key)
        for name, values in f.compute(bars).items():
            if name in wanted:
                out[name] = np.asarray(values, dtype=np.float64)
    return {f.name: out[f.name] for f in feats}


class StreamingFeatures:
    """Bar-by-bar values of ``features`` from their batch definitions (see the module
    docstring): push each closed bar, read :attr:`values`."""

    def __init__(
        self,
        features: Sequence[Feature] | Sequence[str] | str | None = None,
        *,
        tz: str = "UTC",
        extra_names: Sequence[str] = (),
    ) -> None:
        self.features = _resolve(features)
        # CUMULATIVE features (OBV, A/D, SAR, Supertrend) depend on every bar since the
        # first: they are evaluated on the whole history kept so far (O(n) per bar, fine
        # for live bars); the others on a ring of the last ``memory`` bars.
        self._full = [f for f in self.features if f.description.startswith("CUMULATIVE")]
        self._windowed = [f for f in self.features if f not in self._full]
        self._history: list[tuple[Any, ...]] = []
        self.memory = max((f.memory for f in self._windowed), default=1)
        self.tz = tz
        cap = self.memory
        self._cols: dict[str, Array] = {
            k: np.zeros(cap) for k in ("open", "high", "low", "close", "volume")
        }
        self._ints: dict[str, Array] = {
            k: np.zeros(cap, dtype=np.int64) for k in ("start_ns", "end_ns", "session")
        }
        self._extra = {k: np.zeros(cap) for k in extra_names}
        self._n = 0
        self.values: dict[str, float] = {f.name: math.nan for f in self.features}

    def update(self, bar: Any, extra: Mapping[str, float] | None = None) -> dict[str, float]:
        """Feed one closed bar (an object with open/high/low/close/volume/start_ns/end_ns/
        session); returns the features' values at this bar."""
        cap = self.memory
        i = self._n % cap
        for k, arr in self._cols.items():
            arr[i] = getattr(bar, k)
        for k, arr in self._ints.items():
            arr[i] = getattr(bar, k)
        for k, arr in self._extra.items():
            arr[i] = (extra or {}).get(k, math.nan)
        self._n += 1
        if self._full:
            self._history.append(
                (bar.open, bar.high, bar.low, bar.close, bar.volume, bar.start_ns, bar.end_ns,
                 bar.session, tuple((extra or {}).get(k, math.nan) for k in self._extra))
            )  # fmt: skip
            self._evaluate(self._full, self._all_bars())
        n = min(self._n, cap)
        order = np.arange(self._n - n, self._n) % cap
        c, ii = self._cols, self._ints
        bars = Bars(
            c["open"][order], c["high"][order], c["low"][order], c["close"][order],
            c["volume"][order], ii["start_ns"][order], ii["end_ns"][order],
            ii["session"][order], {k: v[order] for k, v in self._extra.items()}, self.tz,
        )  # fmt: skip
        self._evaluate(self._windowed, bars)
        return dict(self.values)

    def _evaluate(self, features: Sequence[Feature], bars: Bars) -> None:
        done: set[int] = set()
        wanted = {f.name for f in features}
        for f in features:
            if id(f.compute) in done:
                continue
            done.add(id(f.compute))
            for name, values in f.compute(bars).items():
                if name in wanted:
                    self.values[name] = float(values[-1])

    def _all_bars(self) -> Bars:
        cols = list(zip(*self._history, strict=True))
        floats = [np.asarray(c, dtype=np.float64) for c in cols[:5]]
        ints = [np.asarray(c, dtype=np.int64) for c in cols[5:8]]
        extras = np.asarray(cols[8], dtype=np.float64).reshape(len(self._history), -1)
        extra = {k: extras[:, j] for j, k in enumerate(self._extra)}
        o, h, lo, c, v = floats
        start, end, session = ints
        return Bars(o, h, lo, c, v, start, end, session, extra, self.tz)
