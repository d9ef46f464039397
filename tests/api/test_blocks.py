"""Blocking: blockUser, unblockUser, blockedUsers, User.viewerHasBlocked, and what a blocked
user can no longer do to the blocker (and what they still can)."""

from tests.conftest import StatementCounter
from tests.factories import create_space, join
from tests.graphql_client import Account, GraphQLClient

BLOCK = "mutation($u: ID!) { blockUser(userId: $u) { id tag viewerHasBlocked } }"
UNBLOCK = "mutation($u: ID!) { unblockUser(userId: $u) { id viewerHasBlocked } }"
BLOCKED = "{ blockedUsers { tag viewerHasBlocked } }"
USER = "query($u: ID!) { user(id: $u) { viewerHasBlocked } }"
DIRECT = "mutation($u: ID!) { openDirectChat(userId: $u) { id } }"
GROUP = "mutation($input: CreateGroupChatInput!) { createGroupChat(input: $input) { id } }"
ADD = "mutation($c: ID!, $u: ID!) { addChatParticipant(chatId: $c, userId: $u) { id } }"
SEND = """mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }"""
HISTORY = "query($c: ID!) { chat(id: $c) { messages(first: 10) { edges { node { content } } } } }"
NOTIFICATIONS = "{ notifications(first: 20) { edges { node { kind actor { tag } } } } }"
GENERAL = "query($id: ID!) { space(id: $id) { channels { id } } }"


async def block(client: GraphQLClient, who: Account, other: Account) -> None:
    await client.data(BLOCK, {"u": other.id}, token=who.access_token)


async def send(
    client: GraphQLClient, who: Account, chat: str, content: str, reply_to: str | None = None
) -> str:
    variables = {"input": {"chatId": chat, "content": content, "replyToId": reply_to}}
    data = await client.data(SEND, variables, token=who.access_token)
    message_id: str = data["sendMessage"]["id"]
    return message_id


async def test_block_and_unblock_are_idempotent_and_listed(client: GraphQLClient) -> None:
    alice, bob, carol = [await client.register(t) for t in ("alice", "bob", "carol")]
    for _ in range(2):
        data = await client.data(BLOCK, {"u": bob.id}, token=alice.access_token)
        assert data["blockUser"] == {"id": bob.id, "tag": "bob", "viewerHasBlocked": True}
    await block(client, alice, carol)
    listed = (await client.data(BLOCKED, token=alice.access_token))["blockedUsers"]
    assert sorted(u["tag"] for u in listed) == ["bob", "carol"]
    assert all(u["viewerHasBlocked"] for u in listed)
    # Bob does not see that alice blocked him, nor anything in his own list.
    assert (await client.data(USER, {"u": alice.id}, token=bob.access_token))["user"] == {
        "viewerHasBlocked": False
    }
    assert (await client.data(BLOCKED, token=bob.access_token))["blockedUsers"] == []
    for _ in range(2):
        data = await client.data(UNBLOCK, {"u": bob.id}, token=alice.access_token)
        assert data["unblockUser"] == {"id": bob.id, "viewerHasBlocked": False}
    listed = (await client.data(BLOCKED, token=alice.access_token))["blockedUsers"]
    assert [u["tag"] for u in listed] == ["carol"]


async def test_bad_targets(client: GraphQLClient) -> None:
    alice = await client.register("alice")
    error = await client.error(BLOCK, {"u": alice.id}, token=alice.access_token)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "userId"
    gone = "VXNlcjo5OTk5OTk="  # User:999999
    for mutation in (BLOCK, UNBLOCK):
        error = await client.error(mutation, {"u": gone}, token=alice.access_token)
        assert error["extensions"]["code"] == "NOT_FOUND"
    error = await client.error(BLOCKED)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_viewer_has_blocked_is_batched(
    client: GraphQLClient, sql_statements: StatementCounter
) -> None:
    alice = await client.register("alice")
    others = [await client.register(f"user{i}x") for i in range(6)]
    for other in others[::2]:
        await block(client, alice, other)
    query = "query($q: String!) { searchUsers(query: $q, first: 20) { tag viewerHasBlocked } }"
    sql_statements.counting = True
    found = (await client.data(query, {"q": "user"}, token=alice.access_token))["searchUsers"]
    sql_statements.counting = False
    assert {u["tag"]: u["viewerHasBlocked"] for u in found} == {
        o.tag: i % 2 == 0 for i, o in enumerate(others)
    }
    # The caller's row, the search, and one statement for every viewerHasBlocked.
    assert sql_statements.count <= 4


async def test_blocked_user_cannot_open_or_send_in_a_direct_chat(client: GraphQLClient) -> None:
    alice, bob, carol = [await client.register(t) for t in ("alice", "bob", "carol")]
    chat = (await client.data(DIRECT, {"u": bob.id}, token=alice.access_token))["openDirectChat"]
    await send(client, bob, chat["id"], "hi alice")
    await block(client, alice, bob)

    normal = await client.error(DIRECT, {"u": alice.id}, token=bob.access_token)
    assert normal["extensions"]["code"] == "FORBIDDEN"
    refused = await client.error(
        SEND, {"input": {"chatId": chat["id"], "content": "hello?"}}, token=bob.access_token
    )
    assert refused["extensions"]["code"] == "FORBIDDEN"
    # Saying no more than any refusal to send would.
    assert "block" not in (refused["message"] + normal["message"]).lower()
    assert refused["extensions"] == normal["extensions"]
    # A DM with someone else is not affected; the blocker may still write to the blocked.
    other = (await client.data(DIRECT, {"u": carol.id}, token=bob.access_token))["openDirectChat"]
    await send(client, bob, other["id"], "hi carol")
    await send(client, alice, chat["id"], "bye bob")

    await client.data(UNBLOCK, {"u": bob.id}, token=alice.access_token)
    await send(client, bob, chat["id"], "friends again")


async def test_blocked_user_cannot_add_the_blocker_to_a_group(client: GraphQLClient) -> None:
    alice, bob, carol = [await client.register(t) for t in ("alice", "bob", "carol")]
    await block(client, alice, bob)
    error = await client.error(
        GROUP, {"input": {"userIds": [carol.id, alice.id]}}, token=bob.access_token
    )
    assert error["extensions"]["code"] == "FORBIDDEN"
    group = (await client.data(GROUP, {"input": {"userIds": [carol.id]}}, token=bob.access_token))[
        "createGroupChat"
    ]
    error = await client.error(ADD, {"c": group["id"], "u": alice.id}, token=bob.access_token)
    assert error["extensions"]["code"] == "FORBIDDEN"
    # Someone else may add alice; then bob's messages there are delivered to her.
    await client.data(ADD, {"c": group["id"], "u": alice.id}, token=carol.access_token)
    await send(client, bob, group["id"], "hello group")
    history = await client.data(HISTORY, {"c": group["id"]}, token=alice.access_token)
    assert [e["node"]["content"] for e in history["chat"]["messages"]["edges"]] == ["hello group"]
    # The blocker may add the blocked.
    other = (
        await client.data(GROUP, {"input": {"userIds": [carol.id]}}, token=alice.access_token)
    )["createGroupChat"]
    await client.data(ADD, {"c": other["id"], "u": bob.id}, token=alice.access_token)


async def test_blocked_users_mentions_and_replies_do_not_notify_the_blocker(
    client: GraphQLClient,
) -> None:
    alice, bob, carol = [await client.register(t) for t in ("alice", "bob", "carol")]
    space = await create_space(client, alice, "Lounge", public=True)
    for who in (bob, carol):
        await join(client, who, space)
    data = await client.data(GENERAL, {"id": space}, token=alice.access_token)
    channel = data["space"]["channels"][0]["id"]
    first = await send(client, alice, channel, "hello")
    await block(client, alice, bob)

    await send(client, bob, channel, "@alice @carol look", reply_to=first)
    await send(client, carol, channel, "@alice hi", reply_to=first)
    got = (await client.data(NOTIFICATIONS, token=alice.access_token))["notifications"]
    assert [(e["node"]["kind"], e["node"]["actor"]["tag"]) for e in got["edges"]] == [
        ("REPLY", "carol")
    ]
    got = (await client.data(NOTIFICATIONS, token=carol.access_token))["notifications"]
    assert [(e["node"]["kind"], e["node"]["actor"]["tag"]) for e in got["edges"]] == [
        ("MENTION", "bob")
    ]
    # Bob's message is still in the channel for alice.
    history = await client.data(HISTORY, {"c": channel}, token=alice.access_token)
    contents = [e["node"]["content"] for e in history["chat"]["messages"]["edges"]]
    assert "@alice @carol look" in contents


PRESENCE_OF = "query($u: ID!) { user(id: $u) { status lastSeenAt } }"
HEARTBEAT = "mutation { heartbeat }"
ONLINE = {"status": "ONLINE", "lastSeenAt": None}
HIDDEN = {"status": "OFFLINE", "lastSeenAt": None}


async def presence_of(client: GraphQLClient, who: Account, viewer: Account) -> dict[str, object]:
    data = await client.data(PRESENCE_OF, {"u": who.id}, token=viewer.access_token)
    seen: dict[str, object] = data["user"]
    return seen


async def test_presence_is_for_those_sharing_a_space_or_a_chat(client: GraphQLClient) -> None:
    alice, bob, carol, mallory = [
        await client.register(t) for t in ("alice", "bob", "carol", "mallory")
    ]
    space = await create_space(client, alice, public=True)
    await join(client, bob, space)
    await client.data(GROUP, {"input": {"userIds": [carol.id]}}, token=alice.access_token)
    await client.data(HEARTBEAT, token=alice.access_token)
    assert await presence_of(client, alice, bob) == ONLINE  # a space
    assert await presence_of(client, alice, carol) == ONLINE  # a group
    assert await presence_of(client, alice, mallory) == HIDDEN  # nothing shared
    assert await presence_of(client, alice, alice) == ONLINE
    # A user's lastSeenAt is hidden from strangers as well.
    await client.data(
        "mutation { setStatus(status: INVISIBLE) { status } }", token=alice.access_token
    )
    assert (await presence_of(client, alice, bob))["lastSeenAt"] is not None
    assert await presence_of(client, alice, mallory) == HIDDEN


async def test_opening_a_dm_shares_nothing_of_the_target_until_they_take_part(
    client: GraphQLClient,
) -> None:
    alice, mallory = [await client.register(t) for t in ("alice", "mallory")]
    chat = (await client.data(DIRECT, {"u": alice.id}, token=mallory.access_token))[
        "openDirectChat"
    ]
    await client.data(HEARTBEAT, token=alice.access_token)
    await client.data(HEARTBEAT, token=mallory.access_token)
    assert await presence_of(client, alice, mallory) == HIDDEN
    assert await presence_of(client, mallory, alice) == ONLINE  # mallory opened it
    await send(client, mallory, chat["id"], "hi")  # writing is not alice's taking part
    assert await presence_of(client, alice, mallory) == HIDDEN
    await send(client, alice, chat["id"], "hello")
    assert await presence_of(client, alice, mallory) == ONLINE


async def test_a_blocked_user_sees_the_blocker_offline(client: GraphQLClient) -> None:
    alice, bob = [await client.register(t) for t in ("alice", "bob")]
    space = await create_space(client, alice, public=True)
    await join(client, bob, space)
    await client.data(HEARTBEAT, token=alice.access_token)
    await client.data(HEARTBEAT, token=bob.access_token)
    await block(client, alice, bob)
    assert await presence_of(client, alice, bob) == HIDDEN
    assert await presence_of(client, bob, alice) == ONLINE  # the blocker still sees bob
    members = """query($s: ID!) {
        space(id: $s) { members(first: 10) { edges { node { user { tag status } } } } }
    }"""
    data = await client.data(members, {"s": space}, token=bob.access_token)
    seen = {
        e["node"]["user"]["tag"]: e["node"]["user"]["status"]
        for e in data["space"]["members"]["edges"]
    }
    assert seen == {"alice": "OFFLINE", "bob": "ONLINE"}
    await client.data(UNBLOCK, {"u": bob.id}, token=alice.access_token)
    assert await presence_of(client, alice, bob) == ONLINE


async def test_presence_of_a_page_of_users_is_batched(
    client: GraphQLClient, sql_statements: StatementCounter
) -> None:
    alice = await client.register("alice")
    space = await create_space(client, alice, public=True)
    for n in range(8):
        member = await client.register(f"crowd{n}")
        await join(client, member, space)
    query = 'query { searchUsers(query: "crowd", first: 20) { status lastSeenAt } }'
    sql_statements.counting = True
    users = (await client.data(query, token=alice.access_token))["searchUsers"]
    sql_statements.counting = False
    assert len(users) == 8
    # The caller's row, the search, and at most three statements for every user's presence.
    assert sql_statements.count <= 5
