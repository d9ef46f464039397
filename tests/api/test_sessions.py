"""sessions, revokeSession, and ended sessions refused at once (HTTP and sockets)."""

import asyncio
import json
import time
import uuid
from pathlib import Path

import pytest
from starlette.applications import Starlette

from tests.backends import Backend
from tests.conftest import StatementCounter
from tests.graphql_client import Account, GraphQLClient
from tests.live import (
    closed_with,
    connect,
    next_event,
    next_message,
    register,
    send_operation,
    socket,
)
from tests.servers import Server, running_server

SESSIONS = "{ sessions { id createdAt lastUsedAt userAgent current } }"
REVOKE = "mutation($id: ID!) { revokeSession(id: $id) }"
LOGIN = """mutation($login: String!) {
    login(input: {login: $login, password: "correct horse"}) { accessToken refreshToken }
}"""
REFRESH = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken } }"
LOGOUT = "mutation($t: String!) { logout(refreshToken: $t) }"
ME = "{ me { id } }"


async def login(client: GraphQLClient, account: Account, agent: str) -> tuple[str, str]:
    response = await client.http.post(
        "/graphql",
        json={"query": LOGIN, "variables": {"login": account.tag}},
        headers={"User-Agent": agent},
    )
    payload = response.json()["data"]["login"]
    return payload["accessToken"], payload["refreshToken"]


async def code_of(
    client: GraphQLClient, query: str, variables: dict[str, object], token: str
) -> str:
    error = await client.error(query, variables, token=token)
    code: str = error["extensions"]["code"]
    return code


async def test_sessions_lists_mine_newest_first_with_the_current_one(
    client: GraphQLClient,
) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    phone, _ = await login(client, alice, "Phone/1.0 " + "x" * 400)
    await login(client, alice, "Laptop/2.0")
    listed = (await client.data(SESSIONS, token=phone))["sessions"]
    assert [s["userAgent"][:10] for s in listed[:2]] == ["Laptop/2.0", "Phone/1.0 "]
    assert len(listed) == 3  # and the session registration started
    assert len(listed[1]["userAgent"]) == 256
    assert [s["current"] for s in listed] == [False, True, False]
    assert listed[0]["lastUsedAt"] >= listed[0]["createdAt"]
    # Bob sees only his own.
    assert len((await client.data(SESSIONS, token=bob.access_token))["sessions"]) == 1
    assert await code_of(client, SESSIONS, {}, "") == "UNAUTHENTICATED"
    # node(id) finds my session, never someone else's.
    node = "query($id: ID!) { node(id: $id) { id ... on Session { current } } }"
    mine = (await client.data(node, {"id": listed[1]["id"]}, token=phone))["node"]
    assert mine == {"id": listed[1]["id"], "current": True}
    assert (await client.data(node, {"id": listed[1]["id"]}, token=bob.access_token))[
        "node"
    ] is None


async def test_revoked_session_refuses_its_tokens_at_once(client: GraphQLClient) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    phone, phone_refresh = await login(client, alice, "Phone")
    listed = (await client.data(SESSIONS, token=alice.access_token))["sessions"]
    [phone_session] = [s for s in listed if s["userAgent"] == "Phone"]
    # Another user's session is NOT_FOUND, and stays alive.
    variables = {"id": phone_session["id"]}
    assert await code_of(client, REVOKE, variables, bob.access_token) == "NOT_FOUND"
    assert await client.data(ME, token=phone)
    assert await client.data(REVOKE, variables, token=alice.access_token) == {"revokeSession": True}
    error = await client.error(ME, token=phone)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert error["extensions"]["reason"] == "SESSION_ENDED"
    assert await code_of(client, REFRESH, {"t": phone_refresh}, "") == "UNAUTHENTICATED"
    # The other sessions go on; the ended one is no longer listed.
    assert await client.data(ME, token=alice.access_token)
    listed = (await client.data(SESSIONS, token=alice.access_token))["sessions"]
    assert phone_session["id"] not in [s["id"] for s in listed]
    bad = {"id": "nonsense"}
    assert await code_of(client, REVOKE, bad, alice.access_token) == "BAD_USER_INPUT"


async def test_refreshed_tokens_stay_in_their_session(client: GraphQLClient) -> None:
    alice = await client.register("alice")
    refreshed = (await client.data(REFRESH, {"t": alice.refresh_token}))["refreshToken"]
    listed = (await client.data(SESSIONS, token=refreshed["accessToken"]))["sessions"]
    assert [s["current"] for s in listed] == [True]


async def test_logout_and_reuse_end_the_access_tokens_at_once(client: GraphQLClient) -> None:
    alice = await client.register("alice")
    phone, phone_refresh = await login(client, alice, "Phone")
    assert await client.data(LOGOUT, {"t": alice.refresh_token}) == {"logout": True}
    assert await code_of(client, ME, {}, alice.access_token) == "UNAUTHENTICATED"
    assert await client.data(ME, token=phone)
    # Reusing a rotated refresh token ends the session its newer tokens belong to.
    rotated = (await client.data(REFRESH, {"t": phone_refresh}))["refreshToken"]
    assert await code_of(client, REFRESH, {"t": phone_refresh}, "") == "UNAUTHENTICATED"
    assert await code_of(client, ME, {}, rotated["accessToken"]) == "UNAUTHENTICATED"
    assert await code_of(client, ME, {}, phone) == "UNAUTHENTICATED"


async def test_checking_for_ended_sessions_costs_no_statement(
    client: GraphQLClient, app: Starlette, sql_statements: StatementCounter
) -> None:
    alice = await client.register("alice")
    for _ in range(3):  # some sessions ended, as in a running server
        _, refresh = await login(client, alice, "Old")
        await client.data(LOGOUT, {"t": refresh})
    sql_statements.counting = True
    await client.data(ME, token=alice.access_token)
    assert sql_statements.count == 1  # authentication's, as before sessions ended
    ended = app.state.services.ended_sessions
    assert all(ended.is_ended(sid) for sid in (2, 3, 4)) and not ended.is_ended(1)


async def test_a_server_starting_knows_the_sessions_ended_lately(
    backend: Backend, tmp_path: Path
) -> None:
    with running_server(backend, tmp_path) as first:
        token, _ = register(first, "alice")
        ended_token, _ = sign_in(first, "alice")
        sid = first.graphql(SESSIONS, token=ended_token)["sessions"][0]["id"]
        first.graphql(REVOKE, {"id": sid}, token)
    with running_server(backend, tmp_path) as second:  # learned it from the database
        assert second.execute(ME, token=ended_token)["errors"][0]["extensions"]["reason"] == (
            "SESSION_ENDED"
        )
        assert second.graphql(ME, token=token)


def sign_in(server: Server, tag: str) -> tuple[str, str]:
    """A new session of `tag` on `server`: (access token, refresh token)."""
    payload = server.graphql(
        """mutation($login: String!) {
            login(input: {login: $login, password: "correct horse"}) { accessToken refreshToken }
        }""",
        {"login": tag},
    )["login"]
    return payload["accessToken"], payload["refreshToken"]


def session_of(server: Server, token: str) -> str:
    """The id of the session `token` belongs to."""
    listed = server.graphql(SESSIONS, token=token)["sessions"]
    [current] = [s["id"] for s in listed if s["current"]]
    return current


async def test_revoking_closes_the_sessions_sockets_only(server: Server) -> None:
    alice, _ = register(server, "alice")
    phone, _ = sign_in(server, "alice")
    async with socket(server, phone) as doomed, socket(server, alice) as kept:
        started = time.monotonic()
        server.graphql(REVOKE, {"id": session_of(server, phone)}, alice)
        assert await closed_with(doomed, wait=1) == (4403, "session ended")
        assert time.monotonic() - started < 1
        await kept.send(json.dumps({"type": "ping"}))
        assert json.loads(await asyncio.wait_for(kept.recv(), 2))["type"] == "pong"
    # Its token opens no new socket either.
    async with await connect(server) as ws:
        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {phone}"}}
        await ws.send(json.dumps(init))
        assert await closed_with(ws) == (4403, "session ended")


async def test_logout_closes_the_sessions_sockets(server: Server) -> None:
    register(server, "alice")
    phone, phone_refresh = sign_in(server, "alice")
    async with socket(server, phone) as ws:
        server.graphql(LOGOUT, {"t": phone_refresh})
        assert await closed_with(ws, wait=1) == (4403, "session ended")


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_revoking_on_one_process_closes_sockets_on_another(
    backend: Backend, tmp_path: Path
) -> None:
    shared = f"test-{uuid.uuid4().hex}"  # one deployment: the same Redis channels
    with (
        running_server(backend, tmp_path, REDIS_NAMESPACE=shared) as first,
        running_server(backend, tmp_path, REDIS_NAMESPACE=shared) as second,
    ):
        alice, _ = register(first, "alice")
        phone, _ = sign_in(second, "alice")
        async with socket(second, phone) as ws:
            first.graphql(REVOKE, {"id": session_of(first, phone)}, alice)
            assert await closed_with(ws, wait=1) == (4403, "session ended")
        reason = second.execute(ME, token=phone)["errors"][0]["extensions"]["reason"]
        assert reason == "SESSION_ENDED"
        assert second.graphql(ME, token=alice)


CHANGE = """mutation($current: String!, $new: String!) {
    changePassword(currentPassword: $current, newPassword: $new) {
        accessToken refreshToken user { tag }
    }
}"""


async def test_change_password_starts_a_session_and_ends_every_other(
    client: GraphQLClient,
) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    phone, phone_refresh = await login(client, alice, "Phone")
    variables = {"current": "correct horse", "new": "battery staple"}
    changed = (await client.data(CHANGE, variables, token=alice.access_token))["changePassword"]
    assert changed["user"]["tag"] == "alice"
    for token in (alice.access_token, phone):  # the caller's old session ended too
        assert await code_of(client, ME, {}, token) == "UNAUTHENTICATED"
    for refresh in (alice.refresh_token, phone_refresh):
        assert await code_of(client, REFRESH, {"t": refresh}, "") == "UNAUTHENTICATED"
    listed = (await client.data(SESSIONS, token=changed["accessToken"]))["sessions"]
    assert [s["current"] for s in listed] == [True]
    assert await client.data(REFRESH, {"t": changed["refreshToken"]})
    # The new password signs in, the old one no longer; bob's session was never touched.
    new_login = """mutation { login(input: {login: "alice", password: "battery staple"}) {
        accessToken } }"""
    assert await client.data(new_login)
    assert await code_of(client, LOGIN, {"login": "alice"}, "") == "UNAUTHENTICATED"
    assert await client.data(ME, token=bob.access_token)


async def test_change_password_refusals(client: GraphQLClient) -> None:
    alice = await client.register("alice")
    short = {"current": "correct horse", "new": "short"}
    error = await client.error(CHANGE, short, token=alice.access_token)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "newPassword"}
    assert await code_of(client, CHANGE, short, "") == "UNAUTHENTICATED"
    wrong = {"current": "guess guess", "new": "battery staple"}
    for _ in range(10):
        assert await code_of(client, CHANGE, wrong, alice.access_token) == "UNAUTHENTICATED"
    # Counted as failed logins: this address may guess no more, there or at login.
    assert await code_of(client, CHANGE, wrong, alice.access_token) == "RATE_LIMITED"
    assert await code_of(client, LOGIN, {"login": "alice"}, "") == "RATE_LIMITED"
    # Nothing changed: the session goes on.
    assert await client.data(ME, token=alice.access_token)


async def test_change_password_closes_the_other_sessions_sockets(server: Server) -> None:
    alice, _ = register(server, "alice")
    phone, _ = sign_in(server, "alice")
    async with socket(server, phone) as ws:
        server.graphql(CHANGE, {"current": "correct horse", "new": "battery staple"}, alice)
        assert await closed_with(ws, wait=1) == (4403, "session ended")


async def test_over_a_socket_current_is_its_session_and_revoking_it_answers_then_closes(
    server: Server,
) -> None:
    alice, _ = register(server, "alice")
    phone, _ = sign_in(server, "alice")
    async with socket(server, phone) as ws:
        await send_operation(ws, "{ sessions { id current } }")
        listed = await next_event(ws, "sessions")
        assert (await next_message(ws)) == {"id": "1", "type": "complete"}
        [mine] = [s["id"] for s in listed if s["current"]]
        assert mine == session_of(server, phone)
        await send_operation(ws, REVOKE, {"id": mine}, operation_id="2")
        assert await next_event(ws, "revokeSession") is True  # answered first
        assert (await next_message(ws)) == {"id": "2", "type": "complete"}
        assert await closed_with(ws, wait=1) == (4403, "session ended")
    assert server.graphql(ME, token=alice)


async def test_change_password_over_a_socket_answers_with_the_new_tokens_then_closes(
    server: Server,
) -> None:
    alice, _ = register(server, "alice")
    async with socket(server, alice) as ws:
        variables = {"current": "correct horse", "new": "battery staple"}
        await send_operation(ws, CHANGE, variables)
        changed = await next_event(ws, "changePassword")
        assert (await next_message(ws)) == {"id": "1", "type": "complete"}
        assert await closed_with(ws, wait=1) == (4403, "session ended")
    assert server.graphql(ME, token=changed["accessToken"])
