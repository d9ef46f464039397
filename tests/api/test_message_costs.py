"""A page of messages with everything on it costs a small, constant number of statements."""

import uuid

import pytest
from starlette.applications import Starlette

from db.models import Attachment
from graphql_schema.ids import parse_global_id
from tests.conftest import StatementCounter
from tests.factories import create_space, join
from tests.graphql_client import Account, GraphQLClient

PAGE = """query($chat: ID!) {
    messages(chatId: $chat, first: 50) {
        edges { node {
            id content createdAt
            author { tag avatarUrl }
            reactions { emoji count reactedByMe users { tag } }
            attachments { id filename contentType url }
            mentions { tag }
            replyTo { id content author { tag } }
        } }
        pageInfo { hasNextPage hasPreviousPage }
    }
}"""
# The same page, its fields spread through fragments.
FRAGMENTED_PAGE = """query($chat: ID!) {
    messages(chatId: $chat, first: 50) { ...Page pageInfo { hasNextPage hasPreviousPage } }
}
fragment Page on MessageConnection { edges { node { ...Everything } } }
fragment Everything on Message {
    id content createdAt
    author { tag avatarUrl }
    ... on Message { reactions { emoji count reactedByMe users { tag } } }
    attachments { id filename contentType url }
    mentions { tag }
    replyTo { id content author { tag } }
}"""
# The same page with every capability field: the viewer's access to the chat, which the
# page's own check loaded, answers them all.
CAPABLE_PAGE = PAGE.replace(
    "id content createdAt",
    "id content createdAt viewerCanEdit viewerCanDelete viewerCanPin viewerCanReact",
)
SEND = """mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }"""
REACT = "mutation($m: ID!, $e: String!) { addReaction(messageId: $m, emoji: $e) { id } }"


async def grow(
    client: GraphQLClient, app: Starlette, chat: str, alice: Account, bob: Account, size: int
) -> None:
    """Messages up to `size`, each replying, mentioning, reacted to and with a file."""
    existing = (await client.data(PAGE, {"chat": chat}, token=alice.access_token))["messages"]
    previous = existing["edges"][-1]["node"]["id"] if existing["edges"] else None
    for _ in range(size - len(existing["edges"])):
        variables = {"input": {"chatId": chat, "content": "hey @bob", "replyToId": previous}}
        previous = (await client.data(SEND, variables, token=alice.access_token))["sendMessage"][
            "id"
        ]
        for who, emoji in ((bob, "👍"), (alice, "🎉")):
            await client.data(REACT, {"m": previous, "e": emoji}, token=who.access_token)
        async with app.state.services.sessionmaker() as session:
            parsed = parse_global_id(previous)
            assert parsed is not None
            session.add(
                Attachment(
                    message_id=parsed[1],
                    storage_key=f"test/{uuid.uuid4().hex}",
                    filename="notes.pdf",
                    content_type="application/pdf",
                    size=10,
                )
            )
            await session.commit()


async def cost(
    client: GraphQLClient,
    counter: StatementCounter,
    chat: str,
    viewer: Account,
    size: int,
    query: str = PAGE,
) -> int:
    counter.count, counter.counting = 0, True
    page = (await client.data(query, {"chat": chat}, token=viewer.access_token))["messages"]
    counter.counting = False
    nodes = [edge["node"] for edge in page["edges"]]
    assert len(nodes) == size
    assert all(n["author"] and n["reactions"] and n["attachments"] and n["mentions"] for n in nodes)
    assert all(n["replyTo"]["author"] for n in nodes[1:])
    return counter.count


@pytest.mark.parametrize("kind", ["direct", "channel"])
async def test_message_page_costs_the_same_for_5_and_50_messages(
    client: GraphQLClient, app: Starlette, sql_statements: StatementCounter, kind: str
) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    if kind == "direct":
        opened = await client.data(
            "mutation($u: ID!) { openDirectChat(userId: $u) { id } }",
            {"u": bob.id},
            token=alice.access_token,
        )
        chat = opened["openDirectChat"]["id"]
    else:
        space = await create_space(client, alice, public=True)
        await join(client, bob, space)
        channels = await client.data(
            "query($id: ID!) { space(id: $id) { channels { id } } }",
            {"id": space},
            token=alice.access_token,
        )
        chat = channels["space"]["channels"][0]["id"]
    await grow(client, app, chat, alice, bob, 5)
    small = await cost(client, sql_statements, chat, bob, 5)
    await grow(client, app, chat, alice, bob, 50)
    large = await cost(client, sql_statements, chat, bob, 50)
    assert large == small
    assert await cost(client, sql_statements, chat, bob, 50, FRAGMENTED_PAGE) == small
    assert await cost(client, sql_statements, chat, bob, 50, CAPABLE_PAGE) == small
    # Authentication, then three: the chat's access check, the page (authors, replies and
    # theirs, attachments), reactions and mentions.
    assert small <= 4


async def test_reactions_and_mentions_read_together_match_each_read_alone(
    client: GraphQLClient, app: Starlette
) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    space = await create_space(client, alice, public=True)
    await join(client, bob, space)
    channels = await client.data(
        "query($id: ID!) { space(id: $id) { channels { id } } }",
        {"id": space},
        token=alice.access_token,
    )
    chat = channels["space"]["channels"][0]["id"]
    await grow(client, app, chat, alice, bob, 3)
    reactions = "reactions { emoji count reactedByMe users { tag } }"
    mentions = "mentions { tag }"

    async def nodes(fields: str) -> list[dict[str, object]]:
        query = f"query($c: ID!) {{ messages(chatId: $c) {{ edges {{ node {{ {fields} }} }} }} }}"
        page = await client.data(query, {"c": chat}, token=bob.access_token)
        return [edge["node"] for edge in page["messages"]["edges"]]

    together = await nodes(f"{reactions} {mentions}")
    alone = zip(await nodes(reactions), await nodes(mentions), strict=True)
    assert together == [{**r, **m} for r, m in alone]
    assert together[0]["reactions"] == [
        {"emoji": "👍", "count": 1, "reactedByMe": True, "users": [{"tag": "bob"}]},
        {"emoji": "🎉", "count": 1, "reactedByMe": False, "users": [{"tag": "alice"}]},
    ]
    assert together[0]["mentions"] == [{"tag": "bob"}]


EDITED_AND_PINNED_PAGE = """query($chat: ID!) {
    messages(chatId: $chat, first: 50) {
        edges { node {
            id content author { tag }
            pinnedAt pinnedBy { tag }
            editHistory { content replacedAt }
        } }
    }
}"""
BARE_PAGE = """query($chat: ID!) {
    messages(chatId: $chat, first: 50) { edges { node { id content author { tag } } } }
}"""


async def test_edit_history_and_pinners_cost_one_statement_each_per_page(
    client: GraphQLClient, sql_statements: StatementCounter
) -> None:
    """alice writes and edits, carol pins (so her row comes from no other field), bob reads."""
    alice, bob, carol = [await client.register(tag) for tag in ("alice", "bob", "carol")]
    group = "mutation($ids: [ID!]!) { createGroupChat(input: {userIds: $ids}) { id } }"
    chat = (await client.data(group, {"ids": [bob.id, carol.id]}, token=alice.access_token))[
        "createGroupChat"
    ]["id"]
    edit = "mutation($id: ID!, $c: String!) { editMessage(id: $id, content: $c) { id } }"
    pin = "mutation($id: ID!) { pinMessage(id: $id) { id } }"

    async def grow_to(size: int) -> None:
        page = await client.data(BARE_PAGE, {"chat": chat}, token=bob.access_token)
        for n in range(len(page["messages"]["edges"]), size):
            variables = {"input": {"chatId": chat, "content": f"draft {n}"}}
            sent = await client.data(SEND, variables, token=alice.access_token)
            message = sent["sendMessage"]["id"]
            for version in ("second", "third"):
                await client.data(edit, {"id": message, "c": version}, token=alice.access_token)
            await client.data(pin, {"id": message}, token=carol.access_token)

    async def cost_of(query: str, size: int) -> int:
        sql_statements.count, sql_statements.counting = 0, True
        page = (await client.data(query, {"chat": chat}, token=bob.access_token))["messages"]
        sql_statements.counting = False
        nodes = [edge["node"] for edge in page["edges"]]
        assert len(nodes) == size
        if query is EDITED_AND_PINNED_PAGE:
            assert all(n["pinnedBy"] == {"tag": "carol"} for n in nodes)
            assert all([v["content"] for v in n["editHistory"]][1:] == ["second"] for n in nodes)
        return sql_statements.count

    await grow_to(5)
    bare, small = await cost_of(BARE_PAGE, 5), await cost_of(EDITED_AND_PINNED_PAGE, 5)
    await grow_to(50)
    assert await cost_of(EDITED_AND_PINNED_PAGE, 50) == small
    # One for the histories, one for the pinners (carol).
    assert small == bare + 2


MY_CHATS_PINS = """{
    myChats(first: 20) { edges { node {
        id pinnedMessages { id content author { tag } pinnedBy { tag } }
    } } }
}"""


async def test_pinned_messages_of_a_list_of_chats_cost_the_same_for_2_chats_and_6(
    client: GraphQLClient, sql_statements: StatementCounter
) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    others = [await client.register(f"user{n}") for n in range(6)]
    group = "mutation($ids: [ID!]!) { createGroupChat(input: {userIds: $ids}) { id } }"
    pin = "mutation($id: ID!) { pinMessage(id: $id) { id } }"

    async def add_chat(other: Account) -> None:
        chat = (await client.data(group, {"ids": [bob.id, other.id]}, token=alice.access_token))[
            "createGroupChat"
        ]["id"]
        for _ in range(2):
            variables = {"input": {"chatId": chat, "content": "pinned"}}
            sent = await client.data(SEND, variables, token=other.access_token)
            await client.data(pin, {"id": sent["sendMessage"]["id"]}, token=alice.access_token)

    async def cost_of(chats: int) -> int:
        sql_statements.count, sql_statements.counting = 0, True
        data = await client.data(MY_CHATS_PINS, token=bob.access_token)
        sql_statements.counting = False
        nodes = [edge["node"] for edge in data["myChats"]["edges"]]
        assert len(nodes) == chats
        assert all(len(node["pinnedMessages"]) == 2 for node in nodes)
        assert all(m["pinnedBy"] == {"tag": "alice"} for n in nodes for m in n["pinnedMessages"])
        return sql_statements.count

    for other in others[:2]:
        await add_chat(other)
    small = await cost_of(2)
    for other in others[2:]:
        await add_chat(other)
    assert await cost_of(6) == small
