"""The vectorised fast path: fills, trades, costs and equity on hand-made bars, plus the exact
SMA-crossover signals checked against plain-Python references."""

from __future__ import annotations

import dataclasses
import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pytest

from tronlab.engine.vector import (
    FILL_DTYPE,
    TRADE_DTYPE,
    VectorResult,
    round_fee,
    simulate,
    sma_cross_signals,
)

CASH = 1_000_000.0

# Six bars: opens step by 1, each close is open + 0.5.
OPEN = np.array([10.0, 11.0, 12.0, 13.0, 14.0, 15.0])
CLOSE = OPEN + 0.5
HIGH = CLOSE + 0.25
LOW = OPEN - 0.25


def _sig(n: int, *idx: int) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[list(idx)] = True
    return out


def _run(entries: np.ndarray, exits: np.ndarray, **kw: Any) -> VectorResult:
    kw.setdefault("quantity", 10)
    return simulate(OPEN, HIGH, LOW, CLOSE, entries, exits, **kw)


def _fills(res: VectorResult) -> list[tuple[int, int, float, float]]:
    return [
        (int(f["bar_index"]), int(f["side"]), float(f["price"]), float(f["fee"])) for f in res.fills
    ]


# --- fills, trades and equity on hand-made bars -------------------------------------------


def test_long_next_open() -> None:
    res = _run(_sig(6, 0), _sig(6, 2))
    assert _fills(res) == [(1, 1, 11.0, 0.0), (3, -1, 13.0, 0.0)]
    assert res.trade_count == 1
    (tr,) = res.trades
    assert (tr["entry_index"], tr["exit_index"], tr["side"]) == (1, 3, 1)
    assert (tr["entry_price"], tr["exit_price"], tr["pnl"], tr["net_pnl"]) == (11, 13, 20, 20)
    # a fill at open[t] is inside equity[t]; marked at each close
    expected = CASH + np.array([0.0, 5.0, 15.0, 20.0, 20.0, 20.0])
    np.testing.assert_allclose(res.equity, expected, rtol=0, atol=1e-9)
    assert res.final_equity == pytest.approx(CASH + 20, abs=1e-9)
    assert res.net_pnl == pytest.approx(20, abs=1e-9)
    assert res.final_position == 0.0
    assert res.fees_total == 0.0


def test_long_close() -> None:
    res = _run(_sig(6, 0), _sig(6, 2), fill="close")
    assert _fills(res) == [(0, 1, 10.5, 0.0), (2, -1, 12.5, 0.0)]
    expected = CASH + np.array([0.0, 10.0, 20.0, 20.0, 20.0, 20.0])
    np.testing.assert_allclose(res.equity, expected, rtol=0, atol=1e-9)
    assert res.trades["pnl"].tolist() == [20.0]
    assert res.net_pnl == pytest.approx(20, abs=1e-9)


def test_short_next_open() -> None:
    res = _run(_sig(6, 0), _sig(6, 2), direction="short")
    assert _fills(res) == [(1, -1, 11.0, 0.0), (3, 1, 13.0, 0.0)]
    (tr,) = res.trades
    assert (tr["side"], tr["pnl"]) == (-1, -20.0)
    expected = CASH - np.array([0.0, 5.0, 15.0, 20.0, 20.0, 20.0])
    np.testing.assert_allclose(res.equity, expected, rtol=0, atol=1e-9)
    assert res.net_pnl == pytest.approx(-20, abs=1e-9)


def test_short_close() -> None:
    res = _run(_sig(6, 0), _sig(6, 2), direction="short", fill="close")
    assert _fills(res) == [(0, -1, 10.5, 0.0), (2, 1, 12.5, 0.0)]
    assert res.trades["pnl"].tolist() == [-20.0]
    assert res.net_pnl == pytest.approx(-20, abs=1e-9)


def test_several_round_trips_and_an_open_trade() -> None:
    res = _run(_sig(6, 0, 3), _sig(6, 1), fill="close", fee_rate=0.001)
    assert [f[:3] for f in _fills(res)] == [(0, 1, 10.5), (1, -1, 11.5), (3, 1, 13.5)]
    assert res.trade_count == 2
    closed, open_ = res.trades
    assert (closed["exit_index"], closed["exit_price"], closed["pnl"]) == (1, 11.5, 10.0)
    assert open_["exit_index"] == -1
    assert math.isnan(open_["exit_price"])
    # the open trade is marked at the last close; it carries only its entry fee
    assert open_["pnl"] == pytest.approx(10 * (15.5 - 13.5), abs=1e-9)
    assert open_["fees"] == pytest.approx(0.14, abs=1e-12)  # 0.135 -> half-up
    assert res.final_position == 10.0
    assert res.net_pnl == pytest.approx(res.trades["net_pnl"].sum(), abs=1e-9)


def test_signals_in_the_wrong_state_are_ignored() -> None:
    # an exit while flat (bar 0) and entries while long (bars 2 and 3: the bar-1 entry filled
    # at bar 2's open, before bar 2's signals are read) change nothing
    res = _run(_sig(6, 1, 2, 3), _sig(6, 0, 4))
    assert [f[:2] for f in _fills(res)] == [(2, 1), (5, -1)]
    assert res.trade_count == 1


@pytest.mark.parametrize("fill", ["next_open", "close"])
def test_last_bar_signal(fill: str) -> None:
    res = _run(_sig(6, 5), _sig(6), fill=fill, fee_rate=0.001)
    if fill == "next_open":  # nothing left to fill at
        assert res.fills.shape == (0,)
        assert res.trades.shape == (0,)
        assert res.trade_count == 0
        assert res.final_equity == CASH
    else:
        assert _fills(res) == [(5, 1, 15.5, 0.16)]  # 0.155 -> half-up
        assert res.trade_count == 1
        assert res.trades["exit_index"].tolist() == [-1]
        assert res.trades["pnl"].tolist() == [0.0]
        assert res.final_equity == pytest.approx(CASH - 0.16, abs=1e-9)


def test_last_bar_exit_next_open_leaves_the_trade_open() -> None:
    res = _run(_sig(6, 0), _sig(6, 5))
    assert res.trade_count == 1
    assert res.trades["exit_index"].tolist() == [-1]
    assert res.final_position == 10.0
    assert res.net_pnl == pytest.approx(10 * (15.5 - 11.0), abs=1e-9)


@pytest.mark.parametrize("fill", ["next_open", "close"])
def test_simultaneous_entry_and_exit(fill: str) -> None:
    # bar 0 both while flat -> entry; bar 2 both while long -> exit (no re-entry that bar);
    # bar 4 both while flat -> entry
    both = _sig(6, 0, 2, 4)
    res = _run(both, both.copy(), fill=fill)
    sides = [f[1] for f in _fills(res)]
    bars = [f[0] for f in _fills(res)]
    assert sides == [1, -1, 1]
    assert bars == ([1, 3, 5] if fill == "next_open" else [0, 2, 4])
    assert res.trade_count == 2


def test_slippage_long_and_short() -> None:
    long_ = _run(_sig(6, 0), _sig(6, 2), fill="close", slippage_ticks=2)
    assert [f[2] for f in _fills(long_)] == [10.52, 12.48]  # buy above, sell below
    assert long_.net_pnl == pytest.approx(10 * (12.48 - 10.52), abs=1e-9)

    short = _run(_sig(6, 0), _sig(6, 2), fill="next_open", direction="short", slippage_ticks=3)
    assert [f[2] for f in _fills(short)] == [10.97, 13.03]  # sell below, buy above
    assert short.net_pnl == pytest.approx(-10 * (13.03 - 10.97), abs=1e-9)


def test_slippage_prices_are_the_exact_decimal_prices() -> None:
    # 0.07 + 3 * 0.01 in float is 0.09999999999999999; on the tick grid it is 0.1 exactly
    px = np.array([0.07, 0.07, 0.07])
    res = simulate(
        px, px, px, px, _sig(3, 0), _sig(3, 1), quantity=1, fill="close", slippage_ticks=3
    )
    assert res.fills["price"].tolist() == [0.1, 0.04]
    # a coarser tick
    px2 = np.array([101.25, 101.5, 101.75])
    res2 = simulate(
        px2,
        px2,
        px2,
        px2,
        _sig(3, 0),
        _sig(3, 1),
        quantity=1,
        fill="close",
        slippage_ticks=1,
        tick=0.25,
    )
    assert res2.fills["price"].tolist() == [101.5, 101.25]


def test_fee_rate_rounded_half_up_per_fill() -> None:
    px = np.array([15.0, 15.0, 12.5, 12.5])
    entries, exits = _sig(4, 0), _sig(4, 2)
    res = simulate(px, px, px, px, entries, exits, quantity=10, fill="close", fee_rate=0.0003)
    # 10 * 15.0 * 0.0003 = 0.045 exactly (0.04499999... in float) -> 0.05
    # 10 * 12.5 * 0.0003 = 0.0375 -> 0.04
    assert res.fills["fee"].tolist() == [0.05, 0.04]
    assert res.fees_total == pytest.approx(0.09, abs=1e-12)
    (tr,) = res.trades
    assert tr["pnl"] == pytest.approx(-25.0, abs=1e-9)
    assert tr["fees"] == pytest.approx(0.09, abs=1e-12)
    assert tr["net_pnl"] == pytest.approx(-25.09, abs=1e-9)
    assert res.final_equity == pytest.approx(CASH - 25.09, abs=1e-9)


def test_round_fee_matches_decimal_half_up() -> None:
    rng = np.random.default_rng(7)
    cents = rng.integers(100, 2_000_000, size=4000)  # prices 1.00 .. 20000.00
    qty = rng.integers(1, 1000, size=4000)
    rate_e6 = rng.integers(0, 2000, size=4000)  # rates with at most six decimals
    raw = (rate_e6 / 1e6) * qty * (cents / 100.0)
    got = round_fee(raw)
    want = [
        float(
            (Decimal(int(r)) / 10**6 * int(q) * Decimal(int(c)) / 100).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP
            )
        )
        for r, q, c in zip(rate_e6, qty, cents, strict=True)
    ]
    assert got.tolist() == want
    # the classic float half-cent traps
    assert round_fee([0.034999999999999996, 0.145, 0.5549999999999999, 0.0]).tolist() == [
        0.04,
        0.15,
        0.56,
        0.0,
    ]


def test_fee_callback_is_added_before_rounding() -> None:
    seen: dict[str, np.ndarray] = {}

    def fees(side: np.ndarray, qty: np.ndarray, price: np.ndarray, bar: np.ndarray) -> np.ndarray:
        seen.update(side=side, qty=qty, price=price, bar=bar)
        return 0.5 + 0.001 * qty * price  # flat 0.50 plus 10 bp

    res = _run(_sig(6, 0), _sig(6, 2), fee_rate=0.0003, fees=fees)
    assert seen["side"].tolist() == [1, -1]
    assert seen["qty"].tolist() == [10.0, 10.0]
    assert seen["price"].tolist() == [11.0, 13.0]
    assert seen["bar"].tolist() == [1, 3]
    # per fill: round(0.0003*q*p + 0.5 + 0.001*q*p): 11.0 -> 0.033 + 0.61 = 0.643 -> 0.64;
    # 13.0 -> 0.039 + 0.63 = 0.669 -> 0.67
    assert res.fills["fee"].tolist() == [0.64, 0.67]
    expected = CASH + np.array([0.0, 5.0 - 0.64, 15.0 - 0.64, 20 - 1.31, 20 - 1.31, 20 - 1.31])
    np.testing.assert_allclose(res.equity, expected, rtol=0, atol=1e-9)
    assert res.trades["fees"].tolist() == pytest.approx([1.31])
    assert res.net_pnl == pytest.approx(20 - 1.31, abs=1e-9)


@pytest.mark.parametrize(
    ("ret", "match"),
    [
        (np.array([1.0]), "shape"),
        (np.array([1.0, -1.0]), ">= 0"),
        (np.array([1.0, np.nan]), "finite"),
    ],
)
def test_fee_callback_result_is_checked(ret: np.ndarray, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        _run(_sig(6, 0), _sig(6, 2), fees=lambda *_: ret)


def test_result_is_frozen_and_read_only() -> None:
    res = _run(_sig(6, 0), _sig(6, 2))
    assert res.fills.dtype == FILL_DTYPE
    assert res.trades.dtype == TRADE_DTYPE
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.net_pnl = 0.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        res.equity[0] = 0.0


def test_inputs_are_not_modified_and_read_only_inputs_work() -> None:
    entries, exits = _sig(6, 0), _sig(6, 2)
    close = CLOSE.copy()
    close.flags.writeable = False
    res = simulate(OPEN, HIGH, LOW, close, entries, exits, quantity=10)
    assert res.trade_count == 1
    np.testing.assert_array_equal(close, OPEN + 0.5)


# --- input validation ----------------------------------------------------------------------


def _bad(**override: Any) -> dict[str, Any]:
    kw: dict[str, Any] = {
        "open_": OPEN,
        "high": HIGH,
        "low": LOW,
        "close": CLOSE,
        "entries": _sig(6, 0),
        "exits": _sig(6, 2),
        "quantity": 10,
    }
    kw.update(override)
    return kw


@pytest.mark.parametrize(
    ("override", "match"),
    [
        ({"open_": OPEN[:5]}, "open has length 5, expected 6"),
        ({"exits": _sig(7)}, "exits has length 7, expected 6"),
        ({"close": CLOSE.reshape(2, 3)}, "close must be 1-D"),
        ({"high": HIGH.reshape(3, 2)}, "high must be 1-D"),
        ({"close": np.array([], dtype=float)}, "at least one bar"),
        ({"close": np.where(np.arange(6) == 3, np.nan, CLOSE)}, "close must be finite.*index 3"),
        ({"low": np.where(np.arange(6) == 1, np.inf, LOW)}, "low must be finite"),
        ({"close": np.array(["a"] * 6)}, "close must be a 1-D array of numbers"),
        ({"entries": np.ones(6, dtype=int)}, "entries must be a boolean array"),
        ({"exits": np.ones((6, 1), dtype=bool)}, "exits must be 1-D"),
        ({"quantity": 0}, "quantity must be > 0"),
        ({"quantity": -5.0}, "quantity must be > 0"),
        ({"quantity": math.nan}, "quantity must be finite"),
        ({"quantity": "10"}, "quantity must be a number"),
        ({"fill": "open"}, "fill must be one of"),
        ({"direction": "both"}, "direction must be one of"),
        ({"slippage_ticks": -1}, "slippage_ticks must be >= 0"),
        ({"slippage_ticks": 1.5}, "slippage_ticks must be an int"),
        ({"tick": 0.0}, "tick must be > 0"),
        ({"fee_rate": -0.001}, "fee_rate must be >= 0"),
        ({"cash": math.inf}, "cash must be finite"),
        ({"fees": 3.0}, "fees must be a callable"),
    ],
)
def test_validation(override: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        simulate(**_bad(**override))


# --- equity identity and a plain-Python reference simulator --------------------------------


def _random_case(seed: int, n: int = 400) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    close = np.maximum(np.cumsum(rng.integers(-5, 6, size=n)) + 5000, 100) / 100.0
    open_ = np.empty(n)
    open_[0] = close[0]
    open_[1:] = np.maximum(close[:-1] + rng.integers(-2, 3, size=n - 1) / 100.0, 0.5)
    open_ = np.round(open_, 2)
    high = np.maximum(open_, close) + 0.01
    low = np.minimum(open_, close) - 0.01
    entries = rng.random(n) < 0.08
    exits = rng.random(n) < 0.08
    return open_, high, low, close, entries, exits


def _reference(
    open_: np.ndarray,
    close: np.ndarray,
    entries: np.ndarray,
    exits: np.ndarray,
    qty: float,
    fill: str,
    direction: str,
    slip: int,
    fee_rate: float,
    cash: float,
) -> tuple[list[tuple[int, int, float, float]], list[float]]:
    """Bar-by-bar plain-Python model of the conventions (prices on the 0.01 grid)."""
    d = 1 if direction == "long" else -1
    fills: list[tuple[int, int, float, float]] = []
    equity: list[float] = []
    holding, pending, pos = False, 0, 0.0

    def do_fill(t: int, side: int, ref: float) -> None:
        nonlocal cash, holding, pos
        price = (round(ref * 100) + side * slip) / 100
        exact = Decimal(str(fee_rate)) * Decimal(str(qty)) * Decimal(str(price))
        fee = float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
        cash -= side * qty * price + fee
        fills.append((t, side, price, fee))
        holding = not holding
        pos = d * qty if holding else 0.0

    for t in range(len(close)):
        if pending:
            do_fill(t, pending, float(open_[t]))
            pending = 0
        act, side = (bool(exits[t]), -d) if holding else (bool(entries[t]), d)
        if act:
            if fill == "close":
                do_fill(t, side, float(close[t]))
            elif t + 1 < len(close):
                pending = side
        equity.append(cash + pos * float(close[t]))
    return fills, equity


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("fill", ["next_open", "close"])
@pytest.mark.parametrize("direction", ["long", "short"])
def test_matches_reference_and_equity_identity(seed: int, fill: str, direction: str) -> None:
    open_, high, low, close, entries, exits = _random_case(seed)
    slip, rate, qty = seed - 1, (0.0, 0.0003, 0.00025)[seed - 1], 7.0
    res = simulate(
        open_,
        high,
        low,
        close,
        entries,
        exits,
        quantity=qty,
        fill=fill,  # type: ignore[arg-type]
        direction=direction,  # type: ignore[arg-type]
        slippage_ticks=slip,
        fee_rate=rate,
        cash=CASH,
    )
    ref_fills, ref_equity = _reference(
        open_, close, entries, exits, qty, fill, direction, slip, rate, CASH
    )
    assert len(ref_fills) > 10
    assert _fills(res) == ref_fills
    np.testing.assert_allclose(res.equity, ref_equity, rtol=0, atol=1e-9)

    flows = [-f["side"] * f["qty"] * f["price"] for f in res.fills]
    identity = (
        CASH + math.fsum(flows) - math.fsum(res.fills["fee"]) + (res.final_position * close[-1])
    )
    assert res.final_equity == pytest.approx(identity, abs=1e-9)
    assert res.net_pnl == pytest.approx(res.final_equity - CASH, abs=1e-9)
    assert res.net_pnl == pytest.approx(math.fsum(res.trades["net_pnl"]), abs=1e-9)
    assert res.fees_total == pytest.approx(math.fsum(res.fills["fee"]), abs=1e-12)
    assert res.trade_count == int((res.fills["side"] == (1 if direction == "long" else -1)).sum())


# --- exact SMA crossover signals -----------------------------------------------------------


def _sma_reference(ticks: list[int], fast: int, slow: int) -> tuple[list[bool], list[bool]]:
    n = len(ticks)

    def diff(t: int) -> int:  # sign of SMA_fast[t] - SMA_slow[t], in exact integers
        return sum(ticks[t - fast + 1 : t + 1]) * slow - sum(ticks[t - slow + 1 : t + 1]) * fast

    up, down = [False] * n, [False] * n
    for t in range(slow, n):
        cur, prev = diff(t), diff(t - 1)
        up[t] = cur > 0 and prev <= 0
        down[t] = cur < 0 and prev >= 0
    return up, down


@pytest.mark.parametrize(("fast", "slow", "tick"), [(10, 50, 0.01), (3, 7, 0.01), (2, 5, 0.25)])
def test_sma_cross_signals_match_plain_python(fast: int, slow: int, tick: float) -> None:
    rng = np.random.default_rng(fast * 100 + slow)
    # a coarse random walk on the tick grid: exact SMA ties happen often
    ticks = (np.cumsum(rng.integers(-1, 2, size=3000)) + 400).tolist()
    close = np.array(ticks, dtype=float) * tick
    entries, exits = sma_cross_signals(close, fast, slow, tick=tick)
    up, down = _sma_reference(ticks, fast, slow)
    assert entries.dtype == np.bool_
    assert entries.tolist() == up
    assert exits.tolist() == down
    assert sum(up) > 20
    assert not (entries & exits).any()
    assert not entries[:slow].any()
    assert not exits[:slow].any()


def test_sma_cross_signals_ties_are_not_crosses() -> None:
    # flat prices: SMA_fast == SMA_slow exactly on every bar, so nothing crosses; then one
    # up-tick crosses up, and a return to the flat level crosses down once the
    # up-tick leaves the fast window
    close = np.array([1.0] * 8 + [1.01] + [1.0] * 6)
    entries, exits = sma_cross_signals(close, fast=2, slow=4)
    assert np.flatnonzero(entries).tolist() == [8]
    assert np.flatnonzero(exits).tolist() == [10]


def test_sma_cross_signals_short_input_and_validation() -> None:
    entries, exits = sma_cross_signals(np.ones(50), 10, 50)
    assert entries.shape == exits.shape == (50,)
    assert not entries.any()
    assert not exits.any()
    with pytest.raises(ValueError, match="1 <= fast < slow"):
        sma_cross_signals(np.ones(100), 50, 10)
    with pytest.raises(ValueError, match="1 <= fast < slow"):
        sma_cross_signals(np.ones(100), 0, 10)
    with pytest.raises(ValueError, match="fast must be an int"):
        sma_cross_signals(np.ones(100), 2.0, 10)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tick must be > 0"):
        sma_cross_signals(np.ones(100), tick=-0.01)
    with pytest.raises(ValueError, match="close must be finite"):
        sma_cross_signals(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="too large"):
        sma_cross_signals(np.full(100, 1e15), 10, 50)


def test_benchmark_workload_matches_the_vectorised_reference() -> None:
    """SMA10/50, long only, fill at the signal close: the peer benchmark's NumPy reference
    (position = sign of the last cross) gives the same trades and PnL."""
    rng = np.random.default_rng(42)
    n = 20_000
    cents = np.maximum(np.rint(10_000 * np.exp(np.cumsum(rng.normal(0, 0.001, n)))), 1)
    close = cents / 100.0
    entries, exits = sma_cross_signals(close)
    res = simulate(close, close, close, close, entries, exits, quantity=100, fill="close")

    ev = entries.astype(np.int8) - exits.astype(np.int8)
    last = np.where(ev != 0, np.arange(n), 0)
    np.maximum.accumulate(last, out=last)
    pos = ev[last] > 0
    chg = np.diff(pos.astype(np.int8), prepend=np.int8(0))
    buys, sells = np.flatnonzero(chg == 1), np.flatnonzero(chg == -1)
    pnl = 100 * (close[sells].sum() - close[buys].sum()) + (100 * close[-1] if pos[-1] else 0)

    assert res.trade_count == len(buys) > 50
    assert res.fills["bar_index"][res.fills["side"] == 1].tolist() == buys.tolist()
    assert res.fills["bar_index"][res.fills["side"] == -1].tolist() == sells.tolist()
    assert res.net_pnl == pytest.approx(pnl, abs=1e-6)
