"""Who may subscribe to what, and who hears which event: every subscription against every
kind of caller, over real WebSocket clients against a real server.

The space is private; alice owns it. Its default role cannot see channels: bob and erin
read #general through a role, carol is a member who cannot. erin has a group with carol
(dave left it) and a direct chat with carol; dave was then kicked from the space; trent is
banned; mallory is an outsider. Everyone is INVISIBLE, so that opening sockets announces
nobody: the only presence news is the one the test makes.

Non-delivery is proved with a fence: once everything else is sent, zed opens a direct chat
with each caller and writes "fence". Whatever a caller would have heard arrived before it.
"""

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.backends import Backend
from tests.live import direct_chat, next_message, register, send, send_operation, socket, start
from tests.servers import Server, running_server

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
        'mutation { createSpace(input: {name: "Lounge"}) { id channels { id } roles { id } } }',
    )["createSpace"]
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
        r=space["roles"][0]["id"],
    )
    w.chats["group"] = w.call(
        "erin",
        "mutation($u: [ID!]!) { createGroupChat(input: {userIds: $u}) { id } }",
        u=[w.ids["carol"], w.ids["dave"]],
    )["createGroupChat"]["id"]
    w.chats["direct"] = direct_chat(server, w.tokens["erin"], w.ids["carol"])
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


async def fenced(w: LiveWorld, streams: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    """What each caller heard on each subscription, up to zed's fence on myEvents."""
    for name in streams:
        send(
            w.server, w.tokens["zed"], direct_chat(w.server, w.tokens["zed"], w.ids[name]), "fence"
        )
    heard: dict[str, dict[str, list[str]]] = {}
    for name, ws in streams.items():
        heard[name] = {}
        while (
            message := await next_message(ws, 0.3 if "fence" in heard[name] else 5.0)
        ) is not None:
            got = "complete" if message["type"] == "complete" else ""
            if message["type"] == "next":
                got = describe(next(iter(message["payload"]["data"].values())))
            if got == f"MembershipChanged JOINED {name}":
                continue  # the fence's chat opening (nobody joins anything else here)
            if got == "MessageCreated fence":
                heard[name]["fence"] = []
                continue
            heard[name].setdefault(message["id"], []).append(got)
        assert heard[name].pop("fence", None) == [], f"no fence for {name}: {heard[name]}"
    return heard


@pytest.fixture
def server(backend: Backend, tmp_path: Path) -> Iterator[Server]:
    with running_server(backend, tmp_path) as running:
        yield running


OK, NF = "ok", "NOT_FOUND"
IN_CHANNEL = {"alice": OK, "bob": OK, "erin": OK}
IN_CHATS = {"carol": OK, "erin": OK}
OUT_OF_SPACE = {"dave": NF, "mallory": NF, "trent": NF}
WHO_MAY_SUBSCRIBE = {
    "channel": {**IN_CHANNEL, "carol": NF, **OUT_OF_SPACE},
    "group": {**IN_CHATS, "alice": NF, "bob": NF, **OUT_OF_SPACE},
    "direct": {**IN_CHATS, "alice": NF, "bob": NF, **OUT_OF_SPACE},
    "mine": dict.fromkeys(NAMES, OK),
    "space": {**IN_CHANNEL, "carol": OK, **OUT_OF_SPACE},
    "contacts": dict.fromkeys(NAMES, OK),
}
MENTION = "hi @bob @carol @dave @mallory"
CHANNEL = [
    "MessageCreated in the channel",
    "MessageUpdated edited in the channel",
    "ReactionChanged 👍 bob",
    "TypingStarted erin",
    "MessageDeleted",
    f"MessageCreated {MENTION}",
    "MembershipChanged JOINED frank",
]
GROUP = [
    "MessageCreated in the group",
    "ReactionChanged 🎉 carol",
    "TypingStarted carol",
    "MembershipChanged JOINED frank",
]
DIRECT = ["MessageCreated in private", "MessageUpdated edited in private", "MessageDeleted"]
ERIN_ONLINE = "PresenceChanged ONLINE erin"
# Nobody hears their own typing; erin's chats reach her myEvents too (her other devices).
HEARD = {
    "alice": {"channel": CHANNEL, "space": [ERIN_ONLINE]},
    "bob": {"channel": CHANNEL, "mine": ["NotificationCreated MENTION"], "space": [ERIN_ONLINE]},
    "carol": {
        "group": [event for event in GROUP if event != "TypingStarted carol"],
        "direct": DIRECT,
        "mine": ["MessageCreated in the group", *DIRECT, ERIN_ONLINE],
        "space": [ERIN_ONLINE],
        "contacts": [ERIN_ONLINE],
    },
    "erin": {
        "channel": [event for event in CHANNEL if event != "TypingStarted erin"],
        "group": GROUP,
        "direct": DIRECT,
        "mine": ["MessageCreated in the group", *DIRECT, ERIN_ONLINE],
        "space": [ERIN_ONLINE],
        "contacts": [ERIN_ONLINE],
    },
    "dave": {},
    "mallory": {},
    "trent": {},
}


def every_event_kind(w: LiveWorld) -> None:
    """In #general, the group and the direct chat, each kind of event, then erin's presence."""
    message = send(w.server, w.tokens["erin"], w.chats["channel"], "in the channel")
    w.call("erin", EDIT, m=message, t="edited in the channel")
    w.call("bob", REACT, m=message, e="👍")
    w.call("erin", TYPING, c=w.chats["channel"])
    w.call("erin", DELETE, m=message)
    send(w.server, w.tokens["erin"], w.chats["channel"], MENTION)
    w.call("frank", "mutation($c: String!) { joinSpace(inviteCode: $c) { id } }", c=w.invite)
    message = send(w.server, w.tokens["erin"], w.chats["group"], "in the group")
    w.call("carol", REACT, m=message, e="🎉")
    w.call("carol", TYPING, c=w.chats["group"])
    w.call(
        "erin",
        "mutation($c: ID!, $u: ID!) { addChatParticipant(chatId: $c, userId: $u) { id } }",
        c=w.chats["group"],
        u=w.ids["frank"],
    )
    message = send(w.server, w.tokens["erin"], w.chats["direct"], "in private")
    w.call("erin", EDIT, m=message, t="edited in private")
    w.call("erin", DELETE, m=message)
    w.call("erin", ONLINE)


async def test_who_may_subscribe_and_who_hears_each_event(server: Server) -> None:
    w = build_world(server)
    w.call("dave", LEAVE_CHAT, c=w.chats["group"])
    w.call("alice", KICK, s=w.space, u=w.ids["dave"])
    w.call("alice", BAN, s=w.space, u=w.ids["trent"])
    async with sockets(w, NAMES) as streams:
        outcomes = {
            op: {name: await subscribe(w, streams[name], op, expected[name]) for name in NAMES}
            for op, expected in WHO_MAY_SUBSCRIBE.items()
        }
        assert outcomes == WHO_MAY_SUBSCRIBE
        every_event_kind(w)
        assert await fenced(w, streams) == HEARD


# Who listens to what when their access goes, how it goes, and what they hear after.
LISTENERS = {
    "bob": ("channel", "space", "mine"),  # kicked
    "trent": ("channel", "space", "mine"),  # banned
    "frank": ("channel", "space", "mine"),  # leaves the space
    "carol": ("channel", "space", "mine"),  # loses the role that shows her #general
    "dave": ("group", "contacts", "mine"),  # leaves the group, his only chat with erin
    "erin": ("channel", "group", "mine"),  # keeps everything: the later events did happen
}
ENDED = ["complete"]
AFTER = "MessageCreated after"
# #general's readers see each departure, up to their own: their stream ends with it.
GONE = [
    "MembershipChanged KICKED bob",
    "MembershipChanged BANNED trent",
    "MembershipChanged LEFT frank",
    "MembershipChanged ROLES_CHANGED carol",
]
LOST = {
    "bob": {
        "channel": ENDED,
        "space": ENDED,
        "mine": ["NotificationCreated KICKED", "MembershipChanged KICKED bob"],
    },
    "trent": {
        "channel": [*GONE[:1], *ENDED],
        "space": ENDED,
        "mine": ["NotificationCreated BANNED", "MembershipChanged BANNED trent"],
    },
    "frank": {"channel": [*GONE[:2], *ENDED], "space": ENDED, "mine": [GONE[2]]},
    "carol": {
        "channel": [*GONE[:3], *ENDED],
        "space": [ERIN_ONLINE],  # still a member
        "mine": ["NotificationCreated ROLE_REMOVED", GONE[3], AFTER, ERIN_ONLINE],
    },
    "dave": {"group": ENDED, "mine": ["MembershipChanged LEFT dave"]},  # contacts: none now
    "erin": {
        "channel": [*GONE, AFTER],
        "group": ["MembershipChanged LEFT dave", AFTER],
        "mine": [AFTER, ERIN_ONLINE],
    },
}


async def test_whoever_loses_access_mid_stream_hears_nothing_more_and_the_stream_ends(
    server: Server,
) -> None:
    w = build_world(server)
    w.call("frank", "mutation($c: String!) { joinSpace(inviteCode: $c) { id } }", c=w.invite)
    for name in ("trent", "frank", "carol"):
        assign(w, name)
    async with sockets(w, tuple(LISTENERS)) as streams:
        for name, ops in LISTENERS.items():
            for op in ops:
                assert await subscribe(w, streams[name], op, OK) == OK
        w.call("alice", KICK, s=w.space, u=w.ids["bob"])
        w.call("alice", BAN, s=w.space, u=w.ids["trent"])
        w.call("frank", "mutation($s: ID!) { leaveSpace(spaceId: $s) }", s=w.space)
        w.call(
            "alice",
            "mutation($s: ID!, $u: ID!, $r: ID!) { removeRole(spaceId: $s, userId: $u, "
            "roleId: $r) { joinedAt } }",
            s=w.space,
            u=w.ids["carol"],
            r=w.reader_role,
        )
        w.call("dave", LEAVE_CHAT, c=w.chats["group"])
        send(server, w.tokens["erin"], w.chats["channel"], "after")
        send(server, w.tokens["erin"], w.chats["group"], "after")
        w.call("erin", ONLINE)
        assert await fenced(w, streams) == LOST
