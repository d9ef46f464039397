"""One typed settings object, read from the environment (and an optional `.env`)."""

import logging
import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from limits import RateLimitItem, parse
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from infra import redis_client
from infra.persisted_queries import load_manifest

logger = logging.getLogger(__name__)

MIN_SECRET_KEY_LENGTH = 32
# Above the largest page a client realistically asks for (a 100-message page with its
# reactions, mentions and attachments costs about 29,000), below nested lists multiplying.
DEFAULT_MAX_QUERY_COST = 50_000
DEFAULT_PUBLIC_BASE_URL = "http://localhost:8000"
_PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "dev", "development"}


_LOCAL_ORIGINS = r"http://(localhost|127\.0\.0\.1)(:[0-9]+)?"


class SettingsError(Exception):
    """The configuration is unsafe or unusable; the server must not start."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    environment: Literal["development", "production"] = "production"
    data_dir: Path = Path("data")
    database_url: str = ""  # empty: a SQLite file in data_dir
    allow_sqlite_in_production: bool = False
    broadcast_url: str = "memory://"
    redis_namespace: str = "thespace"  # prefix of every Redis key and channel of this deployment
    # How long any one Redis call may wait (connecting, reading, writing) before it fails the
    # way the README's "When Redis fails" describes: a frozen Redis costs a request this long
    # per call, not redis-py's 5 s.
    redis_timeout_seconds: float = Field(default=redis_client.DEFAULT_TIMEOUT_SECONDS, gt=0)
    # Connections one process keeps for its Redis commands (the pub/sub subscriber has one
    # of its own); a call that finds them all busy waits up to 2 s for one.
    redis_pool_size: int = Field(default=redis_client.DEFAULT_POOL_SIZE, gt=0)
    secret_key: SecretStr = SecretStr("")
    access_token_ttl_seconds: int = Field(default=15 * 60, gt=0)
    refresh_token_ttl_seconds: int = Field(default=7 * 24 * 3600, gt=0)
    # How long a connection counts as online without being refreshed (sockets refresh at a
    # third of it; the heartbeat mutation keeps HTTP clients online this long).
    presence_ttl_seconds: float = Field(default=60, gt=0)
    media_dir: Path | None = None  # None: data_dir / "media"
    attachments_dir: Path | None = None  # None: data_dir / "attachments" (never served as is)
    # Unset: in development the address each request came to, in production
    # DEFAULT_PUBLIC_BASE_URL (see base_url_for).
    public_base_url: str | None = None
    max_upload_bytes: int = Field(default=8 * 1024 * 1024, gt=0)
    graphiql: bool | None = None  # None: on in development, off in production
    introspection: bool | None = None  # None: on in development, off in production
    auto_migrate: bool = True
    cors_origins: list[str] = []
    log_level: str = "INFO"
    # graphql-transport-ws: a socket that sends no connection_init this long is closed (4408).
    connection_init_timeout_seconds: float = Field(default=10, gt=0)
    # Events one subscription may fall behind by before its socket is closed (1013).
    subscriber_queue_size: int = Field(default=1000, gt=0)
    # On shutdown, connections still open this long are dropped (a client that stopped
    # reading would otherwise hold the process forever).
    shutdown_timeout_seconds: int = Field(default=30, gt=0)
    # permessage-deflate on WebSockets: every socket that negotiates it (browsers offer it)
    # holds a compressor and a decompressor, about 45 KB, while chat frames are small.
    websocket_compression: bool = False
    # A socket is pinged after this long without a frame from its client, and closed (1013)
    # if the client answers nothing within the timeout: it stopped reading, or it is gone.
    websocket_ping_interval_seconds: float = Field(default=20, gt=0)
    websocket_ping_timeout_seconds: float = Field(default=20, gt=0)
    # The objects one operation may return, estimated before it runs (see
    # graphql_schema/extensions/cost.py); a costlier one is refused.
    max_query_cost: int = Field(default=DEFAULT_MAX_QUERY_COST, gt=0)
    # Messages one user may send or edit, across all chats (a `limits` rate, e.g. "5/second").
    message_rate_limit: str = "20/10 seconds"
    # What else one user may do so often (a `limits` rate each; infra/rate_limits.py
    # Write says which mutations count against which). Repeats that change nothing
    # (adding a reaction one has, opening an existing direct chat) never count.
    reaction_rate_limit: str = "60/minute"  # adding and removing reactions
    upload_rate_limit: str = "20/hour"  # avatars and banners of users and spaces
    invite_rate_limit: str = "30/hour"
    space_rate_limit: str = "10/hour"  # creating spaces, handing them over
    channel_rate_limit: str = "60/10 minutes"  # creating and changing channels
    role_rate_limit: str = "60/10 minutes"  # creating and changing roles
    moderation_rate_limit: str = "30/minute"  # kicks, bans, unbans, assigning roles
    chat_rate_limit: str = "30/hour"  # new direct and group chats, added participants
    join_rate_limit: str = "20/hour"  # joining spaces
    profile_rate_limit: str = "30/hour"  # changing one's profile or a space's
    status_rate_limit: str = "20/minute"  # changing one's chosen presence status
    pin_rate_limit: str = "30/minute"  # pinning and unpinning messages
    # Automatic persisted queries (infra/persisted_queries.py): how many are kept (in Redis
    # when the broadcast is Redis, else per process) and, in Redis, for how long.
    persisted_query_max_entries: int = Field(default=1000, gt=0)
    persisted_query_ttl_seconds: int = Field(default=24 * 3600, gt=0)
    # Trusted documents: a manifest (Codegen's persisted-documents.json or Apollo's persisted
    # query manifest) whose documents are always known; with persisted_queries_only, only
    # they run.
    persisted_queries_manifest: Path | None = None
    persisted_queries_only: bool = False

    @field_validator("message_rate_limit")
    @classmethod
    def _valid_rate(cls, value: str) -> str:
        parse(value)  # ValueError names what is wrong
        return value

    @field_validator(
        "reaction_rate_limit",
        "upload_rate_limit",
        "invite_rate_limit",
        "space_rate_limit",
        "channel_rate_limit",
        "role_rate_limit",
        "moderation_rate_limit",
        "chat_rate_limit",
        "join_rate_limit",
        "profile_rate_limit",
        "status_rate_limit",
        "pin_rate_limit",
    )
    @classmethod
    def _valid_write_rate(cls, value: str) -> str:
        parse(value)
        return value

    # --- WebSocket limits (per user: sockets open in one process, sockets opened and
    # subscriptions started across processes; per socket: operations running at once) ---
    max_sockets_per_user: int = Field(default=20, gt=0)  # the next one is closed with 4430
    max_subscriptions_per_socket: int = Field(default=50, gt=0)
    socket_rate_limit: str = "30/minute"  # sockets a user may open (4431 beyond)
    subscription_rate_limit: str = "120/minute"  # subscribe/start messages a user may send

    @field_validator("socket_rate_limit", "subscription_rate_limit")
    @classmethod
    def _valid_socket_rate(cls, value: str) -> str:
        parse(value)
        return value

    @cached_property
    def socket_limit(self) -> RateLimitItem:
        return parse(self.socket_rate_limit)

    @cached_property
    def subscription_limit(self) -> RateLimitItem:
        return parse(self.subscription_rate_limit)

    # --- end of WebSocket limits ---

    # Requests from one client address that may be refused (HTTP 400/413, or no data and only
    # BAD_USER_INPUT/UNAUTHENTICATED) before it gets 429 for the rest of the window.
    refused_request_rate_limit: str = "60/minute"

    @field_validator("refused_request_rate_limit")
    @classmethod
    def _valid_refusal_rate(cls, value: str) -> str:
        parse(value)
        return value

    @cached_property
    def refused_request_limit(self) -> RateLimitItem:
        return parse(self.refused_request_rate_limit)

    @model_validator(mode="after")
    def _only_with_manifest(self) -> "Settings":
        if self.persisted_queries_only and self.persisted_queries_manifest is None:
            raise ValueError("PERSISTED_QUERIES_ONLY needs PERSISTED_QUERIES_MANIFEST")
        self.trusted_documents  # noqa: B018  (a manifest that cannot be read fails here)
        return self

    @cached_property
    def trusted_documents(self) -> dict[str, str]:
        """The manifest's documents by id (hash), if there is a manifest."""
        path = self.persisted_queries_manifest
        return {} if path is None else load_manifest(path)

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> "Settings":
        if self.environment != "production":
            return self
        key = self.secret_key.get_secret_value()
        if key.lower() in _PLACEHOLDER_SECRETS or len(key) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(
                f"SECRET_KEY must be set to a random value of at least {MIN_SECRET_KEY_LENGTH} "
                'characters in production (e.g. python -c "import secrets; '
                'print(secrets.token_urlsafe(48))")'
            )
        if self.graphiql or self.introspection:
            raise ValueError("GRAPHIQL and INTROSPECTION must stay off in production")
        if self.on_sqlite and not self.allow_sqlite_in_production:
            raise ValueError(
                "DATABASE_URL points at SQLite in production; use PostgreSQL, or set "
                "ALLOW_SQLITE_IN_PRODUCTION=true for a single-process deployment"
            )
        return self

    @property
    def is_development(self) -> bool:
        return self.environment == "development"

    def base_url_for(self, request_base_url: str) -> str:
        """Where clients reach the server, for the links to media and attachments.

        PUBLIC_BASE_URL when set. Unset in development, the address the request came to, so
        a dev server on any host or port (or behind a front end's dev proxy) hands out links
        that work; production never takes it from the request's Host header.
        """
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        if self.is_development:
            return request_base_url.rstrip("/")
        return DEFAULT_PUBLIC_BASE_URL

    @property
    def cors_origin_regex(self) -> str | None:
        """Origins allowed besides CORS_ORIGINS: in development, front ends served from
        this machine on any port (a dev server's); in production none."""
        return _LOCAL_ORIGINS if self.is_development else None

    @property
    def database_url_resolved(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'thespace.db'}"

    @property
    def on_sqlite(self) -> bool:
        return self.database_url_resolved.startswith("sqlite")

    @property
    def media_path(self) -> Path:
        return self.media_dir or self.data_dir / "media"

    @property
    def attachments_path(self) -> Path:
        return self.attachments_dir or self.data_dir / "attachments"

    @property
    def graphiql_enabled(self) -> bool:
        return self.is_development if self.graphiql is None else self.graphiql

    @property
    def introspection_enabled(self) -> bool:
        return self.is_development if self.introspection is None else self.introspection

    @cached_property
    def message_limit(self) -> RateLimitItem:
        return parse(self.message_rate_limit)

    @cached_property
    def signing_key(self) -> str:
        """The JWT signing key; in development, one generated once and kept in data_dir."""
        key = self.secret_key.get_secret_value()
        if key or not self.is_development:
            return key
        return _development_key(self.data_dir / "dev-secret-key")


def _development_key(path: Path) -> str:
    existing = _read_key(path)
    if existing:
        return existing
    logger.warning(
        "SECRET_KEY is not set: using a generated development key kept in %s "
        "(development only; set SECRET_KEY in production)",
        path,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_urlsafe(48))
    try:
        if path.exists():  # present but unusable (empty, truncated): replace it
            os.replace(partial, path)
        else:  # link never overwrites: of processes racing here, the first one wins
            os.link(partial, path)
    except FileExistsError:
        pass
    finally:
        partial.unlink(missing_ok=True)
    return _read_key(path)


def _read_key(path: Path) -> str:
    """The stored key, or "" when there is none usable."""
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        return ""
    return key if len(key) >= MIN_SECRET_KEY_LENGTH else ""


def load_settings() -> Settings:
    """Read the settings, turning validation failures into one clear SettingsError."""
    try:
        return Settings()
    except ValueError as exc:
        raise SettingsError(str(exc)) from exc
