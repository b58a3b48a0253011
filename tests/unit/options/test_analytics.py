"""Chain analytics on hand-made chains: ATM, ATM IV, OTM smile, PCR and max pain."""

from __future__ import annotations

import math
from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from tronlab.options.analytics import (
    atm_iv,
    atm_strike,
    max_pain,
    pain_curve,
    put_call_ratio,
    smile,
)
from tronlab.options.chain import chain_from_quotes, synthetic_chain
from tronlab.options.surface import FlatVol, SkewSurface

AS_OF = datetime(2025, 11, 14, 15, 30, tzinfo=ZoneInfo("Asia/Kolkata"))
EXPIRY = date(2025, 11, 25)


def _oi_chain():  # type: ignore[no-untyped-def]
    # strikes 100, 110, 120; OI: CE 10/20/30, PE 40/0/5; volume CE 1/1/1, PE 2/2/2
    k = [100, 100, 110, 110, 120, 120]
    rights = ["CE", "PE"] * 3
    prices = [12.0, 2.0, 5.0, 5.0, 2.0, 12.0]
    oi = [10, 40, 20, 0, 30, 5]
    vol = [1, 2, 1, 2, 1, 2]
    return chain_from_quotes("X", EXPIRY, AS_OF, k, rights, prices, oi, vol, forward=111.0)


def test_put_call_ratio_hand_computed() -> None:
    ch = _oi_chain()
    assert put_call_ratio(ch) == pytest.approx(45 / 60)
    assert put_call_ratio(ch, by="volume") == pytest.approx(2.0)
    with pytest.raises(ValueError, match="by must be"):
        put_call_ratio(ch, by="price")  # type: ignore[arg-type]
    empty_calls = chain_from_quotes("X", EXPIRY, AS_OF, [100], ["PE"], [1.0], [3], forward=100.0)
    assert math.isnan(put_call_ratio(empty_calls))


def test_max_pain_hand_computed() -> None:
    ch = _oi_chain()
    # pain(S) = sum CE_oi*max(S-K,0) + PE_oi*max(K-S,0)
    # S=100: CE 0; PE 40*0 + 0*10 + 5*20 = 100           -> 100
    # S=110: CE 10*10 = 100; PE 5*10 = 50                 -> 150
    # S=120: CE 10*20 + 20*10 = 400; PE 0                 -> 400
    curve = pain_curve(ch)
    assert curve.to_dict() == {100.0: 100.0, 110.0: 150.0, 120.0: 400.0}
    assert max_pain(ch) == 100.0
    # more call OI at the low strike moves max pain up
    k = [100, 100, 110, 110, 120, 120]
    ch2 = chain_from_quotes("X", EXPIRY, AS_OF, k, ["CE", "PE"] * 3, [12, 2, 5, 5, 2, 12],
                            [100, 0, 0, 0, 0, 100], forward=110.0)  # fmt: skip
    # S=100: 100*20=2000; S=110: 100*10+100*10=2000; S=120: 100*20=2000 -> tie, lowest
    assert max_pain(ch2) == 100.0
    ch3 = chain_from_quotes("X", EXPIRY, AS_OF, k, ["CE", "PE"] * 3, [12, 2, 5, 5, 2, 12],
                            [100, 0, 0, 0, 0, 300], forward=110.0)  # fmt: skip
    assert max_pain(ch3) == 120.0


def test_atm_strike_and_iv() -> None:
    ch = _oi_chain()
    assert atm_strike(ch) == 110.0
    ivs = ch.frame.loc[ch.frame["strike"] == 110.0, "iv"]
    assert atm_iv(ch) == pytest.approx(float(ivs.mean()))
    flat = synthetic_chain("X", 25970.0, AS_OF, EXPIRY, np.arange(25000, 27001, 100),
                           FlatVol(0.2))  # fmt: skip
    assert atm_strike(flat) == 26000.0
    assert atm_iv(flat) == pytest.approx(0.2, rel=1e-8)
    # tie between 25900 and 26000 -> lower
    tie = synthetic_chain("X", 25950.0, AS_OF, EXPIRY, [25900, 26000], FlatVol(0.2))
    assert atm_strike(tie) == 25900.0


def test_atm_iv_ignores_nan() -> None:
    ch = chain_from_quotes("X", EXPIRY, AS_OF, [100, 100], ["CE", "PE"], [3.0, 0.0],
                           forward=100.0)  # fmt: skip
    assert atm_iv(ch) == pytest.approx(float(ch.frame["iv"].iloc[0]))
    nan = chain_from_quotes("X", EXPIRY, AS_OF, [100], ["CE"], [0.0], forward=100.0)
    assert math.isnan(atm_iv(nan))


def test_smile_uses_otm_sides() -> None:
    f = 26000.0
    surface = SkewSurface(0.12, skew=-0.6, curvature=2.0)
    ch = synthetic_chain("X", f, AS_OF, EXPIRY, np.arange(25000, 27001, 250), surface)
    # make the two sides distinguishable: overwrite ITM IVs with a marker
    frame = ch.frame.copy()
    itm = ((frame["right"] == "CE") & (frame["strike"] < f)) | (
        (frame["right"] == "PE") & (frame["strike"] > f)
    )
    frame.loc[itm, "iv"] = 9.0
    marked = type(ch)(ch.underlying, ch.expiry, ch.as_of, ch.forward, ch.r, ch.t, frame)
    sm = smile(marked)
    assert sm.name == "iv"
    assert list(sm.index) == sorted(set(frame["strike"]))
    assert (sm < 1).all()  # no ITM marker leaked in
    np.testing.assert_allclose(sm, surface.vol(np.log(sm.index.to_numpy() / f), ch.t), rtol=1e-8)
    # a put below the forward that is at the price floor is dropped unless ok_only=False
    frame.loc[(frame["right"] == "PE") & (frame["strike"] == 25000.0), "iv_status"] = (
        "AT_PRICE_FLOOR"
    )
    floored = type(ch)(ch.underlying, ch.expiry, ch.as_of, ch.forward, ch.r, ch.t, frame)
    assert 25000.0 not in smile(floored).index
    assert 25000.0 in smile(floored, ok_only=False).index
