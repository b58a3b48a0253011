"""OptionChain construction: IV recovery, parity forward, Greeks, synthetic chains, surfaces."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from tronlab.options import black76, black76_price, year_fraction
from tronlab.options.chain import COLUMNS, chain_from_quotes, load_eod_chains, synthetic_chain
from tronlab.options.surface import FlatVol, SkewSurface, VixDrivenSurface

IST = ZoneInfo("Asia/Kolkata")
AS_OF = datetime(2025, 11, 14, 15, 30, tzinfo=IST)
EXPIRY = date(2025, 11, 25)
T = float(year_fraction(AS_OF, EXPIRY))
F, R = 26000.0, 0.065
STRIKES = np.arange(25500.0, 26501.0, 100.0)


def _vols(k: np.ndarray) -> np.ndarray:
    return 0.12 - 0.4 * np.log(k / F)  # a skew: dearer low strikes


def _quotes() -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray]:
    k = np.concatenate([STRIKES, STRIKES])
    rights = ["CE"] * STRIKES.size + ["PE"] * STRIKES.size
    sig = _vols(k)
    prices = black76_price(F, k, T, sig, R, np.array([r == "CE" for r in rights]))
    return k, rights, np.asarray(prices), sig


def test_ivs_recovered_and_forward_from_parity() -> None:
    k, rights, prices, _sig = _quotes()
    ch = chain_from_quotes("NIFTY", EXPIRY, AS_OF, k, rights, prices, r=R)
    assert ch.forward == pytest.approx(F, rel=1e-10)
    assert ch.forward_source == "parity@26000"
    assert ch.t == pytest.approx(11 / 365)
    assert tuple(ch.frame.columns) == COLUMNS
    assert len(ch) == 2 * STRIKES.size
    # sorted by strike, CE before PE
    assert list(ch.frame["right"][:2]) == ["CE", "PE"]
    assert ch.frame["strike"].is_monotonic_increasing
    assert (ch.frame["iv_status"] == "OK").all()
    calls = ch.calls()
    np.testing.assert_allclose(calls["iv"], _vols(STRIKES), rtol=1e-8)
    np.testing.assert_allclose(ch.puts()["iv"], _vols(STRIKES), rtol=1e-8)
    g = black76(F, 25700.0, T, float(_vols(np.array([25700.0]))[0]), R, False)
    row = ch.puts().loc[25700.0]
    assert row["delta"] == pytest.approx(float(g.delta), rel=1e-6)
    assert row["vega"] == pytest.approx(float(g.vega), rel=1e-6)
    assert row["theta"] == pytest.approx(float(g.theta), rel=1e-6)
    assert np.isnan(ch.frame["oi"]).all()


def test_given_forward_rights_aliases_and_bad_quotes() -> None:
    ch = chain_from_quotes(
        "NIFTY", EXPIRY, AS_OF, [26000, 26000, 26100], ["call", "P", True], [200.0, 0.0, 150.0],
        oi=[10, 20, 30], volume=[1, 2, 3], forward=F, r=R,
    )  # fmt: skip
    assert ch.forward_source == "given"
    assert list(ch.frame["right"]) == ["CE", "PE", "CE"]
    bad = ch.frame.iloc[1]
    assert bad["iv_status"] == "INVALID_INPUT"
    assert np.isnan(bad["iv"])
    assert np.isnan(bad["delta"])
    assert list(ch.frame["oi"]) == [10, 20, 30]


def test_errors() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        chain_from_quotes("X", EXPIRY, AS_OF, [1, 1], ["CE", "CE"], [1.0, 1.0], forward=1.0)
    with pytest.raises(ValueError, match="both a call and a put"):
        chain_from_quotes("X", EXPIRY, AS_OF, [1, 2], ["CE", "PE"], [1.0, 1.0])
    with pytest.raises(ValueError, match="after the expiry"):
        chain_from_quotes("X", date(2025, 11, 1), AS_OF, [1], ["CE"], [1.0], forward=1.0)
    with pytest.raises(ValueError, match="right"):
        chain_from_quotes("X", EXPIRY, AS_OF, [1], ["XX"], [1.0], forward=1.0)
    with pytest.raises(ValueError, match="prices has"):
        chain_from_quotes("X", EXPIRY, AS_OF, [1, 2], ["CE", "PE"], [1.0], forward=1.0)


def test_synthetic_flat_surface_same_iv_and_parity() -> None:
    ch = synthetic_chain("NIFTY", F, AS_OF, EXPIRY, np.arange(24000, 28001, 250), FlatVol(0.15))
    assert (ch.frame["iv_status"] == "OK").all()
    np.testing.assert_allclose(ch.frame["iv"], 0.15, rtol=1e-8)
    c, p = ch.calls()["price"], ch.puts()["price"]
    k = c.index.to_numpy()
    np.testing.assert_allclose(c - p, np.exp(-R * ch.t) * (F - k), atol=1e-8)
    # rebuilding from its own quotes recovers the same forward from parity
    again = chain_from_quotes("NIFTY", EXPIRY, AS_OF, ch.frame["strike"], ch.frame["right"],
                              ch.frame["price"], r=R)  # fmt: skip
    assert again.forward == pytest.approx(F, rel=1e-10)


def test_synthetic_from_spot_and_tick() -> None:
    s = 25900.0
    ch = synthetic_chain("NIFTY", s, AS_OF, EXPIRY, [25000, 26000, 30000], FlatVol(0.12),
                         is_spot=True, q=0.01, tick=0.05)  # fmt: skip
    assert ch.forward == pytest.approx(s * np.exp((R - 0.01) * T))
    prices = ch.frame["price"].to_numpy()
    np.testing.assert_allclose(np.round(prices / 0.05) * 0.05, prices, atol=1e-9)
    far = ch.calls().loc[30000.0]
    assert far["price"] == pytest.approx(0.05)
    assert far["iv_status"] == "AT_PRICE_FLOOR"


def test_skew_surface_parametrisation() -> None:
    s = SkewSurface(0.13, skew=-0.5, curvature=1.0, term_slope=0.02, t_ref=0.1)
    k = np.log(0.95)
    assert float(s.vol(0.0, 0.1)) == pytest.approx(0.13)
    assert float(s.vol(k, 0.1)) == pytest.approx(0.13 - 0.5 * k + k * k)
    assert float(s.vol(0.0, 0.6)) == pytest.approx(0.14)
    assert float(SkewSurface(0.1, skew=-5.0, min_vol=0.02).vol(1.0, 0.1)) == 0.02
    assert s.vol([0.0, 0.1], 0.1).shape == (2,)
    v = VixDrivenSurface(13.5, skew=-0.5, curvature=1.0)
    assert v.atm_vol == pytest.approx(0.135)
    assert float(v.vol(0.0, 30 / 365)) == pytest.approx(0.135)
    assert float(v.vol(k, 30 / 365)) > float(v.vol(-k, 30 / 365))
    with pytest.raises(ValueError, match="sigma"):
        FlatVol(0.0)
    ch = synthetic_chain("NIFTY", F, AS_OF, EXPIRY, STRIKES, v)
    kk = ch.calls().index.to_numpy()
    np.testing.assert_allclose(ch.calls()["iv"], v.vol(np.log(kk / F), ch.t), rtol=1e-8)


def test_load_eod_chains_from_csv(tmp_path) -> None:  # type: ignore[no-untyped-def]
    head = "timestamp,underlying,expiry,strike,option_type,open,high,low,close,volume,oi\n"
    k, rights, prices, _ = _quotes()
    rows = [f"2025-11-14T15:30:00+05:30,NIFTY,2025-11-25,{kk},{r},1,1,1,{p:.6f},5,7"
            for kk, r, p in zip(k, rights, prices, strict=True)]  # fmt: skip
    rows.append("2025-11-14T15:30:00+05:30,NIFTY,2026-12-29,30000.0,CE,1,1,1,5.0,1,1")
    path = tmp_path / "X_OPTCHAIN_1d.csv"
    path.write_text(head + "\n".join(rows) + "\n")
    skipped: list[tuple[date, date, str]] = []
    chains = load_eod_chains(path, r=R, skipped=skipped)
    assert list(chains) == [(date(2025, 11, 14), EXPIRY)]
    assert skipped[0][:2] == (date(2025, 11, 14), date(2026, 12, 29))
    ch = chains[(date(2025, 11, 14), EXPIRY)]
    assert ch.as_of == AS_OF
    assert ch.underlying == "NIFTY"
    assert ch.forward == pytest.approx(F, rel=1e-8)
    assert (ch.frame["oi"] == 7).all()
    assert (ch.frame["volume"] == 5).all()
    np.testing.assert_allclose(ch.calls()["iv"], _vols(STRIKES), rtol=1e-5)
    with pytest.raises(ValueError, match="no rows"):
        load_eod_chains(path, underlying="BANKNIFTY")
