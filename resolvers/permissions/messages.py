"""Authorship: who may change or remove a message.

The author edits (with SEND_MESSAGES, as for sending: an edit shows new words to the chat
and may notify whoever it newly mentions); the author or, in a channel, a holder of
MANAGE_MESSAGES deletes.
"""

from db.models import Message
from infra.errors import Forbidden
from resolvers.permissions.chats import ChatAccess
from resolvers.permissions.flags import Permission


def require_editable(message: Message, access: ChatAccess) -> None:
    """FORBIDDEN unless the caller (of `access`) may edit `message`."""
    if message.author_id != access.user_id:
        raise Forbidden("Only the author can edit a message")
    access.require(Permission.SEND_MESSAGES)


def require_deletable(message: Message, access: ChatAccess) -> None:
    """FORBIDDEN unless the caller is the author or may manage others' messages here."""
    may_moderate = access.standing is not None and access.may(Permission.MANAGE_MESSAGES)
    if message.author_id != access.user_id and not may_moderate:
        raise Forbidden("Only the author or a moderator can delete a message")
