"""Kicks and bans: the hierarchy decides who may act on whom; every action is recorded."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from db.base import utcnow
from db.models import ModerationAction, Notification
from graphql_schema.ids import parse_global_id
from tests.factories import assign_role, create_role, create_space, join
from tests.graphql_client import Account, GraphQLClient

KICK = "mutation($s: ID!, $u: ID!, $r: String) { kickMember(spaceId: $s, userId: $u, reason: $r) }"
BAN = """mutation($s: ID!, $u: ID!, $r: String, $until: DateTime) {
    banMember(spaceId: $s, userId: $u, reason: $r, expiresAt: $until) {
        reason expiresAt createdAt user { tag } bannedBy { tag }
    }
}"""
UNBAN = "mutation($s: ID!, $u: ID!) { unbanMember(spaceId: $s, userId: $u) }"
BANS = "query($id: ID!) { space(id: $id) { bans { user { tag } reason } } }"
JOIN = "mutation($id: ID!) { joinSpace(spaceId: $id) { id } }"
MINE = "{ mySpaces { id } }"


@dataclass
class Team:
    """alice owns; bob moderates (5); dave is senior (7, no powers); carol and erin are plain."""

    space: str
    owner: Account
    moderator: Account
    senior: Account
    member: Account
    peer: Account


@pytest.fixture
async def team(client: GraphQLClient) -> Team:
    tags = ("alice", "bob", "dave", "carol", "erin")
    alice, bob, dave, carol, erin = [await client.register(tag) for tag in tags]
    space = await create_space(client, alice, public=True)
    for account in (bob, dave, carol, erin):
        await join(client, account, space)
    mod = await create_role(
        client, alice, space, name="mod", position=5, permissions=["KICK_MEMBERS", "BAN_MEMBERS"]
    )
    senior = await create_role(client, alice, space, name="senior", position=7)
    await assign_role(client, alice, space, bob, mod["id"])
    await assign_role(client, alice, space, dave, senior["id"])
    return Team(space, alice, bob, dave, carol, erin)


async def code(client: GraphQLClient, query: str, variables: dict[str, Any], who: Account) -> str:
    result: str = (await client.error(query, variables, token=who.access_token))["extensions"][
        "code"
    ]
    return result


async def is_member(client: GraphQLClient, who: Account, space: str) -> bool:
    data = await client.data(MINE, token=who.access_token)
    return {"id": space} in data["mySpaces"]


def pk(global_id: str) -> int:
    parsed = parse_global_id(global_id)
    assert parsed is not None
    return parsed[1]


async def notifications_of(app: Starlette, who: Account) -> list[tuple[str, int | None]]:
    async with app.state.services.sessionmaker() as session:
        rows = await session.scalars(
            select(Notification).where(Notification.user_id == pk(who.id)).order_by(Notification.id)
        )
        return [(row.kind.value, row.actor_id) for row in rows]


async def actions_in(app: Starlette, space: str) -> list[tuple[str, int | None, int, str | None]]:
    async with app.state.services.sessionmaker() as session:
        rows = await session.scalars(
            select(ModerationAction)
            .where(ModerationAction.space_id == pk(space))
            .order_by(ModerationAction.id)
        )
        return [(r.action, r.actor_id, r.target_user_id, r.detail) for r in rows]


async def test_moderator_kicks_a_lower_member_who_is_told_and_may_return(
    client: GraphQLClient, app: Starlette, team: Team
) -> None:
    variables = {"s": team.space, "u": team.member.id, "r": " spam "}
    assert (await client.data(KICK, variables, token=team.moderator.access_token))["kickMember"]
    assert not await is_member(client, team.member, team.space)
    assert await notifications_of(app, team.member) == [("KICKED", pk(team.moderator.id))]
    assert (await actions_in(app, team.space))[-1] == (
        "KICK",
        pk(team.moderator.id),
        pk(team.member.id),
        "spam",
    )
    await client.data(JOIN, {"id": team.space}, token=team.member.access_token)


@pytest.mark.parametrize("mutation", [KICK, BAN])
@pytest.mark.parametrize("target", ["owner", "senior", "moderator"])
async def test_nobody_acts_on_the_owner_a_higher_member_or_themself(
    client: GraphQLClient, team: Team, mutation: str, target: str
) -> None:
    victim = getattr(team, target)
    variables = {"s": team.space, "u": victim.id}
    assert await code(client, mutation, variables, team.moderator) == "FORBIDDEN"
    assert await is_member(client, victim, team.space)


async def test_equals_cannot_act_on_each_other(client: GraphQLClient, team: Team) -> None:
    mod_role = (
        await client.data(
            "query($id: ID!) { space(id: $id) { roles { id name } } }",
            {"id": team.space},
            token=team.owner.access_token,
        )
    )["space"]["roles"]
    mod_id = next(role["id"] for role in mod_role if role["name"] == "mod")
    await assign_role(client, team.owner, team.space, team.peer, mod_id)
    assert await code(client, KICK, {"s": team.space, "u": team.peer.id}, team.moderator) == (
        "FORBIDDEN"
    )


@pytest.mark.parametrize("mutation", [KICK, BAN, UNBAN])
async def test_plain_members_cannot_moderate(
    client: GraphQLClient, team: Team, mutation: str
) -> None:
    variables = {"s": team.space, "u": team.peer.id}
    assert await code(client, mutation, variables, team.member) == "FORBIDDEN"
    assert await is_member(client, team.peer, team.space)


@pytest.mark.parametrize("mutation", [KICK, BAN, UNBAN])
async def test_outsiders_of_a_private_space_get_not_found(
    client: GraphQLClient, mutation: str
) -> None:
    alice, bob, mallory = [await client.register(t) for t in ("alice", "bob", "mallory")]
    space = await create_space(client, alice)
    assert await code(client, mutation, {"s": space, "u": bob.id}, mallory) == "NOT_FOUND"


async def test_kicking_a_non_member_is_not_found(client: GraphQLClient, team: Team) -> None:
    stranger = await client.register("stranger")
    variables = {"s": team.space, "u": stranger.id}
    assert await code(client, KICK, variables, team.moderator) == "NOT_FOUND"


async def test_banned_member_is_removed_listed_and_kept_out_until_unbanned(
    client: GraphQLClient, app: Starlette, team: Team
) -> None:
    variables = {"s": team.space, "u": team.member.id, "r": "abuse"}
    ban = (await client.data(BAN, variables, token=team.moderator.access_token))["banMember"]
    assert ban["user"] == {"tag": "carol"} and ban["bannedBy"] == {"tag": "bob"}
    assert ban["reason"] == "abuse" and ban["expiresAt"] is None
    assert not await is_member(client, team.member, team.space)
    assert await code(client, JOIN, {"id": team.space}, team.member) == "FORBIDDEN"
    bans = await client.data(BANS, {"id": team.space}, token=team.moderator.access_token)
    assert bans["space"]["bans"] == [{"user": {"tag": "carol"}, "reason": "abuse"}]
    assert ("BANNED", pk(team.moderator.id)) in await notifications_of(app, team.member)
    unban = {"s": team.space, "u": team.member.id}
    assert (await client.data(UNBAN, unban, token=team.moderator.access_token))["unbanMember"]
    assert not (await client.data(UNBAN, unban, token=team.moderator.access_token))["unbanMember"]
    await client.data(JOIN, {"id": team.space}, token=team.member.access_token)
    assert [a[0] for a in await actions_in(app, team.space)][-2:] == ["BAN", "UNBAN"]


async def test_bans_are_listed_only_for_those_who_may_ban(
    client: GraphQLClient, team: Team
) -> None:
    error = await client.error(BANS, {"id": team.space}, token=team.member.access_token)
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_a_user_can_be_banned_before_joining(client: GraphQLClient, team: Team) -> None:
    stranger = await client.register("stranger")
    await client.data(BAN, {"s": team.space, "u": stranger.id}, token=team.moderator.access_token)
    assert await code(client, JOIN, {"id": team.space}, stranger) == "FORBIDDEN"


async def test_expired_ban_stops_applying(
    client: GraphQLClient, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    until = (utcnow() + timedelta(hours=1)).isoformat()
    variables = {"s": team.space, "u": team.member.id, "until": until}
    ban = (await client.data(BAN, variables, token=team.moderator.access_token))["banMember"]
    assert ban["expiresAt"] is not None
    later = utcnow() + timedelta(hours=2)
    monkeypatch.setattr("resolvers.permissions.spaces.utcnow", lambda: later)
    monkeypatch.setattr("resolvers.moderation.utcnow", lambda: later)
    await client.data(JOIN, {"id": team.space}, token=team.member.access_token)
    bans = await client.data(BANS, {"id": team.space}, token=team.moderator.access_token)
    assert bans["space"]["bans"] == []


async def test_ban_expiry_must_be_in_the_future(client: GraphQLClient, team: Team) -> None:
    past = (utcnow() - timedelta(minutes=1)).isoformat()
    error = await client.error(
        BAN,
        {"s": team.space, "u": team.member.id, "until": past},
        token=team.moderator.access_token,
    )
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "expiresAt"}
    assert await is_member(client, team.member, team.space)


async def test_role_changes_notify_the_member_and_are_recorded(
    client: GraphQLClient, app: Starlette, team: Team
) -> None:
    helper = await create_role(client, team.owner, team.space, name="helper", position=2)
    args = {"space": team.space, "user": team.member.id, "role": helper["id"]}
    await assign_role(client, team.owner, team.space, team.member, helper["id"])
    remove = """mutation($space: ID!, $user: ID!, $role: ID!) {
        removeRole(spaceId: $space, userId: $user, roleId: $role) { joinedAt }
    }"""
    await client.data(remove, args, token=team.owner.access_token)
    owner = pk(team.owner.id)
    assert await notifications_of(app, team.member) == [
        ("ROLE_ASSIGNED", owner),
        ("ROLE_REMOVED", owner),
    ]
    recorded = [(a[0], a[3]) for a in await actions_in(app, team.space)][-2:]
    assert recorded == [("ROLE_ASSIGNED", "helper"), ("ROLE_REMOVED", "helper")]
