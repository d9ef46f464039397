"""Emoji reactions: one per user per emoji, grouped per message, and who may react."""

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette

from db.models import Reaction
from graphql_schema.ids import parse_global_id, to_global_id
from tests.factories import create_space, join
from tests.graphql_client import Account, GraphQLClient

GROUP_FIELDS = "emoji count reactedByMe"
ADD = f"""mutation($m: ID!, $e: String!) {{
    addReaction(messageId: $m, emoji: $e) {{ id reactions {{ {GROUP_FIELDS} }} }}
}}"""
REMOVE = f"""mutation($m: ID!, $e: String!) {{
    removeReaction(messageId: $m, emoji: $e) {{ id reactions {{ {GROUP_FIELDS} }} }}
}}"""
SEND = "mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }"
DELETE = "mutation($id: ID!) { deleteMessage(id: $id) { id deletedAt } }"
HISTORY = f"""query($chat: ID!, $first: Int) {{
    messages(chatId: $chat, last: 100) {{ edges {{ node {{
        id reactions {{ {GROUP_FIELDS} users(first: $first) {{ tag }} }}
    }} }} }}
}}"""
GROUP = "mutation($input: CreateGroupChatInput!) { createGroupChat(input: $input) { id } }"
CHANNELS = "query($id: ID!) { space(id: $id) { channels { id } roles { id isDefault } } }"
UPDATE_ROLE = "mutation($r: ID!, $i: RoleInput!) { updateRole(roleId: $r, input: $i) { id } }"
LEAVE = "mutation($chat: ID!) { leaveChat(chatId: $chat) }"
# 21 distinct single-code-point emoji.
FACES = list("😀😃😄😁😆😅😂🤣😊😇🙂🙃😉😌😍🥰😘😗😙😚😋")


@dataclass
class Room:
    """A group chat of alice, bob and carol with one message by alice; mallory is outside."""

    chat: str
    message: str
    alice: Account
    bob: Account
    carol: Account
    mallory: Account


async def send(client: GraphQLClient, who: Account, chat: str, content: str = "hello") -> str:
    variables = {"input": {"chatId": chat, "content": content}}
    message_id: str = (await client.data(SEND, variables, token=who.access_token))["sendMessage"][
        "id"
    ]
    return message_id


async def create_group(client: GraphQLClient, creator: Account, others: list[Account]) -> str:
    variables = {"input": {"userIds": [other.id for other in others]}}
    chat_id: str = (await client.data(GROUP, variables, token=creator.access_token))[
        "createGroupChat"
    ]["id"]
    return chat_id


@pytest.fixture
async def room(client: GraphQLClient) -> Room:
    alice, bob, carol, mallory = [
        await client.register(tag) for tag in ("alice", "bob", "carol", "mallory")
    ]
    chat = await create_group(client, alice, [bob, carol])
    return Room(chat, await send(client, alice, chat), alice, bob, carol, mallory)


async def react(
    client: GraphQLClient, who: Account, message: str, emoji: str, mutation: str = ADD
) -> list[dict[str, Any]]:
    data = await client.data(mutation, {"m": message, "e": emoji}, token=who.access_token)
    payload = data["addReaction" if mutation is ADD else "removeReaction"]
    assert payload["id"] == message
    groups: list[dict[str, Any]] = payload["reactions"]
    return groups


async def refusal(
    client: GraphQLClient, who: Account, message: str, emoji: str, mutation: str = ADD
) -> dict[str, Any]:
    error = await client.error(mutation, {"m": message, "e": emoji}, token=who.access_token)
    extensions: dict[str, Any] = error["extensions"]
    return extensions


async def reactions_seen_by(
    client: GraphQLClient, who: Account, chat: str, message: str, first: int | None = 10
) -> list[dict[str, Any]]:
    variables: dict[str, Any] = {"chat": chat, "first": first}
    data = await client.data(HISTORY, variables, token=who.access_token)
    [node] = [edge["node"] for edge in data["messages"]["edges"] if edge["node"]["id"] == message]
    groups: list[dict[str, Any]] = node["reactions"]
    return groups


def group(emoji: str, count: int, mine: bool, tags: list[str] | None = None) -> dict[str, Any]:
    expected: dict[str, Any] = {"emoji": emoji, "count": count, "reactedByMe": mine}
    if tags is not None:
        expected["users"] = [{"tag": tag} for tag in tags]
    return expected


async def stored_reactions(app: Starlette, message: str) -> int:
    parsed = parse_global_id(message)
    assert parsed is not None
    async with app.state.services.sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).select_from(Reaction).where(Reaction.message_id == parsed[1])
        )
    return int(count or 0)


# --- one reaction per user per emoji --------------------------------------------------------


async def test_reacting_twice_with_one_emoji_counts_once(client: GraphQLClient, room: Room) -> None:
    assert await react(client, room.bob, room.message, "👍") == [group("👍", 1, True)]
    assert await react(client, room.bob, room.message, "👍") == [group("👍", 1, True)]
    assert await react(client, room.carol, room.message, "👍") == [group("👍", 2, True)]
    seen = await reactions_seen_by(client, room.alice, room.chat, room.message)
    assert seen == [group("👍", 2, False, ["bob", "carol"])]


async def test_groups_show_count_and_whether_the_viewer_reacted(
    client: GraphQLClient, room: Room
) -> None:
    await react(client, room.bob, room.message, "👍")
    await react(client, room.carol, room.message, "👍")
    await react(client, room.carol, room.message, "🎉")
    by_bob = await reactions_seen_by(client, room.bob, room.chat, room.message)
    assert by_bob == [group("👍", 2, True, ["bob", "carol"]), group("🎉", 1, False, ["carol"])]
    by_carol = await reactions_seen_by(client, room.carol, room.chat, room.message)
    assert [g["reactedByMe"] for g in by_carol] == [True, True]
    by_alice = await reactions_seen_by(client, room.alice, room.chat, room.message)
    assert [g["reactedByMe"] for g in by_alice] == [False, False]


async def test_users_are_the_first_to_react_in_order_and_capped(client: GraphQLClient) -> None:
    alice = await client.register("alice")
    crowd = [await client.register(f"crowd{n:02}") for n in range(12)]
    chat = await create_group(client, alice, crowd)
    message = await send(client, alice, chat)
    reactors = list(reversed(crowd))  # not in id order: the reaction order must count
    for account in reactors:
        await react(client, account, message, "🔥")
    order = [account.tag for account in reactors]

    [two] = await reactions_seen_by(client, alice, chat, message, first=2)
    assert two == group("🔥", 12, False, order[:2])
    [default] = await reactions_seen_by(client, alice, chat, message, first=None)
    assert [user["tag"] for user in default["users"]] == order[:3]
    [capped] = await reactions_seen_by(client, alice, chat, message, first=50)
    assert [user["tag"] for user in capped["users"]] == order[:10]
    [none] = await reactions_seen_by(client, alice, chat, message, first=0)
    assert none["users"] == []
    # The last to react is outside the sample but still sees their own reaction.
    [late] = await reactions_seen_by(client, reactors[-1], chat, message)
    assert late["reactedByMe"] is True and late["count"] == 12
    assert reactors[-1].tag not in [user["tag"] for user in late["users"]]


# --- what counts as an emoji ----------------------------------------------------------------


@pytest.mark.parametrize(
    "emoji",
    ["👍🏽", "👨‍👩‍👧", "🇫🇷", "❤️", "🏴󠁧󠁢󠁳󠁣󠁴󠁿"],
    ids=["skin-tone", "zwj-family", "flag", "variation-selector", "subdivision-flag"],
)
async def test_emoji_sequences_and_flags_are_accepted(
    client: GraphQLClient, room: Room, emoji: str
) -> None:
    assert await react(client, room.bob, room.message, emoji) == [group(emoji, 1, True)]
    seen = await reactions_seen_by(client, room.alice, room.chat, room.message)
    assert seen == [group(emoji, 1, False, ["bob"])]


async def test_a_skin_tone_is_a_reaction_of_its_own(client: GraphQLClient, room: Room) -> None:
    await react(client, room.bob, room.message, "👍")
    groups = await react(client, room.bob, room.message, "👍🏽")
    assert groups == [group("👍", 1, True), group("👍🏽", 1, True)]


@pytest.mark.parametrize(
    "emoji",
    ["a", "", "   ", ":)", "👍👍", "1", "🎉" * 33, "x" * 500],
    ids=["letter", "empty", "blank", "emoticon", "two-emoji", "digit", "long-emoji", "long-text"],
)
async def test_anything_but_one_emoji_is_refused(
    client: GraphQLClient, app: Starlette, room: Room, emoji: str
) -> None:
    extensions = await refusal(client, room.bob, room.message, emoji)
    assert extensions == {"code": "BAD_USER_INPUT", "field": "emoji"}
    assert await reactions_seen_by(client, room.bob, room.chat, room.message) == []
    assert await stored_reactions(app, room.message) == 0


async def test_a_message_takes_at_most_20_different_emoji(
    client: GraphQLClient, room: Room
) -> None:
    for face in FACES[:20]:
        await react(client, room.bob, room.message, face)
    extensions = await refusal(client, room.carol, room.message, FACES[20])
    assert extensions == {"code": "BAD_USER_INPUT", "field": "emoji"}
    # Joining an existing group is still fine.
    groups = await react(client, room.carol, room.message, FACES[0])
    assert len(groups) == 20 and groups[0] == group(FACES[0], 2, True)
    assert FACES[20] not in [g["emoji"] for g in groups]
    # Once a group is empty again there is room for a new emoji.
    await react(client, room.bob, room.message, FACES[19], REMOVE)
    groups = await react(client, room.carol, room.message, FACES[20])
    assert len(groups) == 20 and groups[-1] == group(FACES[20], 1, True)


# --- removing ---------------------------------------------------------------------------------


async def test_removing_takes_back_only_my_own_reaction(client: GraphQLClient, room: Room) -> None:
    await react(client, room.bob, room.message, "👍")
    await react(client, room.carol, room.message, "👍")
    groups = await react(client, room.bob, room.message, "👍", REMOVE)
    assert groups == [group("👍", 1, False)]
    # Removing again, or removing what one never added, changes nothing.
    assert await react(client, room.bob, room.message, "👍", REMOVE) == [group("👍", 1, False)]
    assert await react(client, room.alice, room.message, "👍", REMOVE) == [group("👍", 1, False)]
    seen = await reactions_seen_by(client, room.carol, room.chat, room.message)
    assert seen == [group("👍", 1, True, ["carol"])]


async def test_removing_the_last_reaction_removes_the_group(
    client: GraphQLClient, room: Room
) -> None:
    await react(client, room.bob, room.message, "👍")
    assert await react(client, room.bob, room.message, "👍", REMOVE) == []
    assert await reactions_seen_by(client, room.alice, room.chat, room.message) == []


# --- who may react ----------------------------------------------------------------------------


@pytest.mark.parametrize("mutation", [ADD, REMOVE], ids=["add", "remove"])
async def test_outsider_cannot_touch_reactions(
    client: GraphQLClient, room: Room, mutation: str
) -> None:
    await react(client, room.bob, room.message, "👍")
    extensions = await refusal(client, room.mallory, room.message, "👍", mutation)
    assert extensions["code"] == "NOT_FOUND"
    seen = await reactions_seen_by(client, room.alice, room.chat, room.message)
    assert seen == [group("👍", 1, False, ["bob"])]


async def test_former_group_participant_cannot_react(client: GraphQLClient, room: Room) -> None:
    await client.data(LEAVE, {"chat": room.chat}, token=room.carol.access_token)
    assert (await refusal(client, room.carol, room.message, "👍"))["code"] == "NOT_FOUND"
    assert await reactions_seen_by(client, room.alice, room.chat, room.message) == []


async def test_unknown_message_is_not_found(client: GraphQLClient, room: Room) -> None:
    missing = to_global_id("Message", 999_999)
    assert (await refusal(client, room.bob, missing, "👍"))["code"] == "NOT_FOUND"


async def test_reacting_requires_sign_in(client: GraphQLClient, room: Room) -> None:
    error = await client.error(ADD, {"m": room.message, "e": "👍"})
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_non_member_of_a_public_space_cannot_react_in_its_channel(
    client: GraphQLClient, room: Room
) -> None:
    space = await create_space(client, room.alice, public=True)
    data = await client.data(CHANNELS, {"id": space}, token=room.alice.access_token)
    general = data["space"]["channels"][0]["id"]
    message = await send(client, room.alice, general)
    assert (await refusal(client, room.mallory, message, "👍"))["code"] == "NOT_FOUND"
    await join(client, room.mallory, space)
    assert await react(client, room.mallory, message, "👍") == [group("👍", 1, True)]


async def test_channel_member_without_add_reactions_is_forbidden(
    client: GraphQLClient, room: Room
) -> None:
    space = await create_space(client, room.alice, public=True)
    await join(client, room.bob, space)
    data = await client.data(CHANNELS, {"id": space}, token=room.alice.access_token)
    general = data["space"]["channels"][0]["id"]
    default = next(role["id"] for role in data["space"]["roles"] if role["isDefault"])
    permissions = ["VIEW_CHANNELS", "SEND_MESSAGES"]
    await client.data(
        UPDATE_ROLE,
        {"r": default, "i": {"name": "everyone", "permissions": permissions}},
        token=room.alice.access_token,
    )
    message = await send(client, room.alice, general)
    extensions = await refusal(client, room.bob, message, "👍")
    assert extensions == {"code": "FORBIDDEN", "permission": "ADD_REACTIONS"}
    assert await reactions_seen_by(client, room.bob, general, message) == []
    await send(client, room.bob, general, "I can still talk")
    assert await react(client, room.alice, message, "👍") == [group("👍", 1, True)]


async def test_a_reaction_can_be_taken_back_after_losing_add_reactions(
    client: GraphQLClient, room: Room
) -> None:
    space = await create_space(client, room.alice, public=True)
    await join(client, room.bob, space)
    data = await client.data(CHANNELS, {"id": space}, token=room.alice.access_token)
    general = data["space"]["channels"][0]["id"]
    default = next(role["id"] for role in data["space"]["roles"] if role["isDefault"])
    message = await send(client, room.alice, general)
    await react(client, room.bob, message, "👍")
    await client.data(
        UPDATE_ROLE,
        {"r": default, "i": {"name": "everyone", "permissions": ["VIEW_CHANNELS"]}},
        token=room.alice.access_token,
    )
    assert await react(client, room.bob, message, "👍", REMOVE) == []


async def test_emoji_with_and_without_the_variation_selector_are_one_group(
    client: GraphQLClient, room: Room
) -> None:
    await react(client, room.bob, room.message, "\u2764")
    groups = await react(client, room.carol, room.message, "\u2764\ufe0f")
    assert [(g["emoji"], g["count"]) for g in groups] == [("\u2764\ufe0f", 2)]
    after = await react(client, room.bob, room.message, "\u2764", REMOVE)
    assert [(g["emoji"], g["count"]) for g in after] == [("\u2764\ufe0f", 1)]


# --- deleted messages -------------------------------------------------------------------------


async def test_deleted_message_takes_no_reactions(client: GraphQLClient, room: Room) -> None:
    await client.data(DELETE, {"id": room.message}, token=room.alice.access_token)
    extensions = await refusal(client, room.bob, room.message, "👍")
    assert extensions == {"code": "BAD_USER_INPUT", "field": "messageId"}
    assert await reactions_seen_by(client, room.bob, room.chat, room.message) == []


async def test_deleting_a_message_removes_its_reactions(
    client: GraphQLClient, app: Starlette, room: Room
) -> None:
    other = await send(client, room.alice, room.chat, "keep me")
    for account, emoji in [(room.bob, "👍"), (room.carol, "👍"), (room.carol, "🎉")]:
        await react(client, account, room.message, emoji)
    await react(client, room.bob, other, "👍")
    assert await stored_reactions(app, room.message) == 3
    await client.data(DELETE, {"id": room.message}, token=room.alice.access_token)
    assert await reactions_seen_by(client, room.bob, room.chat, room.message) == []
    assert await stored_reactions(app, room.message) == 0
    seen = await reactions_seen_by(client, room.alice, room.chat, other)
    assert seen == [group("👍", 1, False, ["bob"])]
