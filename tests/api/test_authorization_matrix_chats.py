"""Who may and who may not: every chat and message mutation against every kind of caller.

The world of tests/api/authorization_world.py, and then: carol posts in #general before
the default role is cut down to reading (so she is a member without SEND_MESSAGES, and
the author of a message she can no longer edit); bob and erin speak (SEND_MESSAGES,
ADD_REACTIONS), bob also cleans up (MANAGE_MESSAGES, ATTACH_FILES). erin mentions carol
in #general, starts a group with carol and dave and a direct chat with carol; dave leaves
the group and is then kicked from the space: he was there, and is removed.

These mutations leave the others' rights as they were, so one world serves the whole
table: cases run in order (deletions and leaving last), refused callers first.
"""

from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette

from tests.api.authorization_world import Case, World, attempt, build_world
from tests.factories import assign_role, create_role
from tests.graphql_client import GraphQLClient

SPEAKER = ["SEND_MESSAGES", "ADD_REACTIONS"]
CLEANER = ["MANAGE_MESSAGES", "ATTACH_FILES"]
READ_ONLY = ["VIEW_CHANNELS", "CREATE_INVITES"]
SEND = "mutation($i: SendMessageInput!) { sendMessage(input: $i) { id } }"


async def _send(client: GraphQLClient, world: World, who: str, chat: str, text: str) -> str:
    data = await client.data(
        SEND, {"i": {"chatId": chat, "content": text}}, token=world.accounts[who].access_token
    )
    message_id: str = data["sendMessage"]["id"]
    return message_id


async def _as(client: GraphQLClient, world: World, who: str, query: str, **variables: Any) -> Any:
    return await client.data(query, variables, token=world.accounts[who].access_token)


async def build_chat_world(client: GraphQLClient, app: Starlette) -> World:
    w = await build_world(client, app)
    alice = w.accounts["alice"]
    w.named["channel"] = w.channel
    w.named["carols"] = await _send(client, w, "carol", w.channel, "before the mute")
    speaker = await create_role(
        client, alice, w.space, name="speak", position=1, permissions=SPEAKER
    )
    cleaner = await create_role(
        client, alice, w.space, name="clean", position=3, permissions=CLEANER
    )
    for name, role in (("bob", speaker), ("erin", speaker), ("bob", cleaner)):
        await assign_role(client, alice, w.space, w.accounts[name], role["id"])
    roles = await _as(
        client, w, "alice", "query($s: ID!) { space(id: $s) { roles { id isDefault } } }", s=w.space
    )
    default = next(role["id"] for role in roles["space"]["roles"] if role["isDefault"])
    await _as(
        client,
        w,
        "alice",
        "mutation($r: ID!, $p: [Permission!]) "
        '{ updateRole(roleId: $r, input: {name: "everyone", permissions: $p}) { id } }',
        r=default,
        p=READ_ONLY,
    )
    w.named["erins"] = await _send(client, w, "erin", w.channel, f"hi @{w.accounts['carol'].tag}")
    group = await _as(
        client,
        w,
        "erin",
        "mutation($u: [ID!]!) { createGroupChat(input: {userIds: $u}) { id } }",
        u=[w.id("carol"), w.id("dave")],
    )
    w.named["group"] = group["createGroupChat"]["id"]
    w.named["group_message"] = await _send(client, w, "erin", w.named["group"], "in the group")
    direct = await _as(
        client,
        w,
        "erin",
        "mutation($u: ID!) { openDirectChat(userId: $u) { id } }",
        u=w.id("carol"),
    )
    w.named["direct"] = direct["openDirectChat"]["id"]
    await _as(client, w, "dave", "mutation($c: ID!) { leaveChat(chatId: $c) }", c=w.named["group"])
    await _as(
        client,
        w,
        "alice",
        "mutation($s: ID!, $u: ID!) { kickMember(spaceId: $s, userId: $u) }",
        s=w.space,
        u=w.id("dave"),
    )
    notes = await _as(client, w, "carol", "{ notifications { edges { node { id } } } }")
    w.named["notification"] = notes["notifications"]["edges"][0]["node"]["id"]
    return w


# Outside #general: dave (removed), mallory (outsider), trent (banned).
OUT_OF_CHANNEL = {"dave": "NOT_FOUND", "mallory": "NOT_FOUND", "trent": "NOT_FOUND"}
# Outside the group: alice (owns the space, no say in a group), dave (left), mallory.
OUT_OF_GROUP = {"alice": "NOT_FOUND", "dave": "NOT_FOUND", "mallory": "NOT_FOUND"}
SPEAKERS = {"alice": "ok", "bob": "ok", "erin": "ok", "carol": "FORBIDDEN", **OUT_OF_CHANNEL}
READERS = {"alice": "ok", "bob": "ok", "carol": "ok", "erin": "ok", **OUT_OF_CHANNEL}
CHANNEL_MANAGERS = {"alice": "ok", "bob": "ok", "erin": "FORBIDDEN", **OUT_OF_CHANNEL}
IN_GROUP = {"carol": "ok", "erin": "ok", **OUT_OF_GROUP}
# PIN_MESSAGES: none of the roles has it, the owner has everything.
PINNERS = {
    "alice": "ok",
    "bob": "FORBIDDEN",
    "carol": "FORBIDDEN",
    "erin": "FORBIDDEN",
    **OUT_OF_CHANNEL,
}

SEND_FILE = (
    "mutation($c: ID!, $f: Upload!) "
    '{ sendMessage(input: {chatId: $c, content: "file", attachments: [$f]}) { id } }'
)
EDIT = 'mutation($m: ID!) { editMessage(id: $m, content: "edited") { id } }'
DELETE = "mutation($m: ID!) { deleteMessage(id: $m) { id } }"
REACT = 'mutation($m: ID!) {{ {0}(messageId: $m, emoji: "👍") {{ id }} }}'
PIN = "mutation($m: ID!) {{ {0}(id: $m) {{ id }} }}"


def _in(chat: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"i": {"chatId": w.named[chat], "content": "hello"}}


def _message(name: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"m": w.named[name]}


def _chat(name: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"c": w.named[name]}


CASES = {
    "sendMessage in a channel": Case(SEND, _in("channel"), SPEAKERS),
    "sendMessage with a file": Case(
        SEND_FILE,
        lambda w: {"c": w.channel, "f": None},
        {**SPEAKERS, "erin": "FORBIDDEN"},
        files={"variables.f": ("a.txt", b"some text", "text/plain")},
    ),
    "sendMessage in a group": Case(SEND, _in("group"), IN_GROUP),
    "sendMessage in a direct chat": Case(
        SEND,
        _in("direct"),
        {"carol": "ok", "erin": "ok", "alice": "NOT_FOUND", "mallory": "NOT_FOUND"},
    ),
    "sendTyping": Case("mutation($c: ID!) { sendTyping(chatId: $c) }", _chat("channel"), SPEAKERS),
    "editMessage of another": Case(
        EDIT, _message("erins"), {**SPEAKERS, "alice": "FORBIDDEN", "bob": "FORBIDDEN"}
    ),
    "editMessage own without SEND_MESSAGES": Case(EDIT, _message("carols"), {"carol": "FORBIDDEN"}),
    "editMessage in a group": Case(
        EDIT, _message("group_message"), {**IN_GROUP, "carol": "FORBIDDEN"}
    ),
    "addReaction": Case(REACT.format("addReaction"), _message("erins"), SPEAKERS),
    "addReaction in a group": Case(
        REACT.format("addReaction"), _message("group_message"), IN_GROUP
    ),
    "pinMessage in a channel": Case(PIN.format("pinMessage"), _message("erins"), PINNERS),
    "unpinMessage in a channel": Case(PIN.format("unpinMessage"), _message("erins"), PINNERS),
    "pinMessage in a group": Case(PIN.format("pinMessage"), _message("group_message"), IN_GROUP),
    "unpinMessage in a group": Case(
        PIN.format("unpinMessage"), _message("group_message"), IN_GROUP
    ),
    "removeReaction needs no right": Case(
        REACT.format("removeReaction"), _message("erins"), READERS
    ),
    "markChatRead": Case(
        "mutation($c: ID!) { markChatRead(chatId: $c) { id } }", _chat("channel"), READERS
    ),
    "markChatRead in a group": Case(
        "mutation($c: ID!) { markChatRead(chatId: $c) { id } }", _chat("group"), IN_GROUP
    ),
    "addChatParticipant": Case(
        "mutation($c: ID!, $u: ID!) { addChatParticipant(chatId: $c, userId: $u) { id } }",
        lambda w: {"c": w.named["group"], "u": w.id("carol")},
        IN_GROUP,
    ),
    "openDirectChat": Case(
        "mutation($u: ID!) { openDirectChat(userId: $u) { id } }",
        lambda w: {"u": w.id("erin")},
        {"carol": "ok", "mallory": "ok", "trent": "ok"},
    ),
    "createGroupChat": Case(
        "mutation($u: [ID!]!) { createGroupChat(input: {userIds: $u}) { id } }",
        lambda w: {"u": [w.id("erin")]},
        {"mallory": "ok", "dave": "ok"},
    ),
    "markNotificationRead": Case(
        "mutation($n: ID!) { markNotificationRead(id: $n) { id } }",
        lambda w: {"n": w.named["notification"]},
        {"carol": "ok", "erin": "NOT_FOUND", "alice": "NOT_FOUND", "mallory": "NOT_FOUND"},
    ),
    "createChannel": Case(
        'mutation($s: ID!) { createChannel(spaceId: $s, input: {title: "x"}) { id } }',
        lambda w: {"s": w.space},
        {**CHANNEL_MANAGERS, "carol": "FORBIDDEN"},
    ),
    "updateChannel": Case(
        'mutation($c: ID!) { updateChannel(chatId: $c, input: {title: "x"}) { id } }',
        _chat("channel"),
        {**CHANNEL_MANAGERS, "carol": "FORBIDDEN"},
    ),
    # Deleting twice answers as deleting once, after the same checks: one message serves.
    "deleteMessage of erin's": Case(
        DELETE,
        _message("erins"),
        {"alice": "ok", "bob": "ok", "erin": "ok", "carol": "FORBIDDEN", **OUT_OF_CHANNEL},
    ),
    "deleteMessage own without SEND_MESSAGES": Case(DELETE, _message("carols"), {"carol": "ok"}),
    "deleteMessage of another in a group": Case(
        DELETE, _message("group_message"), {**IN_GROUP, "carol": "FORBIDDEN"}
    ),
    "leaveChat": Case(
        "mutation($c: ID!) { leaveChat(chatId: $c) }",
        _chat("group"),
        {"carol": "ok", **OUT_OF_GROUP},
    ),
}


async def test_authorization_matrix_of_chats_and_messages(
    client: GraphQLClient, app: Starlette
) -> None:
    world = await build_chat_world(client, app)
    outcomes: dict[str, dict[str, str]] = {}
    for name, case in CASES.items():
        refused_first = sorted(case.outcomes, key=lambda caller: case.outcomes[caller] == "ok")
        outcomes[name] = {
            caller: await attempt(client, case, world, caller) for caller in refused_first
        }
    assert outcomes == {name: case.outcomes for name, case in CASES.items()}
