"""The world the event matrix listens in, and how it listens: one socket per caller, each
subscription an operation named for what it follows, events told apart as one line each.

The space is private; alice owns it. Its default role cannot see channels: bob and erin
read #general through a role, carol is a member who cannot. erin has a group with carol and
dave, a direct chat with carol, and has written "first" and "replayed" in #general (for
chatEvents' `after`). Everyone is INVISIBLE, so that opening sockets announces
nobody: the only presence news is what a test makes. frank and zed are not in the space:
a test brings frank in; zed writes the fence.

Non-delivery is proved with a fence: once everything else is sent, zed opens a direct chat
with each caller and writes "fence" (to myEvents). Whatever a caller would have heard
arrived before it.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.live import direct_chat, next_message, register, send, send_operation, socket, start
from tests.servers import Server

FIELDS = {
    "MessageCreated": "message { content }",
    "MessageUpdated": "message { content }",
    "MessageDeleted": "messageId",
    "ReactionChanged": "emoji user { tag }",
    "TypingStarted": "user { tag }",
    "MembershipChanged": "change user { tag }",
    "NotificationCreated": "notification { kind }",
    "PresenceChanged": "status user { tag }",
}
CHAT_KINDS = list(FIELDS)[:6]
USER_KINDS = ["MessageCreated", "MessageUpdated", "MessageDeleted", *list(FIELDS)[5:]]


def _selection(kinds: list[str]) -> str:
    return "__typename " + " ".join(f"... on {kind} {{ {FIELDS[kind]} }}" for kind in kinds)


CHAT_EVENTS = f"subscription($c: ID!) {{ chatEvents(chatId: $c) {{ {_selection(CHAT_KINDS)} }} }}"
REPLAY = CHAT_EVENTS.replace("($c: ID!)", "($c: ID!, $a: String)").replace("$c)", "$c, after: $a)")
MY_EVENTS = f"subscription {{ myEvents {{ {_selection(USER_KINDS)} }} }}"
PRESENCE = "subscription($s: ID) { presence(spaceId: $s) { __typename status user { tag } } }"
NAMES = ("alice", "bob", "carol", "dave", "erin", "mallory", "trent")
READER = ["VIEW_CHANNELS", "SEND_MESSAGES", "ADD_REACTIONS"]


@dataclass
class LiveWorld:
    server: Server
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    chats: dict[str, str] = field(default_factory=dict)  # channel, group, direct
    space: str = ""
    reader_role: str = ""
    invite: str = ""
    cursor: str = ""  # of the first message in #general: "replayed" follows it

    def call(self, who: str, query: str, **variables: Any) -> Any:
        return self.server.graphql(query, variables, self.tokens[who])


def build_world(server: Server) -> LiveWorld:
    """Everything but what makes dave, trent and carol what they are in each test."""
    w = LiveWorld(server)
    for name in (*NAMES, "frank", "zed"):
        w.tokens[name], w.ids[name] = register(server, name)
        w.call(name, "mutation { setStatus(status: INVISIBLE) { status } }")
    space = w.call(
        "alice",
        'mutation { createSpace(input: {name: "Lounge"}) '
        "{ id channels { id } roles { id isDefault } } }",
    )["createSpace"]
    everyone = next(role["id"] for role in space["roles"] if role["isDefault"])
    w.space, w.chats["channel"] = space["id"], space["channels"][0]["id"]
    w.invite = w.call(
        "alice", "mutation($s: ID!) { createInvite(spaceId: $s) { code } }", s=w.space
    )["createInvite"]["code"]
    for name in ("bob", "carol", "dave", "erin", "trent"):
        w.call(name, "mutation($c: String!) { joinSpace(inviteCode: $c) { id } }", c=w.invite)
    w.reader_role = w.call(
        "alice",
        'mutation($s: ID!, $p: [Permission!]) { createRole(spaceId: $s, input: {name: "reader", '
        "position: 1, permissions: $p}) { id } }",
        s=w.space,
        p=READER,
    )["createRole"]["id"]
    for name in ("bob", "erin"):
        assign(w, name)
    w.call(
        "alice",
        "mutation($r: ID!) { updateRole(roleId: $r, "
        'input: {name: "everyone", permissions: [CREATE_INVITES]}) { id } }',
        r=everyone,
    )
    w.chats["group"] = w.call(
        "erin",
        "mutation($u: [ID!]!) { createGroupChat(input: {userIds: $u}) { id } }",
        u=[w.ids["carol"], w.ids["dave"]],
    )["createGroupChat"]["id"]
    w.chats["direct"] = direct_chat(server, w.tokens["erin"], w.ids["carol"])
    for content in ("first", "replayed"):
        send(server, w.tokens["erin"], w.chats["channel"], content)
    history = "query($c: ID!) { messages(chatId: $c, first: 1) { edges { cursor } } }"
    w.cursor = w.call("erin", history, c=w.chats["channel"])["messages"]["edges"][0]["cursor"]
    return w


def assign(w: LiveWorld, name: str) -> None:
    w.call(
        "alice",
        "mutation($s: ID!, $u: ID!, $r: ID!) { assignRole(spaceId: $s, userId: $u, roleId: $r) "
        "{ joinedAt } }",
        s=w.space,
        u=w.ids[name],
        r=w.reader_role,
    )


KICK = "mutation($s: ID!, $u: ID!) { kickMember(spaceId: $s, userId: $u) }"
BAN = "mutation($s: ID!, $u: ID!) { banMember(spaceId: $s, userId: $u) { reason } }"
LEAVE_CHAT = "mutation($c: ID!) { leaveChat(chatId: $c) }"
EDIT = "mutation($m: ID!, $t: String!) { editMessage(id: $m, content: $t) { id } }"
DELETE = "mutation($m: ID!) { deleteMessage(id: $m) { id } }"
REACT = "mutation($m: ID!, $e: String!) { addReaction(messageId: $m, emoji: $e) { id } }"
TYPING = "mutation($c: ID!) { sendTyping(chatId: $c) }"
ONLINE = "mutation { setStatus(status: ONLINE) { status } }"

# What each subscription is, by the name of its operation on every caller's socket.
SUBSCRIPTIONS: dict[str, tuple[str, Callable[[LiveWorld], dict[str, Any]]]] = {
    "channel": (CHAT_EVENTS, lambda w: {"c": w.chats["channel"]}),
    "replay": (REPLAY, lambda w: {"c": w.chats["channel"], "a": w.cursor}),
    "group": (CHAT_EVENTS, lambda w: {"c": w.chats["group"]}),
    "direct": (CHAT_EVENTS, lambda w: {"c": w.chats["direct"]}),
    "mine": (MY_EVENTS, lambda w: {}),
    "space": (PRESENCE, lambda w: {"s": w.space}),
    "contacts": (PRESENCE, lambda w: {}),
}


def describe(event: dict[str, Any]) -> str:
    """An event as one line: its kind, then its words (ids left out: they differ each run)."""
    words: list[str] = []

    def leaves(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for name, inner in value.items():
                leaves(inner, name)
        elif key not in ("__typename", "messageId"):
            words.append(str(value))

    leaves(event)
    return " ".join([event["__typename"], *words])


@asynccontextmanager
async def sockets(w: LiveWorld, names: tuple[str, ...]) -> AsyncIterator[dict[str, Any]]:
    async with AsyncExitStack() as stack:
        yield {
            name: await stack.enter_async_context(socket(w.server, w.tokens[name]))
            for name in names
        }


async def subscribe(w: LiveWorld, ws: Any, op: str, expected: str) -> str:
    """Start the subscription `op`: "ok" once it listens, or the code it is refused with."""
    query, variables = SUBSCRIPTIONS[op]
    if expected == "ok":
        await start(ws, query, variables(w), op)
        return "ok"
    await send_operation(ws, query, variables(w), op)
    refused = await next_message(ws, 3.0)
    if refused is None:
        return "listening"
    assert await next_message(ws) == {"id": op, "type": "complete"}
    return str(refused["payload"]["errors"][0]["extensions"]["code"])


def _line(message: dict[str, Any]) -> str:
    """A protocol message as one line: the event it carries, its refusal, or "complete"."""
    if message["type"] != "next":
        return str(message["type"])
    if errors := message["payload"].get("errors"):
        return f"error {errors[0]['extensions']['code']}"
    return describe(next(iter(message["payload"]["data"].values())))


async def _heard(name: str, ws: Any) -> dict[str, list[str]]:
    """What `name` heard on each subscription of `ws`, up to the fence (and a moment after,
    for what another subscription of the socket rendered more slowly)."""
    heard: dict[str, list[str]] = {}
    fenced = False
    while (message := await next_message(ws, 0.3 if fenced else 5.0)) is not None:
        line = _line(message)
        if message["id"] == "mine" and line == f"MembershipChanged JOINED {name}":
            continue  # the fence's chat opening (nobody joins anything else here)
        if message["id"] == "mine" and line == "MessageCreated fence":
            fenced = True
            continue
        heard.setdefault(message["id"], []).append(line)
    assert fenced, f"no fence for {name} within 5 s; heard {heard}"
    return heard


async def fenced(w: LiveWorld, streams: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    """What each caller heard on each subscription, up to zed's fence on their myEvents."""
    zed = w.tokens["zed"]
    for name in streams:
        send(w.server, zed, direct_chat(w.server, zed, w.ids[name]), "fence")
    return {name: await _heard(name, ws) for name, ws in streams.items()}
