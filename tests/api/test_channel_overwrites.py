"""Per-channel permission overwrites: who may set them, what they change, and everywhere
they must hold (queries, mutations, notifications).

The private channel of the issue: #staff denies VIEW_CHANNELS to the default role and allows
it to a Staff role. alice owns the space; bob holds Staff (position 1); carol is a plain
member; dave manages channels with a mod role (position 5), which has no overwrite in #staff;
mallory is an outsider.
"""

from dataclasses import dataclass
from typing import Any

import pytest

from tests.factories import assign_role, create_role, create_space, join_by_invite
from tests.graphql_client import Account, GraphQLClient

SET = """mutation($chat: ID!, $role: ID!, $allow: [Permission!]!, $deny: [Permission!]!) {
    setChannelPermissions(chatId: $chat, roleId: $role, allow: $allow, deny: $deny) {
        id permissionOverwrites { role { id name } allow deny }
    }
}"""
CREATE_CHANNEL = """mutation($space: ID!) {
    createChannel(spaceId: $space, input: {title: "staff"}) { id }
}"""
SPACE = """query($id: ID!) {
    space(id: $id) { channels { id title } roles { id isDefault } }
}"""
CHAT = "query($id: ID!) { chat(id: $id) { id title permissionOverwrites { role { name } } } }"
NODE = "query($id: ID!) { node(id: $id) { id ... on Chat { title } } }"
MESSAGES = "query($chat: ID!) { messages(chatId: $chat) { edges { node { content } } } }"
SEND = """mutation($chat: ID!, $content: String!) {
    sendMessage(input: {chatId: $chat, content: $content}) { id }
}"""
REACT = """mutation($id: ID!) { addReaction(messageId: $id, emoji: "👍") { id } }"""
DELETE = "mutation($id: ID!) { deleteMessage(id: $id) { id } }"
TYPING = "mutation($chat: ID!) { sendTyping(chatId: $chat) }"
NOTIFICATIONS = "query { notifications(first: 50) { edges { node { kind message { content } } } } }"


@dataclass
class World:
    space: str
    general: str
    staff_channel: str
    everyone: str  # the default role
    staff: str  # a role at position 1
    mod: str  # a role at position 5 with MANAGE_CHANNELS
    alice: Account  # owner
    bob: Account  # Staff
    carol: Account  # plain member
    dave: Account  # mod: manages channels
    mallory: Account  # outsider


@pytest.fixture
async def world(client: GraphQLClient) -> World:
    alice, bob, carol, dave, mallory = [
        await client.register(tag) for tag in ("alice", "bob", "carol", "dave", "mallory")
    ]
    space = await create_space(client, alice)
    for account in (bob, carol, dave):
        await join_by_invite(client, alice, account, space)
    staff = await create_role(client, alice, space, name="Staff", position=1)
    mod = await create_role(
        client,
        alice,
        space,
        name="mod",
        position=5,
        permissions=["MANAGE_CHANNELS", "VIEW_CHANNELS", "SEND_MESSAGES", "MANAGE_MESSAGES"],
    )
    await assign_role(client, alice, space, bob, staff["id"])
    await assign_role(client, alice, space, dave, mod["id"])
    seen = (await client.data(SPACE, {"id": space}, token=alice.access_token))["space"]
    everyone = next(role["id"] for role in seen["roles"] if role["isDefault"])
    created = await client.data(CREATE_CHANNEL, {"space": space}, token=alice.access_token)
    return World(
        space,
        seen["channels"][0]["id"],
        created["createChannel"]["id"],
        everyone,
        staff["id"],
        mod["id"],
        alice,
        bob,
        carol,
        dave,
        mallory,
    )


async def make_private(client: GraphQLClient, world: World, by: Account | None = None) -> None:
    """#staff: VIEW_CHANNELS denied to everyone, allowed to Staff."""
    token = (by or world.alice).access_token
    chat = world.staff_channel
    deny = {"chat": chat, "role": world.everyone, "allow": [], "deny": ["VIEW_CHANNELS"]}
    await client.data(SET, deny, token=token)
    allow = {"chat": chat, "role": world.staff, "allow": ["VIEW_CHANNELS"], "deny": []}
    await client.data(SET, allow, token=token)


async def code(client: GraphQLClient, query: str, variables: dict[str, Any], who: Account) -> str:
    error = await client.error(query, variables, token=who.access_token)
    found: str = error["extensions"]["code"]
    return found


async def channel_titles(client: GraphQLClient, world: World, who: Account) -> list[str]:
    space = (await client.data(SPACE, {"id": world.space}, token=who.access_token))["space"]
    return [channel["title"] for channel in space["channels"]]


async def send(client: GraphQLClient, who: Account, chat: str, content: str) -> str:
    data = await client.data(SEND, {"chat": chat, "content": content}, token=who.access_token)
    message_id: str = data["sendMessage"]["id"]
    return message_id


async def test_a_private_channel_is_invisible_to_everyone_but_its_role(
    client: GraphQLClient, world: World
) -> None:
    secret = await send(client, world.alice, world.staff_channel, "before it went private")
    await make_private(client, world)
    chat = {"id": world.staff_channel}
    # carol: absent from the list, NOT_FOUND or null everywhere, as if it did not exist.
    assert await channel_titles(client, world, world.carol) == ["general"]
    assert (await client.data(CHAT, chat, token=world.carol.access_token))["chat"] is None
    assert (await client.data(NODE, chat, token=world.carol.access_token))["node"] is None
    message = {"id": secret}
    assert (await client.data(NODE, message, token=world.carol.access_token))["node"] is None
    assert (await client.data(NODE, message, token=world.bob.access_token))["node"] == message
    on_chat = {"chat": world.staff_channel}
    assert await code(client, MESSAGES, on_chat, world.carol) == "NOT_FOUND"
    assert await code(client, SEND, {**on_chat, "content": "hi"}, world.carol) == "NOT_FOUND"
    assert await code(client, TYPING, on_chat, world.carol) == "NOT_FOUND"
    assert await code(client, REACT, {"id": secret}, world.carol) == "NOT_FOUND"
    # bob (Staff), dave (mod: the default role's deny, and nothing of his allows VIEW) ...
    assert await channel_titles(client, world, world.bob) == ["general", "staff"]
    assert await channel_titles(client, world, world.dave) == ["general"]
    # ... the owner is never restricted.
    assert await channel_titles(client, world, world.alice) == ["general", "staff"]
    await send(client, world.bob, world.staff_channel, "staff only")
    history = await client.data(MESSAGES, on_chat, token=world.bob.access_token)
    assert [edge["node"]["content"] for edge in history["messages"]["edges"]] == [
        "before it went private",
        "staff only",
    ]


async def test_no_mention_notification_comes_from_a_channel_the_mentioned_cannot_see(
    client: GraphQLClient, world: World
) -> None:
    await make_private(client, world)
    await send(client, world.bob, world.staff_channel, "@carol is not here to read this")
    await send(client, world.bob, world.general, "@carol hello in general")
    notifications = await client.data(NOTIFICATIONS, token=world.carol.access_token)
    contents = [
        edge["node"]["message"]["content"] for edge in notifications["notifications"]["edges"]
    ]
    assert contents == ["@carol hello in general"]


async def test_an_overwrite_can_take_sending_away_and_give_moderation_in_one_channel(
    client: GraphQLClient, world: World
) -> None:
    announcements = world.staff_channel
    read_only = {
        "chat": announcements,
        "role": world.everyone,
        "allow": [],
        "deny": ["SEND_MESSAGES"],
    }
    await client.data(SET, read_only, token=world.alice.access_token)
    moderators = {
        "chat": announcements,
        "role": world.staff,
        "allow": ["SEND_MESSAGES", "MANAGE_MESSAGES"],
        "deny": [],
    }
    await client.data(SET, moderators, token=world.alice.access_token)
    on_chat = {"chat": announcements, "content": "may I?"}
    assert await code(client, SEND, on_chat, world.carol) == "FORBIDDEN"
    history = await client.data(MESSAGES, {"chat": announcements}, token=world.carol.access_token)
    assert history["messages"]["edges"] == []  # still readable
    by_alice = await send(client, world.alice, announcements, "news")
    await client.data(
        DELETE, {"id": by_alice}, token=world.bob.access_token
    )  # Staff moderates here
    in_general = await send(client, world.alice, world.general, "general news")
    assert await code(client, DELETE, {"id": in_general}, world.bob) == "FORBIDDEN"  # not there
    await send(client, world.carol, world.general, "I can still talk here")


async def test_removing_an_overwrite_gives_the_channel_back(
    client: GraphQLClient, world: World
) -> None:
    await make_private(client, world)
    assert await channel_titles(client, world, world.carol) == ["general"]
    cleared = {"chat": world.staff_channel, "role": world.everyone, "allow": [], "deny": []}
    data = await client.data(SET, cleared, token=world.alice.access_token)
    overwrites = data["setChannelPermissions"]["permissionOverwrites"]
    assert overwrites == [
        {"role": {"id": world.staff, "name": "Staff"}, "allow": ["VIEW_CHANNELS"], "deny": []}
    ]
    assert await channel_titles(client, world, world.carol) == ["general", "staff"]


async def test_deleting_a_role_removes_its_overwrites(client: GraphQLClient, world: World) -> None:
    await make_private(client, world)
    await client.data(
        "mutation($r: ID!) { deleteRole(roleId: $r) }",
        {"r": world.staff},
        token=world.alice.access_token,
    )
    chat = await client.data(CHAT, {"id": world.staff_channel}, token=world.alice.access_token)
    assert chat["chat"]["permissionOverwrites"] == [{"role": {"name": "everyone"}}]
    assert await channel_titles(client, world, world.bob) == ["general"]


async def test_overwrites_are_shown_only_to_who_may_manage_channels(
    client: GraphQLClient, world: World
) -> None:
    await make_private(client, world)
    chat = {"id": world.staff_channel}
    seen = (await client.data(CHAT, chat, token=world.alice.access_token))["chat"]
    assert [o["role"]["name"] for o in seen["permissionOverwrites"]] == ["Staff", "everyone"]
    by_bob = (await client.data(CHAT, chat, token=world.bob.access_token))["chat"]
    assert by_bob["permissionOverwrites"] == []


async def test_who_may_not_set_overwrites(client: GraphQLClient, world: World) -> None:
    def variables(
        role: str, allow: list[str], deny: list[str], chat: str | None = None
    ) -> dict[str, Any]:
        return {"chat": chat or world.general, "role": role, "allow": allow, "deny": deny}

    view = ["VIEW_CHANNELS"]
    # Without MANAGE_CHANNELS: FORBIDDEN; an outsider cannot even see the channel.
    assert await code(client, SET, variables(world.everyone, [], view), world.carol) == "FORBIDDEN"
    assert (
        await code(client, SET, variables(world.everyone, [], view), world.mallory) == "NOT_FOUND"
    )
    # The role hierarchy: dave (mod, position 5) may not touch his own role or one above it.
    assert await code(client, SET, variables(world.mod, [], view), world.dave) == "FORBIDDEN"
    await client.data(SET, variables(world.staff, view, []), token=world.dave.access_token)
    # Nor hand out, in a channel, what he does not have himself.
    pin = variables(world.staff, ["PIN_MESSAGES"], [])
    assert await code(client, SET, pin, world.dave) == "FORBIDDEN"
    # A DIRECT chat has no overwrites.
    direct = await client.data(
        "mutation($u: ID!) { openDirectChat(userId: $u) { id } }",
        {"u": world.bob.id},
        token=world.alice.access_token,
    )
    dm = variables(world.everyone, [], view, direct["openDirectChat"]["id"])
    assert await code(client, SET, dm, world.alice) == "NOT_FOUND"


async def test_bad_overwrites_are_refused_and_change_nothing(
    client: GraphQLClient, world: World
) -> None:
    def variables(role: str, allow: list[str], deny: list[str]) -> dict[str, Any]:
        return {"chat": world.staff_channel, "role": role, "allow": allow, "deny": deny}

    space_wide = variables(world.everyone, ["MANAGE_ROLES"], [])
    error = await client.error(SET, space_wide, token=world.alice.access_token)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "MANAGE_ROLES" in error["message"]
    both = variables(world.everyone, ["SEND_MESSAGES"], ["SEND_MESSAGES", "VIEW_CHANNELS"])
    assert await code(client, SET, both, world.alice) == "BAD_USER_INPUT"
    other_space = await create_space(client, world.mallory, "Elsewhere")
    roles = await client.data(SPACE, {"id": other_space}, token=world.mallory.access_token)
    foreign = roles["space"]["roles"][0]["id"]
    assert await code(client, SET, variables(foreign, [], ["VIEW_CHANNELS"]), world.alice) == (
        "NOT_FOUND"
    )
    chat = await client.data(CHAT, {"id": world.staff_channel}, token=world.alice.access_token)
    assert chat["chat"]["permissionOverwrites"] == []
    assert await channel_titles(client, world, world.carol) == ["general", "staff"]


async def test_an_overwrite_can_allow_mentioning_everyone_in_one_channel(
    client: GraphQLClient, world: World
) -> None:
    allowed = {
        "chat": world.staff_channel,
        "role": world.everyone,
        "allow": ["MENTION_EVERYONE"],
        "deny": [],
    }
    await client.data(SET, allowed, token=world.alice.access_token)
    sent = """mutation($chat: ID!) {
        sendMessage(input: {chatId: $chat, content: "@everyone look"}) { mentionsEveryone }
    }"""
    for chat, expected in ((world.staff_channel, True), (world.general, False)):
        data = await client.data(sent, {"chat": chat}, token=world.carol.access_token)
        assert data["sendMessage"]["mentionsEveryone"] is expected
