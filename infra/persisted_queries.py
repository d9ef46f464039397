"""Persisted queries: Apollo's automatic persisted queries (APQ) and trusted documents.

A client sends `extensions.persistedQuery {version: 1, sha256Hash}` instead of the query;
when the server does not know the hash it answers PERSISTED_QUERY_NOT_FOUND (message
`PersistedQueryNotFound`) and the client sends the query again along with the hash, which
the server checks (the hash must be the query's SHA-256) and keeps. Kept in Redis when the
broadcast is Redis (every process shares them), else in this process; bounded either way,
by entries and by the length of a query (a longer one runs, but is not kept).

Trusted documents: an operator's manifest (GraphQL Codegen's `persisted-documents.json`,
`{hash: query}`, or Apollo's persisted query manifest) lists documents the server always
knows. With `persisted_queries_only` nothing else runs: an unknown hash is
PERSISTED_QUERY_NOT_FOUND, a query sent as text that is not one of them
PERSISTED_QUERY_REQUIRED, both before the query is parsed.
"""

import hashlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from redis.asyncio import Redis

from infra.errors import BadUserInput, DomainError, ErrorCode

logger = logging.getLogger(__name__)

MAX_QUERY_LENGTH = 10_000  # characters; the document cache's bound too
DEFAULT_MAX_ENTRIES = 1000
DEFAULT_TTL_SECONDS = 24 * 3600
APOLLO_MANIFEST_FORMAT = "apollo-persisted-query-manifest"


class PersistedQueryNotFound(DomainError):
    """Apollo's clients look for this message (and code) to send the query again."""

    code = ErrorCode.PERSISTED_QUERY_NOT_FOUND

    def __init__(self) -> None:
        super().__init__("PersistedQueryNotFound")


class PersistedQueryRequired(DomainError):
    code = ErrorCode.PERSISTED_QUERY_REQUIRED

    def __init__(self) -> None:
        super().__init__("Only trusted documents run here: send a persisted query's hash")


class ManifestError(ValueError):
    """The trusted-documents manifest cannot be read; the server must not start."""


def sha256_hex(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


class QueryStore(Protocol):
    async def get(self, query_hash: str) -> str | None: ...

    async def put(self, query_hash: str, query: str) -> None: ...


class MemoryQueryStore:
    """The `max_entries` most recently used queries of this process."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._queries: OrderedDict[str, str] = OrderedDict()

    async def get(self, query_hash: str) -> str | None:
        query = self._queries.get(query_hash)
        if query is not None:
            self._queries.move_to_end(query_hash)
        return query

    async def put(self, query_hash: str, query: str) -> None:
        self._queries[query_hash] = query
        self._queries.move_to_end(query_hash)
        while len(self._queries) > self.max_entries:
            self._queries.popitem(last=False)


# Keep the query for `ttl` seconds and index it by when it was kept; drop the oldest past
# `max_entries`. One script, so that concurrent processes never leave the index behind.
_PUT = """
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[2])
local extra = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[5])
if extra > 0 then
  local oldest = redis.call('ZPOPMIN', KEYS[2], extra)
  for i = 1, #oldest, 2 do redis.call('DEL', ARGV[6] .. oldest[i]) end
end
"""


class RedisQueryStore:
    """Shared by every process of the deployment: `{namespace}:apq:{hash}`, each kept `ttl`
    seconds, at most `max_entries` (the least recently kept go first). Redis failing makes
    a hash unknown (the client sends its query again), never the request fail."""

    def __init__(
        self,
        redis: Redis,
        namespace: str,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
    ) -> None:
        self._redis, self._prefix = redis, f"{namespace}:apq:"
        self._index = f"{namespace}:apq-index"
        self.max_entries, self.ttl_seconds = max_entries, ttl_seconds
        self._put = redis.register_script(_PUT)

    async def get(self, query_hash: str) -> str | None:
        try:
            query = await self._redis.get(self._prefix + query_hash)
        except Exception as exc:
            logger.warning("persisted query store unreachable (%s); hash unknown", exc)
            return None
        return query.decode() if isinstance(query, bytes) else query

    async def put(self, query_hash: str, query: str) -> None:
        try:
            await self._put(
                keys=[self._prefix + query_hash, self._index],
                args=[
                    query,
                    self.ttl_seconds,
                    time.time(),
                    query_hash,
                    self.max_entries,
                    self._prefix,
                ],
            )
        except Exception as exc:
            logger.warning("persisted query store unreachable (%s); query not kept", exc)


def load_manifest(path: Path) -> dict[str, str]:
    """The documents of a manifest by their id (hash): Codegen's `{hash: query}` or
    Apollo's `{"format": "apollo-persisted-query-manifest", "operations": [...]}`."""
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ManifestError(f"cannot read the persisted queries manifest {path}: {exc}") from exc
    documents: dict[object, object] = {}
    if isinstance(content, dict) and content.get("format") == APOLLO_MANIFEST_FORMAT:
        operations = content.get("operations")
        if content.get("version") != 1 or not isinstance(operations, list):
            raise ManifestError(f"{path}: an Apollo manifest of version 1 has `operations`")
        documents = {
            operation.get("id"): operation.get("body")
            for operation in operations
            if isinstance(operation, dict)
        }
    elif isinstance(content, dict):
        documents = content
    trusted = {
        key: value
        for key, value in documents.items()
        if isinstance(key, str) and isinstance(value, str)
    }
    if not trusted or len(trusted) != len(documents):
        raise ManifestError(f"{path}: expected documents by id (hash), as strings")
    return trusted


class PersistedQueries:
    """Finds the query a request runs, from its text or its `persistedQuery` extension."""

    def __init__(
        self,
        store: QueryStore,
        trusted: Mapping[str, str] | None = None,
        *,
        trusted_only: bool = False,
        max_query_length: int = MAX_QUERY_LENGTH,
    ) -> None:
        self.store, self.trusted_only = store, trusted_only
        self._trusted = dict(trusted or {})
        self._trusted_texts = frozenset(self._trusted.values())
        self.max_query_length = max_query_length

    async def query(self, query: str | None, extensions: Mapping[str, object] | None) -> str | None:
        """The text to run (None: the request has none, Strawberry says so), or a
        DomainError refusing the request."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            if self.trusted_only and query is not None and query not in self._trusted_texts:
                raise PersistedQueryRequired
            return query
        query_hash = _hash_of(persisted)
        if (trusted := self._trusted.get(query_hash)) is not None:
            if query is not None and query != trusted:
                raise _mismatch()
            return trusted
        if self.trusted_only:
            raise PersistedQueryNotFound
        if query is None:
            if (known := await self.store.get(query_hash.lower())) is None:
                raise PersistedQueryNotFound
            return known
        if sha256_hex(query) != query_hash.lower():
            raise _mismatch()
        if len(query) <= self.max_query_length:
            await self.store.put(query_hash.lower(), query)
        return query


def _hash_of(persisted: object) -> str:
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise BadUserInput(
            "persistedQuery must be {version: 1, sha256Hash}", field="extensions.persistedQuery"
        )
    query_hash = persisted.get("sha256Hash")
    if not isinstance(query_hash, str) or not query_hash:
        raise BadUserInput(
            "persistedQuery.sha256Hash must be a string",
            field="extensions.persistedQuery.sha256Hash",
        )
    return query_hash


def _mismatch() -> BadUserInput:
    return BadUserInput(
        "provided sha256Hash does not match the query",
        field="extensions.persistedQuery.sha256Hash",
    )
