"""Chat participants, and the viewer's access to chats, one SELECT per batch."""

from collections.abc import Sequence

from aiodataloader import DataLoader
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ChatParticipant, User
from resolvers.permissions import ChatAccess, chat_accesses


class ParticipantsLoader(DataLoader[int, list[User]]):
    """The users taking part in a DIRECT or GROUP chat, by chat id, in joining order."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__()
        self.session = session

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[User]]:
        rows = await self.session.execute(
            select(ChatParticipant.chat_id, User)
            .join(User, User.id == ChatParticipant.user_id)
            .where(ChatParticipant.chat_id.in_(keys))
            .order_by(ChatParticipant.joined_at, User.id)
        )
        by_chat: dict[int, list[User]] = {key: [] for key in keys}
        for chat_id, user in rows:
            by_chat[chat_id].append(user)
        return [by_chat[key] for key in keys]


class ChatAccessLoader(DataLoader[int, ChatAccess | None]):
    """The viewer's access to each chat (None where they may not read it), in one statement
    whatever their number: what the viewer may do there, for readability and the viewerCan
    fields alike."""

    def __init__(self, session: AsyncSession, viewer_id: int | None) -> None:
        super().__init__()
        self.session, self.viewer_id = session, viewer_id

    async def batch_load_fn(self, keys: Sequence[int]) -> list[ChatAccess | None]:
        if self.viewer_id is None:
            return [None for _ in keys]
        found = await chat_accesses(self.session, keys, self.viewer_id)
        return [found.get(key) for key in keys]
