"""The persisted query stores, bounded, and the manifests they may start from."""

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis import Redis as SyncRedis

from infra import redis_client
from infra.persisted_queries import (
    ManifestError,
    MemoryQueryStore,
    QueryStore,
    RedisQueryStore,
    load_manifest,
)
from tests.backends import REDIS_URL

CLOSED_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
async def redis_store(redis_required: None) -> AsyncIterator[RedisQueryStore]:
    namespace = f"test-{uuid.uuid4().hex}"
    client = redis_client.client(REDIS_URL, redis_client.DEFAULT_TIMEOUT_SECONDS)
    yield RedisQueryStore(client, namespace, max_entries=3, ttl_seconds=60)
    await client.aclose()
    sync = SyncRedis.from_url(REDIS_URL)
    keys = list(sync.scan_iter(match=f"{namespace}:*"))
    if keys:
        sync.delete(*keys)
    sync.close()


async def test_the_memory_store_forgets_the_least_recently_used() -> None:
    store = MemoryQueryStore(max_entries=2)
    await store.put("a", "{ a }")
    await store.put("b", "{ b }")
    assert await store.get("a") == "{ a }"  # now b is the least recently used
    await store.put("c", "{ c }")
    assert [await store.get(key) for key in "abc"] == ["{ a }", None, "{ c }"]


async def test_the_redis_store_keeps_at_most_its_entries_each_with_a_ttl(
    redis_store: RedisQueryStore,
) -> None:
    for n in range(5):
        await redis_store.put(f"h{n}", f"{{ q{n} }}")
    kept = [await redis_store.get(f"h{n}") for n in range(5)]
    assert kept == [None, None, "{ q2 }", "{ q3 }", "{ q4 }"]
    sync = SyncRedis.from_url(REDIS_URL)
    prefix = redis_store._prefix
    assert len(list(sync.scan_iter(match=f"{prefix}*"))) == 3
    assert 0 < sync.ttl(f"{prefix}h4") <= 60
    sync.close()


async def test_an_unreachable_redis_makes_every_hash_unknown() -> None:
    client = redis_client.client(CLOSED_REDIS_URL, 0.2)
    store: QueryStore = RedisQueryStore(client, "test-closed")
    await store.put("h", "{ q }")  # logged, not raised
    assert await store.get("h") is None
    await client.aclose()


def test_both_manifest_formats_load(tmp_path: Path) -> None:
    codegen = tmp_path / "persisted-documents.json"
    codegen.write_text(json.dumps({"abc": "{ a }"}))
    apollo = tmp_path / "manifest.json"
    apollo.write_text(
        json.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{"id": "abc", "name": "A", "type": "query", "body": "{ a }"}],
            }
        )
    )
    assert load_manifest(codegen) == load_manifest(apollo) == {"abc": "{ a }"}


@pytest.mark.parametrize(
    "content",
    ["not json", "[]", "{}", '{"abc": 5}', '{"format": "apollo-persisted-query-manifest"}'],
)
def test_a_manifest_that_is_not_one_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(content)
    with pytest.raises(ManifestError):
        load_manifest(path)
    with pytest.raises(ManifestError):
        load_manifest(tmp_path / "missing.json")
