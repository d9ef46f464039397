"""Pinned messages: who may pin, the order and limit of a chat's pins, and deleting."""

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from resolvers import pins
from resolvers.pins import MAX_PINS
from tests import live
from tests.backends import Backend
from tests.factories import assign_role, create_role, create_space, join
from tests.graphql_client import Account, GraphQLClient
from tests.servers import running_server

PIN_FIELDS = "id pinnedAt pinnedBy { tag }"
PIN = f"mutation($id: ID!) {{ pinMessage(id: $id) {{ {PIN_FIELDS} }} }}"
UNPIN = f"mutation($id: ID!) {{ unpinMessage(id: $id) {{ {PIN_FIELDS} }} }}"
PINNED = f"query($id: ID!) {{ chat(id: $id) {{ pinnedMessages {{ {PIN_FIELDS} content }} }} }}"
SEND = "mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }"
DELETE = "mutation($id: ID!) { deleteMessage(id: $id) { id } }"
GROUP = "mutation($ids: [ID!]!) { createGroupChat(input: {userIds: $ids}) { id } }"
DIRECT = "mutation($u: ID!) { openDirectChat(userId: $u) { id } }"
CHANNELS = "query($id: ID!) { space(id: $id) { channels { id } } }"
HISTORY = f"""query($chat: ID!) {{
    messages(chatId: $chat, last: 100) {{ edges {{ node {{ {PIN_FIELDS} content }} }} }}
}}"""


@dataclass
class Group:
    """A group chat of alice, bob and carol with one message by bob; mallory is outside."""

    chat: str
    message: str
    alice: Account
    bob: Account
    carol: Account
    mallory: Account


async def send(client: GraphQLClient, who: Account, chat: str, content: str = "hello") -> str:
    data = await client.data(
        SEND, {"input": {"chatId": chat, "content": content}}, token=who.access_token
    )
    message_id: str = data["sendMessage"]["id"]
    return message_id


async def pin(
    client: GraphQLClient, who: Account, message: str, mutation: str = PIN
) -> dict[str, Any]:
    data = await client.data(mutation, {"id": message}, token=who.access_token)
    pinned: dict[str, Any] = data["pinMessage" if mutation is PIN else "unpinMessage"]
    return pinned


async def refusal(
    client: GraphQLClient, who: Account, message: str, mutation: str = PIN
) -> dict[str, Any]:
    error = await client.error(mutation, {"id": message}, token=who.access_token)
    extensions: dict[str, Any] = error["extensions"]
    return extensions


async def pinned_in(client: GraphQLClient, who: Account, chat: str) -> list[str]:
    """The ids of the chat's pinned messages as `who` sees them, in order."""
    data = await client.data(PINNED, {"id": chat}, token=who.access_token)
    return [message["id"] for message in data["chat"]["pinnedMessages"]]


@pytest.fixture
async def group(client: GraphQLClient) -> Group:
    alice, bob, carol, mallory = [
        await client.register(tag) for tag in ("alice", "bob", "carol", "mallory")
    ]
    chat = (await client.data(GROUP, {"ids": [bob.id, carol.id]}, token=alice.access_token))[
        "createGroupChat"
    ]["id"]
    return Group(chat, await send(client, bob, chat), alice, bob, carol, mallory)


async def channel_with_member(client: GraphQLClient) -> tuple[Account, Account, str, str]:
    """alice's public space with bob a plain member: (alice, bob, space, #general)."""
    alice, bob = await client.register("alice"), await client.register("bob")
    space = await create_space(client, alice, public=True)
    await join(client, bob, space)
    general = (await client.data(CHANNELS, {"id": space}, token=alice.access_token))["space"][
        "channels"
    ][0]["id"]
    return alice, bob, space, general


# --- who may pin ------------------------------------------------------------------------------


async def test_any_group_participant_pins_and_unpins_any_message(
    client: GraphQLClient, group: Group
) -> None:
    pinned = await pin(client, group.carol, group.message)
    assert pinned["pinnedAt"] is not None
    assert pinned["pinnedBy"] == {"tag": "carol"}
    assert await pinned_in(client, group.alice, group.chat) == [group.message]
    unpinned = await pin(client, group.alice, group.message, UNPIN)
    assert (unpinned["pinnedAt"], unpinned["pinnedBy"]) == (None, None)
    assert await pinned_in(client, group.bob, group.chat) == []


async def test_direct_chat_participants_pin(client: GraphQLClient) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    chat = (await client.data(DIRECT, {"u": bob.id}, token=alice.access_token))["openDirectChat"][
        "id"
    ]
    message = await send(client, alice, chat)
    assert (await pin(client, bob, message))["pinnedBy"] == {"tag": "bob"}
    assert await pinned_in(client, alice, chat) == [message]


@pytest.mark.parametrize("mutation", [PIN, UNPIN])
async def test_outsiders_cannot_pin_unpin_or_see_pins(
    client: GraphQLClient, group: Group, mutation: str
) -> None:
    await pin(client, group.alice, group.message)
    assert (await refusal(client, group.mallory, group.message, mutation))["code"] == "NOT_FOUND"
    data = await client.data(PINNED, {"id": group.chat}, token=group.mallory.access_token)
    assert data["chat"] is None
    assert await pinned_in(client, group.alice, group.chat) == [group.message]


async def test_a_participant_who_left_can_no_longer_pin(
    client: GraphQLClient, group: Group
) -> None:
    leave = "mutation($c: ID!) { leaveChat(chatId: $c) }"
    await client.data(leave, {"c": group.chat}, token=group.carol.access_token)
    assert (await refusal(client, group.carol, group.message))["code"] == "NOT_FOUND"
    data = await client.data(PINNED, {"id": group.chat}, token=group.carol.access_token)
    assert data["chat"] is None


async def test_a_channel_member_without_pin_messages_is_forbidden(client: GraphQLClient) -> None:
    alice, bob, _, general = await channel_with_member(client)
    mine, theirs = await send(client, bob, general), await send(client, alice, general)
    for message in (mine, theirs):  # not even their own
        assert await refusal(client, bob, message) == {
            "code": "FORBIDDEN",
            "permission": "PIN_MESSAGES",
        }
    await pin(client, alice, theirs)
    assert (await refusal(client, bob, theirs, UNPIN))["code"] == "FORBIDDEN"
    # Reading the pins needs no permission beyond reading the channel.
    assert await pinned_in(client, bob, general) == [theirs]


async def test_a_role_with_pin_messages_lets_a_member_pin_in_channels(
    client: GraphQLClient,
) -> None:
    alice, bob, space, general = await channel_with_member(client)
    message = await send(client, alice, general)
    role = await create_role(client, alice, space, name="pinners", permissions=["PIN_MESSAGES"])
    await assign_role(client, alice, space, bob, role["id"])
    assert (await pin(client, bob, message))["pinnedBy"] == {"tag": "bob"}
    assert (await pin(client, bob, message, UNPIN))["pinnedAt"] is None


async def test_an_outsider_of_a_space_gets_not_found_for_its_channel_pins(
    client: GraphQLClient,
) -> None:
    alice, _, _, general = await channel_with_member(client)
    mallory = await client.register("mallory")
    message = await send(client, alice, general)
    assert (await refusal(client, mallory, message))["code"] == "NOT_FOUND"
    data = await client.data(PINNED, {"id": general}, token=mallory.access_token)
    assert data["chat"] is None


SET_OVERWRITE = """mutation($chat: ID!, $role: ID!, $allow: [Permission!]!, $deny: [Permission!]!) {
    setChannelPermissions(chatId: $chat, roleId: $role, allow: $allow, deny: $deny) { id }
}"""
ROLES = "query($id: ID!) { space(id: $id) { roles { id isDefault } } }"
CREATE_CHANNEL = """mutation($space: ID!, $title: String!) {
    createChannel(spaceId: $space, input: {title: $title}) { id }
}"""


async def test_channel_overwrites_decide_who_pins_there(client: GraphQLClient) -> None:
    """#pins allows PIN_MESSAGES to everyone; #general denies it to the pinners role that
    has it space-wide; #hidden denies VIEW_CHANNELS to everyone."""
    alice, bob, space, general = await channel_with_member(client)
    carol = await client.register("carol")
    await join(client, carol, space)
    channel = {
        title: (
            await client.data(
                CREATE_CHANNEL, {"space": space, "title": title}, token=alice.access_token
            )
        )["createChannel"]["id"]
        for title in ("pins", "hidden")
    }
    roles = (await client.data(ROLES, {"id": space}, token=alice.access_token))["space"]["roles"]
    everyone = next(role["id"] for role in roles if role["isDefault"])
    pinners = await create_role(client, alice, space, name="pinners", permissions=["PIN_MESSAGES"])
    await assign_role(client, alice, space, carol, pinners["id"])
    for chat, role, allow, deny in (
        (channel["pins"], everyone, ["PIN_MESSAGES"], []),
        (general, pinners["id"], [], ["PIN_MESSAGES"]),
        (channel["hidden"], everyone, [], ["VIEW_CHANNELS"]),
    ):
        variables = {"chat": chat, "role": role, "allow": allow, "deny": deny}
        await client.data(SET_OVERWRITE, variables, token=alice.access_token)
    message = {chat: await send(client, alice, chat) for chat in (general, *channel.values())}

    assert (await pin(client, bob, message[channel["pins"]]))["pinnedBy"] == {"tag": "bob"}
    assert (await pin(client, carol, message[channel["pins"]], UNPIN))["pinnedAt"] is None
    for who in (bob, carol):
        assert (await refusal(client, who, message[general]))["code"] == "FORBIDDEN"
        assert (await refusal(client, who, message[channel["hidden"]]))["code"] == "NOT_FOUND"
    await pin(client, alice, message[channel["hidden"]])
    data = await client.data(PINNED, {"id": channel["hidden"]}, token=bob.access_token)
    assert data["chat"] is None
    assert await pinned_in(client, alice, channel["hidden"]) == [message[channel["hidden"]]]


# --- order and idempotency --------------------------------------------------------------------


async def test_pinned_messages_come_most_recently_pinned_first(
    client: GraphQLClient, group: Group
) -> None:
    first, second = (
        await send(client, group.alice, group.chat),
        await send(client, group.alice, group.chat),
    )
    for message in (second, group.message, first):
        await pin(client, group.alice, message)
    assert await pinned_in(client, group.bob, group.chat) == [first, group.message, second]
    await pin(client, group.alice, group.message, UNPIN)
    await pin(client, group.alice, group.message)  # pinned again: the most recent now
    assert await pinned_in(client, group.bob, group.chat) == [group.message, first, second]


async def test_pinning_twice_changes_nothing_and_unpinning_twice_is_harmless(
    client: GraphQLClient, group: Group
) -> None:
    pinned = await pin(client, group.bob, group.message)
    again = await pin(client, group.carol, group.message)
    assert again == pinned  # the first pin's time and pinner stay
    await pin(client, group.bob, group.message, UNPIN)
    unpinned = await pin(client, group.bob, group.message, UNPIN)
    assert (unpinned["pinnedAt"], unpinned["pinnedBy"]) == (None, None)
    # Unpinning a message never pinned is harmless too.
    other = await send(client, group.alice, group.chat)
    assert (await pin(client, group.alice, other, UNPIN))["pinnedAt"] is None


async def test_the_pin_shows_on_the_message_in_history(client: GraphQLClient, group: Group) -> None:
    pinned = await pin(client, group.carol, group.message)
    data = await client.data(HISTORY, {"chat": group.chat}, token=group.alice.access_token)
    [node] = [edge["node"] for edge in data["messages"]["edges"]]
    assert (node["pinnedAt"], node["pinnedBy"]) == (pinned["pinnedAt"], {"tag": "carol"})


# --- deleted messages -------------------------------------------------------------------------


async def test_a_deleted_message_cannot_be_pinned(client: GraphQLClient, group: Group) -> None:
    await client.data(DELETE, {"id": group.message}, token=group.bob.access_token)
    assert await refusal(client, group.alice, group.message) == {
        "code": "BAD_USER_INPUT",
        "field": "id",
    }
    assert await pinned_in(client, group.alice, group.chat) == []


async def test_deleting_a_pinned_message_unpins_it(client: GraphQLClient, group: Group) -> None:
    other = await send(client, group.alice, group.chat, "stays")
    await pin(client, group.alice, group.message)
    await pin(client, group.alice, other)
    await client.data(DELETE, {"id": group.message}, token=group.bob.access_token)
    assert await pinned_in(client, group.carol, group.chat) == [other]
    data = await client.data(HISTORY, {"chat": group.chat}, token=group.carol.access_token)
    deleted = next(e["node"] for e in data["messages"]["edges"] if e["node"]["id"] == group.message)
    assert (deleted["pinnedAt"], deleted["pinnedBy"], deleted["content"]) == (None, None, None)
    # Unpinning it now is harmless.
    assert (await pin(client, group.alice, group.message, UNPIN))["pinnedAt"] is None


# --- the limit --------------------------------------------------------------------------------


async def full_chat(client: GraphQLClient, group: Group) -> list[str]:
    """MAX_PINS messages pinned in the group's chat (its first message among them), and one
    more unpinned: all their ids, the unpinned last."""
    messages = [group.message] + [
        await send(client, group.alice, group.chat, f"m{n}") for n in range(MAX_PINS)
    ]
    for message in messages[:MAX_PINS]:
        await pin(client, group.alice, message)
    return messages


async def test_the_pin_past_the_limit_is_a_conflict_until_one_is_unpinned(
    client: GraphQLClient, group: Group
) -> None:
    messages = await full_chat(client, group)
    extra = messages[-1]
    assert (await refusal(client, group.bob, extra))["code"] == "CONFLICT"
    pinned = await pinned_in(client, group.bob, group.chat)
    assert pinned == messages[:MAX_PINS][::-1]
    # Re-pinning one already pinned is still fine when the chat is full.
    await pin(client, group.bob, messages[0])
    await pin(client, group.bob, messages[0], UNPIN)
    assert (await pin(client, group.bob, extra))["pinnedAt"] is not None
    assert (await refusal(client, group.bob, messages[0]))["code"] == "CONFLICT"


async def test_deleting_a_pinned_message_frees_its_slot(
    client: GraphQLClient, group: Group
) -> None:
    messages = await full_chat(client, group)
    await client.data(DELETE, {"id": messages[0]}, token=group.bob.access_token)
    assert (await pin(client, group.carol, messages[-1]))["pinnedAt"] is not None


async def test_concurrent_pins_never_pass_the_limit(
    client: GraphQLClient, group: Group, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last free slot, asked for by several pins at once: exactly one gets it.

    Each pin dawdles between its write and its commit, so that without the per-chat lock
    the others would count the pins committed so far and all succeed."""
    announce = pins.message_event

    async def slowly(*args: Any) -> None:
        await asyncio.sleep(0.05)
        await announce(*args)

    monkeypatch.setattr(pins, "message_event", slowly)
    messages = [group.message] + [
        await send(client, group.alice, group.chat, f"m{n}") for n in range(MAX_PINS + 5)
    ]
    for message in messages[: MAX_PINS - 1]:
        await pin(client, group.alice, message)
    racing = messages[MAX_PINS - 1 :]
    who = [group.alice, group.bob, group.carol]
    bodies = await asyncio.gather(
        *(
            client.execute(PIN, {"id": message}, token=who[n % 3].access_token)
            for n, message in enumerate(racing)
        )
    )
    codes = sorted(
        body["errors"][0]["extensions"]["code"] if body.get("errors") else "OK" for body in bodies
    )
    assert codes == ["CONFLICT"] * (len(racing) - 1) + ["OK"]
    assert len(await pinned_in(client, group.bob, group.chat)) == MAX_PINS


# --- live events ------------------------------------------------------------------------------

PIN_EVENTS = """subscription($chat: ID!) {
    chatEvents(chatId: $chat) {
        __typename
        ... on MessageCreated { message { content } }
        ... on MessageUpdated { message { id pinnedAt pinnedBy { tag } } }
    }
}"""


MY_PIN_EVENTS = """subscription {
    myEvents {
        __typename
        ... on MessageCreated { message { content } }
        ... on MessageUpdated { message { id pinnedAt pinnedBy { tag } } }
    }
}"""


async def test_pins_reach_chat_subscribers_and_a_repeated_pin_sends_nothing(
    backend: Backend, tmp_path: Path
) -> None:
    """bob watches the direct chat's chatEvents, alice her myEvents."""
    with running_server(backend, tmp_path) as server:
        alice, _ = live.register(server, "alice")
        bob, bob_id = live.register(server, "bob")
        chat = live.direct_chat(server, alice, bob_id)
        message = live.send(server, alice, chat, "pin me")
        async with live.socket(server, bob) as ws, live.socket(server, alice) as mine:
            await live.start(ws, PIN_EVENTS, {"chat": chat})
            await live.start(mine, MY_PIN_EVENTS)
            pinned = server.graphql(PIN, {"id": message}, alice)["pinMessage"]
            shown = {"id": message, "pinnedAt": pinned["pinnedAt"], "pinnedBy": {"tag": "alice"}}
            event = await live.next_event(ws, "chatEvents")
            assert event == {"__typename": "MessageUpdated", "message": shown}
            assert await live.next_event(mine, "myEvents") == event
            server.graphql(PIN, {"id": message}, bob)  # already pinned: no event
            live.send(server, alice, chat, "next")
            created = {"__typename": "MessageCreated", "message": {"content": "next"}}
            assert await live.next_event(ws, "chatEvents") == created
            assert await live.next_event(mine, "myEvents") == created
            server.graphql(UNPIN, {"id": message}, bob)
            event = await live.next_event(ws, "chatEvents")
            assert event["message"] == {"id": message, "pinnedAt": None, "pinnedBy": None}
            assert await live.next_event(mine, "myEvents") == event
            server.graphql(UNPIN, {"id": message}, bob)  # not pinned: no event
            assert await live.next_message(ws, 1.0) is None
            assert await live.next_message(mine, 0.1) is None
