from pathlib import Path

import pytest
from pydantic import ValidationError

from tronlab.config import (
    MASK,
    ConfigError,
    Environment,
    Settings,
    load_settings,
    mask_url,
    masked_dict,
)


def _env(home: Path, **extra: str) -> dict[str, str]:
    return {"TRONLAB_HOME": str(home), **extra}


def test_defaults_live_under_home(tmp_path: Path) -> None:
    s = load_settings(environ=_env(tmp_path)).settings
    assert s.env is Environment.DEV
    assert s.home == tmp_path.resolve()
    assert s.database_url == f"sqlite:///{tmp_path.resolve() / 'tronlab.db'}"
    assert s.bar_store_dir == tmp_path.resolve() / "bars"
    assert s.reports_dir == tmp_path.resolve() / "reports"
    assert s.logs_dir == tmp_path.resolve() / "logs"


def test_two_homes_never_mix(tmp_path: Path) -> None:
    a = load_settings(environ=_env(tmp_path / "a")).settings
    b = load_settings(environ=_env(tmp_path / "b")).settings
    assert a.database_url != b.database_url
    assert a.bar_store_dir != b.bar_store_dir
    # an explicit home argument wins over the environment
    c = load_settings(home=tmp_path / "c", environ=_env(tmp_path / "a")).settings
    assert c.home == (tmp_path / "c").resolve()


def test_yaml_then_env_precedence_and_sources(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("logging:\n  level: WARNING\ndata:\n  default_calendar: NYSE\n")
    loaded = load_settings(cfg, environ=_env(tmp_path, TRONLAB_LOGGING__LEVEL="DEBUG"))
    assert loaded.settings.logging.level == "DEBUG"
    assert loaded.settings.data.default_calendar == "NYSE"
    assert loaded.sources["logging.level"] == "environment"
    assert loaded.sources["data.default_calendar"] == str(cfg)


def test_home_config_yaml_is_picked_up(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("paths:\n  bar_store: /srv/bars\n")
    s = load_settings(environ=_env(tmp_path)).settings
    assert s.bar_store_dir == Path("/srv/bars")


def test_environment_sections_apply_to_active_env(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(
        "logging:\n  level: INFO\nenvironments:\n  staging:\n    logging:\n      level: ERROR\n"
    )
    dev = load_settings(cfg, environ=_env(tmp_path)).settings
    staging = load_settings(cfg, environ=_env(tmp_path, TRONLAB_ENV="staging")).settings
    assert dev.logging.level == "INFO"
    assert staging.logging.level == "ERROR"
    assert staging.env is Environment.STAGING


def test_unknown_keys_are_errors_with_key_path(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("logging:\n  levle: INFO\ndata:\n  on_error: drop\n")
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, environ=_env(tmp_path))
    paths = {e.path for e in info.value.errors}
    assert paths == {"logging.levle", "data.on_error"}


def test_unknown_env_override_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(environ=_env(tmp_path, TRONLAB_DATABASE__URLL="x"))
    assert [e.path for e in info.value.errors] == ["database.urll"]


def test_bad_env_name_and_bad_yaml(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("logging: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, environ=_env(tmp_path, TRONLAB_ENV="production"))
    messages = [str(e) for e in info.value.errors]
    assert any(m.startswith("env:") and "production" in m for m in messages)
    assert any("not valid YAML at line" in m for m in messages)


def test_missing_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "nope.yaml", environ=_env(tmp_path))


@pytest.mark.parametrize("key", ["secrets", "home", "env"])
def test_config_file_cannot_set_secrets_home_or_env(tmp_path: Path, key: str) -> None:
    cfg = tmp_path / "cfg.yaml"
    value = "{jwt_secret: abc}" if key == "secrets" else "prod"
    cfg.write_text(f"{key}: {value}\n")
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, environ=_env(tmp_path))
    assert [e.path for e in info.value.errors] == [key]


def test_secrets_from_env_and_file_are_masked(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text("kite_api_secret: s3cr3t-from-file\n")
    secrets.chmod(0o600)
    loaded = load_settings(
        environ=_env(
            tmp_path,
            TRONLAB_SECRETS_FILE=str(secrets),
            TRONLAB_SECRETS__JWT_SECRET="jwt-from-env",
            TRONLAB_DATABASE_URL="postgresql+psycopg://trader:hunter2@db/tronlab",
        )
    )
    s = loaded.settings
    assert s.secrets.kite_api_secret is not None
    assert s.secrets.kite_api_secret.get_secret_value() == "s3cr3t-from-file"
    assert loaded.warnings == []
    dump = masked_dict(s)
    text = repr(dump) + repr(s)
    for secret in ("s3cr3t-from-file", "jwt-from-env", "hunter2"):
        assert secret not in text
    assert dump["secrets"]["jwt_secret"] == MASK
    assert dump["secrets"]["alpaca_key_id"] is None
    assert dump["database"]["url"] == "postgresql+psycopg://trader:***@db/tronlab"


def test_world_readable_secrets_file_warns(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text("webhook_secret: abcdef\n")
    secrets.chmod(0o644)
    loaded = load_settings(environ=_env(tmp_path, TRONLAB_SECRETS_FILE=str(secrets)))
    assert [w.path for w in loaded.warnings] == ["secrets_file"]


def test_prod_refuses_placeholder_secret_and_warns_on_sqlite(tmp_path: Path) -> None:
    env = _env(tmp_path, TRONLAB_ENV="prod", TRONLAB_SECRETS__KITE_API_SECRET="changeme")
    with pytest.raises(ConfigError) as info:
        load_settings(environ=env)
    assert [e.path for e in info.value.errors] == ["secrets.kite_api_secret"]
    assert any(w.path == "database.url" for w in info.value.warnings)
    # the same placeholder is fine in dev
    load_settings(environ=_env(tmp_path, TRONLAB_SECRETS__KITE_API_SECRET="changeme"))


def test_prod_jwt_secret_length(tmp_path: Path) -> None:
    env = _env(tmp_path, TRONLAB_ENV="prod", TRONLAB_SECRETS__JWT_SECRET="short-but-real")
    with pytest.raises(ConfigError, match=r"secrets\.jwt_secret: must be at least 32"):
        load_settings(environ=env)


def test_missing_calendar_override_is_an_error_missing_csv_dir_a_warning(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("data:\n  calendar_overrides: [extra.yaml]\n  csv_dirs: [csv]\n")
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, environ=_env(tmp_path))
    assert [e.path for e in info.value.errors] == ["data.calendar_overrides"]
    assert [w.path for w in info.value.warnings] == ["data.csv_dirs"]
    (tmp_path / "extra.yaml").write_text("holidays: []\n")
    loaded = load_settings(cfg, environ=_env(tmp_path))
    assert [w.path for w in loaded.warnings] == ["data.csv_dirs"]


def test_env_list_values_parse_as_json(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    s = load_settings(environ=_env(tmp_path, TRONLAB_DATA__CSV_DIRS='["a"]')).settings
    assert s.data.csv_dirs == (Path("a"),)


def test_settings_are_frozen(tmp_path: Path) -> None:
    s = load_settings(environ=_env(tmp_path)).settings
    with pytest.raises(ValidationError):
        s.logging.level = "DEBUG"  # type: ignore[misc]
    assert isinstance(s, Settings)


def test_mask_url_hides_password_and_garbage() -> None:
    assert mask_url("sqlite:///x.db") == "sqlite:///x.db"
    assert mask_url("postgresql://u:p@h:5432/d") == "postgresql://u:***@h:5432/d"
    assert mask_url("::not a url::") == MASK
