from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tronlab.data.bars import BAR_COLUMNS
from tronlab.data.calendars import get_calendar
from tronlab.data.importing import read_bar_csv
from tronlab.data.synthetic import (
    DEFAULT_END,
    DEFAULT_SYMBOLS,
    REGIMES,
    SymbolSpec,
    SyntheticMarket,
    generate_market,
)

IST = "Asia/Kolkata"


@pytest.fixture(scope="module")
def market() -> SyntheticMarket:
    return generate_market()


def _log_returns(frame: pd.DataFrame) -> np.ndarray:
    return np.diff(np.log(frame["close"].to_numpy()))


def _frame_bytes(frame: pd.DataFrame) -> bytes:
    stamps = pd.DatetimeIndex(frame["timestamp"]).asi8.tobytes()
    return stamps + frame[list(BAR_COLUMNS[1:])].to_numpy().tobytes()


def _session_day(frame: pd.DataFrame) -> pd.Series:
    return frame["timestamp"].dt.tz_convert(IST).dt.date


# --- determinism ------------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_frames() -> None:
    a = generate_market(seed=11, days=5)
    b = generate_market(seed=11, days=5)
    assert a.symbols == b.symbols
    for sym in a.symbols:
        pd.testing.assert_frame_equal(a.bars[sym], b.bars[sym])
        assert _frame_bytes(a.bars[sym]) == _frame_bytes(b.bars[sym])
    pd.testing.assert_series_equal(a.regimes, b.regimes)


def test_different_seed_differs() -> None:
    a = generate_market(seed=1, days=5)
    b = generate_market(seed=2, days=5)
    for sym in a.symbols:
        assert not a.bars[sym]["close"].equals(b.bars[sym]["close"])


def test_default_window_is_fixed_not_today(market: SyntheticMarket) -> None:
    assert market.sessions[-1].date == date(2025, 12, 31) == DEFAULT_END
    assert len(market.sessions) == 60
    assert market.seed == 7


def test_start_selects_first_sessions_on_or_after_it() -> None:
    m = generate_market(days=3, start=date(2025, 1, 4))  # a Saturday
    assert [s.date for s in m.sessions] == [date(2025, 1, 6), date(2025, 1, 7), date(2025, 1, 8)]


# --- shape and calendar -----------------------------------------------------------------------


def test_bars_are_the_calendar_minutes_of_each_session(market: SyntheticMarket) -> None:
    cal = get_calendar("NSE")
    expected = pd.DatetimeIndex(
        np.concatenate([cal.bar_starts(s, "1m").as_unit("ns").asi8 for s in market.sessions])
    ).tz_localize("UTC")
    for sym in market.symbols:
        frame = market.bars[sym]
        assert list(frame.columns) == list(BAR_COLUMNS)
        assert str(frame["timestamp"].dtype) == "datetime64[ns, UTC]"
        assert (frame.dtypes.iloc[1:] == np.float64).all()
        assert pd.DatetimeIndex(frame["timestamp"]).equals(expected)
    assert all(cal.is_session(s.date) for s in market.sessions)
    per_day = market.bars["SYNTH_RELI"].groupby(_session_day(market.bars["SYNTH_RELI"])).size()
    regular = [s.date for s in market.sessions if s.kind == "regular"]
    assert (per_day.loc[regular] == 375).all()
    assert len(market.bars["SYNTH_RELI"]) == sum(
        len(cal.bar_starts(s, "1m")) for s in market.sessions
    )


def test_special_session_is_respected(market: SyntheticMarket) -> None:
    # The 2025 Diwali Muhurat session (13:45-14:45 IST) lies in the default window.
    muhurat = date(2025, 10, 21)
    assert muhurat in market.regimes.index
    frame = market.bars["SYNTH_NIFTY"]
    day = frame[_session_day(frame) == muhurat]
    assert len(day) == 60
    assert day["timestamp"].iloc[0].tz_convert(IST).strftime("%H:%M") == "13:45"


def test_regular_session_hours(market: SyntheticMarket) -> None:
    local = market.bars["SYNTH_INFY"]["timestamp"].dt.tz_convert(IST)
    minutes = local.dt.hour * 60 + local.dt.minute
    assert minutes.min() >= 9 * 60 + 15
    assert minutes.max() <= 15 * 60 + 29


def test_universe_and_metadata(market: SyntheticMarket) -> None:
    assert market.stocks == tuple(s.symbol for s in DEFAULT_SYMBOLS)
    assert len(market.stocks) == 5
    assert all(s.startswith("SYNTH_") for s in market.symbols)
    assert market.index_symbol == "SYNTH_NIFTY"
    assert market.vix_symbol == "SYNTH_VIX"
    assert set(market.bars) == set(market.symbols)
    assert list(market.regimes.index) == [s.date for s in market.sessions]
    assert set(market.regimes) <= set(REGIMES)


# --- bar validity -----------------------------------------------------------------------------


def test_ohlc_is_valid_and_has_no_nan(market: SyntheticMarket) -> None:
    for sym in market.symbols:
        f = market.bars[sym]
        assert not f.isna().any().any(), sym
        assert (f["low"] <= f[["open", "close"]].min(axis=1)).all(), sym
        assert (f["high"] >= f[["open", "close"]].max(axis=1)).all(), sym
        assert (f["low"] > 0).all(), sym


def test_prices_are_on_the_tick(market: SyntheticMarket) -> None:
    for sym in market.symbols:
        tick = market.tick(sym)
        assert tick == (0.01 if sym == market.vix_symbol else 0.05)
        prices = market.bars[sym][["open", "high", "low", "close"]].to_numpy()
        steps = prices / tick
        assert np.abs(steps - np.round(steps)).max() < 1e-6, sym
        # No float noise: the values print with at most two decimals.
        assert np.array_equal(prices, np.round(prices, 2)), sym


def test_volume_is_integer_and_zero_for_indices(market: SyntheticMarket) -> None:
    for sym in market.stocks:
        v = market.bars[sym]["volume"].to_numpy()
        assert (v >= 0).all()
        assert np.array_equal(v, np.round(v))
        assert v.mean() > 0
    assert (market.bars[market.index_symbol]["volume"] == 0).all()
    assert (market.bars[market.vix_symbol]["volume"] == 0).all()


def test_prices_in_realistic_rupee_ranges(market: SyntheticMarket) -> None:
    for spec in DEFAULT_SYMBOLS:
        close = market.bars[spec.symbol]["close"]
        assert close.between(0.5 * spec.price, 2 * spec.price).all()
    assert market.bars["SYNTH_NIFTY"]["close"].between(15_000, 35_000).all()
    assert market.bars["SYNTH_VIX"]["close"].between(5, 60).all()


def test_open_continues_previous_close_within_session(market: SyntheticMarket) -> None:
    f = market.bars["SYNTH_TCS"]
    same_day = (_session_day(f) == _session_day(f).shift()).to_numpy()
    opens, prev_close = f["open"].to_numpy(), f["close"].shift().to_numpy()
    assert np.array_equal(opens[same_day], prev_close[same_day])


def test_overnight_gaps_exist(market: SyntheticMarket) -> None:
    for sym in (*market.stocks, market.index_symbol):
        f = market.bars[sym]
        day = _session_day(f)
        first_open = f.groupby(day)["open"].first().to_numpy()
        last_close = f.groupby(day)["close"].last().to_numpy()
        gapped = first_open[1:] != last_close[:-1]
        assert gapped.mean() > 0.8, sym


# --- statistical properties -------------------------------------------------------------------


def test_u_shaped_intraday_volume(market: SyntheticMarket) -> None:
    for sym in market.stocks:
        f = market.bars[sym]
        local = f["timestamp"].dt.tz_convert(IST)
        minute = (local.dt.hour * 60 + local.dt.minute).to_numpy()
        regular = _session_day(f).isin([s.date for s in market.sessions if s.kind == "regular"])
        v = f["volume"].to_numpy()[regular.to_numpy()]
        m = minute[regular.to_numpy()]
        edges = v[(m < 9 * 60 + 45) | (m >= 15 * 60)].mean()
        midday = v[(m >= 11 * 60 + 30) & (m < 13 * 60 + 30)].mean()
        assert edges > 1.5 * midday, sym


@pytest.mark.parametrize("rho", [0.3, 0.6])
def test_stock_correlation_matches_configuration(rho: float) -> None:
    m = generate_market(seed=5, correlation=rho)
    returns = np.array([_log_returns(m.bars[s]) for s in m.stocks])
    corr = np.corrcoef(returns)[np.triu_indices(len(m.stocks), 1)]
    assert (corr > 0).all()
    assert abs(corr.mean() - rho) < 0.05
    assert np.abs(corr - rho).max() < 0.12


def test_vix_moves_against_the_index(market: SyntheticMarket) -> None:
    idx = _log_returns(market.bars[market.index_symbol])
    vix = _log_returns(market.bars[market.vix_symbol])
    assert np.corrcoef(idx, vix)[0, 1] < -0.4
    # Daily too: close-to-close changes.
    day = _session_day(market.bars[market.index_symbol])
    idx_d = np.diff(np.log(market.bars[market.index_symbol].groupby(day)["close"].last()))
    vix_d = np.diff(np.log(market.bars[market.vix_symbol].groupby(day)["close"].last()))
    assert np.corrcoef(idx_d, vix_d)[0, 1] < -0.3


def test_regimes_drive_realised_vol_and_vix(market: SyntheticMarket) -> None:
    f = market.bars[market.index_symbol]
    day = _session_day(f)
    ret = pd.Series(np.log(f["close"]).diff().to_numpy(), index=day.to_numpy())
    realised = ret.groupby(level=0).std()
    labels = market.regimes.reindex(realised.index)
    assert {"calm", "volatile"} <= set(labels)
    by_regime = realised.groupby(labels.to_numpy()).mean()
    assert by_regime["volatile"] > 1.5 * by_regime["calm"]
    assert by_regime["calm"] < by_regime["normal"] < by_regime["volatile"]
    vix = market.bars[market.vix_symbol].groupby(day.to_numpy())["close"].mean()
    vix_by_regime = vix.groupby(market.regimes.reindex(vix.index).to_numpy()).mean()
    assert vix_by_regime["calm"] < vix_by_regime["volatile"]


def test_regimes_are_sticky(market: SyntheticMarket) -> None:
    labels = market.regimes.to_numpy()
    switches = (labels[1:] != labels[:-1]).mean()
    assert switches < 0.4


def test_index_is_cap_weighted_from_constituents(market: SyntheticMarket) -> None:
    shares = np.array([s.shares for s in DEFAULT_SYMBOLS])
    prices0 = np.array([s.price for s in DEFAULT_SYMBOLS])
    divisor = (shares * prices0).sum() / 24000.0
    closes = np.array([market.bars[s]["close"].to_numpy() for s in market.stocks])
    expected = (shares[:, None] * closes).sum(axis=0) / divisor
    index_close = market.bars[market.index_symbol]["close"].to_numpy()
    assert np.abs(index_close - expected).max() <= 0.025 + 1e-9
    assert market.bars[market.index_symbol]["open"].iloc[0] == 24000.0


# --- options ----------------------------------------------------------------------------------


def test_custom_universe_and_calendar() -> None:
    specs = [SymbolSpec("SYNTH_AAA", 100.0, 0.3, tick=0.01), SymbolSpec("SYNTH_BBB", 50.0)]
    m = generate_market(seed=3, days=4, calendar="NYSE", symbols=specs, index_symbol="SYNTH_SPX")
    assert m.symbols == ("SYNTH_AAA", "SYNTH_BBB", "SYNTH_SPX", "SYNTH_VIX")
    cal = get_calendar("NYSE")
    assert len(m.bars["SYNTH_AAA"]) == sum(len(cal.bar_starts(s, "1m")) for s in m.sessions)
    assert m.sessions[-1].date <= DEFAULT_END


def test_coarser_timeframe_aggregates_the_minute_path() -> None:
    one = generate_market(seed=9, days=3)
    five = generate_market(seed=9, days=3, timeframe="5m")
    daily = generate_market(seed=9, days=3, timeframe="1d")
    for sym in ("SYNTH_RELI", "SYNTH_NIFTY"):
        f1 = one.bars[sym].set_index("timestamp")
        agg = f1.resample("5min").agg(
            {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
        )
        agg = agg.dropna().reset_index()
        pd.testing.assert_frame_equal(five.bars[sym], agg[list(BAR_COLUMNS)], check_freq=False)
        d = daily.bars[sym]
        assert len(d) == 3
        assert d["timestamp"].dt.tz_convert(IST).dt.strftime("%H:%M").eq("00:00").all()
        assert d["close"].iloc[-1] == one.bars[sym]["close"].iloc[-1]
        assert d["volume"].sum() == one.bars[sym]["volume"].sum()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"days": 0}, "days"),
        ({"correlation": 1.0}, "correlation"),
        ({"correlation": -0.1}, "correlation"),
        ({"symbols": []}, "symbols"),
        ({"index_symbol": "SYNTH_RELI"}, "unique"),
    ],
)
def test_invalid_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate_market(**kwargs)  # type: ignore[arg-type]


def test_symbol_spec_validation() -> None:
    with pytest.raises(ValueError, match="must be > 0"):
        SymbolSpec("SYNTH_X", -1.0)


# --- CSV export -------------------------------------------------------------------------------


def test_write_csv_round_trips_through_the_importer(tmp_path: Path) -> None:
    m = generate_market(seed=4, days=3)
    paths = m.write_csv(tmp_path)
    first, last = m.sessions[0].date, m.sessions[-1].date
    assert sorted(p.name for p in paths) == sorted(f"{s}_1m_{first}_{last}.csv" for s in m.symbols)
    text = (tmp_path / f"SYNTH_RELI_1m_{first}_{last}.csv").read_text().splitlines()
    assert text[0] == "timestamp,open,high,low,close,volume"
    assert text[1].startswith(f"{first}T09:15:00+05:30,")
    assert text[1].endswith(f",{int(m.bars['SYNTH_RELI']['volume'].iloc[0])}")
    for path in paths:
        sym = path.name.split("_1m_")[0]
        parsed = read_bar_csv(path, timeframe="1m")
        assert parsed.errors == [], parsed.issues[:3]
        pd.testing.assert_frame_equal(parsed.bars, m.bars[sym])
