"""Batch technical indicators registered in the feature registry (groups ``ma``, ``momentum``,
``trend``, ``volatility``, ``volume``, ``candle``).

Importing this module registers every feature (see :mod:`tronlab.features.registry`); the
definitions live in the ``ta_*`` siblings:

* :mod:`~tronlab.features.ta_ma` - ``sma_{5..200}``, ``ema_{5..200}``, ``wma_{10,20,50}``,
  ``dema_20``, ``tema_20``, ``kama_10``, ``hma_20``;
* :mod:`~tronlab.features.ta_momentum` - ``rsi_{7,14,21}``, stochastics, StochRSI, MACD,
  ``roc_{5,10,20}``, ``mom_10``, ``willr_14``, ``cci_20``, ``trix_15``, ``ultosc``,
  ``tsi_25_13``;
* :mod:`~tronlab.features.ta_trend` - ADX/DI, Aroon, SAR, Supertrend, Ichimoku;
* :mod:`~tronlab.features.ta_volatility` - ATR/NATR, Bollinger, Keltner, Donchian, realised,
  Parkinson and Garman-Klass volatility;
* :mod:`~tronlab.features.ta_volume` - OBV, A/D, ADOSC, MFI, session VWAP, volume z-score,
  force index, and the ``candle`` shape features;
* :mod:`~tronlab.features.ta_kernels` (numba kernels) and :mod:`~tronlab.features.ta_common`
  (wrappers, TA-Lib's dead zone, memory of recursive features).

Conventions
-----------
Every feature is computed from bars ``0..t`` only, NaN before its warm-up. Features with a
``talib:`` reference equal TA-Lib's output (the C library 0.8.x: same NaN positions, same
seeding and zero conventions, noted in each description). Recursive features (EMA, Wilder,
KAMA...) declare a ``memory`` after which older bars weigh less than 1e-12
(:func:`~tronlab.features.ta_common.decay_bars`); a streamed evaluation on that many bars
seeds at its own start and converges to the batch value. Features whose description starts
with ``CUMULATIVE`` (``obv``, ``ad``, ``sar``, ``supertrend_*``) depend on the whole path
from the frame's first bar and are streamed from that same first bar only.

Inputs are expected finite; a NaN spoils window features while it is in the window and
recursive ones from there on.
"""

from __future__ import annotations

from tronlab.features import ta_ma, ta_momentum, ta_trend, ta_volatility, ta_volume
from tronlab.features.registry import Feature, registry

MODULES = (ta_ma, ta_momentum, ta_trend, ta_volatility, ta_volume)
GROUPS = ("ma", "momentum", "trend", "volatility", "volume", "candle")


def features() -> list[Feature]:
    """The features this module registers (groups :data:`GROUPS`), sorted by group and name."""
    return [f for f in registry().values() if f.compute.__module__ in _MODULE_NAMES]


_MODULE_NAMES = frozenset(m.__name__ for m in MODULES)

__all__ = ["GROUPS", "MODULES", "features"]
