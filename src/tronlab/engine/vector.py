"""The vectorised fast path: simulate boolean entry/exit signals with numba.

Research sweeps express a strategy as two boolean arrays, ``entries`` and ``exits``, computed
on each bar's close (bar ``t``'s signal uses data up to and including bar ``t``).
:func:`simulate` turns them into fills, round-trip trades and an equity curve with the SAME
fill and cost conventions as the event-driven engine, so that a parity test can show
identical trades and PnL on the same strategy.

Conventions
-----------
Fills
    ``fill="next_open"`` (default): a signal on bar ``t`` fills at ``open[t+1]``; a signal on
    the last bar does not fill. ``fill="close"``: a signal on bar ``t`` fills at ``close[t]``
    (the convention of the peer benchmark). Orders are market orders for a fixed
    ``quantity``; there is no cash or margin check.
Direction
    ``"long"``: flat + entry -> BUY ``quantity``; long + exit -> SELL ``quantity``.
    ``"short"``: flat + entry -> SELL ``quantity``; short + exit -> BUY ``quantity``.
    Positions never reverse and never pyramid: an entry while in a position and an exit while
    flat are ignored.
Entry and exit on the same bar
    The signal that applies to the current state wins: in a position the exit is taken,
    when flat the entry is taken. Under ``next_open`` the state is the one after the fills at
    bar ``t``'s open, i.e. what an event-driven strategy sees in its bar-``t`` callback; a
    pending order is therefore never duplicated.
Slippage
    Buys fill ``slippage_ticks * tick`` above, sells ``slippage_ticks * tick`` below the
    reference price (open or close). When the reference price lies on the tick grid the
    shifted price is computed in integer ticks and divided back, which gives the correctly
    rounded float of the exact decimal price (what ``float(Decimal)`` of the event engine's
    price gives); off-grid reference prices are shifted with plain float arithmetic.
Fees
    ``fee_rate`` is a fraction of the notional ``quantity * price`` charged on every fill
    (both sides), computed inside the numba loop. The optional ``fees`` callback receives the
    fills as arrays ``(side_sign, qty, price, bar_index)`` and returns one extra fee per
    fill; it is applied vectorised after the loop (with a fixed size, fees never change the
    fills). Each fill's total fee (rate part + callback part, summed unrounded) is rounded
    once to the cent, half-up, like the event engine, as ``floor(x * 100 + 0.5 + 1e-9) / 100``.
    The ``1e-9`` absorbs the float error of an exact half-cent (``2.005`` computes as
    ``2.00499999...``); an exact decimal fee with at most eight decimals (two-decimal price,
    integer quantity, rate with at most six decimals) can never lie within ``1e-9`` cents
    below a half cent, so the nudge never rounds a genuine value the wrong way.
Equity
    ``equity[t] = cash[t] + position[t] * close[t]`` after all fills of bar ``t`` (under
    ``next_open`` a fill at ``open[t]`` is included in ``equity[t]``); cash starts at ``cash``
    and moves by ``-side * quantity * price - fee`` per fill.

:func:`sma_cross_signals` builds the SMA crossover signals of the benchmark workload exactly,
in integer ticks, so that no float tie at ``SMA_fast == SMA_slow`` decides a trade.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numba
import numpy as np
import numpy.typing as npt

__all__ = [
    "FILL_DTYPE",
    "TRADE_DTYPE",
    "FeeCallback",
    "VectorResult",
    "round_fee",
    "simulate",
    "sma_cross_signals",
]

FillMode = Literal["next_open", "close"]
Direction = Literal["long", "short"]
FeeCallback = Callable[
    [
        npt.NDArray[np.int64],
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
        npt.NDArray[np.int64],
    ],
    npt.ArrayLike,
]

#: One row per fill: bar index, side (+1 buy / -1 sell), quantity, price, fee (cents-rounded).
FILL_DTYPE = np.dtype(
    [
        ("bar_index", np.int64),
        ("side", np.int8),
        ("qty", np.float64),
        ("price", np.float64),
        ("fee", np.float64),
    ]
)

#: One row per round trip. ``side`` is +1 for a long, -1 for a short trade. A trade still
#: open after the last bar has ``exit_index == -1`` and ``exit_price`` NaN; its ``pnl`` is
#: marked at the last close and its ``fees`` are the entry fee only.
TRADE_DTYPE = np.dtype(
    [
        ("entry_index", np.int64),
        ("exit_index", np.int64),
        ("side", np.int8),
        ("qty", np.float64),
        ("entry_price", np.float64),
        ("exit_price", np.float64),
        ("pnl", np.float64),
        ("fees", np.float64),
        ("net_pnl", np.float64),
    ]
)

_FILL_MODES = ("next_open", "close")
_DIRECTIONS = {"long": 1, "short": -1}
_FEE_EPS = 1e-9
# On-grid test for slippage: |price/tick - round(price/tick)| below this many ticks.
_GRID_TOL = 1e-6


@dataclass(frozen=True, eq=False)
class VectorResult:
    """The outcome of :func:`simulate`. All arrays are read-only.

    Attributes
    ----------
    fills
        Structured array with :data:`FILL_DTYPE`, in time order.
    trades
        Structured array with :data:`TRADE_DTYPE`, in entry order.
    equity
        Cash plus the position marked at the close, one value per bar.
    final_equity
        ``equity[-1]``.
    net_pnl
        ``final_equity - cash`` (an open position marked at the last close, net of fees).
    trade_count
        Number of entry fills, including a trade still open at the end.
    fees_total
        Sum of all fill fees.
    final_position
        Signed position after the last bar (``0.0`` when flat).
    """

    fills: np.ndarray
    trades: np.ndarray
    equity: npt.NDArray[np.float64]
    final_equity: float
    net_pnl: float
    trade_count: int
    fees_total: float
    final_position: float


def round_fee(x: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Round non-negative fees to the cent, half-up: ``floor(x * 100 + 0.5 + 1e-9) / 100``."""
    return np.asarray(np.floor(np.asarray(x, dtype=np.float64) * 100.0 + 0.5 + _FEE_EPS) / 100.0)


@numba.njit(cache=True, nogil=True)
def _fill_price(
    ref: float, side: int, slip_ticks: int, tick: float, inv_tick: float, inv_exact: bool
) -> float:
    if slip_ticks == 0:
        return ref
    x = ref * inv_tick
    rx = np.rint(x)
    if abs(x - rx) <= _GRID_TOL:
        ticks = rx + side * slip_ticks
        if inv_exact:
            return float(ticks / inv_tick)
        return float(ticks * tick)
    return ref + side * slip_ticks * tick


@numba.njit(cache=True, nogil=True)
def _simulate_kernel(
    open_: np.ndarray,
    close: np.ndarray,
    entries: np.ndarray,
    exits: np.ndarray,
    qty: float,
    at_close: bool,
    dir_sign: int,
    slip_ticks: int,
    tick: float,
    inv_tick: float,
    inv_exact: bool,
    fee_rate: float,
    cash0: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, float]:
    """The state machine. Returns the fill arrays (capacity ``n``), the equity, the fill
    count and the final position."""
    n = close.shape[0]
    f_bar = np.empty(n, np.int64)
    f_side = np.empty(n, np.int8)
    f_price = np.empty(n, np.float64)
    f_raw = np.empty(n, np.float64)
    f_fee = np.empty(n, np.float64)
    equity = np.empty(n, np.float64)

    cash = cash0
    pos = 0.0
    holding = False
    pending = 0  # side of a market order waiting for the next open (next_open only)
    k = 0
    for t in range(n):
        if pending != 0:
            price = _fill_price(open_[t], pending, slip_ticks, tick, inv_tick, inv_exact)
            raw = fee_rate * qty * price
            fee = np.floor(raw * 100.0 + 0.5 + _FEE_EPS) / 100.0
            cash -= pending * qty * price + fee
            f_bar[k] = t
            f_side[k] = pending
            f_price[k] = price
            f_raw[k] = raw
            f_fee[k] = fee
            k += 1
            holding = not holding
            pos = dir_sign * qty if holding else 0.0
            pending = 0

        if holding:
            act = exits[t]
            side = -dir_sign
        else:
            act = entries[t]
            side = dir_sign
        if act:
            if at_close:
                price = _fill_price(close[t], side, slip_ticks, tick, inv_tick, inv_exact)
                raw = fee_rate * qty * price
                fee = np.floor(raw * 100.0 + 0.5 + _FEE_EPS) / 100.0
                cash -= side * qty * price + fee
                f_bar[k] = t
                f_side[k] = side
                f_price[k] = price
                f_raw[k] = raw
                f_fee[k] = fee
                k += 1
                holding = not holding
                pos = dir_sign * qty if holding else 0.0
            elif t + 1 < n:
                pending = side

        equity[t] = cash + pos * close[t]
    return f_bar, f_side, f_price, f_raw, f_fee, equity, k, pos


def _as_prices(
    name: str, values: npt.ArrayLike, n: int | None, *, for_kernel: bool = True
) -> npt.NDArray[np.float64]:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a 1-D array of numbers: {exc}") from exc
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} has length {arr.shape[0]}, expected {n} (same as close)")
    if not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise ValueError(f"{name} must be finite (no NaN/inf); first bad value at index {bad}")
    return _kernel_ready(arr) if for_kernel else arr


def _as_signal(name: str, values: npt.ArrayLike, n: int) -> npt.NDArray[np.bool_]:
    arr = np.asarray(values)
    if arr.dtype != np.bool_:
        raise ValueError(f"{name} must be a boolean array, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.shape[0] != n:
        raise ValueError(f"{name} has length {arr.shape[0]}, expected {n} (same as close)")
    return _kernel_ready(arr)


def _kernel_ready(arr: np.ndarray) -> np.ndarray:
    """C-contiguous and writeable, so that the kernel always sees the same numba type
    (numba types read-only arrays separately, which would compile a second specialisation)."""
    return np.require(arr, requirements=["C", "W"])


def _finite_number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a number, got {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return out


def simulate(
    open_: npt.ArrayLike,
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    entries: npt.ArrayLike,
    exits: npt.ArrayLike,
    *,
    quantity: float,
    fill: FillMode = "next_open",
    direction: Direction = "long",
    slippage_ticks: int = 0,
    tick: float = 0.01,
    fee_rate: float = 0.0,
    fees: FeeCallback | None = None,
    cash: float = 1_000_000.0,
) -> VectorResult:
    """Simulate fixed-size market orders from boolean signals on one instrument.

    Parameters
    ----------
    open_, high, low, close
        Float prices of equal length ``n >= 1``, finite. ``high``/``low`` are validated but
        not used by market orders.
    entries, exits
        Boolean arrays of length ``n``; ``entries[t]``/``exits[t]`` are computed on bar
        ``t``'s close.
    quantity
        Units per order, > 0.
    fill
        ``"next_open"`` (default) or ``"close"``; see the module docstring.
    direction
        ``"long"`` (default) or ``"short"``.
    slippage_ticks, tick
        Adverse price shift per fill in ticks (int >= 0) and the tick size (> 0).
    fee_rate
        Fraction of notional charged per fill (>= 0).
    fees
        Optional callback ``fees(side_sign, qty, price, bar_index) -> array`` of extra fees per
        fill (finite, >= 0), applied after the loop.
    cash
        Starting cash.

    Raises
    ------
    ValueError
        On mismatched lengths, non-1-D arrays, non-finite prices, non-boolean signals, a
        non-positive quantity or tick, a negative slippage or fee rate, an unknown ``fill``
        or ``direction``, or a bad ``fees`` result.
    """
    close_a = _as_prices("close", close, None)
    n = close_a.shape[0]
    if n == 0:
        raise ValueError("close must hold at least one bar")
    open_a = _as_prices("open", open_, n)
    _as_prices("high", high, n, for_kernel=False)
    _as_prices("low", low, n, for_kernel=False)
    entries_a = _as_signal("entries", entries, n)
    exits_a = _as_signal("exits", exits, n)

    if fill not in _FILL_MODES:
        raise ValueError(f"fill must be one of {_FILL_MODES}, got {fill!r}")
    if direction not in _DIRECTIONS:
        raise ValueError(f"direction must be one of {tuple(_DIRECTIONS)}, got {direction!r}")
    qty = _finite_number("quantity", quantity)
    if qty <= 0:
        raise ValueError(f"quantity must be > 0, got {quantity!r}")
    if isinstance(slippage_ticks, bool) or not isinstance(slippage_ticks, int | np.integer):
        raise ValueError(f"slippage_ticks must be an int, got {slippage_ticks!r}")
    if slippage_ticks < 0:
        raise ValueError(f"slippage_ticks must be >= 0, got {slippage_ticks!r}")
    tick_f = _finite_number("tick", tick)
    if tick_f <= 0:
        raise ValueError(f"tick must be > 0, got {tick!r}")
    rate = _finite_number("fee_rate", fee_rate)
    if rate < 0:
        raise ValueError(f"fee_rate must be >= 0, got {fee_rate!r}")
    cash0 = _finite_number("cash", cash)
    if fees is not None and not callable(fees):
        raise ValueError(f"fees must be a callable or None, got {fees!r}")

    inv_tick = 1.0 / tick_f
    inv_exact = abs(inv_tick - round(inv_tick)) <= 1e-9 * inv_tick
    if inv_exact:
        inv_tick = float(round(inv_tick))
    dir_sign = _DIRECTIONS[direction]

    f_bar, f_side, f_price, f_raw, f_fee, equity, k, final_pos = _simulate_kernel(
        open_a,
        close_a,
        entries_a,
        exits_a,
        qty,
        fill == "close",
        dir_sign,
        int(slippage_ticks),
        tick_f,
        inv_tick,
        inv_exact,
        rate,
        cash0,
    )
    bar = f_bar[:k]
    side = f_side[:k]
    price = f_price[:k]
    fee = f_fee[:k]

    if fees is not None:
        extra = np.asarray(
            fees(side.astype(np.int64), np.full(k, qty), price.copy(), bar.copy()),
            dtype=np.float64,
        )
        if extra.shape != (k,):
            raise ValueError(f"fees callback must return shape ({k},), got {extra.shape}")
        if not np.isfinite(extra).all() or (extra < 0).any():
            raise ValueError("fees callback must return finite values >= 0")
        new_fee = round_fee(f_raw[:k] + extra)
        delta = np.bincount(bar, weights=new_fee - fee, minlength=n)
        equity = equity - np.cumsum(delta)
        fee = new_fee

    fills = np.empty(k, dtype=FILL_DTYPE)
    fills["bar_index"] = bar
    fills["side"] = side
    fills["qty"] = qty
    fills["price"] = price
    fills["fee"] = fee

    trades = _pair_trades(fills, dir_sign, qty, float(close_a[-1]))
    equity = np.ascontiguousarray(equity)
    for arr in (fills, trades, equity):
        arr.flags.writeable = False
    final_equity = float(equity[-1])
    return VectorResult(
        fills=fills,
        trades=trades,
        equity=equity,
        final_equity=final_equity,
        net_pnl=final_equity - cash0,
        trade_count=int(trades.shape[0]),
        fees_total=float(fee.sum()),
        final_position=float(final_pos),
    )


def _pair_trades(fills: np.ndarray, dir_sign: int, qty: float, last_close: float) -> np.ndarray:
    """Fills alternate entry, exit, entry, ...: pair them into round trips."""
    ent = fills[0::2]
    ext = fills[1::2]
    m = ent.shape[0]
    closed = ext.shape[0]
    trades = np.empty(m, dtype=TRADE_DTYPE)
    trades["entry_index"] = ent["bar_index"]
    trades["side"] = dir_sign
    trades["qty"] = qty
    trades["entry_price"] = ent["price"]
    trades["exit_index"] = -1
    trades["exit_price"] = np.nan
    trades["exit_index"][:closed] = ext["bar_index"]
    trades["exit_price"][:closed] = ext["price"]
    mark = trades["exit_price"].copy()
    mark[closed:] = last_close
    trades["pnl"] = dir_sign * qty * (mark - ent["price"])
    fees = ent["fee"].copy()
    fees[:closed] += ext["fee"]
    trades["fees"] = fees
    trades["net_pnl"] = trades["pnl"] - fees
    return trades


def sma_cross_signals(
    close: npt.ArrayLike, fast: int = 10, slow: int = 50, tick: float = 0.01
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """SMA(fast)/SMA(slow) crossover signals on ``close``, exact in integer ticks.

    Prices become int64 ticks (``rint(close / tick)``), window sums come from an int64
    cumulative sum, and ``SMA_fast`` vs ``SMA_slow`` is compared as
    ``fast_sum * slow`` vs ``slow_sum * fast``, which has no rounding and no float ties.
    ``entries[t]`` (cross up): ``fast[t] > slow[t]`` and ``fast[t-1] <= slow[t-1]``;
    ``exits[t]`` (cross down) is the mirror image. The first evaluable bar is ``t = slow``;
    earlier bars are ``False``.

    Raises
    ------
    ValueError
        On a non-1-D or non-finite ``close``, ``not 1 <= fast < slow``, a non-positive tick,
        or prices so large in ticks that the integer products could overflow.
    """
    close_a = _as_prices("close", close, None, for_kernel=False)
    for name, v in (("fast", fast), ("slow", slow)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer):
            raise ValueError(f"{name} must be an int, got {v!r}")
    if not 1 <= fast < slow:
        raise ValueError(f"need 1 <= fast < slow, got fast={fast}, slow={slow}")
    tick_f = _finite_number("tick", tick)
    if tick_f <= 0:
        raise ValueError(f"tick must be > 0, got {tick!r}")

    n = close_a.shape[0]
    entries = np.zeros(n, dtype=np.bool_)
    exits = np.zeros(n, dtype=np.bool_)
    if n <= slow:
        return entries, exits

    # In-place steps keep the temporaries few: at a million bars the first call's page faults
    # on fresh buffers cost more than the arithmetic.
    ticks_f = close_a / tick_f
    np.rint(ticks_f, out=ticks_f)
    # |fast_sum * slow| <= fast * slow * max|ticks|, and the difference of two such products
    # must stay inside int64 as well.
    if max(float(ticks_f.max()), -float(ticks_f.min())) * fast * slow * 2 >= 2.0**62:
        raise ValueError("close / tick is too large for exact int64 window sums")
    cs = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(ticks_f.astype(np.int64), out=cs[1:])  # window differences stay exact even if
    del ticks_f  # the running sum wraps around
    # d[i] = slow * fast_sum - fast * slow_sum at bar t = slow - 1 + i: the sign of
    # SMA_fast[t] - SMA_slow[t], with no rounding
    d = cs[slow:] - cs[slow - fast : n + 1 - fast]
    d *= slow
    slow_part = cs[slow:] - cs[: n + 1 - slow]
    slow_part *= fast
    d -= slow_part
    del slow_part, cs
    cur = d[1:]
    prev = d[:-1]
    np.logical_and(cur > 0, prev <= 0, out=entries[slow:])
    np.logical_and(cur < 0, prev >= 0, out=exits[slow:])
    return entries, exits
