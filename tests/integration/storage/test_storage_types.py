"""Column types: exact Decimals and tz-aware UTC datetimes on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, Table, insert, select

from tronlab.storage import make_engine
from tronlab.storage.types import ExactDecimal, UtcDateTime

decimals = st.integers(0, 40).flatmap(
    lambda places: st.decimals(
        min_value=Decimal("-1e20"),
        max_value=Decimal("1e20"),
        allow_nan=False,
        allow_infinity=False,
        places=places,
    )
)
aware = st.datetimes(
    min_value=datetime(1971, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=5))]
    ),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(values=st.lists(st.tuples(decimals, aware), min_size=1, max_size=5))
def test_decimal_and_datetime_round_trip(
    database_url: str, values: list[tuple[Decimal, datetime]]
) -> None:
    table = Table(
        "t",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("d", ExactDecimal()),
        Column("ts", UtcDateTime()),
    )
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            table.drop(conn, checkfirst=True)
            table.create(conn)
            conn.execute(insert(table), [{"d": d, "ts": ts} for d, ts in values])
            rows = conn.execute(select(table.c.d, table.c.ts).order_by(table.c.id)).all()
    finally:
        engine.dispose()
    for (d, ts), (got_d, got_ts) in zip(values, rows, strict=True):
        assert isinstance(got_d, Decimal)
        assert got_d == d
        assert got_d.as_tuple().exponent == d.as_tuple().exponent  # same digits after the point
        assert got_ts == ts
        assert got_ts.tzinfo is UTC
