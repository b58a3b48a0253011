"""Typed configuration models.

Every model is frozen and rejects unknown keys, so a typo in a YAML file or an
environment variable is an error with its key path instead of a silently ignored value.
Each field documents its default.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class Environment(StrEnum):
    """Deployment environment, from ``TRONLAB_ENV`` (default ``dev``)."""

    DEV = "dev"
    STAGING = "staging"
    PROD = "prod"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


class DatabaseConfig(_Frozen):
    """Relational database. SQLite in the home directory unless ``url`` is set."""

    url: SecretStr | None = Field(
        default=None,
        description="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db. "
        "Default: sqlite:///<home>/tronlab.db. Env: TRONLAB_DATABASE_URL.",
    )
    echo: bool = Field(default=False, description="Log every SQL statement.")


class PathsConfig(_Frozen):
    """Where files live. Relative paths resolve against the home directory."""

    bar_store: Path = Field(default=Path("bars"), description="Parquet bar store.")
    reports: Path = Field(default=Path("reports"), description="HTML/PNG reports.")
    logs: Path = Field(default=Path("logs"), description="JSON-lines log files.")
    quarantine: Path = Field(default=Path("quarantine"), description="Rejected CSV rows.")
    strategies: Path = Field(
        default=Path("strategies"),
        description="User strategies: every *.py file here is imported and its Strategy "
        "subclasses register by name (`tronlab strategy list|new|check`).",
    )


class DataConfig(_Frozen):
    """Market-data defaults."""

    default_calendar: str = Field(default="NSE", description="Calendar for new series.")
    calendar_overrides: tuple[Path, ...] = Field(
        default=(), description="Extra YAML files with holidays and special sessions."
    )
    csv_dirs: tuple[Path, ...] = Field(
        default=(), description="Directories the chart-data service falls back to."
    )
    on_error: Literal["reject", "skip", "quarantine"] = Field(
        default="reject", description="Default policy of `data import` for bad rows."
    )


class LoggingConfig(_Frozen):
    """Structured logging."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["auto", "console", "json"] = Field(
        default="auto", description="auto: console in dev, JSON lines in staging/prod."
    )
    to_file: bool = Field(
        default=True, description="Also write JSON lines to <logs>/tronlab.jsonl."
    )


class SecretsConfig(_Frozen):
    """Credentials. Only from the environment or a secrets file, never from the config file."""

    kite_api_key: SecretStr | None = None
    kite_api_secret: SecretStr | None = None
    alpaca_key_id: SecretStr | None = None
    alpaca_secret_key: SecretStr | None = None
    jwt_secret: SecretStr | None = None
    webhook_secret: SecretStr | None = None


class Settings(_Frozen):
    """The whole configuration of one tronlab home."""

    env: Environment = Environment.DEV
    home: Path = Field(description="Home directory (TRONLAB_HOME, default ~/.tronlab).")
    database: DatabaseConfig = DatabaseConfig()
    paths: PathsConfig = PathsConfig()
    data: DataConfig = DataConfig()
    logging: LoggingConfig = LoggingConfig()
    secrets: SecretsConfig = SecretsConfig()

    def resolve(self, path: Path) -> Path:
        """Absolute path: relative paths live under the home directory."""
        path = path.expanduser()
        return path if path.is_absolute() else self.home / path

    @property
    def database_url(self) -> str:
        """The effective database URL (SQLite in the home directory by default)."""
        if self.database.url is not None:
            return self.database.url.get_secret_value()
        return f"sqlite:///{self.home / 'tronlab.db'}"

    @property
    def bar_store_dir(self) -> Path:
        return self.resolve(self.paths.bar_store)

    @property
    def reports_dir(self) -> Path:
        return self.resolve(self.paths.reports)

    @property
    def logs_dir(self) -> Path:
        return self.resolve(self.paths.logs)

    @property
    def quarantine_dir(self) -> Path:
        return self.resolve(self.paths.quarantine)

    @property
    def strategies_dir(self) -> Path:
        return self.resolve(self.paths.strategies)
