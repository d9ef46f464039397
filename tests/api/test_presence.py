"""Presence through the API: heartbeat, setStatus, User.status and who hears of changes;
sockets and the presence subscription over real WebSocket clients."""

import asyncio
import json
from collections.abc import AsyncIterator, Collection, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from app.main import create_app
from graphql_schema.ids import pk_from_global_id, to_global_id
from infra.broadcast import Subscription
from infra.outbox import presence_topic, user_topic
from infra.settings import Settings
from tests.backends import Backend, SqliteTemplate
from tests.conftest import make_settings
from tests.factories import create_space, join, register_directly
from tests.graphql_client import Account, GraphQLClient
from tests.live import (
    direct_chat,
    next_event,
    next_message,
    register,
    send_operation,
    socket,
    start,
)
from tests.servers import Server, running_server

TTL = 2.0  # seconds, so that the expiry test stays short
HEARTBEAT = "mutation { heartbeat }"
SET_STATUS = "mutation($s: PresenceStatus!) { setStatus(status: $s) { status lastSeenAt } }"
USER = "query($id: ID!) { user(id: $id) { status lastSeenAt } }"
ME = "query { me { status } }"


@pytest.fixture
def settings(backend: Backend, tmp_path: Path) -> Settings:
    return make_settings(backend, tmp_path / "data", presence_ttl_seconds=TTL)


async def status_of(client: GraphQLClient, who: Account, viewer: Account) -> str:
    data = await client.data(USER, {"id": who.id}, token=viewer.access_token)
    status: str = data["user"]["status"]
    return status


async def set_status(client: GraphQLClient, who: Account, status: str) -> dict[str, Any]:
    data = await client.data(SET_STATUS, {"s": status}, token=who.access_token)
    user: dict[str, Any] = data["setStatus"]
    return user


async def open_direct(client: GraphQLClient, who: Account, other: Account) -> None:
    query = "mutation($u: ID!) { openDirectChat(userId: $u) { id } }"
    await client.data(query, {"u": other.id}, token=who.access_token)


def pk(account: Account) -> int:
    return pk_from_global_id(account.id, "User")


@asynccontextmanager
async def listening(app: Starlette, *topics: str) -> AsyncIterator[Subscription]:
    publisher = app.state.services.publisher
    async with publisher.broadcast.subscribe(
        *(publisher.channel(t) for t in topics)
    ) as subscription:
        yield subscription


async def drain(subscription: Subscription, wait: float = 0.3) -> list[tuple[str, dict[str, Any]]]:
    """(channel suffix, payload) of everything that arrives within `wait` seconds."""
    received: list[tuple[str, dict[str, Any]]] = []
    while True:
        try:
            event = await asyncio.wait_for(subscription.get(), wait)
        except TimeoutError:
            return received
        topic = event.channel.split(":", 1)[1]
        received.append((topic, json.loads(event.message)))


async def test_a_heartbeat_brings_the_caller_online_for_themself_and_others(
    client: GraphQLClient,
) -> None:
    alice = await client.register("alice")
    bob = await client.register("bob")
    await open_direct(client, alice, bob)  # shares alice's presence with bob
    assert (await client.data(ME, token=alice.access_token))["me"]["status"] == "OFFLINE"
    assert await status_of(client, alice, bob) == "OFFLINE"
    assert (await client.data(HEARTBEAT, token=alice.access_token))["heartbeat"] is True
    assert (await client.data(ME, token=alice.access_token))["me"]["status"] == "ONLINE"
    assert await status_of(client, alice, bob) == "ONLINE"
    assert await status_of(client, bob, alice) == "OFFLINE"


async def test_away_and_dnd_are_seen_by_chat_partners_while_online(client: GraphQLClient) -> None:
    alice = await client.register("alice")
    bob = await client.register("bob")
    await open_direct(client, alice, bob)  # shares alice's presence with bob
    await client.data(HEARTBEAT, token=alice.access_token)
    assert (await set_status(client, alice, "AWAY"))["status"] == "AWAY"
    assert await status_of(client, alice, bob) == "AWAY"
    assert (await set_status(client, alice, "DND"))["status"] == "DND"
    assert await status_of(client, alice, bob) == "DND"
    assert (await set_status(client, alice, "ONLINE"))["status"] == "ONLINE"
    assert await status_of(client, alice, bob) == "ONLINE"


async def test_a_chosen_status_applies_only_while_connected(client: GraphQLClient) -> None:
    alice = await client.register("alice")
    bob = await client.register("bob")
    await open_direct(client, alice, bob)  # shares alice's presence with bob
    assert (await set_status(client, alice, "DND"))["status"] == "OFFLINE"
    assert await status_of(client, alice, bob) == "OFFLINE"
    await client.data(HEARTBEAT, token=alice.access_token)
    assert await status_of(client, alice, bob) == "DND"  # the choice was kept


async def test_invisible_shows_offline_to_others_and_freezes_last_seen(
    client: GraphQLClient,
) -> None:
    alice = await client.register("alice")
    bob = await client.register("bob")
    await open_direct(client, alice, bob)  # shares alice's presence with bob
    await client.data(HEARTBEAT, token=alice.access_token)
    assert (await client.data(USER, {"id": alice.id}, token=bob.access_token))["user"] == {
        "status": "ONLINE",
        "lastSeenAt": None,
    }
    mine = await set_status(client, alice, "INVISIBLE")
    assert mine["status"] == "INVISIBLE"
    seen = (await client.data(USER, {"id": alice.id}, token=bob.access_token))["user"]
    assert seen["status"] == "OFFLINE"
    assert seen["lastSeenAt"] is not None  # as if alice had left when she turned invisible
    assert (await client.data(ME, token=alice.access_token))["me"]["status"] == "INVISIBLE"
    await asyncio.sleep(0.05)
    await client.data(HEARTBEAT, token=alice.access_token)  # activity while invisible
    later = (await client.data(USER, {"id": alice.id}, token=bob.access_token))["user"]
    assert later == seen


async def test_offline_cannot_be_chosen(client: GraphQLClient) -> None:
    alice = await client.register("alice")
    error = await client.error(SET_STATUS, {"s": "OFFLINE"}, token=alice.access_token)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "status"


@pytest.mark.parametrize(
    ("query", "variables"), [(HEARTBEAT, {}), (SET_STATUS, {"s": "AWAY"})], ids=["heart", "set"]
)
async def test_presence_mutations_require_sign_in(
    client: GraphQLClient, query: str, variables: dict[str, Any]
) -> None:
    error = await client.error(query, variables)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_heartbeats_that_stop_end_in_offline_with_last_seen_recorded(
    client: GraphQLClient, app: Starlette
) -> None:
    alice = await client.register("alice")
    bob = await client.register("bob")
    await open_direct(client, alice, bob)
    await client.data(HEARTBEAT, token=alice.access_token)
    async with listening(app, user_topic(pk(bob))) as events:
        await asyncio.sleep(TTL * 0.5)  # (0.9 failed under a load average of 13)
        assert await status_of(client, alice, bob) == "ONLINE"
        received = await drain(events, TTL)  # the TTL runs out, then the next sweep
    assert received == [
        (user_topic(pk(bob)), {"kind": "PresenceChanged", "userId": pk(alice), "status": "OFFLINE"})
    ]
    seen = (await client.data(USER, {"id": alice.id}, token=bob.access_token))["user"]
    assert seen["status"] == "OFFLINE"
    assert seen["lastSeenAt"] is not None


async def test_changes_reach_the_user_s_spaces_and_chat_partners_only(
    client: GraphQLClient, app: Starlette
) -> None:
    alice = await client.register("alice")
    bob = await client.register("bob")
    carol = await client.register("carol")
    space = await create_space(client, carol, public=True)
    await join(client, alice, space)
    await open_direct(client, alice, bob)
    other_space = await create_space(client, carol, "Elsewhere")
    space_pk = pk_from_global_id(space, "Space")
    other_pk = pk_from_global_id(other_space, "Space")
    topics = [
        presence_topic(space_pk),
        presence_topic(other_pk),
        user_topic(pk(alice)),
        user_topic(pk(bob)),
        user_topic(pk(carol)),
    ]
    async with listening(app, *topics) as events:
        await client.data(HEARTBEAT, token=alice.access_token)
        await client.data(HEARTBEAT, token=alice.access_token)  # still online: no news
        await set_status(client, alice, "DND")
        await set_status(client, alice, "INVISIBLE")
        await set_status(client, alice, "INVISIBLE")
        received = await drain(events)
    heard = [(topic, payload["status"]) for topic, payload in received]
    everyone = [presence_topic(space_pk), user_topic(pk(alice)), user_topic(pk(bob))]
    assert sorted(heard) == sorted(
        (topic, status) for status in ("ONLINE", "DND", "OFFLINE") for topic in everyone
    )
    assert all(payload["userId"] == pk(alice) for _, payload in received)


async def test_an_invisible_user_coming_online_is_not_announced(
    client: GraphQLClient, app: Starlette
) -> None:
    alice = await client.register("alice")
    bob = await client.register("bob")
    await open_direct(client, alice, bob)
    await set_status(client, alice, "INVISIBLE")
    async with listening(app, user_topic(pk(bob))) as events:
        await client.data(HEARTBEAT, token=alice.access_token)
        assert await drain(events) == []


async def test_status_of_a_page_of_users_costs_one_presence_round_trip(
    client: GraphQLClient, app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    crowd = [await register_directly(app, f"crowd{n}") for n in range(30)]
    space = await create_space(client, crowd[0], public=True)  # shares their presence
    for account in crowd[1:]:
        await join(client, account, space)
    for account in crowd[::3]:
        await client.data(HEARTBEAT, token=account.access_token)
    store = app.state.services.presence.store
    calls: list[Collection[int]] = []
    original = store.online

    async def counted(user_ids: Collection[int]) -> set[int]:
        calls.append(user_ids)
        found: set[int] = await original(user_ids)
        return found

    monkeypatch.setattr(store, "online", counted)
    query = 'query { searchUsers(query: "crowd", first: 50) { tag status } }'
    users = (await client.data(query, token=crowd[1].access_token))["searchUsers"]
    assert len(calls) == 1 and len(calls[0]) == 30
    online = {user["tag"] for user in users if user["status"] == "ONLINE"}
    assert online == {account.tag for account in crowd[::3]}


async def test_presence_fails_open_when_redis_is_down(
    sqlite_template: SqliteTemplate, tmp_path: Path
) -> None:
    backend = sqlite_template.fresh(tmp_path)
    settings = make_settings(backend, tmp_path / "data", broadcast_url="redis://127.0.0.1:1/0")
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            client = GraphQLClient(http)
            alice = await client.register("alice")
            assert (await client.data(HEARTBEAT, token=alice.access_token))["heartbeat"] is True
            assert (await set_status(client, alice, "AWAY"))["status"] == "OFFLINE"
            assert (await client.data(ME, token=alice.access_token))["me"]["status"] == "OFFLINE"


# Over real WebSocket clients against a real server process.

LIVE_TTL = "1"  # seconds: sockets refresh every 1/3 s, the sweeper runs every 1/4 s
PRESENCE = """subscription($space: ID) {
    presence(spaceId: $space) { status user { tag } }
}"""


@pytest.fixture
def server(backend: Backend, tmp_path: Path) -> Iterator[Server]:
    with running_server(backend, tmp_path, PRESENCE_TTL_SECONDS=LIVE_TTL) as running:
        yield running


def seen(server: Server, user_id: str, viewer: str) -> dict[str, Any]:
    user: dict[str, Any] = server.graphql(USER, {"id": user_id}, viewer)["user"]
    return user


async def eventually_seen(
    server: Server, user_id: str, viewer: str, status: str, wait: float = 5.0
) -> dict[str, Any]:
    """The user as `viewer` sees them once their status is `status` (fails after `wait`)."""
    deadline = asyncio.get_running_loop().time() + wait
    while (user := seen(server, user_id, viewer))["status"] != status:
        assert asyncio.get_running_loop().time() < deadline, f"{user}\n{server.output()}"
        await asyncio.sleep(0.05)
    return user


async def test_two_sockets_count_once_and_the_last_one_closing_ends_presence(
    server: Server,
) -> None:
    alice, alice_id = register(server, "alice")
    bob, bob_id = register(server, "bob")
    direct_chat(server, alice, bob_id)
    async with socket(server, alice):
        async with socket(server, alice):
            assert seen(server, alice_id, bob) == {"status": "ONLINE", "lastSeenAt": None}
        await asyncio.sleep(0.3)
        assert seen(server, alice_id, bob) == {"status": "ONLINE", "lastSeenAt": None}
        await asyncio.sleep(float(LIVE_TTL) * 1.5)  # kept alive by refreshes, not the TTL
        assert seen(server, alice_id, bob)["status"] == "ONLINE"
    gone = await eventually_seen(server, alice_id, bob, "OFFLINE")
    assert gone["lastSeenAt"] is not None


async def test_space_presence_reaches_another_member(server: Server) -> None:
    owner, _ = register(server, "owner")
    alice, _ = register(server, "alice")
    space = server.graphql('mutation { createSpace(input: {name: "Lounge"}) { id } }', {}, owner)
    space_id = space["createSpace"]["id"]
    invite = "mutation($s: ID!) { createInvite(spaceId: $s) { code } }"
    code = server.graphql(invite, {"s": space_id}, owner)["createInvite"]["code"]
    join = "mutation($c: String!) { joinSpace(inviteCode: $c) { id } }"
    server.graphql(join, {"c": code}, alice)
    async with socket(server, owner) as ws:
        await start(ws, PRESENCE, {"space": space_id})
        async with socket(server, alice):
            came = await next_event(ws, "presence")
            assert came == {"status": "ONLINE", "user": {"tag": "alice"}}
            server.graphql(SET_STATUS, {"s": "AWAY"}, alice)
            assert await next_event(ws, "presence") == {"status": "AWAY", "user": {"tag": "alice"}}
        left = await next_event(ws, "presence")
        assert left == {"status": "OFFLINE", "user": {"tag": "alice"}}


@pytest.mark.parametrize("space", ["private", "public", "missing"])
async def test_space_presence_is_not_found_for_outsiders(server: Server, space: str) -> None:
    owner, _ = register(server, "owner")
    mallory, _ = register(server, "mallory")
    create = 'mutation($p: Boolean!) { createSpace(input: {name: "Lounge", isPublic: $p}) { id } }'
    space_id = (
        to_global_id("Space", 999_999)
        if space == "missing"
        else server.graphql(create, {"p": space == "public"}, owner)["createSpace"]["id"]
    )
    async with socket(server, mallory) as ws:
        await send_operation(ws, PRESENCE, {"space": space_id})
        refused = await next_message(ws)
        assert refused is not None and refused["type"] == "next", refused
        assert refused["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert await next_message(ws) == {"id": "1", "type": "complete"}


async def test_leaving_the_space_ends_its_presence_subscription(server: Server) -> None:
    owner, _ = register(server, "owner")
    alice, _ = register(server, "alice")
    space = server.graphql(
        'mutation { createSpace(input: {name: "Lounge", isPublic: true}) { id } }', {}, owner
    )["createSpace"]["id"]
    server.graphql("mutation($s: ID!) { joinSpace(spaceId: $s) { id } }", {"s": space}, alice)
    async with socket(server, alice) as ws:
        await start(ws, PRESENCE, {"space": space})
        server.graphql("mutation($s: ID!) { leaveSpace(spaceId: $s) }", {"s": space}, alice)
        assert await next_message(ws, 3.0) == {"id": "1", "type": "complete"}


async def test_presence_without_a_space_reaches_a_direct_chat_partner(server: Server) -> None:
    alice, _ = register(server, "alice")
    bob, bob_id = register(server, "bob")
    carol, _ = register(server, "carol")
    direct_chat(server, alice, bob_id)
    async with socket(server, bob) as ws:
        await start(ws, PRESENCE)
        server.graphql(HEARTBEAT, {}, alice)  # online over HTTP, no socket
        assert await next_event(ws, "presence") == {"status": "ONLINE", "user": {"tag": "alice"}}
        server.graphql(SET_STATUS, {"s": "INVISIBLE"}, alice)
        assert await next_event(ws, "presence") == {"status": "OFFLINE", "user": {"tag": "alice"}}
        server.graphql(HEARTBEAT, {}, carol)  # shares no chat with bob
        assert await next_message(ws, 1.0) is None
