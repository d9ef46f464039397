"""Sending, editing and deleting messages: who may, what is stored, and idempotency."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from app.main import create_app
from graphql_schema.ids import to_global_id
from tests.backends import Backend
from tests.conftest import make_settings
from tests.factories import assign_role, create_role, create_space, join_by_invite
from tests.graphql_client import Account, GraphQLClient

FIELDS = """id kind content createdAt editedAt deletedAt
    author { id tag } chat { id kind } replyTo { id author { tag } }"""
SEND = f"mutation($input: SendMessageInput!) {{ sendMessage(input: $input) {{ {FIELDS} }} }}"
EDIT = f"""mutation($id: ID!, $content: String!) {{
    editMessage(id: $id, content: $content) {{ {FIELDS} }}
}}"""
DELETE = f"mutation($id: ID!) {{ deleteMessage(id: $id) {{ {FIELDS} }} }}"
HISTORY = """query($chat: ID!) { messages(chatId: $chat, last: 100) {
    edges { node { id content deletedAt author { tag } } } } }"""
OPEN_DIRECT = "mutation($user: ID!) { openDirectChat(userId: $user) { id } }"
CREATE_GROUP = "mutation($input: CreateGroupChatInput!) { createGroupChat(input: $input) { id } }"
CHANNELS = "query($id: ID!) { space(id: $id) { channels { id } roles { id name isDefault } } }"
UPDATE_ROLE = (
    "mutation($role: ID!, $input: RoleInput!) { updateRole(roleId: $role, input: $input) { id } }"
)
MY_CHATS = "query { myChats(first: 100) { edges { node { id } } } }"
UNKNOWN_MESSAGE = to_global_id("Message", 999_999)


@dataclass
class Room:
    """A chat alice and bob both take part in (alice owns the space of a channel);
    mallory is an outsider."""

    kind: str
    chat: str
    alice: Account
    bob: Account
    mallory: Account


async def direct_chat(client: GraphQLClient, who: Account, other: Account) -> str:
    data = await client.data(OPEN_DIRECT, {"user": other.id}, token=who.access_token)
    chat_id: str = data["openDirectChat"]["id"]
    return chat_id


async def group_chat(client: GraphQLClient, creator: Account, others: list[Account]) -> str:
    variables = {"input": {"title": "crew", "userIds": [o.id for o in others]}}
    data = await client.data(CREATE_GROUP, variables, token=creator.access_token)
    chat_id: str = data["createGroupChat"]["id"]
    return chat_id


async def channel_with(client: GraphQLClient, owner: Account, member: Account) -> tuple[str, str]:
    """A private space of `owner` that `member` joined, and its #general channel."""
    space = await create_space(client, owner)
    await join_by_invite(client, owner, member, space)
    data = await client.data(CHANNELS, {"id": space}, token=owner.access_token)
    return space, data["space"]["channels"][0]["id"]


@pytest.fixture(params=["DIRECT", "GROUP", "CHANNEL"])
async def room(request: pytest.FixtureRequest, client: GraphQLClient) -> Room:
    alice, bob, mallory = [await client.register(t) for t in ("alice", "bob", "mallory")]
    if request.param == "DIRECT":
        return Room("DIRECT", await direct_chat(client, alice, bob), alice, bob, mallory)
    if request.param == "GROUP":
        return Room("GROUP", await group_chat(client, alice, [bob]), alice, bob, mallory)
    _, general = await channel_with(client, alice, bob)
    return Room("CHANNEL", general, alice, bob, mallory)


async def send(
    client: GraphQLClient, who: Account, chat: str, content: str | None, **extra: Any
) -> dict[str, Any]:
    data = await client.data(
        SEND, {"input": {"chatId": chat, "content": content, **extra}}, token=who.access_token
    )
    message: dict[str, Any] = data["sendMessage"]
    return message


async def refusal(
    client: GraphQLClient, query: str, variables: dict[str, Any], who: Account | None
) -> dict[str, Any]:
    """The `extensions` of the single error `who` gets."""
    error = await client.error(query, variables, token=who.access_token if who else None)
    extensions: dict[str, Any] = error["extensions"]
    return extensions


async def send_refusal(
    client: GraphQLClient, who: Account | None, chat: str, content: str | None, **extra: Any
) -> dict[str, Any]:
    return await refusal(
        client, SEND, {"input": {"chatId": chat, "content": content, **extra}}, who
    )


async def history(client: GraphQLClient, who: Account, chat: str) -> list[dict[str, Any]]:
    data = await client.data(HISTORY, {"chat": chat}, token=who.access_token)
    return [edge["node"] for edge in data["messages"]["edges"]]


async def set_default_permissions(
    client: GraphQLClient, owner: Account, space: str, permissions: list[str]
) -> None:
    roles = (await client.data(CHANNELS, {"id": space}, token=owner.access_token))["space"]["roles"]
    default = next(role for role in roles if role["isDefault"])
    variables = {
        "role": default["id"],
        "input": {"name": default["name"], "permissions": permissions},
    }
    await client.data(UPDATE_ROLE, variables, token=owner.access_token)


# --- sending ---------------------------------------------------------------------------


async def test_participants_send_trimmed_text_messages(client: GraphQLClient, room: Room) -> None:
    first = await send(client, room.alice, room.chat, "  hello there \n")
    assert first["content"] == "hello there" and first["kind"] == "TEXT"
    assert first["author"] == {"id": room.alice.id, "tag": "alice"}
    assert first["chat"] == {"id": room.chat, "kind": room.kind}
    age = datetime.now(UTC) - datetime.fromisoformat(first["createdAt"])
    assert timedelta(0) <= age < timedelta(minutes=1)
    assert first["editedAt"] is None and first["deletedAt"] is None and first["replyTo"] is None
    second = await send(client, room.bob, room.chat, "hi")
    assert second["author"]["tag"] == "bob" and second["id"] != first["id"]
    seen = await history(client, room.bob, room.chat)
    assert [(m["id"], m["content"]) for m in seen] == [
        (first["id"], "hello there"),
        (second["id"], "hi"),
    ]


async def test_content_has_at_most_4000_characters_and_cannot_be_blank(
    client: GraphQLClient, room: Room
) -> None:
    longest = await send(client, room.alice, room.chat, "  " + "x" * 4000 + "  ")
    assert longest["content"] == "x" * 4000
    for content in ("y" * 4001, "   \n\t", "", None):
        refused = await send_refusal(client, room.alice, room.chat, content)
        assert (refused["code"], refused["field"]) == ("BAD_USER_INPUT", "content")
    assert [m["id"] for m in await history(client, room.alice, room.chat)] == [longest["id"]]


async def test_outsiders_and_anonymous_callers_cannot_send(
    client: GraphQLClient, room: Room
) -> None:
    assert (await send_refusal(client, room.mallory, room.chat, "hi"))["code"] == "NOT_FOUND"
    assert (await send_refusal(client, None, room.chat, "hi"))["code"] == "UNAUTHENTICATED"
    assert await history(client, room.alice, room.chat) == []


@pytest.mark.parametrize(
    ("permissions", "code"),
    [(["VIEW_CHANNELS"], "FORBIDDEN"), (["SEND_MESSAGES", "ADD_REACTIONS"], "NOT_FOUND")],
)
async def test_channel_members_need_view_and_send_permissions(
    client: GraphQLClient, permissions: list[str], code: str
) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    space, general = await channel_with(client, alice, bob)
    await set_default_permissions(client, alice, space, permissions)
    refused = await send_refusal(client, bob, general, "let me in")
    assert refused["code"] == code
    owner_message = await send(client, alice, general, "owner still talks")
    assert [m["id"] for m in await history(client, alice, general)] == [owner_message["id"]]


async def test_reply_to_a_message_of_the_same_chat(client: GraphQLClient, room: Room) -> None:
    question = await send(client, room.alice, room.chat, "tea?")
    answer = await send(client, room.bob, room.chat, "yes", replyToId=question["id"])
    assert answer["replyTo"] == {"id": question["id"], "author": {"tag": "alice"}}


async def test_reply_to_another_chat_or_an_unknown_message_is_refused(
    client: GraphQLClient,
) -> None:
    alice, bob, carol = [await client.register(t) for t in ("alice", "bob", "carol")]
    dm, group = await direct_chat(client, alice, bob), await group_chat(client, alice, [bob, carol])
    elsewhere = await send(client, alice, group, "in the group")
    for target in (elsewhere["id"], UNKNOWN_MESSAGE):
        refused = await send_refusal(client, alice, dm, "re", replyToId=target)
        assert (refused["code"], refused["field"]) == ("BAD_USER_INPUT", "replyToId")
    assert await history(client, bob, dm) == []


# --- clientMessageId --------------------------------------------------------------------


async def test_resending_a_client_message_id_returns_the_first_message(
    client: GraphQLClient, room: Room
) -> None:
    first = await send(client, room.alice, room.chat, "once", clientMessageId="k-1")
    again = await send(client, room.alice, room.chat, "twice?", clientMessageId="k-1")
    assert again["id"] == first["id"] and again["content"] == "once"
    assert [m["content"] for m in await history(client, room.alice, room.chat)] == ["once"]


async def test_the_same_client_message_id_from_two_users_makes_two_messages(
    client: GraphQLClient, room: Room
) -> None:
    mine = await send(client, room.alice, room.chat, "mine", clientMessageId="shared")
    theirs = await send(client, room.bob, room.chat, "theirs", clientMessageId="shared")
    assert mine["id"] != theirs["id"]
    seen = await history(client, room.alice, room.chat)
    assert [(m["author"]["tag"], m["content"]) for m in seen] == [
        ("alice", "mine"),
        ("bob", "theirs"),
    ]


async def test_concurrent_sends_with_one_client_message_id_store_one_message(
    client: GraphQLClient,
) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    dm = await direct_chat(client, alice, bob)
    attempts = [
        {"input": {"chatId": dm, "content": f"try {n}", "clientMessageId": "race"}}
        for n in range(5)
    ]
    bodies = await asyncio.gather(
        *(client.execute(SEND, variables, token=alice.access_token) for variables in attempts)
    )
    assert [body.get("errors") for body in bodies] == [None] * len(attempts)
    assert len({body["data"]["sendMessage"]["id"] for body in bodies}) == 1
    assert len(await history(client, bob, dm)) == 1


async def test_a_client_message_id_used_in_another_chat_conflicts(client: GraphQLClient) -> None:
    alice, bob, carol = [await client.register(t) for t in ("alice", "bob", "carol")]
    dm, group = await direct_chat(client, alice, bob), await group_chat(client, alice, [bob, carol])
    await send(client, alice, dm, "first", clientMessageId="k")
    refused = await send_refusal(client, alice, group, "second", clientMessageId="k")
    assert (refused["code"], refused["field"]) == ("CONFLICT", "clientMessageId")
    assert await history(client, alice, group) == []


async def test_client_message_id_has_1_to_64_characters(client: GraphQLClient, room: Room) -> None:
    kept = await send(client, room.alice, room.chat, "ok", clientMessageId="k" * 64)
    for key in ("k" * 65, ""):
        refused = await send_refusal(client, room.alice, room.chat, "no", clientMessageId=key)
        assert (refused["code"], refused["field"]) == ("BAD_USER_INPUT", "clientMessageId")
    assert [m["id"] for m in await history(client, room.alice, room.chat)] == [kept["id"]]


# --- editing ----------------------------------------------------------------------------


async def test_the_author_edits_a_message(client: GraphQLClient, room: Room) -> None:
    sent = await send(client, room.alice, room.chat, "draft")
    variables = {"id": sent["id"], "content": "  final  "}
    edited = (await client.data(EDIT, variables, token=room.alice.access_token))["editMessage"]
    assert (edited["id"], edited["content"]) == (sent["id"], "final")
    assert edited["createdAt"] == sent["createdAt"]
    assert datetime.fromisoformat(edited["editedAt"]) >= datetime.fromisoformat(sent["createdAt"])
    assert [m["content"] for m in await history(client, room.bob, room.chat)] == ["final"]


async def test_only_the_author_may_edit_and_only_with_content(
    client: GraphQLClient, room: Room
) -> None:
    sent = await send(client, room.alice, room.chat, "original")
    variables = {"id": sent["id"], "content": "hijacked"}
    assert (await refusal(client, EDIT, variables, room.bob))["code"] == "FORBIDDEN"
    assert (await refusal(client, EDIT, variables, room.mallory))["code"] == "NOT_FOUND"
    assert (await refusal(client, EDIT, variables, None))["code"] == "UNAUTHENTICATED"
    blank = await refusal(client, EDIT, {"id": sent["id"], "content": "  "}, room.alice)
    assert (blank["code"], blank["field"]) == ("BAD_USER_INPUT", "content")
    [stored] = await history(client, room.alice, room.chat)
    assert stored["content"] == "original"


async def test_a_member_who_lost_send_messages_cannot_edit_nor_mention_anyone(
    client: GraphQLClient,
) -> None:
    alice, bob, carol = [await client.register(t) for t in ("alice", "bob", "carol")]
    space, general = await channel_with(client, alice, bob)
    await join_by_invite(client, alice, carol, space)
    sent = await send(client, bob, general, "hello")
    await set_default_permissions(client, alice, space, ["VIEW_CHANNELS"])
    variables = {"id": sent["id"], "content": "hello @carol"}
    refused = await refusal(client, EDIT, variables, bob)
    assert (refused["code"], refused["permission"]) == ("FORBIDDEN", "SEND_MESSAGES")
    assert [m["content"] for m in await history(client, alice, general)] == ["hello"]
    unread = await client.data("{ unreadNotificationCount }", token=carol.access_token)
    assert unread["unreadNotificationCount"] == 0


async def test_a_deleted_message_cannot_be_edited(client: GraphQLClient, room: Room) -> None:
    sent = await send(client, room.alice, room.chat, "gone soon")
    await client.data(DELETE, {"id": sent["id"]}, token=room.alice.access_token)
    refused = await refusal(client, EDIT, {"id": sent["id"], "content": "back"}, room.alice)
    assert refused["code"] == "BAD_USER_INPUT"
    [stored] = await history(client, room.alice, room.chat)
    assert stored["content"] is None


# --- deleting ---------------------------------------------------------------------------


async def test_the_author_deletes_and_the_tombstone_stays_in_place(
    client: GraphQLClient, room: Room
) -> None:
    before, doomed, after = [await send(client, room.alice, room.chat, t) for t in "abc"]
    deleted = (await client.data(DELETE, {"id": doomed["id"]}, token=room.alice.access_token))[
        "deleteMessage"
    ]
    assert deleted["id"] == doomed["id"] and deleted["content"] is None
    assert deleted["deletedAt"] is not None
    again = (await client.data(DELETE, {"id": doomed["id"]}, token=room.alice.access_token))[
        "deleteMessage"
    ]
    assert again["deletedAt"] == deleted["deletedAt"] and again["content"] is None
    seen = await history(client, room.bob, room.chat)
    assert [m["id"] for m in seen] == [before["id"], doomed["id"], after["id"]]
    assert [m["content"] for m in seen] == ["a", None, "c"]
    assert seen[1]["deletedAt"] == deleted["deletedAt"]


async def test_plain_participants_and_outsiders_cannot_delete_others_messages(
    client: GraphQLClient, room: Room
) -> None:
    sent = await send(client, room.alice, room.chat, "keep me")
    assert (await refusal(client, DELETE, {"id": sent["id"]}, room.bob))["code"] == "FORBIDDEN"
    assert (await refusal(client, DELETE, {"id": sent["id"]}, room.mallory))["code"] == "NOT_FOUND"
    assert (await refusal(client, DELETE, {"id": sent["id"]}, None))["code"] == "UNAUTHENTICATED"
    assert (await refusal(client, DELETE, {"id": UNKNOWN_MESSAGE}, room.alice))[
        "code"
    ] == "NOT_FOUND"
    [stored] = await history(client, room.alice, room.chat)
    assert stored["content"] == "keep me" and stored["deletedAt"] is None


async def test_only_channel_moderators_delete_others_messages(
    client: GraphQLClient, room: Room
) -> None:
    """The space owner moderates its channels; a group's creator or a DM partner does not."""
    sent = await send(client, room.bob, room.chat, "bob's words")
    if room.kind == "CHANNEL":
        deleted = await client.data(DELETE, {"id": sent["id"]}, token=room.alice.access_token)
        assert deleted["deleteMessage"]["deletedAt"] is not None
    else:
        refused = await refusal(client, DELETE, {"id": sent["id"]}, room.alice)
        assert refused["code"] == "FORBIDDEN"
    [stored] = await history(client, room.bob, room.chat)
    assert (stored["content"] is None) is (room.kind == "CHANNEL")


async def test_a_member_with_manage_messages_deletes_others_channel_messages(
    client: GraphQLClient,
) -> None:
    alice, bob, carol = [await client.register(t) for t in ("alice", "bob", "carol")]
    space, general = await channel_with(client, alice, bob)
    await join_by_invite(client, alice, carol, space)
    spam = await send(client, bob, general, "spam")
    assert (await refusal(client, DELETE, {"id": spam["id"]}, carol))["code"] == "FORBIDDEN"
    role = await create_role(client, alice, space, name="mods", permissions=["MANAGE_MESSAGES"])
    await assign_role(client, alice, space, carol, role["id"])
    deleted = (await client.data(DELETE, {"id": spam["id"]}, token=carol.access_token))[
        "deleteMessage"
    ]
    assert deleted["content"] is None and deleted["author"]["tag"] == "bob"
    [stored] = await history(client, bob, general)
    assert stored["deletedAt"] == deleted["deletedAt"]


# --- activity ---------------------------------------------------------------------------


async def test_sending_moves_the_chat_to_the_top_of_my_chats(client: GraphQLClient) -> None:
    alice, bob, carol = [await client.register(t) for t in ("alice", "bob", "carol")]
    dm = await direct_chat(client, alice, bob)
    group = await group_chat(client, alice, [bob, carol])

    async def order() -> list[str]:
        data = await client.data(MY_CHATS, token=bob.access_token)
        return [edge["node"]["id"] for edge in data["myChats"]["edges"]]

    assert await order() == [group, dm]
    await send(client, alice, dm, "ping")
    assert await order() == [dm, group]
    await send(client, carol, group, "pong")
    assert await order() == [group, dm]


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)  # SQLite has no row locks
async def test_a_send_does_not_wait_for_another_transaction_holding_the_chat_row(
    client: GraphQLClient, backend: Backend
) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    dm = await direct_chat(client, alice, bob)
    holder = await asyncpg.connect(backend.database_url.replace("+asyncpg", ""))
    try:
        async with holder.transaction():  # as a concurrent send marking the chat active does
            await holder.execute("SELECT id FROM chats FOR NO KEY UPDATE")
            sent = await asyncio.wait_for(send(client, alice, dm, "not queued"), timeout=10)
    finally:
        await holder.close()
    assert sent["content"] == "not queued"
    [message] = await history(client, bob, dm)
    assert message["id"] == sent["id"]


# --- rate limit -----------------------------------------------------------------------------


@pytest.fixture
async def limited(backend: Backend, tmp_path: Path) -> AsyncIterator[GraphQLClient]:
    """A client of an app that lets each user send or edit 3 messages a minute."""
    settings = make_settings(backend, tmp_path / "limited", message_rate_limit="3/minute")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield GraphQLClient(http)


async def test_sending_and_editing_share_a_per_user_rate_limit(limited: GraphQLClient) -> None:
    alice, bob = await limited.register("alice"), await limited.register("bob")
    dm = await direct_chat(limited, alice, bob)
    first = await send(limited, alice, dm, "one")
    await send(limited, alice, dm, "two")
    await limited.data(EDIT, {"id": first["id"], "content": "one!"}, token=alice.access_token)
    refused = await send_refusal(limited, alice, dm, "four")
    assert refused["code"] == "RATE_LIMITED"
    assert 0 < refused["retryAfter"] <= 60
    edit = await refusal(limited, EDIT, {"id": first["id"], "content": "again"}, alice)
    assert edit["code"] == "RATE_LIMITED"
    assert [m["content"] for m in await history(limited, bob, dm)] == ["one!", "two"]
    # Another user is not held back by alice's flood.
    await send(limited, bob, dm, "hi")


async def test_a_retried_client_message_id_is_answered_even_when_limited(
    limited: GraphQLClient,
) -> None:
    alice, bob = await limited.register("alice"), await limited.register("bob")
    dm = await direct_chat(limited, alice, bob)
    sent = [await send(limited, alice, dm, f"m{n}", clientMessageId=f"k{n}") for n in range(3)]
    assert (await send_refusal(limited, alice, dm, "new", clientMessageId="k3"))["code"] == (
        "RATE_LIMITED"
    )
    again = await send(limited, alice, dm, "m2 resent", clientMessageId="k2")
    assert again["id"] == sent[2]["id"] and again["content"] == "m2"
