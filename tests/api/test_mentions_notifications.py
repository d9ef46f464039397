"""@mentions parsed from message content, and the MENTION and REPLY notifications they cause."""

from dataclasses import dataclass
from typing import Any

import pytest

from graphql_schema.ids import to_global_id
from tests.factories import assign_role, create_role, create_space, join
from tests.graphql_client import Account, GraphQLClient

MESSAGE_FIELDS = "id content mentionsEveryone mentions { tag }"
SEND = f"""mutation($input: SendMessageInput!) {{
    sendMessage(input: $input) {{ {MESSAGE_FIELDS} }}
}}"""
EDIT = f"""mutation($id: ID!, $content: String!) {{
    editMessage(id: $id, content: $content) {{ {MESSAGE_FIELDS} }}
}}"""
NOTIFICATION_FIELDS = "id kind readAt actor { tag } message { id content } space { id }"
NOTIFICATIONS = f"""query($unread: Boolean, $first: Int, $after: String) {{
    notifications(unreadOnly: $unread, first: $first, after: $after) {{
        edges {{ cursor node {{ {NOTIFICATION_FIELDS} }} }}
        pageInfo {{ hasNextPage hasPreviousPage endCursor }}
    }}
}}"""
UNREAD = "{ unreadNotificationCount }"
MARK = f"mutation($id: ID!) {{ markNotificationRead(id: $id) {{ {NOTIFICATION_FIELDS} }} }}"
MARK_ALL = "mutation { markAllNotificationsRead }"
GROUP = "mutation($input: CreateGroupChatInput!) { createGroupChat(input: $input) { id } }"
DIRECT = "mutation($user: ID!) { openDirectChat(userId: $user) { id } }"
GENERAL = "query($id: ID!) { space(id: $id) { channels { id } } }"
LEAVE = "mutation($chat: ID!) { leaveChat(chatId: $chat) }"
KICK = "mutation($s: ID!, $u: ID!) { kickMember(spaceId: $s, userId: $u) }"


@dataclass
class Room:
    """A group chat of alice, bob and carol; mallory exists but is not in it."""

    chat: str
    alice: Account
    bob: Account
    carol: Account
    mallory: Account


@pytest.fixture
async def room(client: GraphQLClient) -> Room:
    alice, bob, carol, mallory = [
        await client.register(tag) for tag in ("alice", "bob", "carol", "mallory")
    ]
    variables = {"input": {"userIds": [bob.id, carol.id]}}
    data = await client.data(GROUP, variables, token=alice.access_token)
    return Room(data["createGroupChat"]["id"], alice, bob, carol, mallory)


async def send(
    client: GraphQLClient, who: Account, chat: str, content: str, reply_to: str | None = None
) -> dict[str, Any]:
    variables = {"input": {"chatId": chat, "content": content, "replyToId": reply_to}}
    message: dict[str, Any] = (await client.data(SEND, variables, token=who.access_token))[
        "sendMessage"
    ]
    return message


async def page(client: GraphQLClient, who: Account, **variables: Any) -> dict[str, Any]:
    data = await client.data(NOTIFICATIONS, variables, token=who.access_token)
    connection: dict[str, Any] = data["notifications"]
    return connection


async def notifications(client: GraphQLClient, who: Account, **kw: Any) -> list[dict[str, Any]]:
    return [edge["node"] for edge in (await page(client, who, first=100, **kw))["edges"]]


async def received(client: GraphQLClient, who: Account) -> list[tuple[str, str, str | None]]:
    """(kind, actor tag, message id) of each notification, newest first."""
    return [
        (n["kind"], n["actor"]["tag"], n["message"] and n["message"]["id"])
        for n in await notifications(client, who)
    ]


async def unread_count(client: GraphQLClient, who: Account) -> int:
    count: int = (await client.data(UNREAD, token=who.access_token))["unreadNotificationCount"]
    return count


def tags(message: dict[str, Any]) -> list[str]:
    return sorted(user["tag"] for user in message["mentions"])


async def space_with_member(client: GraphQLClient, owner: Account, member: Account) -> tuple:
    """A public space of `owner` that `member` joined, and its #general channel."""
    space = await create_space(client, owner, public=True)
    await join(client, member, space)
    data = await client.data(GENERAL, {"id": space}, token=owner.access_token)
    return space, data["space"]["channels"][0]["id"]


# --- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("@bob hi", ["bob"]),
        ("hi @BoB", ["bob"]),
        ("thanks @bob.", ["bob"]),
        ("(@bob), @carol!", ["bob", "carol"]),
        ("@bob @bob @BOB", ["bob"]),
        ("write to a@bob.com", []),
        ("mail carol@bob, or x@carol.", []),
        ("@nobody_at_all", []),
        ("no mention here", []),
    ],
)
async def test_mentions_are_parsed_from_the_content(
    client: GraphQLClient, room: Room, content: str, expected: list[str]
) -> None:
    message = await send(client, room.alice, room.chat, content)
    assert tags(message) == expected
    assert message["mentionsEveryone"] is False
    for account in (room.bob, room.carol):
        kinds = [kind for kind, _, _ in await received(client, account)]
        assert kinds == (["MENTION"] if account.tag in expected else [])


async def test_someone_who_cannot_read_the_chat_is_neither_mentioned_nor_notified(
    client: GraphQLClient, room: Room
) -> None:
    message = await send(client, room.alice, room.chat, "@mallory and @bob")
    assert tags(message) == ["bob"]
    assert await notifications(client, room.mallory) == []
    assert await unread_count(client, room.mallory) == 0


async def test_non_member_is_not_mentioned_in_a_channel(client: GraphQLClient, room: Room) -> None:
    _, general = await space_with_member(client, room.alice, room.bob)
    message = await send(client, room.alice, general, "@bob @carol")
    assert tags(message) == ["bob"]
    assert await notifications(client, room.carol) == []


# --- @everyone --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["direct", "group"])
async def test_everyone_counts_in_direct_and_group_chats(
    client: GraphQLClient, room: Room, kind: str
) -> None:
    chat = room.chat
    if kind == "direct":
        data = await client.data(DIRECT, {"user": room.alice.id}, token=room.bob.access_token)
        chat = data["openDirectChat"]["id"]
    message = await send(client, room.bob, chat, "hey @everyone")
    assert message["mentionsEveryone"] is True
    assert message["mentions"] == []
    plain = await send(client, room.bob, chat, "hey everyone, mail me at x@everyone.org")
    assert plain["mentionsEveryone"] is False


async def test_everyone_in_a_channel_needs_mention_everyone(
    client: GraphQLClient, room: Room
) -> None:
    space, general = await space_with_member(client, room.alice, room.bob)
    assert (await send(client, room.bob, general, "@everyone look"))["mentionsEveryone"] is False
    assert (await send(client, room.alice, general, "@everyone look"))["mentionsEveryone"] is True
    role = await create_role(client, room.alice, space, permissions=["MENTION_EVERYONE"])
    await assign_role(client, room.alice, space, room.bob, role["id"])
    assert (await send(client, room.bob, general, "@everyone now"))["mentionsEveryone"] is True


# --- MENTION and REPLY notifications --------------------------------------------------------


async def test_each_mentioned_user_is_notified_but_not_the_author(
    client: GraphQLClient, room: Room
) -> None:
    message = await send(client, room.alice, room.chat, "@alice @bob @carol meeting")
    for account in (room.bob, room.carol):
        assert await received(client, account) == [("MENTION", "alice", message["id"])]
        assert await unread_count(client, account) == 1
    assert await notifications(client, room.alice) == []


async def test_reply_notifies_the_replied_author_once(client: GraphQLClient, room: Room) -> None:
    question = await send(client, room.bob, room.chat, "anyone?")
    answer = await send(client, room.alice, room.chat, "@bob yes, @carol too", question["id"])
    assert tags(answer) == ["bob", "carol"]
    assert await received(client, room.bob) == [("REPLY", "alice", answer["id"])]
    assert await received(client, room.carol) == [("MENTION", "alice", answer["id"])]


async def test_reply_to_someone_who_left_notifies_nobody(client: GraphQLClient, room: Room) -> None:
    question = await send(client, room.carol, room.chat, "bye all")
    await client.data(LEAVE, {"chat": room.chat}, token=room.carol.access_token)
    await send(client, room.alice, room.chat, "bye @carol", question["id"])
    assert await notifications(client, room.carol) == []


async def test_replying_to_yourself_notifies_nobody(client: GraphQLClient, room: Room) -> None:
    first = await send(client, room.alice, room.chat, "thinking")
    await send(client, room.alice, room.chat, "@alice done thinking", first["id"])
    assert await notifications(client, room.alice) == []
    assert await notifications(client, room.bob) == []


async def test_editing_notifies_only_the_newly_mentioned(client: GraphQLClient, room: Room) -> None:
    message = await send(client, room.alice, room.chat, "hi @bob")
    variables = {"id": message["id"], "content": "hi @bob and @carol"}
    edited = (await client.data(EDIT, variables, token=room.alice.access_token))["editMessage"]
    assert tags(edited) == ["bob", "carol"]
    assert await received(client, room.bob) == [("MENTION", "alice", message["id"])]
    assert await received(client, room.carol) == [("MENTION", "alice", message["id"])]
    variables = {"id": message["id"], "content": "just @carol, and @mallory"}
    edited = (await client.data(EDIT, variables, token=room.alice.access_token))["editMessage"]
    assert tags(edited) == ["carol"]
    assert len(await notifications(client, room.carol)) == 1
    assert await notifications(client, room.mallory) == []


# --- listing and marking read ---------------------------------------------------------------


async def test_notifications_are_newest_first_and_page_without_gaps(
    client: GraphQLClient, room: Room
) -> None:
    sent = [(await send(client, room.alice, room.chat, f"@bob #{n}"))["id"] for n in range(5)]
    newest_first = list(reversed(sent))
    seen: list[str] = []
    after = None
    pages = []
    while True:
        connection = await page(client, room.bob, first=2, after=after)
        pages.append(connection["pageInfo"])
        seen += [edge["node"]["message"]["id"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert seen == newest_first
    assert [p["hasNextPage"] for p in pages] == [True, True, False]
    assert [p["hasPreviousPage"] for p in pages] == [False, True, True]


async def test_bad_paging_is_refused(client: GraphQLClient, room: Room) -> None:
    for variables, field in [({"first": 0}, "first"), ({"first": 101}, "first")]:
        error = await client.error(NOTIFICATIONS, variables, token=room.bob.access_token)
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    error = await client.error(NOTIFICATIONS, {"after": "garbage!"}, token=room.bob.access_token)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_marking_read_updates_the_unread_list_and_count(
    client: GraphQLClient, room: Room
) -> None:
    for n in range(3):
        await send(client, room.alice, room.chat, f"@bob {n}")
    oldest = (await notifications(client, room.bob))[-1]
    assert oldest["readAt"] is None and await unread_count(client, room.bob) == 3

    marked = (await client.data(MARK, {"id": oldest["id"]}, token=room.bob.access_token))[
        "markNotificationRead"
    ]
    assert marked["id"] == oldest["id"] and marked["readAt"] is not None
    again = (await client.data(MARK, {"id": oldest["id"]}, token=room.bob.access_token))[
        "markNotificationRead"
    ]
    assert again["readAt"] == marked["readAt"]
    assert await unread_count(client, room.bob) == 2
    unread = await notifications(client, room.bob, unread=True)
    assert len(unread) == 2 and oldest["id"] not in [n["id"] for n in unread]

    assert (await client.data(MARK_ALL, token=room.bob.access_token))[
        "markAllNotificationsRead"
    ] == 2
    assert (await client.data(MARK_ALL, token=room.bob.access_token))[
        "markAllNotificationsRead"
    ] == 0
    assert await unread_count(client, room.bob) == 0
    assert await notifications(client, room.bob, unread=True) == []
    everything = await notifications(client, room.bob)
    assert len(everything) == 3 and all(n["readAt"] for n in everything)


async def test_mark_all_read_leaves_other_users_unread(client: GraphQLClient, room: Room) -> None:
    await send(client, room.alice, room.chat, "@bob @carol")
    assert (await client.data(MARK_ALL, token=room.bob.access_token))[
        "markAllNotificationsRead"
    ] == 1
    assert await unread_count(client, room.carol) == 1


async def test_notifications_are_private(client: GraphQLClient, room: Room) -> None:
    await send(client, room.alice, room.chat, "@bob")
    [mine] = await notifications(client, room.bob)
    for other in (room.alice, room.carol, room.mallory):
        assert await notifications(client, other) == []
        assert await unread_count(client, other) == 0
        error = await client.error(MARK, {"id": mine["id"]}, token=other.access_token)
        assert error["extensions"]["code"] == "NOT_FOUND"
    assert await unread_count(client, room.bob) == 1
    missing = to_global_id("Notification", 999_999)
    error = await client.error(MARK, {"id": missing}, token=room.bob.access_token)
    assert error["extensions"]["code"] == "NOT_FOUND"


async def test_notifications_require_sign_in(client: GraphQLClient) -> None:
    for query in (NOTIFICATIONS, UNREAD, MARK_ALL):
        error = await client.error(query)
        assert error["extensions"]["code"] == "UNAUTHENTICATED"


# --- the message behind a notification -------------------------------------------------------


async def test_message_is_hidden_once_the_user_leaves_the_group(
    client: GraphQLClient, room: Room
) -> None:
    message = await send(client, room.alice, room.chat, "@bob secret plans")
    [before] = await notifications(client, room.bob)
    assert before["message"] == {"id": message["id"], "content": "@bob secret plans"}
    assert before["space"] is None
    await client.data(LEAVE, {"chat": room.chat}, token=room.bob.access_token)
    [after] = await notifications(client, room.bob)
    assert after["id"] == before["id"] and after["message"] is None
    assert after["kind"] == "MENTION" and after["actor"] == {"tag": "alice"}


async def test_message_is_hidden_once_the_user_is_kicked(client: GraphQLClient, room: Room) -> None:
    space, general = await space_with_member(client, room.alice, room.bob)
    message = await send(client, room.alice, general, "@bob welcome")
    [before] = await notifications(client, room.bob)
    assert before["message"]["id"] == message["id"] and before["space"] == {"id": space}
    await client.data(KICK, {"s": space, "u": room.bob.id}, token=room.alice.access_token)
    by_kind = {n["kind"]: n for n in await notifications(client, room.bob)}
    assert set(by_kind) == {"MENTION", "KICKED"}
    assert by_kind["MENTION"]["message"] is None
    await join(client, room.bob, space)
    [mention] = [n for n in await notifications(client, room.bob) if n["kind"] == "MENTION"]
    assert mention["message"]["id"] == message["id"]
