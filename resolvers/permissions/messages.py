"""What a reader may do with a chat's messages: send, edit, delete, pin, react.

Each rule is one function answering why not (an error) or None; the `may_*` predicates
(what the `viewerCan*` fields show) and the `require_*` forms (what the mutations call)
are both built on it, so a field never promises what its mutation then refuses.

The author edits (with SEND_MESSAGES, as for sending: an edit shows new words to the chat
and may notify whoever it newly mentions); the author or, in a channel, a holder of
MANAGE_MESSAGES deletes (again and again: deleting a deleted message changes nothing);
PIN_MESSAGES pins and ADD_REACTIONS reacts (every participant of a DIRECT or GROUP chat
has both). A deleted message takes no edit, pin or reaction.
"""

from db.models import Message
from infra.errors import BadUserInput, DomainError, Forbidden
from resolvers.permissions.chats import ChatAccess
from resolvers.permissions.flags import Permission


def _missing(access: ChatAccess, permission: Permission) -> Forbidden | None:
    if access.may(permission):
        return None
    return Forbidden(f"Missing permission {permission.name}", permission=permission.name)


def _deleted(message: Message, refusal: str, field: str) -> BadUserInput | None:
    return BadUserInput(refusal, field=field) if message.deleted_at is not None else None


def _send_refusal(access: ChatAccess) -> DomainError | None:
    return _missing(access, Permission.SEND_MESSAGES)


def _edit_refusal(message: Message, access: ChatAccess) -> DomainError | None:
    if message.author_id != access.user_id:
        return Forbidden("Only the author can edit a message")
    return _missing(access, Permission.SEND_MESSAGES) or _deleted(
        message, "A deleted message cannot be edited", "id"
    )


def _delete_refusal(message: Message, access: ChatAccess) -> DomainError | None:
    may_moderate = access.standing is not None and access.may(Permission.MANAGE_MESSAGES)
    if message.author_id != access.user_id and not may_moderate:
        return Forbidden("Only the author or a moderator can delete a message")
    return None


def _pin_refusal(message: Message, access: ChatAccess) -> DomainError | None:
    return _missing(access, Permission.PIN_MESSAGES) or _deleted(
        message, "A deleted message cannot be pinned", "id"
    )


def _react_refusal(message: Message, access: ChatAccess) -> DomainError | None:
    return _missing(access, Permission.ADD_REACTIONS) or _deleted(
        message, "A deleted message takes no reactions", "messageId"
    )


def may_send(access: ChatAccess) -> bool:
    return _send_refusal(access) is None


def may_edit(message: Message, access: ChatAccess) -> bool:
    return _edit_refusal(message, access) is None


def may_delete(message: Message, access: ChatAccess) -> bool:
    return _delete_refusal(message, access) is None


def may_pin(message: Message, access: ChatAccess) -> bool:
    return _pin_refusal(message, access) is None


def may_react(message: Message, access: ChatAccess) -> bool:
    return _react_refusal(message, access) is None


def _raise(refusal: DomainError | None) -> None:
    if refusal is not None:
        raise refusal


def require_sendable(access: ChatAccess) -> None:
    """FORBIDDEN unless the caller (of `access`) may post to its chat."""
    _raise(_send_refusal(access))


def require_editable(message: Message, access: ChatAccess) -> None:
    """FORBIDDEN unless the caller may edit `message`; BAD_USER_INPUT (the author's own
    mistake) once it is deleted."""
    _raise(_edit_refusal(message, access))


def require_deletable(message: Message, access: ChatAccess) -> None:
    """FORBIDDEN unless the caller is the author or may manage others' messages here."""
    _raise(_delete_refusal(message, access))


def require_pinnable(message: Message, access: ChatAccess) -> None:
    """FORBIDDEN without PIN_MESSAGES here; BAD_USER_INPUT once the message is deleted."""
    _raise(_pin_refusal(message, access))


def require_reactable(message: Message, access: ChatAccess) -> None:
    """FORBIDDEN without ADD_REACTIONS here; BAD_USER_INPUT once the message is deleted."""
    _raise(_react_refusal(message, access))
