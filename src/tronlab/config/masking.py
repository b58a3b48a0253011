"""Render settings for people: secrets masked, database passwords hidden."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr
from sqlalchemy.engine import make_url

from tronlab.config.models import Settings

MASK = "********"


def mask_url(url: str) -> str:
    """Hide the password of a database URL (``postgresql://u:***@h/db``)."""
    try:
        parsed = make_url(url)
    except Exception:  # not a SQLAlchemy URL: hide it entirely
        return MASK
    return parsed.render_as_string(hide_password=True)


def masked_dict(settings: Settings) -> dict[str, Any]:
    """A JSON-friendly dump of ``settings`` where no secret appears in clear."""
    data = settings.model_dump(mode="python")
    data["env"] = settings.env.value
    data["database"]["url"] = mask_url(settings.database_url)
    data["secrets"] = {
        k: (MASK if isinstance(v, SecretStr) else None)
        for k, v in ((k, getattr(settings.secrets, k)) for k in data["secrets"])
    }
    out: dict[str, Any] = _jsonable(data)
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
