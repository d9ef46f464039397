"""Messages and what hangs off them: reactions, attachments, mentions, earlier versions."""

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, created_at, intpk


class MessageKind(enum.StrEnum):
    TEXT = "TEXT"
    SYSTEM = "SYSTEM"


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_chat_id_id", "chat_id", "id"),
        # Chat.pinnedMessages: a chat's pins, most recent first; only pinned rows are indexed.
        Index(
            "ix_messages_chat_id_pinned_at",
            "chat_id",
            "pinned_at",
            postgresql_where=text("pinned_at IS NOT NULL"),
            sqlite_where=text("pinned_at IS NOT NULL"),
        ),
        UniqueConstraint("author_id", "client_message_id"),
    )

    id: Mapped[intpk]  # monotonic: the keyset pagination key
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[MessageKind] = mapped_column(
        Enum(MessageKind, native_enum=False, length=16), default=MessageKind.TEXT
    )
    content: Mapped[str | None] = mapped_column(Text)
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    client_message_id: Mapped[str | None] = mapped_column(String(64))
    mentions_everyone: Mapped[bool] = mapped_column(Boolean, default=False)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    pinned_at: Mapped[datetime | None]
    pinned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]


class MessageRevision(Base):
    """An earlier version of a message's text, kept when an edit replaced it."""

    __tablename__ = "message_revisions"
    __table_args__ = (Index("ix_message_revisions_message_id_id", "message_id", "id"),)

    id: Mapped[intpk]
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    content: Mapped[str] = mapped_column(Text)
    replaced_at: Mapped[datetime]


class Reaction(Base):
    __tablename__ = "reactions"

    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    emoji: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[created_at]


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[intpk]
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    storage_key: Mapped[str] = mapped_column(String(255), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int]
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[created_at]


class Mention(Base):
    __tablename__ = "mentions"

    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
