"""Logging (structlog) and, in later issues, metrics and health checks."""

from tronlab.observability.logging import bind_run_id, configure_logging, get_logger, new_run_id

__all__ = ["bind_run_id", "configure_logging", "get_logger", "new_run_id"]
