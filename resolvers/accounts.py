"""Registration, login, token refresh, logout, the sessions they start and end, and
account deletion."""

import hashlib
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Ban, Chat, ChatKind, ChatParticipant, DeviceSession, Space, SpaceMember, User
from infra import rate_limits
from infra.errors import Conflict, RateLimited, Unauthenticated
from infra.events import AccountDeleted, MembershipChange
from infra.outbox import account_topic, announce
from infra.rate_limits import RateLimiter
from infra.revocations import EndedSessions
from infra.settings import Settings
from infra.storage import Storage
from resolvers import passwords, tokens, validation
from resolvers.announcements import chat_membership, space_membership
from resolvers.permissions.personal import owned_space_count


@dataclass(frozen=True)
class AuthResult:
    user: User
    access_token: str
    refresh_token: str
    expires_in: int


async def register(
    session: AsyncSession,
    settings: Settings,
    *,
    email: str,
    password: str,
    tag: str,
    display_name: str,
    limiter: RateLimiter,
    client: str,
    user_agent: str | None,
) -> AuthResult:
    await limiter.hit(rate_limits.REGISTER_PER_CLIENT, "register", client)
    user = User(
        email=validation.email(email),
        tag=validation.tag(tag),
        display_name=validation.display_name(display_name),
        password_hash="",
    )
    validation.password(password)
    await _ensure_available(session, email=user.email, tag=user.tag)
    user.password_hash = await passwords.hash_password(password)
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:  # lost a race with a concurrent registration
        await session.rollback()
        await _ensure_available(session, email=user.email, tag=user.tag)
        raise Conflict("Email or tag is already taken") from exc
    return await _signed_in(session, settings, user, user_agent)


async def login(
    session: AsyncSession,
    settings: Settings,
    *,
    login: str,
    password: str,
    limiter: RateLimiter,
    client: str,
    user_agent: str | None,
) -> AuthResult:
    """Sign in by email or tag; unknown account and wrong password fail alike.

    Wrong passwords are counted per account, whichever identifier named it (an unknown
    identifier counts as an account of its own, so probing is throttled alike), twice:
    10 per 15 minutes per account and address, past which that address is refused; and
    100 an hour per account across all addresses, past which only an address that signed
    in to the account within 30 days may still try. Someone else's failures thus never
    lock the owner out of an address they used before, nor out of a fresh one unless many
    addresses attack at once, while guesses at one account stay bounded however many
    addresses join in: throttling rather than locking, as OWASP advises. Each address
    also has LOGIN_PER_CLIENT attempts whatever the account (against credential stuffing).
    """
    identifier = login.strip().lower()
    await limiter.hit(rate_limits.LOGIN_PER_CLIENT, "login", client)
    match = func.lower(User.email) if "@" in identifier else User.tag  # tags are stored lower-case
    user = await session.scalar(select(User).where(match == identifier))
    account = f"user:{user.id}" if user is not None else f"unknown:{_digest(identifier)}"
    await _throttle_login(limiter, account, client)
    if user is None:
        await passwords.spend_verification_time(password)
    if user is None or not await passwords.verify_password(user.password_hash, password):
        await _count_failure(limiter, account, client)
        raise Unauthenticated("Invalid login or password")
    await limiter.remember(rate_limits.LOGIN_KNOWN_CLIENT, "login-known", account, client)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = await passwords.hash_password(password)
    return await _signed_in(session, settings, user, user_agent)


async def _throttle_login(limiter: RateLimiter, account: str, client: str) -> None:
    """RATE_LIMITED when this address, or (unless it signed in here before) everyone, has
    failed too often at this account."""
    await limiter.check(
        rate_limits.LOGIN_FAILURES_PER_ACCOUNT_AND_CLIENT, "login-failed", account, client
    )
    try:
        await limiter.check(rate_limits.LOGIN_FAILURES_PER_ACCOUNT, "login-failed", account)
    except RateLimited:
        if not await limiter.seen(rate_limits.LOGIN_KNOWN_CLIENT, "login-known", account, client):
            raise


async def _count_failure(limiter: RateLimiter, account: str, client: str) -> None:
    await limiter.allow(
        rate_limits.LOGIN_FAILURES_PER_ACCOUNT_AND_CLIENT, "login-failed", account, client
    )
    await limiter.allow(rate_limits.LOGIN_FAILURES_PER_ACCOUNT, "login-failed", account)


async def change_password(
    session: AsyncSession,
    settings: Settings,
    user_id: int,
    *,
    current_password: str,
    new_password: str,
    limiter: RateLimiter,
    client: str,
    user_agent: str | None,
    ended: EndedSessions,
) -> AuthResult:
    """Set a new password: a new session, and every earlier one of the account ends (its
    refresh and access tokens, its sockets), the caller's too, as revokeSession does.

    A wrong current password is a failed login (throttled and counted alike), so that a
    stolen access token gives no faster way to guess the password than the login form."""
    account = f"user:{user_id}"
    await _throttle_login(limiter, account, client)
    user = await session.get_one(User, user_id)
    if not await passwords.verify_password(user.password_hash, current_password):
        await _count_failure(limiter, account, client)
        raise Unauthenticated("The current password is wrong")
    validation.password(new_password, field="newPassword")
    user.password_hash = await passwords.hash_password(new_password)
    ended_ids = await tokens.end_sessions(session, DeviceSession.user_id == user_id)
    result = await _signed_in(session, settings, user, user_agent)  # one transaction
    await ended.end(ended_ids)
    return result


def _digest(identifier: str) -> str:
    """What counts for an unknown identifier: never the text itself, which may be a
    password typed into the wrong field."""
    return hashlib.sha256(identifier.encode()).hexdigest()[:32]


async def refresh(
    session: AsyncSession,
    settings: Settings,
    refresh_token: str,
    *,
    limiter: RateLimiter,
    client: str,
    ended: EndedSessions,
) -> AuthResult:
    """A new token pair of the same session; a reused token ends its session."""
    await limiter.hit(rate_limits.REFRESH_PER_CLIENT, "refresh", client)
    try:
        rotated = await tokens.rotate_refresh_token(session, settings, refresh_token)
    except tokens.SessionReused as reused:
        await ended.end(reused.session_ids)
        raise
    user = await session.get_one(User, rotated.user_id)
    await session.commit()
    return AuthResult(
        user=user,
        access_token=tokens.issue_access_token(settings, user.id, rotated.session_id),
        refresh_token=rotated.refresh_token,
        expires_in=settings.access_token_ttl_seconds,
    )


async def logout(session: AsyncSession, refresh_token: str, ended: EndedSessions) -> bool:
    """End the refresh token's session: its access tokens and sockets too, at once."""
    ended_ids = await tokens.revoke_refresh_token(session, refresh_token)
    await session.commit()
    await ended.end(ended_ids)
    return bool(ended_ids)


async def _ensure_available(session: AsyncSession, *, email: str, tag: str) -> None:
    if await session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise Conflict("An account with this email already exists", field="email")
    if await session.scalar(select(User.id).where(User.tag == tag)):
        raise Conflict("This tag is already taken", field="tag")


async def _signed_in(
    session: AsyncSession, settings: Settings, user: User, user_agent: str | None
) -> AuthResult:
    started = await tokens.start_session(session, settings, user.id, user_agent)
    await session.commit()
    return AuthResult(
        user=user,
        access_token=tokens.issue_access_token(settings, user.id, started.session_id),
        refresh_token=started.refresh_token,
        expires_in=settings.access_token_ttl_seconds,
    )


async def delete_account(
    session: AsyncSession,
    storage: Storage,
    user: User,
    password: str,
    *,
    limiter: RateLimiter,
    client: str,
) -> bool:
    """Erase the caller's account in one transaction, once their password is confirmed.

    A wrong password is a failed login (the same throttle, so a stolen access token can't
    be used to guess the password here either). An owner is refused (CONFLICT) until each
    of their spaces is handed over or deleted. The row's deletion takes, by its foreign
    keys, the sessions, memberships (and their roles), chat participations, read markers,
    notifications, reactions and mentions with it; messages, attachments, pins and
    moderation entries keep their rows with the user's reference set to null; the bans the
    user issued pass to each space's owner. Each space
    and group left is announced as leaveSpace and leaveChat do (the readers' rights are
    checked again), and AccountDeleted closes the user's sockets in every process. The
    avatar and banner files go once the deletion committed.
    """
    account = f"user:{user.id}"
    await _throttle_login(limiter, account, client)
    if not await passwords.verify_password(user.password_hash, password):
        await _count_failure(limiter, account, client)
        raise Unauthenticated("The password is wrong", field="password")
    if await owned_space_count(session, user.id):
        raise Conflict("Hand over or delete the spaces you own before deleting your account")
    space_ids = await session.scalars(
        select(SpaceMember.space_id).where(SpaceMember.user_id == user.id)
    )
    group_ids = await session.scalars(
        select(ChatParticipant.chat_id)
        .join(Chat, Chat.id == ChatParticipant.chat_id)
        .where(ChatParticipant.user_id == user.id, Chat.kind == ChatKind.GROUP)
    )
    for space_id in space_ids.all():
        space_membership(session, space_id, user.id, MembershipChange.LEFT)
    for chat_id in group_ids.all():
        chat_membership(session, chat_id, user.id, MembershipChange.LEFT)
    announce(session, account_topic(), AccountDeleted(user_id=user.id))
    # The bans the user issued stay in force, on the authority of each space's owner (their
    # foreign key would take them with the account: an unban nobody decided).
    owner = select(Space.owner_id).where(Space.id == Ban.space_id).scalar_subquery()
    await session.execute(update(Ban).where(Ban.banned_by_id == user.id).values(banned_by_id=owner))
    files = [key for key in (user.avatar_key, user.banner_key) if key]
    await session.execute(delete(User).where(User.id == user.id))
    await session.commit()
    session.expunge(user)
    for key in files:
        await storage.delete(key)
    return True
