"""Chats (direct, group and channel), their participants and read markers."""

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, created_at, intpk, utcnow


class ChatKind(enum.StrEnum):
    DIRECT = "DIRECT"
    GROUP = "GROUP"
    CHANNEL = "CHANNEL"


class Chat(Base):
    __tablename__ = "chats"
    __table_args__ = (Index("ix_chats_last_activity_at_id", "last_activity_at", "id"),)

    id: Mapped[intpk]
    kind: Mapped[ChatKind] = mapped_column(Enum(ChatKind, native_enum=False, length=16))
    space_id: Mapped[int | None] = mapped_column(
        ForeignKey("spaces.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str | None] = mapped_column(String(100))
    topic: Mapped[str | None] = mapped_column(Text)
    creator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # "<low user id>:<high user id>" for DIRECT chats, so each pair has exactly one.
    direct_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[created_at]


class ChannelOverwrite(Base):
    """Permissions one role is allowed or denied in one channel, over its space-level set."""

    __tablename__ = "channel_overwrites"

    chat_id: Mapped[int] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    role_id: Mapped[int] = mapped_column(
        ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    allow: Mapped[int] = mapped_column(default=0)  # bit set of Permission
    deny: Mapped[int] = mapped_column(default=0)


class ChatParticipant(Base):
    """A member of a DIRECT or GROUP chat (channels take their readers from the space)."""

    __tablename__ = "chat_participants"

    chat_id: Mapped[int] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    joined_at: Mapped[created_at]


class ReadMarker(Base):
    __tablename__ = "read_markers"

    chat_id: Mapped[int] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    last_read_message_id: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
