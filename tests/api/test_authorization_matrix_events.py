"""Who may subscribe to what, and who hears which event: every subscription against every
kind of caller, over real WebSocket clients against a real server, on both backends.

The world of tests/api/authorization_streams.py. In the first test dave wrote in the group,
left it and was then kicked from the space, trent is banned and mallory is an outsider;
the second takes access away from listeners mid-stream.
"""

from tests.api.authorization_streams import (
    BAN,
    DELETE,
    EDIT,
    KICK,
    LEAVE_CHAT,
    NAMES,
    ONLINE,
    REACT,
    TYPING,
    LiveWorld,
    assign,
    build_world,
    fenced,
    sockets,
    subscribe,
)
from tests.live import send
from tests.servers import Server

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
    # Last: what it replays comes at once, and a refusal is read as the next message.
    "replay": {**IN_CHANNEL, "carol": NF, **OUT_OF_SPACE},
}
# Only those who can read the chat are mentioned (or notified of a reply: not dave).
MENTION = "hi @bob @carol @dave @mallory @trent"
GROUP_MENTION = "in the group, @carol @dave @alice"
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
    f"MessageCreated {GROUP_MENTION}",
    "ReactionChanged 🎉 carol",
    "TypingStarted carol",
    "MembershipChanged JOINED frank",
]
DIRECT = ["MessageCreated in private", "MessageUpdated edited in private", "MessageDeleted"]
ERIN_ONLINE = "PresenceChanged ONLINE erin"
REPLAYED = "MessageCreated replayed"  # chatEvents' `after` first replays the history
# Nobody hears their own typing; erin's chats reach her myEvents too (her other devices).
# A message's notifications are announced before the message itself.
HEARD = {
    "alice": {"channel": CHANNEL, "replay": [REPLAYED, *CHANNEL], "space": [ERIN_ONLINE]},
    "bob": {
        "channel": CHANNEL,
        "replay": [REPLAYED, *CHANNEL],
        "mine": ["NotificationCreated MENTION"],
        "space": [ERIN_ONLINE],
    },
    "carol": {
        "group": [event for event in GROUP if event != "TypingStarted carol"],
        "direct": DIRECT,
        "mine": ["NotificationCreated MENTION", GROUP[0], *DIRECT, ERIN_ONLINE],
        "space": [ERIN_ONLINE],
        "contacts": [ERIN_ONLINE],
    },
    "erin": {
        "channel": [event for event in CHANNEL if event != "TypingStarted erin"],
        "replay": [REPLAYED, *(event for event in CHANNEL if event != "TypingStarted erin")],
        "group": GROUP,
        "direct": DIRECT,
        "mine": [GROUP[0], *DIRECT, ERIN_ONLINE],
        "space": [ERIN_ONLINE],
        "contacts": [ERIN_ONLINE],
    },
    # Coming online, those outside the space and sharing no chat reach only themselves.
    **{
        name: {
            "mine": [f"PresenceChanged ONLINE {name}"],
            "contacts": [f"PresenceChanged ONLINE {name}"],
        }
        for name in ("dave", "mallory", "trent")
    },
}


def every_event_kind(w: LiveWorld, daves: str) -> None:
    """In #general, the group (replying to `daves`, from before dave left) and the direct
    chat, each kind of event, then presence."""
    message = send(w.server, w.tokens["erin"], w.chats["channel"], "in the channel")
    w.call("erin", EDIT, m=message, t="edited in the channel")
    w.call("bob", REACT, m=message, e="👍")
    w.call("erin", TYPING, c=w.chats["channel"])
    w.call("erin", DELETE, m=message)
    send(w.server, w.tokens["erin"], w.chats["channel"], MENTION)
    w.call("frank", "mutation($c: String!) { joinSpace(inviteCode: $c) { id } }", c=w.invite)
    message = w.call(
        "erin",
        "mutation($i: SendMessageInput!) { sendMessage(input: $i) { id } }",
        i={"chatId": w.chats["group"], "content": GROUP_MENTION, "replyToId": daves},
    )["sendMessage"]["id"]
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
    for name in ("dave", "mallory", "trent", "erin"):
        w.call(name, ONLINE)


async def test_who_may_subscribe_and_who_hears_each_event(server: Server) -> None:
    w = build_world(server)
    daves = send(server, w.tokens["dave"], w.chats["group"], "dave's")
    w.call("dave", LEAVE_CHAT, c=w.chats["group"])
    w.call("alice", KICK, s=w.space, u=w.ids["dave"])
    w.call("alice", BAN, s=w.space, u=w.ids["trent"])
    async with sockets(w, NAMES) as streams:
        outcomes = {
            op: {name: await subscribe(w, streams[name], op, expected[name]) for name in NAMES}
            for op, expected in WHO_MAY_SUBSCRIBE.items()
        }
        assert outcomes == WHO_MAY_SUBSCRIBE
        every_event_kind(w, daves)
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
BEFORE, AFTER = "MessageCreated before", "MessageCreated after"
# #general's readers see each departure, up to their own: their stream ends with it.
GONE = [
    "MembershipChanged KICKED bob",
    "MembershipChanged BANNED trent",
    "MembershipChanged LEFT frank",
    "MembershipChanged ROLES_CHANGED carol",
]
LOST = {
    "bob": {
        "channel": [BEFORE, *ENDED],
        "space": ENDED,
        "mine": ["NotificationCreated KICKED", "MembershipChanged KICKED bob"],
    },
    "trent": {
        "channel": [BEFORE, *GONE[:1], *ENDED],
        "space": ENDED,
        "mine": ["NotificationCreated BANNED", "MembershipChanged BANNED trent"],
    },
    "frank": {"channel": [BEFORE, *GONE[:2], *ENDED], "space": ENDED, "mine": [GONE[2]]},
    "carol": {
        "channel": [BEFORE, *GONE[:3], *ENDED],
        "space": [ERIN_ONLINE],  # still a member
        "mine": [BEFORE, "NotificationCreated ROLE_REMOVED", GONE[3], AFTER, ERIN_ONLINE],
    },
    # contacts: erin's presence reaches him no more.
    "dave": {"group": [BEFORE, *ENDED], "mine": [BEFORE, "MembershipChanged LEFT dave"]},
    "erin": {
        "channel": [BEFORE, *GONE, AFTER],
        "group": [BEFORE, "MembershipChanged LEFT dave", AFTER],
        "mine": [BEFORE, AFTER, ERIN_ONLINE],
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
        for chat in ("channel", "group"):
            send(server, w.tokens["erin"], w.chats[chat], "before")
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
