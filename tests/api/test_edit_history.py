"""Edit history: the versions an edit replaces, who sees them, and that deleting forgets them."""

import json
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette

from db.models import MessageRevision
from graphql_schema.ids import parse_global_id
from resolvers import revisions
from tests.graphql_client import Account, GraphQLClient

SEND = "mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }"
MESSAGE_FIELDS = "id content editedAt editHistory { content replacedAt }"
EDIT = f"""mutation($id: ID!, $content: String!) {{
    editMessage(id: $id, content: $content) {{ {MESSAGE_FIELDS} }}
}}"""
DELETE = f"mutation($id: ID!) {{ deleteMessage(id: $id) {{ {MESSAGE_FIELDS} }} }}"
PIN = "mutation($id: ID!) { pinMessage(id: $id) { id } }"
GROUP = "mutation($ids: [ID!]!) { createGroupChat(input: {userIds: $ids}) { id } }"
# Everything a reader can ask of a chat's messages, where old text could show.
EVERYTHING = f"""query($chat: ID!) {{
    chat(id: $chat) {{
        lastMessage {{ {MESSAGE_FIELDS} }}
        pinnedMessages {{ {MESSAGE_FIELDS} }}
        messages(last: 100) {{ edges {{ node {{
            {MESSAGE_FIELDS} replyTo {{ {MESSAGE_FIELDS} }}
        }} }} }}
    }}
}}"""


async def edit(client: GraphQLClient, who: Account, message: str, content: str) -> dict[str, Any]:
    data = await client.data(EDIT, {"id": message, "content": content}, token=who.access_token)
    edited: dict[str, Any] = data["editMessage"]
    return edited


async def seen_by(client: GraphQLClient, who: Account, chat: str, message: str) -> dict[str, Any]:
    data = await client.data(EVERYTHING, {"chat": chat}, token=who.access_token)
    [node] = [e["node"] for e in data["chat"]["messages"]["edges"] if e["node"]["id"] == message]
    return dict(node)


@pytest.fixture
async def accounts(client: GraphQLClient) -> tuple[Account, Account, Account]:
    """alice and bob (in a group chat with her), and mallory."""
    return (
        await client.register("alice"),
        await client.register("bob"),
        await client.register("mallory"),
    )


async def chat_and_message(
    client: GraphQLClient, alice: Account, bob: Account, content: str = "first"
) -> tuple[str, str]:
    chat = (await client.data(GROUP, {"ids": [bob.id]}, token=alice.access_token))[
        "createGroupChat"
    ]["id"]
    variables = {"input": {"chatId": chat, "content": content}}
    message = (await client.data(SEND, variables, token=alice.access_token))["sendMessage"]["id"]
    return chat, message


async def test_each_edit_keeps_the_text_it_replaced_oldest_first(
    client: GraphQLClient, accounts: tuple[Account, Account, Account]
) -> None:
    alice, bob, _ = accounts
    chat, message = await chat_and_message(client, alice, bob)
    assert (await seen_by(client, bob, chat, message))["editHistory"] == []
    second = await edit(client, alice, message, "second")
    assert second["editHistory"] == [{"content": "first", "replacedAt": second["editedAt"]}]
    third = await edit(client, alice, message, "third")
    assert third["content"] == "third"
    assert third["editHistory"] == [
        {"content": "first", "replacedAt": second["editedAt"]},
        {"content": "second", "replacedAt": third["editedAt"]},
    ]
    # Whoever reads the message reads its history.
    assert (await seen_by(client, bob, chat, message))["editHistory"] == third["editHistory"]


async def test_an_edit_to_the_same_text_keeps_no_version_and_no_new_edit_time(
    client: GraphQLClient, accounts: tuple[Account, Account, Account]
) -> None:
    alice, bob, _ = accounts
    _, message = await chat_and_message(client, alice, bob)
    unchanged = await edit(client, alice, message, "  first ")  # the same, once trimmed
    assert (unchanged["content"], unchanged["editedAt"], unchanged["editHistory"]) == (
        "first",
        None,
        [],
    )
    edited = await edit(client, alice, message, "second")
    again = await edit(client, alice, message, "second")
    assert again == edited


async def test_outsiders_cannot_read_the_history(
    client: GraphQLClient, accounts: tuple[Account, Account, Account]
) -> None:
    alice, bob, mallory = accounts
    chat, message = await chat_and_message(client, alice, bob, "secret plan")
    await edit(client, alice, message, "nothing to see")
    history = (
        f"query($c: ID!) {{ messages(chatId: $c) {{ edges {{ node {{ {MESSAGE_FIELDS} }} }} }} }}"
    )
    error = await client.error(history, {"c": chat}, token=mallory.access_token)
    assert error["extensions"]["code"] == "NOT_FOUND"
    node = "query($id: ID!) { node(id: $id) { ... on Message { editHistory { content } } } }"
    assert (await client.data(node, {"id": message}, token=mallory.access_token))["node"] is None
    # Nor can anyone but the author add to it.
    error = await client.error(EDIT, {"id": message, "content": "x"}, token=bob.access_token)
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_deleting_a_message_forgets_its_history_everywhere(
    client: GraphQLClient, app: Starlette, accounts: tuple[Account, Account, Account]
) -> None:
    alice, bob, _ = accounts
    chat, message = await chat_and_message(client, alice, bob, "first draft")
    await edit(client, alice, message, "second draft")
    await edit(client, alice, message, "final words")
    reply = {"input": {"chatId": chat, "content": "a reply", "replyToId": message}}
    await client.data(SEND, reply, token=bob.access_token)
    await client.data(PIN, {"id": message}, token=bob.access_token)
    deleted = (await client.data(DELETE, {"id": message}, token=alice.access_token))[
        "deleteMessage"
    ]
    assert (deleted["content"], deleted["editHistory"]) == (None, [])
    for who in (alice, bob):
        seen = await client.data(EVERYTHING, {"chat": chat}, token=who.access_token)
        text = json.dumps(seen)
        assert not any(old in text for old in ("first draft", "second draft", "final words"))
        assert seen["chat"]["pinnedMessages"] == []
    parsed = parse_global_id(message)
    assert parsed is not None
    async with app.state.services.sessionmaker() as session:
        kept = await session.scalar(
            select(func.count())
            .select_from(MessageRevision)
            .where(MessageRevision.message_id == parsed[1])
        )
    assert kept == 0


async def test_only_the_newest_versions_are_kept(
    client: GraphQLClient,
    accounts: tuple[Account, Account, Account],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(revisions, "MAX_REVISIONS", 3)
    alice, bob, _ = accounts
    chat, message = await chat_and_message(client, alice, bob, "v0")
    for n in range(1, 6):
        edited = await edit(client, alice, message, f"v{n}")
    assert edited["content"] == "v5"
    assert [version["content"] for version in edited["editHistory"]] == ["v2", "v3", "v4"]
    seen = await seen_by(client, bob, chat, message)
    assert [version["content"] for version in seen["editHistory"]] == ["v2", "v3", "v4"]
