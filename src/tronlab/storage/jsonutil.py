"""JSON conversion for documents stored in JSON columns and hashed by the audit log.

Values are reduced to JSON-native types *before* they are stored, so what is read back equals
what was written: ``Decimal`` becomes its exact string, datetimes ISO 8601 text, enums their
value, typed ids their ``str``, tuples and sets lists.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from pathlib import PurePath
from typing import Any


def to_jsonable(value: Any) -> Any:
    """Return ``value`` as JSON-native data (dict, list, str, int, float, bool, None).

    Raises
    ------
    TypeError
        For values with no faithful JSON form (bytes, arbitrary objects) or non-string keys.
    ValueError
        For non-finite floats and Decimals.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"non-finite float {value} cannot be stored as JSON")
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"non-finite Decimal {value} cannot be stored as JSON")
        return str(value)
    if isinstance(value, Enum):
        return to_jsonable(value.value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(key, Enum):
                key = key.value
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be str, got {type(key).__name__}")
            out[key] = to_jsonable(item)
        return out
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((to_jsonable(v) for v in value), key=canonical_json)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # Typed ids (InstrumentId, ClientOrderId) read best as their text form.
        if type(value).__str__ is not object.__str__:
            return str(value)
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def canonical_json(value: Any) -> str:
    """Deterministic compact JSON (sorted keys, no spaces, UTF-8 text) of ``value``."""
    return json.dumps(
        to_jsonable(value),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def dumps(value: Any) -> str:
    """Serializer for the engine's JSON columns (tolerates not-yet-converted values)."""
    return json.dumps(to_jsonable(value), ensure_ascii=False, allow_nan=False)
