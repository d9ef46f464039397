"""Accounts and their refresh tokens."""

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, created_at, intpk, utcnow


class PresenceStatus(enum.StrEnum):
    """A user's status: the one they chose (any but OFFLINE, which `chosen_status` never
    holds) while connected, else OFFLINE; INVISIBLE shows as OFFLINE to others."""

    ONLINE = "ONLINE"
    AWAY = "AWAY"
    DND = "DND"
    INVISIBLE = "INVISIBLE"
    OFFLINE = "OFFLINE"


class User(Base):
    __tablename__ = "users"
    id: Mapped[intpk]
    email: Mapped[str] = mapped_column(String(254))
    tag: Mapped[str] = mapped_column(String(32), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    bio: Mapped[str | None] = mapped_column(Text)
    avatar_key: Mapped[str | None] = mapped_column(String(255))
    banner_key: Mapped[str | None] = mapped_column(String(255))
    password_hash: Mapped[str] = mapped_column(String(255))
    chosen_status: Mapped[PresenceStatus] = mapped_column(
        Enum(PresenceStatus, native_enum=False, length=16), default=PresenceStatus.ONLINE
    )
    last_seen_at: Mapped[datetime | None]
    created_at: Mapped[created_at]


# Case-insensitive uniqueness, and prefix search (LIKE 'abc%') for searchUsers.
Index("uq_users_email_lower", func.lower(User.email), unique=True)
Index("ix_users_tag_prefix", User.tag, postgresql_ops={"tag": "varchar_pattern_ops"})
Index(
    "ix_users_display_name_prefix",
    func.lower(User.display_name).label("display_name_lower"),
    postgresql_ops={"display_name_lower": "text_pattern_ops"},
)


class RefreshToken(Base):
    """One refresh token; tokens rotated from one login share a family."""

    __tablename__ = "refresh_tokens"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[str] = mapped_column(String(36), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[created_at]
    expires_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


USER_AGENT_MAX_LENGTH = 256


class DeviceSession(Base):
    """One signed-in device: the refresh-token family one sign-in started (`family_id`),
    whose access tokens carry this row's id (the `sid` claim). Ended by logout, reuse of a
    rotated token, revokeSession or a password change; then every token of it stops working."""

    __tablename__ = "sessions"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[str] = mapped_column(String(36), unique=True)
    user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_MAX_LENGTH))
    created_at: Mapped[created_at]
    last_used_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(index=True)


class UserBlock(Base):
    """`blocker_id` blocked `blocked_id` (see resolvers/permissions/blocks.py)."""

    __tablename__ = "user_blocks"

    blocker_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    blocked_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[created_at]
