"""Load :class:`Settings` from defaults, a YAML file, a secrets file and ``TRONLAB_*`` variables.

Precedence, lowest first:

1. the defaults documented on the models;
2. the YAML config file: ``--config FILE``, else ``$TRONLAB_CONFIG``, else ``<home>/config.yaml``
   when it exists. A top-level ``environments:`` mapping holds per-environment overrides
   (``environments: {prod: {logging: {level: WARNING}}}``) merged over the base for the
   active environment;
3. the secrets file (``$TRONLAB_SECRETS_FILE``, else ``<home>/secrets.yaml`` when it exists):
   a flat YAML mapping of :class:`SecretsConfig` fields;
4. environment variables: ``TRONLAB_<SECTION>__<KEY>`` (e.g. ``TRONLAB_LOGGING__LEVEL=DEBUG``,
   ``TRONLAB_SECRETS__KITE_API_KEY=...``) and the shorthand ``TRONLAB_DATABASE_URL``.

``TRONLAB_ENV`` picks the environment (``dev`` default) and ``TRONLAB_HOME`` the home
directory (``~/.tronlab`` default); neither can be set from the config file.

Problems are split into errors (the program refuses to start; each names its key path
and why) and warnings (printed, the program runs).
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import SecretStr
from pydantic import ValidationError as PydanticValidationError

from tronlab.config.models import Environment, SecretsConfig, Settings

ENV_PREFIX = "TRONLAB_"
_PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "password", "placeholder", "xxx", "test"}


@dataclass(frozen=True)
class ConfigIssue:
    """One problem found while loading configuration."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ConfigError(Exception):
    """Configuration that must not be used; carries every error found."""

    def __init__(self, errors: list[ConfigIssue], warnings: list[ConfigIssue] | None = None):
        self.errors = errors
        self.warnings = warnings or []
        lines = "\n".join(f"  - {e}" for e in errors)
        super().__init__(f"invalid configuration ({len(errors)} error(s)):\n{lines}")


@dataclass(frozen=True)
class LoadedSettings:
    """Settings plus what was learned while loading them."""

    settings: Settings
    warnings: list[ConfigIssue] = field(default_factory=list)
    config_file: Path | None = None
    secrets_file: Path | None = None
    sources: dict[str, str] = field(default_factory=dict)  # dotted key -> file|secrets|env


def default_home(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    raw = environ.get(f"{ENV_PREFIX}HOME")
    return Path(raw).expanduser().resolve() if raw else (Path.home() / ".tronlab").resolve()


def load_settings(
    config_file: Path | str | None = None,
    *,
    home: Path | str | None = None,
    environ: Mapping[str, str] | None = None,
) -> LoadedSettings:
    """Load and validate settings; raise :class:`ConfigError` on any error."""
    environ = dict(os.environ if environ is None else environ)
    errors: list[ConfigIssue] = []
    home_path = Path(home).expanduser().resolve() if home else default_home(environ)

    env_name = environ.get(f"{ENV_PREFIX}ENV", Environment.DEV.value).strip().lower()
    try:
        env = Environment(env_name)
    except ValueError:
        errors.append(
            ConfigIssue("env", f"TRONLAB_ENV={env_name!r} is not one of dev, staging, prod")
        )
        env = Environment.DEV

    cfg_path = _config_path(config_file, environ, home_path)
    data: dict[str, Any] = {}
    sources: dict[str, str] = {}
    if cfg_path is not None:
        file_data = _read_yaml(cfg_path, errors)
        for forbidden, why in (
            ("home", "the home directory comes from TRONLAB_HOME or --home"),
            ("env", "the environment comes from TRONLAB_ENV"),
            ("secrets", "secrets are accepted only from the environment or the secrets file"),
        ):
            if forbidden in file_data:
                errors.append(ConfigIssue(forbidden, f"not allowed in the config file: {why}"))
                file_data.pop(forbidden)
        per_env = file_data.pop("environments", None) or {}
        if not isinstance(per_env, dict) or not all(isinstance(v, dict) for v in per_env.values()):
            errors.append(ConfigIssue("environments", "must map dev|staging|prod to sections"))
            per_env = {}
        for name in per_env:
            if name not in {e.value for e in Environment}:
                errors.append(ConfigIssue(f"environments.{name}", "unknown environment"))
        for section in (file_data, per_env.get(env.value, {})):
            for key in _leaf_keys(section):
                sources[key] = str(cfg_path)
            data = _deep_merge(data, section)

    secrets_path = _secrets_path(environ, home_path)
    secrets: dict[str, Any] = {}
    if secrets_path is not None:
        secrets = _read_yaml(secrets_path, errors)
        for key in secrets:
            sources[f"secrets.{key}"] = str(secrets_path)
        data = _deep_merge(data, {"secrets": secrets})

    env_data = _env_overrides(environ, errors)
    for key in _leaf_keys(env_data):
        sources[key] = "environment"
    data = _deep_merge(data, env_data)
    data["home"] = home_path
    data["env"] = env
    if home is not None or f"{ENV_PREFIX}HOME" in environ:
        sources["home"] = "--home / TRONLAB_HOME"
    if f"{ENV_PREFIX}ENV" in environ:
        sources["env"] = "TRONLAB_ENV"

    settings: Settings | None = None
    try:
        settings = Settings.model_validate(data)
    except PydanticValidationError as exc:
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "<root>"
            errors.append(ConfigIssue(loc, err["msg"]))
    warnings: list[ConfigIssue] = []
    if settings is not None:
        _semantic_checks(settings, secrets_path, errors, warnings)
    if errors or settings is None:
        raise ConfigError(errors, warnings)
    return LoadedSettings(settings, warnings, cfg_path, secrets_path, sources)


def _config_path(
    explicit: Path | str | None, environ: Mapping[str, str], home: Path
) -> Path | None:
    if explicit is not None:
        return Path(explicit).expanduser()
    if raw := environ.get(f"{ENV_PREFIX}CONFIG"):
        return Path(raw).expanduser()
    candidate = home / "config.yaml"
    return candidate if candidate.is_file() else None


def _secrets_path(environ: Mapping[str, str], home: Path) -> Path | None:
    if raw := environ.get(f"{ENV_PREFIX}SECRETS_FILE"):
        return Path(raw).expanduser()
    candidate = home / "secrets.yaml"
    return candidate if candidate.is_file() else None


def _read_yaml(path: Path, errors: list[ConfigIssue]) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        errors.append(ConfigIssue(str(path), f"cannot read: {exc.strerror or exc}"))
        return {}
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        errors.append(ConfigIssue(str(path), f"not valid YAML{where}"))
        return {}
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        errors.append(ConfigIssue(str(path), "must contain a mapping at the top level"))
        return {}
    return loaded


def _env_overrides(environ: Mapping[str, str], errors: list[ConfigIssue]) -> dict[str, Any]:
    """``TRONLAB_A__B=v`` -> {"a": {"b": v}}; variables without ``__`` are not config keys."""
    out: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        rest = name[len(ENV_PREFIX) :]
        if rest == "DATABASE_URL":
            parts = ["database", "url"]
        elif "__" in rest:
            parts = [p.lower() for p in rest.split("__")]
            if any(not p for p in parts):
                errors.append(ConfigIssue(name, "empty key segment in variable name"))
                continue
        else:
            continue
        node = out
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = _parse_env_value(value)
    return out


def _parse_env_value(value: str) -> Any:
    stripped = value.strip()
    if stripped[:1] in "[{":
        try:
            return json.loads(stripped)
        except json.JSONDecodeError:
            return value
    return value


def _deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _leaf_keys(data: Mapping[str, Any], prefix: str = "") -> list[str]:
    keys: list[str] = []
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            keys.extend(_leaf_keys(value, dotted + "."))
        else:
            keys.append(dotted)
    return keys


def _semantic_checks(
    s: Settings,
    secrets_path: Path | None,
    errors: list[ConfigIssue],
    warnings: list[ConfigIssue],
) -> None:
    deployed = s.env is not Environment.DEV
    if s.home.exists() and not s.home.is_dir():
        errors.append(ConfigIssue("home", f"{s.home} exists and is not a directory"))
    url = s.database_url
    if not url.startswith(("sqlite", "postgresql")):
        warnings.append(
            ConfigIssue("database.url", "only SQLite and PostgreSQL are tested backends")
        )
    if deployed and url.startswith("sqlite"):
        warnings.append(
            ConfigIssue(
                "database.url",
                f"SQLite in {s.env.value}: set TRONLAB_DATABASE_URL to a PostgreSQL database",
            )
        )
    if deployed and s.logging.format == "console":
        warnings.append(ConfigIssue("logging.format", f"console logs in {s.env.value}; use json"))
    for path in s.data.calendar_overrides:
        if not s.resolve(path).is_file():
            errors.append(
                ConfigIssue("data.calendar_overrides", f"file not found: {s.resolve(path)}")
            )
    for path in s.data.csv_dirs:
        if not s.resolve(path).is_dir():
            warnings.append(ConfigIssue("data.csv_dirs", f"directory not found: {s.resolve(path)}"))
    for name in SecretsConfig.model_fields:
        secret: SecretStr | None = getattr(s.secrets, name)
        if secret is None:
            continue
        raw = secret.get_secret_value()
        if deployed and raw.strip().lower() in _PLACEHOLDER_SECRETS:
            errors.append(
                ConfigIssue(f"secrets.{name}", f"placeholder value refused in {s.env.value}")
            )
        if not raw.strip():
            errors.append(ConfigIssue(f"secrets.{name}", "empty secret"))
    jwt = s.secrets.jwt_secret
    if deployed and jwt is not None and len(jwt.get_secret_value()) < 32:
        errors.append(ConfigIssue("secrets.jwt_secret", "must be at least 32 characters"))
    if secrets_path is not None and secrets_path.exists():
        mode = secrets_path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            warnings.append(
                ConfigIssue("secrets_file", f"{secrets_path} is readable by others; chmod 600 it")
            )
