"""Server processes sharing one PostgreSQL and one Redis act as one, through Redis outages too."""

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.backends import Backend
from tests.live import (
    NEW_MESSAGES,
    SEND,
    closed_with,
    direct_chat,
    legacy_socket,
    listening,
    next_event,
    next_message,
    register,
    send,
    send_operation,
    socket,
    start,
)
from tests.redis_server import RedisServer, own_redis_server
from tests.servers import Server, running_server

LOGIN = """mutation($login: String!) {
    login(input: {login: $login, password: "correct horse"}) { accessToken }
}"""
RECONNECT_TIMEOUT = 15  # seconds for a server to find Redis again

postgres_only = pytest.mark.parametrize("backend", ["postgres"], indirect=True)


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    with own_redis_server() as server:
        yield server


@postgres_only
async def test_a_subscriber_on_one_process_hears_what_is_sent_through_another(
    backend: Backend, tmp_path: Path
) -> None:
    shared = f"test-{uuid.uuid4().hex}"  # one deployment: the same Redis keys and channels
    with (
        running_server(backend, tmp_path, REDIS_NAMESPACE=shared) as first,
        running_server(backend, tmp_path, REDIS_NAMESPACE=shared) as second,
    ):
        alice, _ = register(first, "alice")
        bob, bob_id = register(second, "bob")
        chat = direct_chat(second, alice, bob_id)
        async with socket(first, bob) as ws:
            await start(ws, NEW_MESSAGES, {"chat": chat})
            second.graphql(SEND, {"chat": chat, "content": "across processes"}, alice)
            event = await next_event(ws, "chatEvents")
            assert event == {"message": {"content": "across processes"}}


def readiness(server: Server) -> tuple[int, dict[str, object]]:
    response = httpx.get(f"{server.http_url}/readyz", timeout=10)
    return response.status_code, response.json()


REPLAY = """subscription($chat: ID!, $after: String) {
    chatEvents(chatId: $chat, after: $after) { ... on MessageCreated { message { content } } }
}"""
FIRST_CURSOR = "query($c: ID!) { messages(chatId: $c, first: 1) { edges { cursor } } }"
INTERRUPTED = (1013, "Live updates were interrupted")


async def contents_until(ws: Any, last: str) -> list[str]:
    """The content of each MessageCreated the socket receives, up to `last`."""
    heard: list[str] = []
    while last not in heard:
        heard.append((await next_event(ws, "chatEvents"))["message"]["content"])
    return heard


@postgres_only
async def test_two_processes_ride_out_a_redis_outage_together(
    backend: Backend, tmp_path: Path, own_redis: RedisServer
) -> None:
    env = {"BROADCAST_URL": own_redis.url, "REDIS_NAMESPACE": f"test-{uuid.uuid4().hex}"}
    with (
        running_server(backend, tmp_path, **env) as listener,
        running_server(backend, tmp_path, **env) as writer,
    ):
        alice, _ = register(writer, "alice")
        bob, bob_id = register(writer, "bob")
        chat = direct_chat(writer, alice, bob_id)
        async with socket(listener, bob) as ws:
            await start(ws, NEW_MESSAGES, {"chat": chat})
            writer.graphql(SEND, {"chat": chat, "content": "before"}, alice)
            assert await next_event(ws, "chatEvents") == {"message": {"content": "before"}}

            own_redis.stop()
            # Queries and mutations go on (the events wait to be retried); rate limits let
            # attempts through.
            writer.graphql(SEND, {"chat": chat, "content": "during"}, alice)
            assert writer.graphql(LOGIN, {"login": "alice"})["login"]["accessToken"]
            for server in (listener, writer):
                status, body = readiness(server)
                assert status == 503, body
                assert body["checks"] == {"database": True, "broadcast": False}

            own_redis.start()  # on the same port
            # The listener cannot know what it missed meanwhile: its subscribers are cut off.
            assert await closed_with(ws, RECONNECT_TIMEOUT) == INTERRUPTED
        until_ready(listener)
        until_ready(writer)
        cursor = listener.graphql(FIRST_CURSOR, {"c": chat}, bob)["messages"]["edges"][0]["cursor"]
        async with socket(listener, bob) as ws:
            await start(ws, REPLAY, {"chat": chat, "after": cursor})
            writer.graphql(SEND, {"chat": chat, "content": "after"}, alice)
            # "during" once: replayed, and its retried live event (if it comes) skipped.
            assert await contents_until(ws, "after") == ["during", "after"]
            assert await next_message(ws, 1.0) is None


@postgres_only
async def test_every_socket_of_a_process_whose_redis_subscription_dropped_is_told_to_resume(
    backend: Backend, tmp_path: Path, own_redis: RedisServer
) -> None:
    with running_server(backend, tmp_path, BROADCAST_URL=own_redis.url) as server:
        alice, _ = register(server, "alice")
        bob, bob_id = register(server, "bob")
        chat = direct_chat(server, alice, bob_id)
        async with socket(server, bob) as modern, legacy_socket(server, alice) as legacy:
            await start(modern, NEW_MESSAGES, {"chat": chat})
            payload = {"query": NEW_MESSAGES, "variables": {"chat": chat}}
            async with listening(legacy):
                await legacy.send(json.dumps({"id": "1", "type": "start", "payload": payload}))
            own_redis.stop()
            own_redis.start()
            assert await closed_with(modern, RECONNECT_TIMEOUT) == INTERRUPTED
            assert await closed_with(legacy, RECONNECT_TIMEOUT) == INTERRUPTED


def until_ready(server: Server) -> None:
    deadline = time.monotonic() + RECONNECT_TIMEOUT
    while readiness(server)[0] != 200:
        assert time.monotonic() < deadline, f"not ready again:\n{server.output()}"
        time.sleep(0.05)


@postgres_only
async def test_the_first_event_after_redis_restarts_is_delivered(
    backend: Backend, tmp_path: Path, own_redis: RedisServer
) -> None:
    with running_server(backend, tmp_path, BROADCAST_URL=own_redis.url) as server:
        alice, _ = register(server, "alice")
        bob, bob_id = register(server, "bob")
        chat = direct_chat(server, alice, bob_id)
        async with socket(server, bob) as ws:
            await start(ws, NEW_MESSAGES, {"chat": chat})
            server.graphql(SEND, {"chat": chat, "content": "before"}, alice)
            assert await next_event(ws, "chatEvents") == {"message": {"content": "before"}}

            own_redis.stop()
            # Nothing is published while it is down: the pooled connections look open still.
            own_redis.start()
            assert await closed_with(ws, RECONNECT_TIMEOUT) == INTERRUPTED
        until_ready(server)
        async with socket(server, bob) as ws:
            await start(ws, NEW_MESSAGES, {"chat": chat})
            server.graphql(SEND, {"chat": chat, "content": "after"}, alice)
            event = await next_message(ws)
            assert event is not None, f"the first event was lost:\n{server.output()}"
            assert event["payload"]["data"]["chatEvents"] == {"message": {"content": "after"}}


HISTORY = "query($chat: ID!) { messages(chatId: $chat, last: 10) { edges { node { content } } } }"
FROZEN_ANSWER_SECONDS = 1.5  # each Redis call a send makes gives up after REDIS_TIMEOUT_SECONDS


@postgres_only
async def test_a_frozen_redis_delays_a_send_by_a_moment_and_events_flow_once_it_resumes(
    backend: Backend, tmp_path: Path, own_redis: RedisServer
) -> None:
    with running_server(backend, tmp_path, BROADCAST_URL=own_redis.url) as server:
        alice, _ = register(server, "alice")
        bob, bob_id = register(server, "bob")
        chat = direct_chat(server, alice, bob_id)
        async with socket(server, bob) as ws:
            await start(ws, NEW_MESSAGES, {"chat": chat})
            send(server, alice, chat, "before")
            assert await next_event(ws, "chatEvents") == {"message": {"content": "before"}}

            with own_redis.frozen():
                started = time.monotonic()
                send(server, alice, chat, "frozen")
                assert time.monotonic() - started < FROZEN_ANSWER_SECONDS, server.output()
                assert server.graphql(LOGIN, {"login": "alice"})["login"]["accessToken"]
                assert readiness(server)[0] == 503

            history = server.graphql(HISTORY, {"chat": chat}, alice)["messages"]["edges"]
            assert [edge["node"]["content"] for edge in history] == ["before", "frozen"]
            # The frozen send's event is retried until Redis answers, and published once
            # (Redis may also run the attempt that timed out when it resumes).
            send(server, alice, chat, "thawed")
            assert await contents_until(ws, "thawed") == ["frozen", "thawed"]
            assert await next_message(ws, 1.0) is None
            assert readiness(server)[0] == 200


@postgres_only
async def test_a_subscription_opened_while_redis_is_down_is_refused_as_unavailable(
    backend: Backend, tmp_path: Path, own_redis: RedisServer
) -> None:
    with running_server(backend, tmp_path, BROADCAST_URL=own_redis.url) as server:
        alice, _ = register(server, "alice")
        bob, bob_id = register(server, "bob")
        chat = direct_chat(server, alice, bob_id)
        own_redis.stop()
        async with socket(server, bob) as ws:
            await send_operation(ws, NEW_MESSAGES, {"chat": chat})
            refused = await next_message(ws, wait=10)  # after Redis had a few seconds to return
            assert refused is not None and refused["type"] == "next", refused
            [error] = refused["payload"]["errors"]
            assert error["extensions"]["code"] == "INTERNAL", error  # not the client's fault
            assert "unavailable" in error["message"]
        assert "did not confirm" in server.output()


PRESENCE = "subscription { presence { status user { tag } } }"
STATUS = "query($id: ID!) { user(id: $id) { status } }"


@postgres_only
async def test_presence_is_shared_and_a_crashed_process_s_users_go_offline(
    backend: Backend, tmp_path: Path
) -> None:
    shared = f"test-{uuid.uuid4().hex}"
    env = {"REDIS_NAMESPACE": shared, "PRESENCE_TTL_SECONDS": "1"}
    with (
        running_server(backend, tmp_path, **env) as doomed,
        running_server(backend, tmp_path, **env) as survivor,
    ):
        alice, alice_id = register(survivor, "alice")
        bob, bob_id = register(survivor, "bob")
        direct_chat(survivor, alice, bob_id)
        async with socket(survivor, bob) as watcher:
            await start(watcher, PRESENCE)
            async with socket(doomed, alice):
                online = await next_event(watcher, "presence")
                assert online == {"status": "ONLINE", "user": {"tag": "alice"}}
                # The other process sees the same presence.
                assert survivor.graphql(STATUS, {"id": alice_id}, bob)["user"]["status"] == "ONLINE"
                doomed.process.kill()  # no goodbye: its connections just stop being refreshed
                doomed.process.wait()
                # The survivor's sweeper finds the silent connection expired.
                offline = await next_event(watcher, "presence", wait=10)
                assert offline == {"status": "OFFLINE", "user": {"tag": "alice"}}
        assert survivor.graphql(STATUS, {"id": alice_id}, bob)["user"]["status"] == "OFFLINE"
