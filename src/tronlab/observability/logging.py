"""Structured logging with structlog.

Human-readable console lines in ``dev``, JSON lines in ``staging``/``prod`` (``logging.format``
overrides). Every line carries ``run_id``: a correlation id bound once per process/command
with :func:`bind_run_id` (and re-bindable per request or backtest run). When
``logging.to_file`` is on, JSON lines are also appended to ``<logs>/tronlab.jsonl`` whatever the
console format, so an operator can always grep machine-readable logs.
"""

from __future__ import annotations

import logging
import secrets
import sys
from pathlib import Path
from typing import Any, TextIO

import structlog

from tronlab.config.models import Environment, Settings

_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.StackInfoRenderer(),
]


def new_run_id() -> str:
    """A short random correlation id (12 hex characters)."""
    return secrets.token_hex(6)


def bind_run_id(run_id: str | None = None) -> str:
    """Bind ``run_id`` (a new one when ``None``) to every following log line of this context."""
    run_id = run_id or new_run_id()
    structlog.contextvars.bind_contextvars(run_id=run_id)
    return run_id


def configure_logging(
    settings: Settings,
    *,
    run_id: str | None = None,
    stream: TextIO | None = None,
    to_file: bool | None = None,
    console_level: str | None = None,
) -> str:
    """Configure structlog + stdlib logging for this process; return the bound run id.

    ``console_level`` raises the threshold of the console handler only (the CLI keeps INFO
    lines out of the user's terminal but in the JSON log file).
    """
    fmt = settings.logging.format
    if fmt == "auto":
        fmt = "console" if settings.env is Environment.DEV else "json"
    console_renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=False)
        if fmt == "console"
        else structlog.processors.JSONRenderer()
    )
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_tronlab", False):
            root.removeHandler(handler)
            handler.close()
    console = logging.StreamHandler(stream or sys.stderr)
    console.setFormatter(_formatter(console_renderer, fmt == "json"))
    if console_level is not None:
        console.setLevel(console_level)
    handlers: list[logging.Handler] = [console]
    if settings.logging.to_file if to_file is None else to_file:
        log_dir: Path = settings.logs_dir
        log_dir.mkdir(parents=True, exist_ok=True)
        file_handler = logging.FileHandler(log_dir / "tronlab.jsonl", encoding="utf-8")
        file_handler.setFormatter(_formatter(structlog.processors.JSONRenderer(), True))
        handlers.append(file_handler)
    for handler in handlers:
        handler._tronlab = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(settings.logging.level)
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.clear_contextvars()
    return bind_run_id(run_id)


def _formatter(renderer: Any, with_exc_dict: bool) -> logging.Formatter:
    processors: list[Any] = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
    if with_exc_dict:
        processors.append(structlog.processors.dict_tracebacks)
    processors.append(renderer)
    return structlog.stdlib.ProcessorFormatter(foreign_pre_chain=_SHARED, processors=processors)


def get_logger(name: str | None = None) -> Any:
    """A structlog logger (bound to ``name``)."""
    return structlog.get_logger(name)
