"""deleteAccount: who may, what goes, what stays (messages with `author: null`), and that
everything showing an author or a participant still answers without an error."""

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette

from tests.api.test_uploads import image_bytes, uploaded
from tests.backends import Backend
from tests.factories import assign_role, create_role, create_space, join
from tests.graphql_client import Account, GraphQLClient
from tests.live import closed_with, next_event, next_message, register, send, socket, start
from tests.servers import Server, running_server

DELETE = "mutation($password: String!) { deleteAccount(password: $password) }"
ME = "{ me { id } }"
REFRESH = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }"
LOGIN = """mutation($login: String!, $password: String!) {
    login(input: {login: $login, password: $password}) { accessToken }
}"""
SEND = """mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }"""
DIRECT = "mutation($user: ID!) { openDirectChat(userId: $user) { id } }"
GROUP = "mutation($ids: [ID!]!) { createGroupChat(input: {userIds: $ids}) { id } }"
REACT = 'mutation($m: ID!) { addReaction(messageId: $m, emoji: "👍") { id } }'
GENERAL = "query($id: ID!) { space(id: $id) { channels { id } } }"
MESSAGE = """id content author { tag } replyTo { content author { tag } } mentions { tag }
    reactions { emoji count users { tag } }"""
HISTORY = f"""query($chat: ID!) {{
    chat(id: $chat) {{
        participants {{ tag }} messages(first: 20) {{ edges {{ node {{ {MESSAGE} }} }} }}
    }}
}}"""
MEMBERS = "query($id: ID!) { space(id: $id) { members { edges { node { user { tag } } } } } }"
NOTIFICATIONS = """{
    notifications { edges { node { kind actor { tag } message { content author { tag } } } } }
}"""
SEARCH = """query($q: String!) {
    searchMessages(query: $q) { edges { node { content author { tag } } } }
}"""


async def code_of(
    client: GraphQLClient, query: str, variables: dict[str, Any] | None = None, **kw: str
) -> str:
    code: str = (await client.error(query, variables, **kw))["extensions"]["code"]
    return code


async def message(
    client: GraphQLClient, who: Account, chat: str, content: str, reply_to: str | None = None
) -> str:
    variables = {"input": {"chatId": chat, "content": content, "replyToId": reply_to}}
    data = await client.data(SEND, variables, token=who.access_token)
    message_id: str = data["sendMessage"]["id"]
    return message_id


async def test_a_wrong_password_is_unauthenticated_and_counted_as_a_failed_login(
    client: GraphQLClient,
) -> None:
    alice = await client.register("alice")
    for _ in range(10):
        error = await client.error(DELETE, {"password": "guess guess"}, token=alice.access_token)
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await client.data(ME, token=alice.access_token))["me"]["id"] == alice.id
    # The failures count against the account from this address, for login as well.
    variables = {"login": "alice", "password": alice.password}
    assert await code_of(client, LOGIN, variables) == "RATE_LIMITED"
    assert await code_of(
        client, DELETE, {"password": alice.password}, token=alice.access_token
    ) == ("RATE_LIMITED")


async def test_signed_out_callers_cannot_delete_anything(client: GraphQLClient) -> None:
    assert await code_of(client, DELETE, {"password": "correct horse"}) == "UNAUTHENTICATED"


async def test_an_owner_is_refused_until_their_spaces_are_gone(client: GraphQLClient) -> None:
    alice = await client.register("alice")
    space = await create_space(client, alice)
    variables = {"password": alice.password}
    assert await code_of(client, DELETE, variables, token=alice.access_token) == "CONFLICT"
    assert (await client.data(ME, token=alice.access_token))["me"]["id"] == alice.id
    await client.data(
        "mutation($id: ID!) { deleteSpace(id: $id) }", {"id": space}, token=alice.access_token
    )
    assert (await client.data(DELETE, variables, token=alice.access_token))["deleteAccount"]


async def test_the_account_goes_and_its_messages_stay_without_an_author(
    client: GraphQLClient, app: Starlette
) -> None:
    alice, bob, carol = [await client.register(tag) for tag in ("alice", "bob", "carol")]
    space = await create_space(client, bob, public=True)
    await join(client, alice, space)
    general = (await client.data(GENERAL, {"id": space}, token=bob.access_token))["space"][
        "channels"
    ][0]["id"]
    dm = (await client.data(DIRECT, {"user": alice.id}, token=bob.access_token))["openDirectChat"][
        "id"
    ]
    group = (await client.data(GROUP, {"ids": [alice.id, carol.id]}, token=bob.access_token))[
        "createGroupChat"
    ]["id"]
    hello = await message(client, bob, dm, "hello @alice")
    answer = await message(client, alice, dm, "walrus answer @bob", reply_to=hello)
    await message(client, bob, dm, "a reply to alice", reply_to=answer)
    await client.data(REACT, {"m": hello}, token=alice.access_token)
    await message(client, alice, group, "walrus in the group")
    await message(client, alice, general, "walrus in the channel")
    avatar = await uploaded(client, alice, image_bytes())
    media = Path(app.state.services.settings.media_path)
    assert await asyncio.to_thread(lambda: list(media.rglob("*.png")))

    assert (await client.data(DELETE, {"password": alice.password}, token=alice.access_token))[
        "deleteAccount"
    ]

    # Her tokens work no more.
    assert await code_of(client, ME, token=alice.access_token) == "UNAUTHENTICATED"
    assert await code_of(client, REFRESH, {"t": alice.refresh_token}) == "UNAUTHENTICATED"
    login = {"login": "alice", "password": alice.password}
    assert await code_of(client, LOGIN, login) == "UNAUTHENTICATED"
    # Her avatar file is gone.
    assert not await asyncio.to_thread(lambda: list(media.rglob("*.png")))
    assert (
        await client.http.get(avatar["avatarUrl"].removeprefix("http://testserver"))
    ).status_code == 404

    # The DM: her messages stay, authorless; replies to them and hers to others render.
    chat = (await client.data(HISTORY, {"chat": dm}, token=bob.access_token))["chat"]
    assert chat["participants"] == [{"tag": "bob"}]
    hello_row, answer_row, reply_row = [edge["node"] for edge in chat["messages"]["edges"]]
    assert hello_row["mentions"] == [] and hello_row["reactions"] == []
    assert answer_row["author"] is None and answer_row["content"] == "walrus answer @bob"
    assert answer_row["replyTo"] == {"content": "hello @alice", "author": {"tag": "bob"}}
    assert answer_row["mentions"] == [{"tag": "bob"}]
    assert reply_row["replyTo"] == {"content": "walrus answer @bob", "author": None}
    # The group and the space no longer have her.
    chat = (await client.data(HISTORY, {"chat": group}, token=carol.access_token))["chat"]
    assert sorted(user["tag"] for user in chat["participants"]) == ["bob", "carol"]
    assert chat["messages"]["edges"][-1]["node"]["author"] is None
    members = (await client.data(MEMBERS, {"id": space}, token=bob.access_token))["space"]
    assert [edge["node"]["user"]["tag"] for edge in members["members"]["edges"]] == ["bob"]
    # Notifications she caused (a mention, a reply) stay, without their actor.
    notifications = (await client.data(NOTIFICATIONS, token=bob.access_token))["notifications"]
    actors = [edge["node"]["actor"] for edge in notifications["edges"]]
    assert actors and all(actor is None for actor in actors)
    # Search finds her words, authorless.
    found = (await client.data(SEARCH, {"q": "walrus"}, token=bob.access_token))["searchMessages"]
    assert {edge["node"]["content"] for edge in found["edges"]} == {
        "walrus answer @bob",
        "walrus in the group",
        "walrus in the channel",
    }
    assert all(edge["node"]["author"] is None for edge in found["edges"])
    # Nobody can find her.
    user = "query($tag: String!) { userByTag(tag: $tag) { id } }"
    assert (await client.data(user, {"tag": "alice"}, token=bob.access_token))["userByTag"] is None


async def test_the_email_and_tag_are_free_again_for_a_new_account(client: GraphQLClient) -> None:
    bob = await client.register("bob")
    first = await client.register("alice")  # the newest: SQLite gives her id again
    dm = (await client.data(DIRECT, {"user": first.id}, token=bob.access_token))["openDirectChat"][
        "id"
    ]
    assert (await client.data(DELETE, {"password": first.password}, token=first.access_token))[
        "deleteAccount"
    ]
    second = await client.register("alice", password="another horse")
    assert second.email == first.email
    assert (await client.data(ME, token=second.access_token))["me"]["id"] == second.id
    # The old tokens do not sign in to the new account, even where its id is the old one's
    # (SQLite hands out the highest id again once its row is gone).
    assert await code_of(client, ME, token=first.access_token) == "UNAUTHENTICATED"
    assert await code_of(client, REFRESH, {"t": first.refresh_token}) == "UNAUTHENTICATED"
    # The new account inherits nothing.
    chats = "{ myChats { edges { node { id } } } mySpaces { id } }"
    assert (await client.data(chats, token=second.access_token)) == {
        "myChats": {"edges": []},
        "mySpaces": [],
    }
    assert (await client.data(HISTORY, {"chat": dm}, token=second.access_token))["chat"] is None


BAN = "mutation($s: ID!, $u: ID!) { banMember(spaceId: $s, userId: $u) { createdAt } }"
BANS = "query($id: ID!) { space(id: $id) { bans { user { tag } bannedBy { tag } } } }"
JOIN = "mutation($s: ID!) { joinSpace(spaceId: $s) { id } }"


async def test_the_bans_a_deleted_moderator_issued_stay_in_force(client: GraphQLClient) -> None:
    owner, moderator, troll = [await client.register(tag) for tag in ("owner", "mod", "troll")]
    space = await create_space(client, owner, public=True)
    for member in (moderator, troll):
        await join(client, member, space)
    role = await create_role(client, owner, space, position=5, permissions=["BAN_MEMBERS"])
    await assign_role(client, owner, space, moderator, role["id"])
    await client.data(BAN, {"s": space, "u": troll.id}, token=moderator.access_token)
    variables = {"password": moderator.password}
    assert (await client.data(DELETE, variables, token=moderator.access_token))["deleteAccount"]
    bans = (await client.data(BANS, {"id": space}, token=owner.access_token))["space"]["bans"]
    assert bans == [{"user": {"tag": "troll"}, "bannedBy": {"tag": "owner"}}]
    assert await code_of(client, JOIN, {"s": space}, token=troll.access_token) == "FORBIDDEN"


CHAT_EVENTS = """subscription($chat: ID!) {
    chatEvents(chatId: $chat) {
        __typename
        ... on MessageCreated { message { content author { tag } } }
        ... on MembershipChanged { change user { tag } }
    }
}"""
MY_EVENTS = "subscription { myEvents { __typename } }"
PRESENCE = "subscription($space: ID) { presence(spaceId: $space) { status user { tag } } }"
PUBLIC_SPACE = 'mutation { createSpace(input: {name: "Lounge", isPublic: true}) { id } }'


async def test_her_sockets_close_and_the_streams_she_was_in_go_on(server: Server) -> None:
    alice, alice_id = register(server, "alice")
    bob, _ = register(server, "bob")
    group = server.graphql(GROUP, {"ids": [alice_id]}, bob)["createGroupChat"]["id"]
    space = server.graphql(PUBLIC_SPACE, token=bob)["createSpace"]["id"]
    server.graphql(JOIN, {"s": space}, alice)
    async with (
        socket(server, alice) as alice_ws,
        socket(server, bob) as bob_ws,
        socket(server, bob) as presence_ws,
    ):
        await start(presence_ws, PRESENCE, {"space": space})
        await start(alice_ws, MY_EVENTS)
        await start(bob_ws, CHAT_EVENTS, {"chat": group})
        send(server, alice, group, "bye all")
        assert await next_event(bob_ws, "chatEvents") == {
            "__typename": "MessageCreated",
            "message": {"content": "bye all", "author": {"tag": "alice"}},
        }
        assert await next_event(alice_ws, "myEvents") == {"__typename": "MessageCreated"}
        assert server.graphql(DELETE, {"password": "correct horse"}, alice)["deleteAccount"]
        assert await closed_with(alice_ws) == (4403, "invalid token")
        # Her leaving names a user who is gone: it is not sent, and nothing fails.
        send(server, bob, group, "she left")
        assert await next_event(bob_ws, "chatEvents") == {
            "__typename": "MessageCreated",
            "message": {"content": "she left", "author": {"tag": "bob"}},
        }
        history = server.graphql(HISTORY, {"chat": group}, bob)["chat"]
        assert [edge["node"]["author"] for edge in history["messages"]["edges"]] == [
            None,
            {"tag": "bob"},
        ]
        # Her presence changes (she came online, went offline) name her: none fails either.
        while (event := await next_message(presence_ws, 1.0)) is not None:
            assert event["type"] == "next" and "errors" not in event["payload"], event
    assert "Traceback" not in server.output(), server.output()


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_her_sockets_on_another_process_close_too(backend: Backend, tmp_path: Path) -> None:
    shared = f"test-{uuid.uuid4().hex}"  # one deployment: the same Redis channels
    with (
        running_server(backend, tmp_path, REDIS_NAMESPACE=shared) as first,
        running_server(backend, tmp_path, REDIS_NAMESPACE=shared) as second,
    ):
        alice, _ = register(first, "alice")
        bob, _ = register(first, "bob")
        # A socket with no subscription: nothing but the deletion event can reach it.
        async with socket(first, alice) as alice_ws, socket(first, bob) as bob_ws:
            assert second.graphql(DELETE, {"password": "correct horse"}, alice)["deleteAccount"]
            assert await closed_with(alice_ws) == (4403, "invalid token")
            await bob_ws.send(json.dumps({"type": "ping"}))
            assert json.loads(await asyncio.wait_for(bob_ws.recv(), 5)) == {"type": "pong"}
