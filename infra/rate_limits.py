"""Rate limits on the endpoints worth attacking (moving windows, shared through Redis)."""

import enum
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis

from infra import redis_client
from infra.broadcast import is_redis_url
from infra.errors import RateLimited
from infra.settings import Settings

logger = logging.getLogger(__name__)

LOGIN_FAILURES_PER_ACCOUNT_AND_CLIENT = parse("10/15 minutes")
LOGIN_FAILURES_PER_ACCOUNT = parse("100/hour")  # across all addresses
LOGIN_KNOWN_CLIENT = parse("1/30 days")  # how long an address that signed in is remembered
LOGIN_PER_CLIENT = parse("60/15 minutes")
REGISTER_PER_CLIENT = parse("30/hour")
REFRESH_PER_CLIENT = parse("120/15 minutes")
TYPING_PER_CHAT = parse("1/3 seconds")


class Write(enum.StrEnum):
    """Writes each user may make only so often, counted apart (the value names the counter).

    Only writes that change something count, so a client repeating one after a lost
    response is answered. Not counted: deleting and leaving (bounded by what was created
    or joined, and never to be refused), and marking chats and notifications read (a row
    of one's own, no fan-out, sent on every view).
    """

    REACTION = "reaction"  # addReaction, removeReaction
    UPLOAD = "upload"  # uploadAvatar, uploadBanner, uploadSpaceAvatar, uploadSpaceBanner
    INVITE = "invite"  # createInvite
    SPACE = "space"  # createSpace, transferSpaceOwnership
    CHANNEL = "channel"  # createChannel, updateChannel
    ROLE = "role"  # createRole, updateRole
    MODERATION = "moderation"  # kickMember, banMember, unbanMember, assignRole, removeRole
    CHAT = "chat"  # openDirectChat, createGroupChat, addChatParticipant
    JOIN = "join"  # joinSpace, by id or by invite
    PROFILE = "profile"  # updateProfile, updateSpace
    STATUS = "status"  # setStatus
    PIN = "pin"  # pinMessage, unpinMessage


def per_user_rules(settings: Settings) -> dict[Write, RateLimitItem]:
    """Which setting governs each kind of write (the defaults are in infra/settings.py)."""
    rates = {
        Write.REACTION: settings.reaction_rate_limit,
        Write.UPLOAD: settings.upload_rate_limit,
        Write.INVITE: settings.invite_rate_limit,
        Write.SPACE: settings.space_rate_limit,
        Write.CHANNEL: settings.channel_rate_limit,
        Write.ROLE: settings.role_rate_limit,
        Write.MODERATION: settings.moderation_rate_limit,
        Write.CHAT: settings.chat_rate_limit,
        Write.JOIN: settings.join_rate_limit,
        Write.PROFILE: settings.profile_rate_limit,
        Write.STATUS: settings.status_rate_limit,
        Write.PIN: settings.pin_rate_limit,
    }
    return {write: parse(rate) for write, rate in rates.items()}


class RateLimiter:
    """Counts attempts in memory, or in Redis when the broadcast backend is Redis."""

    def __init__(
        self,
        broadcast_url: str,
        namespace: str,
        per_user: Mapping[Write, RateLimitItem] | None = None,
        redis_timeout: float = redis_client.DEFAULT_TIMEOUT_SECONDS,
        commands: Redis | None = None,
    ) -> None:
        """Counts in Redis through `commands`, the process's shared client (or a pool of
        its own if None)."""
        self._per_user = dict(per_user or {})
        storage: Storage
        if is_redis_url(broadcast_url):
            pool = (
                redis_client.connection_pool(broadcast_url, redis_timeout)
                if commands is None
                else commands.connection_pool
            )
            storage = RedisStorage(
                f"async+{broadcast_url}",
                implementation="redispy",
                key_prefix=f"{namespace}:limits",
                # limits hands it to redis-py; its options are typed as scalars only.
                connection_pool=pool,  # type: ignore[arg-type]
            )
        else:
            storage = MemoryStorage()
        self._limiter = MovingWindowRateLimiter(storage)

    async def hit(self, rule: RateLimitItem, *identifiers: str) -> None:
        """Count one attempt; RATE_LIMITED once the window is full."""
        await self._enforce(self._limiter.hit, rule, identifiers)

    async def hit_write(self, write: Write, user_id: int) -> None:
        """Count one such write by this user; RATE_LIMITED once their window is full."""
        await self.hit(self._per_user[write], write.value, str(user_id))

    async def allow(self, rule: RateLimitItem, *identifiers: str) -> bool:
        """Count one attempt and say whether it is within the limit (True if unknowable)."""
        try:
            return bool(await self._limiter.hit(rule, *identifiers))
        except Exception as exc:
            logger.warning("rate limit store unreachable (%s); allowing the attempt", exc)
            return True

    async def check(self, rule: RateLimitItem, *identifiers: str) -> None:
        """RATE_LIMITED if the window is already full, without counting an attempt."""
        await self._enforce(self._limiter.test, rule, identifiers)

    async def remember(self, rule: RateLimitItem, *identifiers: str) -> None:
        """Note these identifiers for the expiry of `rule` (one per period) from now on."""
        try:
            await self._limiter.clear(rule, *identifiers)
            await self._limiter.hit(rule, *identifiers)
        except Exception as exc:
            logger.warning("rate limit store unreachable (%s); not remembered", exc)

    async def seen(self, rule: RateLimitItem, *identifiers: str) -> bool:
        """Whether `remember` noted these identifiers within the expiry of `rule` (False if
        unknowable)."""
        try:
            return not await self._limiter.test(rule, *identifiers)
        except Exception as exc:
            logger.warning("rate limit store unreachable (%s); taken as not seen", exc)
            return False

    async def _enforce(
        self,
        allows: Callable[..., Awaitable[bool]],
        rule: RateLimitItem,
        identifiers: tuple[str, ...],
    ) -> None:
        # If the counter store is unreachable the attempt is allowed (and logged): losing
        # rate limiting for a while is better than refusing every sign-in.
        try:
            if await allows(rule, *identifiers):
                return
            reset_at, _ = await self._limiter.get_window_stats(rule, *identifiers)
        except Exception as exc:
            logger.warning("rate limit store unreachable (%s); allowing the attempt", exc)
            return
        retry_after = max(1, math.ceil(reset_at - time.time()))
        raise RateLimited("Too many attempts; try again later", retry_after=retry_after)
