"""Per-request DataLoaders: created with the context, never shared between requests."""

from sqlalchemy.ext.asyncio import AsyncSession

from loaders.chats import ParticipantsLoader
from loaders.spaces import MemberCountLoader, MemberRolesLoader
from loaders.users import UserLoader


class Loaders:
    def __init__(self, session: AsyncSession) -> None:
        self.users = UserLoader(session)
        self.member_counts = MemberCountLoader(session)
        self.member_roles = MemberRolesLoader(session)
        self.participants = ParticipantsLoader(session)
