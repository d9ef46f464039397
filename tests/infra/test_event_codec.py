"""Events keep their wire form (JSON, camelCase) and come back as the same typed values."""

import json

import pytest

from infra.events import (
    AccessChanged,
    Event,
    MembershipChange,
    MembershipChanged,
    MessageCreated,
    MessageDeleted,
    MessageUpdated,
    NotificationCreated,
    PresenceChanged,
    ReactionChanged,
    TypingStarted,
    UnknownEvent,
    decode,
    encode,
)

EVERY_KIND: list[Event] = [
    MessageCreated(chat_id=1, message_id=2),
    MessageUpdated(chat_id=1, message_id=2),
    MessageDeleted(chat_id=1, message_id=2),
    ReactionChanged(chat_id=1, message_id=2, emoji="\N{THUMBS UP SIGN}", user_id=3, added=False),
    TypingStarted(chat_id=1, user_id=3),
    MembershipChanged(user_id=3, change=MembershipChange.KICKED, space_id=4),
    MembershipChanged(user_id=3, change=MembershipChange.JOINED, chat_id=1),
    AccessChanged(space_id=4),
    AccessChanged(chat_id=1),
    NotificationCreated(notification_id=5),
    PresenceChanged(user_id=3, status="AWAY"),
]


@pytest.mark.parametrize("event", EVERY_KIND, ids=repr)
def test_every_kind_comes_back_as_it_went(event: Event) -> None:
    assert decode(encode(event)) == event


def test_the_wire_form_is_the_kind_and_camel_case_ids_without_empty_fields() -> None:
    event = MembershipChanged(user_id=3, change=MembershipChange.ROLES_CHANGED, space_id=4)
    assert json.loads(encode(event)) == {
        "kind": "MembershipChanged",
        "userId": 3,
        "change": "ROLES_CHANGED",
        "spaceId": 4,
    }
    assert decode(encode(event)).change is MembershipChange.ROLES_CHANGED  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "message",
    [
        "not json",
        "[1, 2]",
        '{"chatId": 1}',  # no kind
        '{"kind": "Nonsense"}',
        '{"kind": "MessageCreated", "chatId": 1}',  # a field missing
        '{"kind": "MembershipChanged", "userId": 1, "change": "PROMOTED"}',
    ],
)
def test_anything_else_is_an_unknown_event(message: str) -> None:
    with pytest.raises(UnknownEvent):
        decode(message)
