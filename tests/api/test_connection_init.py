"""How a socket authenticates in connection_init, over both protocols with real clients: the
credential shapes clients send (GraphiQL's `Authorization` header among them), and the 4403
reasons that tell a client whether to refresh its token or sign in again."""

import asyncio
import json
from datetime import timedelta
from typing import Any

import jwt
import pytest

from db.base import utcnow
from graphql_schema.ids import pk_from_global_id
from resolvers.tokens import ALGORITHM, AUDIENCE, ISSUER
from tests.live import LEGACY_PROTOCOL, PROTOCOL, closed_with, connect, register
from tests.servers import SECRET, Server

PROTOCOLS = (PROTOCOL, LEGACY_PROTOCOL)


async def init(server: Server, protocol: str, payload: object) -> Any:
    """A socket of `protocol` that sent `payload` in its connection_init."""
    ws = await connect(server, protocol)
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    return ws


async def acknowledged(server: Server, protocol: str, payload: object) -> bool:
    async with await init(server, protocol, payload) as ws:
        return bool(json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack")


async def refusal(server: Server, protocol: str, payload: object) -> tuple[int, str]:
    """The close code and reason connection_init with `payload` gets; the legacy protocol's
    connection_error, which comes first, must carry the same reason."""
    async with await init(server, protocol, payload) as ws:
        if protocol == LEGACY_PROTOCOL:
            error = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert error["type"] == "connection_error", error
            code, reason = await closed_with(ws)
            assert error["payload"] == {"reason": reason}
            return code, reason
        return await closed_with(ws)


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_the_credential_is_found_in_every_shape_clients_send(
    server: Server, protocol: str
) -> None:
    token, _ = register(server, "alice")
    shapes: list[dict[str, object]] = [
        {"authorization": f"Bearer {token}"},
        {"Authorization": f"Bearer {token}"},  # GraphiQL's Headers editor
        {"AUTHORIZATION": f"Bearer {token}"},
        {"token": token},
        {"Token": token},
        {"headers": {"Authorization": f"Bearer {token}"}},
        {"headers": {"authorization": token}},
    ]
    for payload in shapes:
        assert await acknowledged(server, protocol, payload), payload


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_missing_or_malformed_credential_is_an_invalid_token(
    server: Server, protocol: str
) -> None:
    token, _ = register(server, "alice")
    payloads: list[object] = [
        {},
        {"Authorization": ""},
        {"Authorization": 42},
        {"token": [token]},
        {"headers": {"Authorization": {"value": token}}},
        {"headers": f"Authorization: Bearer {token}"},  # not an object: nothing found
        {"Authorization": f"Basic {token}"},
        {"Authorization": "Bearer forged"},
    ]
    for payload in payloads:
        assert await refusal(server, protocol, payload) == (4403, "invalid token"), payload


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_an_expired_token_is_refused_as_expired(server: Server, protocol: str) -> None:
    _, user_id = register(server, "alice")
    past = utcnow() - timedelta(minutes=1)
    claims = {
        "sub": str(pk_from_global_id(user_id, "User")),
        "iat": past - timedelta(minutes=15),
        "exp": past,
        "jti": "expired",
        "iss": ISSUER,
        "aud": AUDIENCE,
    }
    expired = jwt.encode(claims, SECRET, ALGORITHM)
    payload = {"Authorization": f"Bearer {expired}"}
    assert await refusal(server, protocol, payload) == (4403, "token expired")
