"""Users by id, one SELECT per batch."""

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from loaders.rows import RowLoader


class UserLoader(RowLoader[User]):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session, User)
