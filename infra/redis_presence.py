"""The presence store in Redis (infra.presence): small Lua scripts make each operation atomic
across processes and read Redis's clock, so the processes' clocks need not agree. It fails
open: when Redis is unreachable it logs a warning and reports nobody online and no
transition, so queries and mutations keep working."""

import asyncio
import contextlib
import logging
from collections.abc import Collection
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from infra import redis_client

logger = logging.getLogger(__name__)

SWEEP_BATCH = 1000  # users a sweep looks at per call


# Redis keys: "<ns>:presence:online" is a sorted set of user id -> latest expiry (ms, Redis
# time); "<ns>:presence:user:<id>" a hash of connection id -> expiry. Every script drops the
# expired connections it comes across.
_NOW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local function prune(key)
    local latest = 0
    local entries = redis.call('HGETALL', key)
    for i = 1, #entries, 2 do
        local expiry = tonumber(entries[i + 1])
        if expiry > now then
            latest = math.max(latest, expiry)
        else
            redis.call('HDEL', key, entries[i])
        end
    end
    return latest
end
"""

# KEYS: user hash, online set; ARGV: user id, connection, ttl (ms). 1 if the user came online.
_TOUCH = (
    _NOW
    + """
local was_online = prune(KEYS[1]) > 0
local expiry = now + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], ARGV[2], expiry)
redis.call('PEXPIREAT', KEYS[1], expiry)
redis.call('ZADD', KEYS[2], 'GT', expiry, ARGV[1])
if was_online then return 0 end
return 1
"""
)

# KEYS: user hash, online set; ARGV: user id, connection. 1 if that took the user offline.
_DISCONNECT = (
    _NOW
    + """
if redis.call('HDEL', KEYS[1], ARGV[2]) == 0 then return 0 end
local latest = prune(KEYS[1])
if latest > 0 then
    redis.call('ZADD', KEYS[2], latest, ARGV[1])
    return 0
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
"""
)

# KEYS: online set; ARGV: user hash key prefix, batch size. The users that went offline.
_SWEEP = (
    _NOW
    + """
local gone = {}
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
for _, user in ipairs(due) do
    local key = ARGV[1] .. user
    local latest = prune(key)
    if latest > 0 then
        redis.call('ZADD', KEYS[1], latest, user)
    else
        redis.call('DEL', key)
        redis.call('ZREM', KEYS[1], user)
        table.insert(gone, user)
    end
end
return gone
"""
)

# KEYS: online set; ARGV: user ids. Those online now.
_ONLINE = (
    _NOW
    + """
local online = {}
local expiries = redis.call('ZMSCORE', KEYS[1], unpack(ARGV))
for i, expiry in ipairs(expiries) do
    if expiry and tonumber(expiry) > now then table.insert(online, ARGV[i]) end
end
return online
"""
)


class RedisPresenceStore:
    """Shared by every process using the same Redis and namespace.

    Each operation is one EVAL: Redis keeps the compiled script by its hash anyway, and
    EVALSHA costs three round trips (NOSCRIPT, SCRIPT LOAD, EVALSHA) for every call made
    before a new or restarted Redis has the script, as a whole burst is. Operations called
    while others are on their way go together in the next pipeline (see `_Pipelined`).
    """

    def __init__(
        self,
        url: str,
        namespace: str,
        ttl_seconds: float,
        timeout: float = redis_client.DEFAULT_TIMEOUT_SECONDS,
        *,
        commands: Redis | None = None,
    ) -> None:
        """`commands`: the process's shared client (its owner closes it); None: one of its own."""
        self._owns_client = commands is None
        self._client = redis_client.client(url, timeout) if commands is None else commands
        self._calls = _Pipelined(self._client)
        self._ttl_ms = max(1, round(ttl_seconds * 1000))
        self._online_key = f"{namespace}:presence:online"
        self._user_prefix = f"{namespace}:presence:user:"

    async def touch(self, user_id: int, connection: str) -> bool:
        try:
            came_online = await self._eval(
                _TOUCH,
                [self._user_key(user_id), self._online_key],
                [user_id, connection, self._ttl_ms],
            )
        except (RedisError, OSError) as exc:
            logger.warning("presence: Redis unreachable (%s); connection not recorded", exc)
            return False
        return bool(came_online)

    async def disconnect(self, user_id: int, connection: str) -> bool:
        try:
            went_offline = await self._eval(
                _DISCONNECT, [self._user_key(user_id), self._online_key], [user_id, connection]
            )
        except (RedisError, OSError) as exc:
            logger.warning("presence: Redis unreachable (%s); disconnect not recorded", exc)
            return False
        return bool(went_offline)

    async def sweep(self) -> list[int]:
        try:
            gone = await self._eval(_SWEEP, [self._online_key], [self._user_prefix, SWEEP_BATCH])
        except (RedisError, OSError) as exc:
            logger.warning("presence: Redis unreachable (%s); sweep skipped", exc)
            return []
        return [int(user_id) for user_id in gone]

    async def online(self, user_ids: Collection[int]) -> set[int]:
        if not user_ids:
            return set()
        try:
            found = await self._eval(_ONLINE, [self._online_key], list(user_ids))
        except (RedisError, OSError) as exc:
            logger.warning("presence: Redis unreachable (%s); showing users offline", exc)
            return set()
        return {int(user_id) for user_id in found}

    async def close(self) -> None:
        await self._calls.close()
        if self._owns_client:
            await self._client.aclose()

    async def _eval(self, script: str, keys: list[str], args: list[str | int]) -> Any:
        return await self._calls.eval(script, [*keys, *args], len(keys))

    def _user_key(self, user_id: int) -> str:
        return f"{self._user_prefix}{user_id}"


class _Pipelined:
    """Script calls sent one pipeline at a time: whatever is called while one is on its way
    goes in the next. A thousand sockets connecting together then take one connection and
    a few round trips, not the whole pool that publishing and rate limits share (whose
    calls would wait, and past its 2 s fail).
    """

    def __init__(self, client: Redis) -> None:
        self._client = client
        self._pending: list[tuple[str, list[str | int], int, asyncio.Future[Any]]] = []
        self._sending: asyncio.Task[None] | None = None

    async def eval(self, script: str, arguments: list[str | int], key_count: int) -> Any:
        """EVAL `script` with `arguments`, the first `key_count` of them keys."""
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append((script, arguments, key_count, answer))
        if self._sending is None or self._sending.done():
            self._sending = asyncio.create_task(self._send(), name="presence-pipeline")
        return await answer

    async def close(self) -> None:
        if self._sending is not None:
            self._sending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sending
        for *_, answer in self._pending:
            answer.cancel()
        self._pending = []

    async def _send(self) -> None:
        while self._pending:
            calls, self._pending = self._pending, []
            pipeline = self._client.pipeline(transaction=False)
            for script, arguments, key_count, _ in calls:
                pipeline.eval(script, key_count, *arguments)
            try:
                results = await pipeline.execute(raise_on_error=False)
            except Exception as exc:  # each caller says what failed for it
                results = [exc] * len(calls)
            for (*_, answer), result in zip(calls, results, strict=True):
                if answer.done():  # its caller went away
                    continue
                if isinstance(result, Exception):
                    answer.set_exception(result)
                else:
                    answer.set_result(result)
