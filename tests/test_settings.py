"""infra/settings.py: production refuses unsafe configurations; development stays convenient."""

import logging
import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from infra.rate_limits import Write, per_user_rules
from infra.settings import MIN_SECRET_KEY_LENGTH, Settings, SettingsError, load_settings

GOOD_KEY = "k" * MIN_SECRET_KEY_LENGTH
POSTGRES_URL = "postgresql+asyncpg://thespace@db.example/thespace"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No variable of the developer's shell (or a `.env` in the cwd) may leak into Settings."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def production(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": "production",
        "secret_key": GOOD_KEY,
        "database_url": POSTGRES_URL,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def development(data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"environment": "development", "data_dir": data_dir}
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


# --- production refuses to start unsafely ----------------------------------------------------


def test_production_accepts_a_long_random_key_and_postgres() -> None:
    settings = production()
    assert settings.signing_key == GOOD_KEY
    assert settings.database_url_resolved == POSTGRES_URL
    assert not settings.is_development


def test_production_is_the_default_environment() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(_env_file=None)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("", id="missing"),
        pytest.param("k" * (MIN_SECRET_KEY_LENGTH - 1), id="one-too-short"),
        pytest.param("changeme", id="placeholder"),
        pytest.param("SECRET", id="placeholder-uppercase"),
    ],
)
def test_production_refuses_a_weak_secret_key(key: str) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        production(secret_key=key)


def test_production_refuses_a_missing_secret_key_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("DATABASE_URL", POSTGRES_URL)
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        load_settings()


def test_load_settings_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("DATABASE_URL", POSTGRES_URL)
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    settings = load_settings()
    assert settings.signing_key == GOOD_KEY
    assert settings.database_url == POSTGRES_URL


@pytest.mark.parametrize("flag", ["graphiql", "introspection"])
def test_production_refuses_graphiql_or_introspection_forced_on(flag: str) -> None:
    with pytest.raises(ValidationError, match="GRAPHIQL and INTROSPECTION"):
        production(**{flag: True})


def test_production_accepts_graphiql_and_introspection_explicitly_off() -> None:
    settings = production(graphiql=False, introspection=False)
    assert not settings.graphiql_enabled
    assert not settings.introspection_enabled


@pytest.mark.parametrize(
    "database_url",
    [
        pytest.param("", id="default-file-in-data-dir"),
        pytest.param("sqlite+aiosqlite:///srv/thespace.db", id="explicit-sqlite"),
    ],
)
def test_production_refuses_sqlite(database_url: str) -> None:
    with pytest.raises(ValidationError, match="ALLOW_SQLITE_IN_PRODUCTION"):
        production(database_url=database_url)


def test_production_accepts_sqlite_when_explicitly_allowed(tmp_path: Path) -> None:
    settings = production(database_url="", data_dir=tmp_path, allow_sqlite_in_production=True)
    assert settings.database_url_resolved == f"sqlite+aiosqlite:///{tmp_path / 'thespace.db'}"


def test_production_never_generates_a_key(tmp_path: Path) -> None:
    production(data_dir=tmp_path).signing_key  # noqa: B018
    assert not (tmp_path / "dev-secret-key").exists()


# --- development generates its key once -------------------------------------------------------


def test_development_without_a_key_generates_one_kept_in_data_dir(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = tmp_path / "data"
    with caplog.at_level(logging.WARNING, logger="infra.settings"):
        key = development(data_dir).signing_key

    key_file = data_dir / "dev-secret-key"
    assert len(key) >= MIN_SECRET_KEY_LENGTH
    assert key_file.read_text().strip() == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "SECRET_KEY is not set" in warnings[0].getMessage()
    assert str(key_file) in warnings[0].getMessage()


def test_development_reuses_the_generated_key_without_warning_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = development(tmp_path).signing_key
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="infra.settings"):
        second = development(tmp_path).signing_key
    assert second == first
    assert not [r for r in caplog.records if r.name == "infra.settings"]


def test_development_keys_differ_between_data_dirs(tmp_path: Path) -> None:
    assert development(tmp_path / "a").signing_key != development(tmp_path / "b").signing_key


def test_development_uses_an_explicit_key_and_writes_no_file(tmp_path: Path) -> None:
    assert development(tmp_path, secret_key="short-is-fine-here").signing_key == (
        "short-is-fine-here"
    )
    assert not (tmp_path / "dev-secret-key").exists()


# --- defaults ---------------------------------------------------------------------------------


def test_token_lifetimes_default_to_fifteen_minutes_and_seven_days(tmp_path: Path) -> None:
    settings = development(tmp_path)
    assert settings.access_token_ttl_seconds == 900
    assert settings.refresh_token_ttl_seconds == 7 * 24 * 3600


def test_broadcast_defaults_to_in_memory(tmp_path: Path) -> None:
    assert development(tmp_path).broadcast_url == "memory://"
    assert production().broadcast_url == "memory://"


def test_graphiql_and_introspection_are_on_in_development(tmp_path: Path) -> None:
    settings = development(tmp_path)
    assert settings.graphiql_enabled
    assert settings.introspection_enabled


def test_graphiql_and_introspection_are_off_in_production() -> None:
    settings = production()
    assert not settings.graphiql_enabled
    assert not settings.introspection_enabled


def test_development_can_turn_graphiql_off(tmp_path: Path) -> None:
    settings = development(tmp_path, graphiql=False, introspection=False)
    assert not settings.graphiql_enabled
    assert not settings.introspection_enabled


def test_development_defaults_to_a_sqlite_file_and_media_in_data_dir(tmp_path: Path) -> None:
    settings = development(tmp_path)
    assert settings.database_url_resolved == f"sqlite+aiosqlite:///{tmp_path / 'thespace.db'}"
    assert settings.media_path == tmp_path / "media"
    assert settings.auto_migrate


@pytest.mark.parametrize("field", ["access_token_ttl_seconds", "refresh_token_ttl_seconds"])
def test_token_lifetimes_must_be_positive(tmp_path: Path, field: str) -> None:
    with pytest.raises(ValidationError):
        development(tmp_path, **{field: 0})


def test_development_never_signs_with_an_empty_key_file(tmp_path: Path) -> None:
    """A key file left empty (a crash, or a second process reading between create and write)."""
    (tmp_path / "dev-secret-key").touch(mode=0o600)
    assert len(development(tmp_path).signing_key) >= MIN_SECRET_KEY_LENGTH


@pytest.mark.parametrize("rate", ["", "lots", "20 per fortnight", "-1/second"])
def test_message_rate_limit_must_be_a_rate(tmp_path: Path, rate: str) -> None:
    with pytest.raises(ValidationError):
        development(tmp_path, message_rate_limit=rate)


def test_message_rate_limit_defaults_to_twenty_per_ten_seconds(tmp_path: Path) -> None:
    limit = development(tmp_path).message_limit
    assert (limit.amount, limit.get_expiry()) == (20, 10)


@pytest.mark.parametrize("write", list(Write))
def test_each_write_rate_limit_must_be_a_rate(tmp_path: Path, write: Write) -> None:
    with pytest.raises(ValidationError, match=f"{write}_rate_limit"):
        development(tmp_path, **{f"{write}_rate_limit": "lots"})


def test_each_write_has_its_own_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REACTION_RATE_LIMIT", "5/second")
    rules = per_user_rules(development(tmp_path))
    assert set(rules) == set(Write)
    assert (rules[Write.REACTION].amount, rules[Write.REACTION].get_expiry()) == (5, 1)
    assert (rules[Write.SPACE].amount, rules[Write.SPACE].get_expiry()) == (10, 3600)


# --- WebSocket limits --------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["socket_rate_limit", "subscription_rate_limit"])
@pytest.mark.parametrize("rate", ["", "lots", "-1/second"])
def test_socket_rate_limits_must_be_rates(tmp_path: Path, field: str, rate: str) -> None:
    with pytest.raises(ValidationError):
        development(tmp_path, **{field: rate})


@pytest.mark.parametrize("field", ["max_sockets_per_user", "max_subscriptions_per_socket"])
def test_socket_caps_must_be_positive(tmp_path: Path, field: str) -> None:
    with pytest.raises(ValidationError):
        development(tmp_path, **{field: 0})


def test_socket_limits_default_to_a_chat_client_s_needs(tmp_path: Path) -> None:
    settings = development(tmp_path)
    assert (settings.max_sockets_per_user, settings.max_subscriptions_per_socket) == (20, 50)
    sockets, subscriptions = settings.socket_limit, settings.subscription_limit
    assert (sockets.amount, sockets.get_expiry()) == (30, 60)
    assert (subscriptions.amount, subscriptions.get_expiry()) == (120, 60)


def test_links_use_public_base_url_and_in_development_without_it_the_request_s(
    tmp_path: Path,
) -> None:
    request = "http://localhost:5173/"
    assert development(tmp_path).base_url_for(request) == "http://localhost:5173"
    assert production().base_url_for(request) == "http://localhost:8000"  # never the Host
    for settings in (
        production(public_base_url="https://chat.example/"),
        development(tmp_path, public_base_url="https://chat.example"),
    ):
        assert settings.base_url_for(request) == "https://chat.example"
