"""Helpers shared by every repository module: the not-found error and value checks.

:class:`RecordNotFound` is public (re-exported by the package); ``_aware`` and
``_jsonable_dict`` are internal to :mod:`tronlab.storage.repositories`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tronlab.storage.jsonutil import to_jsonable


class RecordNotFound(LookupError):
    """The requested row does not exist."""


def _aware(ts: datetime, name: str) -> datetime:
    if ts.tzinfo is None or ts.tzinfo.utcoffset(ts) is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {ts.isoformat()}")
    return ts.astimezone(UTC)


def _jsonable_dict(value: Mapping[str, Any] | None, name: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a mapping, got {type(value).__name__}")
    converted: dict[str, Any] = to_jsonable(value)
    return converted
