"""Real NSE EOD option chains (../shared/data/nse_options): IVs of the liquid options near the
money solve and are plausible; the analytics give sane numbers."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from tronlab.options.analytics import atm_iv, atm_strike, max_pain, put_call_ratio, smile
from tronlab.options.chain import OptionChain, load_eod_chains

REPO = Path(__file__).resolve().parents[3]
DATA = Path(os.environ.get("TRONLAB_SHARED_DATA", REPO.parent / "shared" / "data"))
NIFTY = DATA / "nse_options" / "NIFTY_OPTCHAIN_1d_2025-11-14_2025-11-14.csv"
BANKNIFTY = DATA / "nse_options" / "BANKNIFTY_OPTCHAIN_1d_2025-11-14_2025-11-14.csv"
DAY = date(2025, 11, 14)

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def nifty() -> dict[tuple[date, date], OptionChain]:
    if not NIFTY.exists():
        pytest.skip(f"shared data not available: {NIFTY}")
    return load_eod_chains(NIFTY)


def test_nifty_chains_load(nifty: dict[tuple[date, date], OptionChain]) -> None:
    assert (DAY, date(2025, 11, 18)) in nifty
    assert len(nifty) >= 8
    for ch in nifty.values():
        assert ch.underlying == "NIFTY"
        assert ch.as_of.isoformat() == "2025-11-14T15:30:00+05:30"
        assert 24000 < ch.forward < 30000
        assert ch.forward_source.startswith("parity@")


def test_liquid_near_atm_options_have_plausible_iv(
    nifty: dict[tuple[date, date], OptionChain],
) -> None:
    for (_, expiry), ch in nifty.items():
        f = ch.frame
        near = f[(f["strike"] - ch.forward).abs() <= 0.05 * ch.forward]
        if near.empty:
            continue
        liquid = near[near["volume"] >= near["volume"].median()]
        ok = liquid["iv_status"] == "OK"
        assert ok.mean() >= 0.9, (expiry, liquid[~ok])
        ivs = liquid.loc[ok, "iv"]
        assert ((ivs > 0.05) & (ivs < 1.0)).all(), (expiry, ivs.describe())


def test_nifty_weekly_analytics(nifty: dict[tuple[date, date], OptionChain]) -> None:
    ch = nifty[(DAY, date(2025, 11, 18))]
    k = atm_strike(ch)
    assert k % 50 == 0
    assert abs(k - ch.forward) <= 25
    assert 0.05 < atm_iv(ch) < 0.3
    assert 0.2 < put_call_ratio(ch) < 5
    assert abs(max_pain(ch) - ch.forward) < 0.05 * ch.forward
    sm = smile(ch)
    assert sm.size > 20
    # equity-index skew: 5% OTM puts are dearer than 5% OTM calls
    lo = sm[sm.index <= 0.95 * ch.forward].iloc[-1]
    hi = sm[sm.index >= 1.05 * ch.forward]
    assert hi.empty or lo > hi.iloc[0]
    # Greeks are consistent with the side
    ok = ch.frame[ch.frame["iv_status"] == "OK"]
    assert (ok.loc[ok["right"] == "CE", "delta"] > 0).all()
    assert (ok.loc[ok["right"] == "PE", "delta"] < 0).all()
    assert np.all(ok["gamma"] >= 0)
    assert np.all(ok["vega"] >= 0)


def test_banknifty_loads() -> None:
    if not BANKNIFTY.exists():
        pytest.skip(f"shared data not available: {BANKNIFTY}")
    chains = load_eod_chains(BANKNIFTY)
    assert chains
    ch = min(chains.values(), key=lambda c: c.expiry)
    assert 0.05 < atm_iv(ch) < 0.5
