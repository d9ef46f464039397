"""The viewerCan* fields promise exactly what the mutations then do.

For every kind of caller (owner, ADMINISTRATOR, moderators of several powers and ranks,
plain and muted members, DM participants, outsiders) each capability field is read, then
its mutation tried: true must succeed, false must be refused (FORBIDDEN; NOT_FOUND where
the caller may not even see the thing; BAD_USER_INPUT for what a deleted message no
longer takes). Each field is also checked against what the rules say it should be, so
that a field and a mutation wrong in the same way fail too.

The world is tests/api/authorization_world.py's, with a few more callers.
"""

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette

from tests.api.authorization_world import World, build_world
from tests.factories import assign_role, create_role, join_by_invite, register_directly
from tests.graphql_client import Account, GraphQLClient

MESSAGE_FIELDS = ("viewerCanEdit", "viewerCanDelete", "viewerCanPin", "viewerCanReact")
PAGE = """query($c: ID!) { messages(chatId: $c, last: 100) {
    edges { node { id deletedAt viewerCanEdit viewerCanDelete viewerCanPin viewerCanReact } }
} }"""
NODE = """query($m: ID!) { node(id: $m) { ... on Message {
    viewerCanEdit viewerCanDelete viewerCanPin viewerCanReact
} } }"""
SEND = "mutation($c: ID!, $t: String!) { sendMessage(input: {chatId: $c, content: $t}) { id } }"
# The mutation each message field promises; pinMessage is not in the schema yet, so
# viewerCanPin is checked against the rules alone.
MESSAGE_MUTATIONS = {
    "viewerCanEdit": 'mutation($m: ID!) { editMessage(id: $m, content: "edited") { id } }',
    "viewerCanReact": 'mutation($m: ID!) { addReaction(messageId: $m, emoji: "👍") { id } }',
    "viewerCanPin": "mutation($m: ID!) { pinMessage(id: $m) { id } }",
    "viewerCanDelete": "mutation($m: ID!) { deleteMessage(id: $m) { id } }",  # last: it deletes
}
CHAT = "query($c: ID!) { chat(id: $c) { viewerCanSend viewerPermissions } }"
MEMBERS = """query($s: ID!) { space(id: $s) { members(first: 100) { edges { node {
    user { id } viewerCanKick viewerCanBan viewerCanManageRoles
} } } } }"""
MEMBER_MUTATIONS = {
    "viewerCanKick": "mutation($s: ID!, $u: ID!) { kickMember(spaceId: $s, userId: $u) }",
    "viewerCanBan": "mutation($s: ID!, $u: ID!) { banMember(spaceId: $s, userId: $u) { reason } }",
    "viewerCanManageRoles": "mutation($s: ID!, $u: ID!, $r: ID!) "
    "{ assignRole(spaceId: $s, userId: $u, roleId: $r) { joinedAt } }",
}
POWERS = {
    "viewerCanKick": "KICK_MEMBERS",
    "viewerCanBan": "BAN_MEMBERS",
    "viewerCanManageRoles": "MANAGE_ROLES",
}
tags = itertools.count()


async def outcome(
    client: GraphQLClient, query: str, variables: dict[str, Any], caller: Account
) -> str:
    body = await client.execute(query, variables, token=caller.access_token)
    errors = body.get("errors") or []
    return str(errors[0]["extensions"]["code"]) if errors else "ok"


def keeps_promise(promised: bool, result: str, *, deleted: bool = False) -> bool:
    if promised:
        return result == "ok"
    return result in ({"FORBIDDEN", "BAD_USER_INPUT"} if deleted else {"FORBIDDEN"})


async def newcomer(
    client: GraphQLClient, app: Starlette, world: World, role: str | None = None
) -> Account:
    """A fresh member of the world's space, holding `role` if given."""
    account = await register_directly(app, f"cap{next(tags)}")
    alice = world.accounts["alice"]
    await join_by_invite(client, alice, account, world.space)
    if role is not None:
        await assign_role(client, alice, world.space, account, role)
    return account


@dataclass
class Messages:
    """Reads a message's capability fields and tries their mutations, noting each broken
    promise and each field that differs from the rules."""

    client: GraphQLClient
    chat: str
    deleter: Account  # deletes for the second round what the caller did not
    broken: list[str]

    async def fields(self, caller: Account, message: str) -> dict[str, Any] | None:
        """The fields as a history page shows them (and `node` must agree); None when the
        caller may not read the chat."""
        body = await self.client.execute(PAGE, {"c": self.chat}, token=caller.access_token)
        node = await self.client.data(NODE, {"m": message}, token=caller.access_token)
        if body.get("errors"):
            assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
            assert node["node"] is None
            return None
        edges = body["data"]["messages"]["edges"]
        shown: dict[str, Any] = next(e["node"] for e in edges if e["node"]["id"] == message)
        assert node["node"] == {name: shown[name] for name in MESSAGE_FIELDS}
        return shown

    async def walk(
        self, who: str, caller: Account, message: str, expected: Callable[[bool], dict[str, bool]]
    ) -> None:
        """Live, then deleted (by the deleter if the caller did not delete it)."""
        for deleted in (False, True):
            if deleted:
                await self.client.data(
                    "mutation($m: ID!) { deleteMessage(id: $m) { id } }",
                    {"m": message},
                    token=self.deleter.access_token,
                )
            shown = await self.fields(caller, message)
            if shown is None:
                for query in MESSAGE_MUTATIONS.values():
                    result = await outcome(self.client, query, {"m": message}, caller)
                    if result != "NOT_FOUND":
                        self.broken.append(f"{who} outside the chat: {result}")
                continue
            assert (shown["deletedAt"] is not None) == deleted
            wanted = expected(deleted)
            for name in MESSAGE_FIELDS:
                if shown[name] != wanted[name]:
                    self.broken.append(f"{who} deleted={deleted}: {name}={shown[name]}")
            for name, query in MESSAGE_MUTATIONS.items():
                result = await outcome(self.client, query, {"m": message}, caller)
                if not keeps_promise(shown[name], result, deleted=deleted):
                    self.broken.append(f"{who} deleted={deleted}: {name}={shown[name]}, {result}")


async def send(client: GraphQLClient, chat: str, author: Account) -> str:
    data = await client.data(SEND, {"c": chat, "t": "hello"}, token=author.access_token)
    message: str = data["sendMessage"]["id"]
    return message


async def channel_world(
    client: GraphQLClient, app: Starlette
) -> tuple[World, dict[str, Account], dict[str, str]]:
    """The world plus: an ADMINISTRATOR ranked below bob (3), a janitor managing and
    pinning messages (1), a member kicking only (4), a muted member (the channel denies
    their role sending and reacting), each with a message of their own."""
    world = await build_world(client, app)
    alice = world.accounts["alice"]
    roles = {
        "admin": await create_role(
            client, alice, world.space, name="admin", position=3, permissions=["ADMINISTRATOR"]
        ),
        "janitor": await create_role(
            client,
            alice,
            world.space,
            name="janitor",
            position=1,
            permissions=["MANAGE_MESSAGES", "PIN_MESSAGES"],
        ),
        "kicker": await create_role(
            client, alice, world.space, name="kicker", position=4, permissions=["KICK_MEMBERS"]
        ),
        "muted": await create_role(client, alice, world.space, name="muted", position=1),
        "peer": await create_role(client, alice, world.space, name="peer", position=5),
    }
    callers = dict(world.accounts)
    own: dict[str, str] = {}
    for name in ("admin", "janitor", "kicker", "muted"):
        callers[name] = await newcomer(client, app, world, roles[name]["id"])
    for name in ("alice", "admin", "janitor", "bob", "carol", "muted"):
        own[name] = await send(client, world.channel, callers[name])
    await client.data(
        """mutation($c: ID!, $r: ID!) { setChannelPermissions(chatId: $c, roleId: $r,
            allow: [], deny: [SEND_MESSAGES, ADD_REACTIONS]) { id } }""",
        {"c": world.channel, "r": roles["muted"]["id"]},
        token=alice.access_token,
    )
    world.named.update({name: role["id"] for name, role in roles.items()})
    return world, callers, own


async def test_message_capabilities_match_what_the_mutations_do(
    client: GraphQLClient, app: Starlette
) -> None:
    world, callers, own = await channel_world(client, app)
    broken: list[str] = []
    messages = Messages(client, world.channel, callers["alice"], broken)
    moderators = {"alice", "admin", "janitor"}  # MANAGE_MESSAGES and PIN_MESSAGES here

    for who in ("alice", "admin", "janitor", "bob", "carol", "muted", "mallory", "trent"):
        caller = callers[who]

        def others(deleted: bool, who: str = who) -> dict[str, bool]:
            return {
                "viewerCanEdit": False,
                "viewerCanDelete": who in moderators,
                "viewerCanPin": not deleted and who in moderators,
                "viewerCanReact": not deleted and who != "muted",
            }

        def mine(deleted: bool, who: str = who) -> dict[str, bool]:
            return {
                "viewerCanEdit": not deleted and who != "muted",
                "viewerCanDelete": True,
                "viewerCanPin": not deleted and who in moderators,
                "viewerCanReact": not deleted and who != "muted",
            }

        erins = await send(client, world.channel, callers["erin"])
        await messages.walk(f"{who} on erin's", caller, erins, others)
        if who in own:
            await messages.walk(f"{who} on their own", caller, own[who], mine)
    assert broken == []


async def test_direct_chat_capabilities_match_what_the_mutations_do(
    client: GraphQLClient, app: Starlette
) -> None:
    """A participant pins and reacts to anything, edits and deletes only their own; bob,
    who moderates a space they share, is an outsider here."""
    world = await build_world(client, app)
    carol, erin = world.accounts["carol"], world.accounts["erin"]
    opened = await client.data(
        "mutation($u: ID!) { openDirectChat(userId: $u) { id } }",
        {"u": erin.id},
        token=carol.access_token,
    )
    chat = opened["openDirectChat"]["id"]
    broken: list[str] = []
    messages = Messages(client, chat, erin, broken)  # erin deletes her own
    for who in ("carol", "bob", "mallory"):
        erins = await send(client, chat, erin)
        await messages.walk(
            f"{who} on erin's",
            world.accounts[who],
            erins,
            lambda deleted: {
                "viewerCanEdit": False,
                "viewerCanDelete": False,
                "viewerCanPin": not deleted,
                "viewerCanReact": not deleted,
            },
        )
    messages.deleter = carol
    await messages.walk(
        "carol on her own",
        carol,
        await send(client, chat, carol),
        lambda deleted: {
            "viewerCanEdit": not deleted,
            "viewerCanDelete": True,
            "viewerCanPin": not deleted,
            "viewerCanReact": not deleted,
        },
    )
    assert broken == []


async def test_chat_capabilities_match_sending(client: GraphQLClient, app: Starlette) -> None:
    world, callers, _ = await channel_world(client, app)
    opened = await client.data(
        "mutation($u: ID!) { openDirectChat(userId: $u) { id } }",
        {"u": callers["erin"].id},
        token=callers["carol"].access_token,
    )
    direct = opened["openDirectChat"]["id"]
    broken: list[str] = []
    cases = [(world.channel, who) for who in ("alice", "admin", "bob", "carol", "muted")]
    cases += [(world.channel, "mallory"), (direct, "carol"), (direct, "bob")]
    for chat, who in cases:
        caller = callers[who]
        found = (await client.data(CHAT, {"c": chat}, token=caller.access_token))["chat"]
        result = await outcome(client, SEND, {"c": chat, "t": "hi"}, caller)
        if found is None:
            if result != "NOT_FOUND":
                broken.append(f"{who} outside {chat}: {result}")
            continue
        permissions = set(found["viewerPermissions"])
        if found["viewerCanSend"] != ("SEND_MESSAGES" in permissions):
            broken.append(f"{who} in {chat}: viewerCanSend disagrees with viewerPermissions")
        if not keeps_promise(found["viewerCanSend"], result):
            broken.append(f"{who} in {chat}: viewerCanSend={found['viewerCanSend']}, {result}")
    assert broken == []
    # What the overwrite takes from the muted, and what a participant has.
    muted = (await client.data(CHAT, {"c": world.channel}, token=callers["muted"].access_token))[
        "chat"
    ]
    assert muted["viewerCanSend"] is False
    assert {"SEND_MESSAGES", "ADD_REACTIONS"}.isdisjoint(muted["viewerPermissions"])
    assert "VIEW_CHANNELS" in muted["viewerPermissions"]
    carol = (await client.data(CHAT, {"c": direct}, token=callers["carol"].access_token))["chat"]
    assert set(carol["viewerPermissions"]) == {
        "VIEW_CHANNELS",
        "SEND_MESSAGES",
        "ATTACH_FILES",
        "ADD_REACTIONS",
        "MENTION_EVERYONE",
        "PIN_MESSAGES",
    }


# Callers of the member matrix: (rank, powers). The owner outranks all and has every power.
RANKS = {"admin": 3, "bob": 5, "kicker": 4, "dave": 7, "carol": 0}
CALLER_POWERS = {
    "alice": set(POWERS.values()),
    "admin": set(POWERS.values()),
    "bob": {"KICK_MEMBERS", "BAN_MEMBERS", "MANAGE_ROLES"},
    "kicker": {"KICK_MEMBERS"},
    "dave": set(),
    "carol": set(),
}
# Targets by rank: each made afresh after an action succeeds on one.
TARGET_RANKS = {"plain": 0, "helper": 2, "peer": 5, "senior": 7}


def member_rule(caller: str, target: str, field: str) -> bool:
    """What the rules allow: the power, and a target ranked below (never oneself or the
    owner)."""
    if POWERS[field] not in CALLER_POWERS[caller] or target in ("self", "owner"):
        return False
    return caller == "alice" or RANKS[caller] > TARGET_RANKS[target]


async def test_member_capabilities_match_what_the_mutations_do(
    client: GraphQLClient, app: Starlette
) -> None:
    world, callers, _ = await channel_world(client, app)
    alice = callers["alice"]
    role_of = {
        "plain": None,
        "helper": world.helper_role,
        "peer": world.named["peer"],
        "senior": world.senior_role,
    }
    targets: dict[str, Account] = {}

    async def target(kind: str) -> Account:
        if kind not in targets:
            targets[kind] = await newcomer(client, app, world, role_of[kind])
        return targets[kind]

    broken: list[str] = []
    for who in ("alice", "admin", "bob", "kicker", "dave", "carol", "mallory"):
        caller = callers[who]
        for kind in (*TARGET_RANKS, "self", "owner"):
            for field, mutation in MEMBER_MUTATIONS.items():
                if kind == "self":
                    subject = caller
                elif kind == "owner":
                    subject = alice
                else:
                    subject = await target(kind)
                space = await client.data(MEMBERS, {"s": world.space}, token=caller.access_token)
                edges = space["space"]["members"]["edges"] if space["space"] else []
                shown = next(
                    (e["node"] for e in edges if e["node"]["user"]["id"] == subject.id), None
                )
                variables = {"s": world.space, "u": subject.id}
                if field == "viewerCanManageRoles":
                    variables["r"] = world.helper_role  # below every caller that manages roles
                result = await outcome(client, mutation, variables, caller)
                if who == "mallory":  # no member list, and the space is not even there
                    if shown is not None or result != "NOT_FOUND":
                        broken.append(f"mallory on {kind}: {shown}, {result}")
                    continue
                assert shown is not None, f"{who} sees {kind} among the members"
                if shown[field] != member_rule(who, kind, field):
                    broken.append(f"{who} on {kind}: {field}={shown[field]} against the rules")
                if not keeps_promise(shown[field], result):
                    broken.append(f"{who} on {kind}: {field}={shown[field]}, {result}")
                if result == "ok":
                    targets.pop(kind, None)  # kicked, banned or given a role: use a new one
    assert broken == []
