"""Shared pieces of the rule modules: the config base class and small helpers."""

from __future__ import annotations

from datetime import time

from pydantic import BaseModel, ConfigDict


class RuleConfig(BaseModel):
    """Base of every rule's config section: typed, frozen, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True


def parse_hhmm(text: str | time) -> time:
    """``"15:00"`` -> ``time(15, 0)`` (exchange-local wall time)."""
    if isinstance(text, time):
        return text
    try:
        hh, mm = text.strip().split(":")
        return time(int(hh), int(mm))
    except (ValueError, AttributeError):
        raise ValueError(f"expected a time as HH:MM, got {text!r}") from None
