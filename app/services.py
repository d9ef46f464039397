"""The long-lived resources one server process holds, opened and closed by the lifespan."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.account_watch import AccountWatch
from app.presence_tracker import PresenceTracker
from db.migrate import upgrade_to_head
from db.session import create_engine, create_sessionmaker, create_writer_engine
from infra import redis_client
from infra.broadcast import Broadcast, is_redis_url
from infra.persisted_queries import (
    MemoryQueryStore,
    PersistedQueries,
    QueryStore,
    RedisQueryStore,
)
from infra.presence import create_store
from infra.publisher import Publisher
from infra.rate_limits import RateLimiter, per_user_rules
from infra.redis_broadcast import broadcast_reachable
from infra.revocations import EndedSessions
from infra.settings import Settings
from infra.sockets import GOING_AWAY, Sockets
from infra.storage import LocalStorage, Storage
from loaders.event_batch import EventBatch
from resolvers import tokens

logger = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    writer_engine: AsyncEngine | None  # SQLite's single writing connection (db.session)
    sessionmaker: async_sessionmaker[AsyncSession]
    storage: Storage
    attachments: LocalStorage
    broadcast: Broadcast
    rate_limiter: RateLimiter
    publisher: Publisher
    presence: PresenceTracker
    event_batch: EventBatch
    redis: Redis | None  # the commands of every Redis use here (infra.redis_client), if Redis
    persisted_queries: PersistedQueries
    ended_sessions: EndedSessions
    sockets: Sockets
    account_watch: AccountWatch

    def __post_init__(self) -> None:
        self.ended_sessions.on_ended(self.sockets.close_sessions)

    @classmethod
    def create(cls, settings: Settings) -> "Services":
        engine = create_engine(settings.database_url_resolved)
        writer_engine = create_writer_engine(settings.database_url_resolved)
        url, namespace = settings.broadcast_url, settings.redis_namespace
        timeout = settings.redis_timeout_seconds  # every Redis client's
        redis = (
            redis_client.client(url, timeout, pool_size=settings.redis_pool_size)
            if is_redis_url(url)
            else None
        )
        broadcast = Broadcast(
            url,
            queue_size=settings.subscriber_queue_size,
            redis_timeout=timeout,
            commands=redis,
        )
        sessionmaker = create_sessionmaker(engine, writer_engine)
        publisher = Publisher(broadcast, namespace)
        sockets = Sockets()
        ttl = settings.presence_ttl_seconds
        presence_store = create_store(url, namespace, ttl, redis)
        entries = settings.persisted_query_max_entries
        query_store: QueryStore = (
            MemoryQueryStore(entries)
            if redis is None
            else RedisQueryStore(
                redis,
                namespace,
                max_entries=entries,
                ttl_seconds=settings.persisted_query_ttl_seconds,
            )
        )
        return cls(
            settings=settings,
            engine=engine,
            writer_engine=writer_engine,
            sessionmaker=sessionmaker,
            storage=LocalStorage(settings.media_path),
            attachments=LocalStorage(settings.attachments_path),
            broadcast=broadcast,
            rate_limiter=RateLimiter(
                url, namespace, per_user_rules(settings), timeout, commands=redis
            ),
            publisher=publisher,
            presence=PresenceTracker(presence_store, ttl, sessionmaker, publisher),
            event_batch=EventBatch(sessionmaker),
            redis=redis,
            persisted_queries=PersistedQueries(
                query_store,
                settings.trusted_documents,
                trusted_only=settings.persisted_queries_only,
            ),
            ended_sessions=EndedSessions(broadcast, namespace, settings.access_token_ttl_seconds),
            sockets=sockets,
            account_watch=AccountWatch(broadcast, publisher, sockets),
        )

    async def start(self) -> None:
        if self.settings.auto_migrate:
            await upgrade_to_head(self.engine)
        await self.broadcast.connect()
        await self.ended_sessions.start(self._recently_ended_sessions)
        await self.account_watch.start(self.settings.redis_timeout_seconds)
        await self.presence.start()

    async def stop(self) -> None:
        # Sockets first, while what their subscriptions clean up with is still there.
        await self.sockets.close_all(GOING_AWAY, "Server shutting down")
        await self.account_watch.stop()
        await self.presence.stop()
        await self.ended_sessions.stop()
        await self.publisher.stop()
        await self.broadcast.disconnect()
        if self.redis is not None:
            await self.redis.aclose()
        await self.engine.dispose()
        if self.writer_engine is not None:
            await self.writer_engine.dispose()

    async def _recently_ended_sessions(self) -> list[int]:
        within = timedelta(seconds=self.settings.access_token_ttl_seconds)
        async with self.sessionmaker() as session:
            return await tokens.recently_ended(session, within)

    async def readiness(self) -> dict[str, bool]:
        """Which backing services answer right now; the broadcast once events flow both
        ways again (Redis answers, and this process's subscriber connection is back)."""
        timeout = self.settings.redis_timeout_seconds
        broadcast = await self.broadcast.listening(timeout) and await broadcast_reachable(
            self.redis
        )
        return {"database": await self._database_reachable(), "broadcast": broadcast}

    async def _database_reachable(self) -> bool:
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:  # any failure means "not ready"; the reason goes to the log
            logger.warning("database is not reachable", exc_info=True)
            return False
        return True
