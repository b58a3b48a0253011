"""Strategies by name: the built-in library plus user strategies given as ``module:Class``."""

from __future__ import annotations

import difflib
import importlib

from tronlab.strategy.base import Strategy

_REGISTRY: dict[str, type[Strategy]] = {}


def register(cls: type[Strategy]) -> type[Strategy]:
    """Class decorator: make a strategy available by its ``name``."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} needs a non-empty class attribute 'name'")
    known = _REGISTRY.get(cls.name)
    if known is not None and known is not cls:
        raise ValueError(f"strategy name {cls.name!r} is taken by {known.__qualname__}")
    _REGISTRY[cls.name] = cls
    return cls


def _load_library() -> None:
    importlib.import_module("tronlab.strategy.library")
    importlib.import_module("tronlab.strategy.auto")  # the daily-plan composite


def available_strategies() -> dict[str, type[Strategy]]:
    _load_library()
    return dict(sorted(_REGISTRY.items()))


def get_strategy(name: str) -> type[Strategy]:
    """A strategy class by registered name, or ``package.module:ClassName`` for user code."""
    if ":" in name:
        module_name, _, attr = name.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ValueError(f"cannot import strategy module {module_name!r}: {exc}") from None
        cls = getattr(module, attr, None)
        if not (isinstance(cls, type) and issubclass(cls, Strategy)):
            raise ValueError(f"{name!r} is not a Strategy subclass")
        return cls
    _load_library()
    cls = _REGISTRY.get(name)
    if cls is None:
        close = difflib.get_close_matches(name, _REGISTRY, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"unknown strategy {name!r}{hint} (available: {', '.join(sorted(_REGISTRY))}; "
            "or give module:Class)"
        )
    return cls
