"""Events a transaction announces, to be published only once it has committed.

Resolvers call `announce` next to the writes the event describes; when the operation ends,
the schema layer publishes what `take_committed` returns. A rollback drops whatever was
announced since the last commit, so a failed write is never heard of.

Typing and presence write nothing: having no transaction to wait for, they go to the
publisher (infra.publisher) at once, from the domain (resolvers.typing, resolvers.presence).
"""

from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from infra.events import Event

_PENDING = "outbox.pending"
_COMMITTED = "outbox.committed"


@dataclass(frozen=True)
class Announcement:
    topic: str  # "chat:<id>", "user:<id>", "space:<id>" or "presence:<space id>" or "accounts"
    event: Event


def chat_topic(chat_id: int) -> str:
    """A chat's own events: messages, reactions, typing, who joined or left."""
    return f"chat:{chat_id}"


def user_topic(user_id: int) -> str:
    """Everything addressed to one user: DM and group traffic, notifications, membership."""
    return f"user:{user_id}"


def space_topic(space_id: int) -> str:
    """Membership and permission changes in a space (its channels' readers may change)."""
    return f"space:{space_id}"


def presence_topic(space_id: int) -> str:
    """Presence changes of a space's members."""
    return f"presence:{space_id}"


def account_topic() -> str:
    """What every process acts on for the accounts whose sockets it serves (deletion)."""
    return "accounts"


def announce(session: AsyncSession, topic: str, event: Event) -> None:
    session.info.setdefault(_PENDING, []).append(Announcement(topic, event))


def take_committed(session: AsyncSession) -> list[Announcement]:
    """What committed transactions announced and nobody has published yet."""
    committed: list[Announcement] = session.info.pop(_COMMITTED, [])
    return committed


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    pending = session.info.pop(_PENDING, [])
    if pending:
        session.info.setdefault(_COMMITTED, []).extend(pending)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    session.info.pop(_PENDING, None)
