"""Typed configuration: frozen pydantic models loaded from YAML, a secrets file and env vars."""

from tronlab.config.loader import (
    ConfigError,
    ConfigIssue,
    LoadedSettings,
    default_home,
    load_settings,
)
from tronlab.config.masking import MASK, mask_url, masked_dict
from tronlab.config.models import (
    DatabaseConfig,
    DataConfig,
    Environment,
    LoggingConfig,
    PathsConfig,
    SecretsConfig,
    Settings,
)

__all__ = [
    "MASK",
    "ConfigError",
    "ConfigIssue",
    "DataConfig",
    "DatabaseConfig",
    "Environment",
    "LoadedSettings",
    "LoggingConfig",
    "PathsConfig",
    "SecretsConfig",
    "Settings",
    "default_home",
    "load_settings",
    "mask_url",
    "masked_dict",
]
