"""The Parquet feature cache (:mod:`tronlab.features.store`) and its database records
(:mod:`tronlab.storage.feature_store`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.exc import IntegrityError

from tronlab.data.synthetic import generate_market
from tronlab.features.registry import Bars, Feature, compute, select
from tronlab.features.store import (
    FeatureSet,
    FeatureStore,
    bars_fingerprint,
    code_version,
    compute_frame,
    feature_set_version,
)
from tronlab.storage import Database, migrate
from tronlab.storage import feature_store as fs_db
from tronlab.storage.models import FeatureStoreRow

SESSION_NAMES = ["minutes_since_open", "or_pos_15", "gap_prev_close", "day_of_week"]


@pytest.fixture(scope="module")
def bars_df() -> pd.DataFrame:
    return generate_market(seed=5, days=2).bars["SYNTH_RELI"]


class Counter:
    """A compute_fn through the registry that counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, df: pd.DataFrame, features: Sequence[Feature]) -> pd.DataFrame:
        self.calls += 1
        bars = Bars.from_frame(df, tz="Asia/Kolkata")
        return compute_frame(bars, features, df["timestamp"])


def test_miss_then_hit_returns_the_same_frame(tmp_path: Path, bars_df: pd.DataFrame) -> None:
    store = FeatureStore(tmp_path)
    fn = Counter()
    first, hit = store.get_or_compute(
        "SYNTH_RELI", "1m", bars_df, SESSION_NAMES, code_version="v1", compute_fn=fn
    )
    assert hit is False
    assert fn.calls == 1
    assert list(first.columns) == ["timestamp", *SESSION_NAMES]
    assert len(first) == len(bars_df)
    assert str(first["timestamp"].dtype) == "datetime64[ns, UTC]"
    want = compute(Bars.from_frame(bars_df, tz="Asia/Kolkata"), SESSION_NAMES)
    for name in SESSION_NAMES:
        np.testing.assert_array_equal(first[name].to_numpy(), want[name])

    second, hit = store.get_or_compute(
        "SYNTH_RELI", "1m", bars_df, SESSION_NAMES, code_version="v1", compute_fn=fn
    )
    assert hit is True
    assert fn.calls == 1
    pd.testing.assert_frame_equal(first, second)

    files = list(tmp_path.rglob("*"))
    assert not [p for p in files if p.name.endswith(".tmp")]  # atomic: no leftovers
    (path,) = [p for p in files if p.suffix == ".parquet"]
    assert path.relative_to(tmp_path).parts[:3] == ("symbol=SYNTH_RELI", "timeframe=1m", "custom")


def test_key_parts_each_make_a_new_entry(tmp_path: Path, bars_df: pd.DataFrame) -> None:
    store = FeatureStore(tmp_path)
    fn = Counter()

    def get(df: pd.DataFrame = bars_df, names: object = SESSION_NAMES, **kw: object) -> bool:
        kw.setdefault("code_version", "v1")
        _, hit = store.get_or_compute("SYNTH_RELI", "1m", df, names, compute_fn=fn, **kw)  # type: ignore[arg-type]
        return hit

    assert get() is False
    assert get() is True
    assert get(code_version="v2") is False  # new code version
    assert get(names=SESSION_NAMES[:2]) is False  # another feature set
    assert get(names=FeatureSet.resolve(SESSION_NAMES, name="mine")) is False  # another name
    assert get(df=bars_df.iloc[:400]) is False  # another bar range
    assert fn.calls == 5
    assert len(store.entries()) == 5
    assert {e["key"]["code_version"] for e in store.entries()} == {"v1", "v2"}


def test_revised_bars_are_recomputed_in_place(tmp_path: Path, bars_df: pd.DataFrame) -> None:
    store = FeatureStore(tmp_path)
    fn = Counter()
    names = ["gap_prev_close"]
    before, _ = store.get_or_compute("X", "1m", bars_df, names, code_version="v", compute_fn=fn)
    revised = bars_df.copy()
    revised.loc[len(revised) // 2 :, "open"] *= 1.01  # same range, other values
    after, hit = store.get_or_compute("X", "1m", revised, names, code_version="v", compute_fn=fn)
    assert hit is False
    assert fn.calls == 2
    assert not np.array_equal(
        before["gap_prev_close"].to_numpy(), after["gap_prev_close"].to_numpy(), equal_nan=True
    )
    assert len(store.entries()) == 1  # replaced, same key and file
    again, hit = store.get_or_compute("X", "1m", revised, names, code_version="v", compute_fn=fn)
    assert hit is True
    pd.testing.assert_frame_equal(again, after)


def test_a_corrupt_file_is_recomputed(tmp_path: Path, bars_df: pd.DataFrame) -> None:
    store = FeatureStore(tmp_path)
    fn = Counter()
    result = store.fetch("X", "1m", bars_df, "session", code_version="v", compute_fn=fn)
    result.path.write_bytes(b"not parquet")
    again = store.fetch("X", "1m", bars_df, "session", code_version="v", compute_fn=fn)
    assert again.hit is False
    assert fn.calls == 2
    pd.testing.assert_frame_equal(again.frame, result.frame)
    assert store.fetch("X", "1m", bars_df, "session", code_version="v", compute_fn=fn).hit


def test_refresh_and_trimmed_output_with_explicit_range(
    tmp_path: Path, bars_df: pd.DataFrame
) -> None:
    store = FeatureStore(tmp_path)
    start = bars_df["timestamp"].iloc[375]  # the second session: warm up on the first

    def trimmed(df: pd.DataFrame, features: Sequence[Feature]) -> pd.DataFrame:
        frame = Counter()(df, features)
        return frame[frame["timestamp"] >= start]

    end = bars_df["timestamp"].iloc[-1]
    r = store.fetch(
        "X", "1m", bars_df, ["gap_prev_close"], code_version="v", compute_fn=trimmed,
        start=start, end=end,
    )  # fmt: skip
    assert (r.rows, r.columns, r.hit) == (len(bars_df) - 375, 1, False)
    assert r.key.start == start
    assert not r.frame["gap_prev_close"].isna().any()  # warmed up before start
    assert r.frame.index.equals(pd.RangeIndex(r.rows))
    hit = store.fetch(
        "X", "1m", bars_df, ["gap_prev_close"], code_version="v", compute_fn=trimmed,
        start=start, end=end,
    )  # fmt: skip
    assert hit.hit
    pd.testing.assert_frame_equal(hit.frame, r.frame)
    fresh = store.fetch(
        "X", "1m", bars_df, ["gap_prev_close"], code_version="v", compute_fn=trimmed,
        start=start, end=end, refresh=True,
    )  # fmt: skip
    assert fresh.hit is False


def test_compute_fn_must_return_every_feature(tmp_path: Path, bars_df: pd.DataFrame) -> None:
    store = FeatureStore(tmp_path)

    def partial(df: pd.DataFrame, features: Sequence[Feature]) -> pd.DataFrame:
        return pd.DataFrame({"day_of_week": np.zeros(len(df))})

    with pytest.raises(ValueError, match="or_pos_15"):
        store.get_or_compute(
            "X", "1m", bars_df, ["day_of_week", "or_pos_15"], code_version="v", compute_fn=partial
        )
    with pytest.raises(ValueError, match="empty"):
        store.get_or_compute(
            "X", "1m", bars_df.iloc[:0], ["day_of_week"], code_version="v", compute_fn=partial
        )
    assert not list(tmp_path.rglob("*.parquet"))


def test_versions_and_fingerprints(bars_df: pd.DataFrame) -> None:
    feats = select(SESSION_NAMES)
    v = feature_set_version(feats)
    assert v.startswith("sha256:")
    assert feature_set_version(list(feats)) == v
    assert feature_set_version(feats[::-1]) != v
    edited = [dataclasses.replace(feats[0], description="changed"), *feats[1:]]
    assert feature_set_version(edited) != v
    later = [dataclasses.replace(feats[0], warmup=feats[0].warmup + 1), *feats[1:]]
    assert feature_set_version(later) != v
    assert FeatureSet.resolve("session").version == feature_set_version(select("session"))
    assert FeatureSet.resolve("session").name == "session"
    with pytest.raises(ValueError, match="unknown"):
        FeatureSet.resolve(["no_such_feature"])

    assert code_version(feats) == code_version(feats)
    assert code_version(feats).startswith(__import__("tronlab").__version__ + "+src.")

    fp = bars_fingerprint(bars_df)
    assert fp == bars_fingerprint(bars_df.copy())
    changed = bars_df.copy()
    changed.loc[3, "volume"] += 1
    assert bars_fingerprint(changed) != fp
    assert bars_fingerprint(bars_df.assign(vix=1.0)) != fp


def test_compute_frame_reports_progress_per_group(bars_df: pd.DataFrame) -> None:
    bars = Bars.from_frame(bars_df, tz="Asia/Kolkata", extra={"vix": np.ones(len(bars_df))})
    seen: list[tuple[str, int, int]] = []
    frame = compute_frame(
        bars, select(["vix_level", "day_of_week", "minutes_to_close"]),
        progress=lambda g, i, n: seen.append((g, i, n)),
    )  # fmt: skip
    assert seen == [("cross", 1, 2), ("session", 2, 2)]
    assert list(frame.columns) == ["vix_level", "day_of_week", "minutes_to_close"]


# ---------------------------------------------------------------------------- database side


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    migrate.upgrade(url)
    database = Database(url)
    yield database
    database.dispose()


T0 = datetime(2025, 12, 30, 3, 45, tzinfo=UTC)
KEY = {
    "symbol": "SYNTH_RELI",
    "timeframe": "1m",
    "start": T0,
    "end": T0 + timedelta(hours=6, minutes=14),
    "feature_set": "session",
    "set_version": "sha256:0123456789abcdef",
    "code_version": "0.1.0+src.abc",
}


def test_record_find_list(db: Database) -> None:
    assert fs_db.find(db, **KEY) is None
    rec = fs_db.record(db, **KEY, path="/x/a.parquet", rows=375, columns=10)
    assert rec.id >= 1
    assert (rec.rows, rec.columns, rec.path) == (375, 10, "/x/a.parquet")
    assert rec.start == T0
    found = fs_db.find(db, **KEY)
    assert found == rec

    # the same key again updates the row
    again = fs_db.record(db, **KEY, path="/x/b.parquet", rows=376, columns=11)
    assert again.id == rec.id
    assert (again.rows, again.columns, again.path) == (376, 11, "/x/b.parquet")
    assert again.created_at >= rec.created_at

    other = fs_db.record(db, **{**KEY, "code_version": "v2"}, path="/x/c", rows=1, columns=1)
    third = fs_db.record(db, **{**KEY, "symbol": "SYNTH_TCS"}, path="/x/d", rows=1, columns=1)
    listed = fs_db.list(db)
    assert {r.id for r in listed} == {rec.id, other.id, third.id}
    assert [r.id for r in fs_db.list(db, symbol="SYNTH_TCS")] == [third.id]
    assert len(fs_db.list(db, timeframe="1m", feature_set="session", limit=2)) == 2
    assert fs_db.list(db, feature_set="alpha158") == ()
    assert rec.to_dict()["start"] == T0.isoformat()


def test_key_is_unique_and_times_must_be_aware(db: Database) -> None:
    fs_db.record(db, **KEY, path="/x/a", rows=1, columns=1)
    with pytest.raises(IntegrityError), db.unit_of_work() as uow:
        uow.session.add(
            FeatureStoreRow(**KEY, path="/x/b", rows=1, columns=1, created_at=T0)  # type: ignore[arg-type]
        )
    with pytest.raises(ValueError, match="timezone-aware"):
        fs_db.record(db, **{**KEY, "start": datetime(2025, 1, 1)}, path="/x", rows=1, columns=1)
    with pytest.raises(ValueError, match=">= 0"):
        fs_db.record(db, **KEY, path="/x", rows=-1, columns=1)
