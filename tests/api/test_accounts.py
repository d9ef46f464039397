"""register, login, refreshToken, logout and the bearer token on every request."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import jwt
import pytest
from argon2 import PasswordHasher
from starlette.applications import Starlette

from db.base import utcnow
from resolvers import passwords
from resolvers.tokens import ALGORITHM, AUDIENCE, ISSUER
from tests.conftest import TEST_SECRET
from tests.graphql_client import GraphQLClient

REGISTER = """mutation($input: RegisterInput!) {
    register(input: $input) {
        accessToken refreshToken expiresIn user { id tag displayName email }
    }
}"""
LOGIN = """mutation($login: String!, $password: String!) {
    login(input: {login: $login, password: $password}) { accessToken refreshToken user { tag } }
}"""
REFRESH = """mutation($token: String!) {
    refreshToken(refreshToken: $token) { accessToken refreshToken expiresIn user { tag } }
}"""
LOGOUT = "mutation($token: String!) { logout(refreshToken: $token) }"
ME = "{ me { id tag email } }"


def registration(**overrides: str) -> dict[str, object]:
    values = {
        "email": "Alice@Example.com",
        "password": "correct horse",
        "tag": "alice",
        "displayName": "Alice",
    }
    values.update(overrides)
    return {"input": values}


@asynccontextmanager
async def from_address(app: Starlette, host: str) -> AsyncIterator[GraphQLClient]:
    """A client of `app` whose requests come from `host`."""
    transport = httpx.ASGITransport(app=app, client=(host, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield GraphQLClient(http)


async def fail_logins(client: GraphQLClient, logins: list[str]) -> None:
    for login in logins:
        error = await client.error(LOGIN, {"login": login, "password": "guess guess"})
        assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def code_of(
    client: GraphQLClient, query: str, variables: dict[str, object], **kw: str
) -> str:
    code: str = (await client.error(query, variables, **kw))["extensions"]["code"]
    return code


async def test_register_returns_tokens_and_normalised_profile(client: GraphQLClient) -> None:
    variables = registration(tag="  Alice.B_1 ", displayName="  Alice  ")
    payload = (await client.data(REGISTER, variables))["register"]
    assert payload["user"]["tag"] == "alice.b_1"
    assert payload["user"]["displayName"] == "Alice"
    assert payload["user"]["email"] == "alice@example.com"
    assert payload["expiresIn"] == 900
    me = await client.data(ME, token=payload["accessToken"])
    assert me["me"]["id"] == payload["user"]["id"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("email", "a@b"),
        ("email", ""),
        ("tag", "ab"),
        ("tag", "a" * 33),
        ("tag", "bad-tag"),
        ("tag", "emoji😀"),
        ("displayName", "   "),
        ("displayName", "x" * 65),
        ("password", "short"),
        ("password", "x" * 257),
    ],
)
async def test_register_refuses_bad_input_and_creates_nothing(
    client: GraphQLClient, field: str, value: str
) -> None:
    error = await client.error(REGISTER, registration(**{field: value}))
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == field
    assert await code_of(client, LOGIN, {"login": "alice", "password": "correct horse"}) == (
        "UNAUTHENTICATED"
    )


async def test_register_accepts_the_length_limits(client: GraphQLClient) -> None:
    await client.data(
        REGISTER, registration(tag="abc", password="x" * 8, displayName="d", email="a@b.io")
    )
    await client.data(
        REGISTER,
        registration(tag="t" * 32, password="y" * 256, displayName="n" * 64, email="b@b.io"),
    )


async def test_email_is_unique_case_insensitively(client: GraphQLClient) -> None:
    await client.data(REGISTER, registration())
    error = await client.error(REGISTER, registration(email="ALICE@example.COM", tag="other"))
    assert error["extensions"] == {"code": "CONFLICT", "field": "email"}


async def test_tag_is_unique_case_insensitively(client: GraphQLClient) -> None:
    await client.data(REGISTER, registration())
    error = await client.error(REGISTER, registration(email="b@example.com", tag="ALICE"))
    assert error["extensions"] == {"code": "CONFLICT", "field": "tag"}


async def test_concurrent_registrations_of_one_email_create_one_account(
    client: GraphQLClient,
) -> None:
    bodies = await asyncio.gather(
        *(client.execute(REGISTER, registration(tag=f"racer{i}")) for i in range(4))
    )
    succeeded = [body for body in bodies if not body.get("errors")]
    codes = {body["errors"][0]["extensions"]["code"] for body in bodies if body.get("errors")}
    assert len(succeeded) == 1
    assert codes == {"CONFLICT"}


@pytest.mark.parametrize("login", ["alice", "ALICE", "alice@example.com", " Alice@Example.COM "])
async def test_login_by_email_or_tag(client: GraphQLClient, login: str) -> None:
    await client.data(REGISTER, registration())
    payload = (await client.data(LOGIN, {"login": login, "password": "correct horse"}))["login"]
    assert payload["user"]["tag"] == "alice"
    assert (await client.data(ME, token=payload["accessToken"]))["me"]["tag"] == "alice"


async def test_wrong_password_and_unknown_account_fail_alike(
    client: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await client.data(REGISTER, registration())
    verified: list[str] = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            verified.append(str(password))
            return super().verify(hash, password)

    monkeypatch.setattr(passwords, "hasher", CountingHasher(time_cost=1, memory_cost=1024))
    wrong = await client.error(LOGIN, {"login": "alice", "password": "wrong password"})
    unknown = await client.error(LOGIN, {"login": "nobody", "password": "unknown account"})
    assert wrong["message"] == unknown["message"]
    assert wrong["extensions"] == unknown["extensions"] == {"code": "UNAUTHENTICATED"}
    # The unknown account still pays for one Argon2 verification, so timing does not tell.
    assert verified == ["wrong password", "unknown account"]


async def test_login_rehashes_when_parameters_change(
    client: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await client.data(REGISTER, registration())
    stored: list[str] = []

    class RecordingHasher(PasswordHasher):
        def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
            stored.append(super().hash(password, salt=salt))
            return stored[-1]

    stronger = RecordingHasher(time_cost=2, memory_cost=2048)
    monkeypatch.setattr(passwords, "hasher", stronger)
    await client.data(LOGIN, {"login": "alice", "password": "correct horse"})
    assert len(stored) == 1 and not stronger.check_needs_rehash(stored[0])
    await client.data(LOGIN, {"login": "alice", "password": "correct horse"})
    assert len(stored) == 1  # already current: no second rehash


def test_default_hasher_uses_rfc9106_low_memory_argon2id() -> None:
    default = PasswordHasher()
    assert (default.time_cost, default.memory_cost, default.parallelism) == (3, 65536, 4)
    assert default.type.name == "ID"


async def test_refresh_rotates_the_refresh_token(client: GraphQLClient) -> None:
    alice = await client.register("alice")
    payload = (await client.data(REFRESH, {"token": alice.refresh_token}))["refreshToken"]
    assert payload["refreshToken"] != alice.refresh_token
    assert payload["user"]["tag"] == "alice"
    assert (await client.data(ME, token=payload["accessToken"]))["me"]["tag"] == "alice"
    again = (await client.data(REFRESH, {"token": payload["refreshToken"]}))["refreshToken"]
    assert again["refreshToken"] not in (payload["refreshToken"], alice.refresh_token)


async def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(
    client: GraphQLClient,
) -> None:
    alice = await client.register("alice")
    other_session = await client.data(LOGIN, {"login": "alice", "password": alice.password})
    rotated = (await client.data(REFRESH, {"token": alice.refresh_token}))["refreshToken"]
    stolen = await client.error(REFRESH, {"token": alice.refresh_token})
    assert stolen["extensions"] == {"code": "UNAUTHENTICATED", "reason": "REFRESH_REUSED"}
    # The thief's copy and the legitimate successor are both dead now ...
    assert await code_of(client, REFRESH, {"token": rotated["refreshToken"]}) == "UNAUTHENTICATED"
    # ... while a separate login (another family) keeps working.
    await client.data(REFRESH, {"token": other_session["login"]["refreshToken"]})


async def test_concurrent_use_of_one_refresh_token_succeeds_at_most_once(
    client: GraphQLClient,
) -> None:
    alice = await client.register("alice")
    bodies = await asyncio.gather(
        *(client.execute(REFRESH, {"token": alice.refresh_token}) for _ in range(3))
    )
    assert sum(not body.get("errors") for body in bodies) <= 1


@pytest.mark.parametrize("token", ["", "garbage", "x" * 43])
async def test_unknown_refresh_token_is_refused(client: GraphQLClient, token: str) -> None:
    assert await code_of(client, REFRESH, {"token": token}) == "UNAUTHENTICATED"


async def test_expired_refresh_token_is_refused(
    client: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await client.register("alice")
    later = utcnow() + timedelta(days=7, seconds=1)
    monkeypatch.setattr("resolvers.tokens.utcnow", lambda: later)
    assert await code_of(client, REFRESH, {"token": alice.refresh_token}) == "UNAUTHENTICATED"


async def test_logout_revokes_the_refresh_token(client: GraphQLClient) -> None:
    alice = await client.register("alice")
    assert (await client.data(LOGOUT, {"token": alice.refresh_token}))["logout"] is True
    assert await code_of(client, REFRESH, {"token": alice.refresh_token}) == "UNAUTHENTICATED"
    assert (await client.data(LOGOUT, {"token": alice.refresh_token}))["logout"] is False


async def test_logout_of_a_rotated_token_ends_its_successor_too(client: GraphQLClient) -> None:
    alice = await client.register("alice")
    rotated = (await client.data(REFRESH, {"token": alice.refresh_token}))["refreshToken"]
    await client.data(LOGOUT, {"token": alice.refresh_token})
    assert await code_of(client, REFRESH, {"token": rotated["refreshToken"]}) == "UNAUTHENTICATED"


async def test_logout_of_an_unknown_token_is_false(client: GraphQLClient) -> None:
    assert (await client.data(LOGOUT, {"token": "never-issued"}))["logout"] is False


async def test_me_without_a_token_is_unauthenticated(client: GraphQLClient) -> None:
    error = await client.error(ME)
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": "NO_TOKEN"}
    assert error["path"] == ["me"]


def forge(sub: str, *, key: str = TEST_SECRET, algorithm: str = ALGORITHM, **claims: object) -> str:
    now = utcnow()
    payload: dict[str, object] = {
        "sub": sub,
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "jti": "j",
        "iss": ISSUER,
        "aud": AUDIENCE,
    }
    payload.update(claims)
    return jwt.encode(payload, key if algorithm != "none" else None, algorithm=algorithm)


async def test_expired_access_token_is_refused_as_expired(client: GraphQLClient) -> None:
    alice = await client.register("alice")
    user_pk = jwt.decode(alice.access_token, options={"verify_signature": False})["sub"]
    past = utcnow() - timedelta(seconds=1)
    error = await client.error(ME, token=forge(user_pk, exp=past, iat=past - timedelta(minutes=15)))
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": "TOKEN_EXPIRED"}


@pytest.mark.parametrize(
    "make_token",
    [
        lambda pk: forge(pk, algorithm="none"),
        lambda pk: forge(pk, key="another-secret-key-of-sufficient-length-000"),
        lambda pk: forge(pk, aud="elsewhere"),
        lambda pk: forge("999999"),
    ],
    ids=["alg-none", "wrong-key", "wrong-audience", "deleted-user"],
)
async def test_forged_access_tokens_are_refused(client: GraphQLClient, make_token) -> None:  # type: ignore[no-untyped-def]
    alice = await client.register("alice")
    user_pk = jwt.decode(alice.access_token, options={"verify_signature": False})["sub"]
    error = await client.error(ME, token=make_token(user_pk))
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": "TOKEN_INVALID"}


async def test_tampered_access_token_is_refused(client: GraphQLClient) -> None:
    alice = await client.register("alice")
    header, payload, signature = alice.access_token.split(".")
    tampered = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    assert await code_of(client, ME, {}, token=tampered) == "UNAUTHENTICATED"


async def test_non_bearer_authorization_is_refused(client: GraphQLClient) -> None:
    alice = await client.register("alice")
    response = await client.http.post(
        "/graphql",
        json={"query": ME},
        headers={"Authorization": f"Basic {alice.access_token}"},
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_public_mutations_still_work_with_a_stale_token(client: GraphQLClient) -> None:
    past = utcnow() - timedelta(seconds=1)
    stale = forge("1", exp=past, iat=past - timedelta(minutes=15))
    await client.register("alice")
    payload = await client.data(LOGIN, {"login": "alice", "password": "correct horse"}, token=stale)
    assert payload["login"]["user"]["tag"] == "alice"


async def test_repeated_failed_logins_are_rate_limited_per_account(client: GraphQLClient) -> None:
    await client.register("alice")
    await client.register("bob")
    for _ in range(10):
        await client.error(LOGIN, {"login": "alice", "password": "guess guess"})
    limited = await client.error(LOGIN, {"login": "ALICE", "password": "correct horse"})
    assert limited["extensions"]["code"] == "RATE_LIMITED"
    assert 0 < limited["extensions"]["retryAfter"] <= 15 * 60
    # Another account from the same client is not locked out.
    await client.data(LOGIN, {"login": "bob", "password": "correct horse"})


async def test_failed_logins_count_per_account_whichever_identifier_named_it(
    app: Starlette, client: GraphQLClient
) -> None:
    await client.register("alice")
    async with from_address(app, "198.51.100.1") as attacker:
        await fail_logins(attacker, ["alice"] * 6 + ["Alice@Example.com"] * 4)
        for login in ("alice", "alice@example.com"):
            refused = await attacker.error(LOGIN, {"login": login, "password": "correct horse"})
            assert refused["extensions"]["code"] == "RATE_LIMITED"
            assert 0 < refused["extensions"]["retryAfter"] <= 15 * 60


async def test_the_owner_signs_in_from_another_address_despite_failures_elsewhere(
    app: Starlette, client: GraphQLClient
) -> None:
    await client.register("alice")
    async with from_address(app, "198.51.100.1") as attacker:
        await fail_logins(attacker, ["alice"] * 10)
        assert await code_of(attacker, LOGIN, {"login": "alice", "password": "x"}) == (
            "RATE_LIMITED"
        )
    async with from_address(app, "203.0.113.7") as owner:
        signed_in = await owner.data(LOGIN, {"login": "alice", "password": "correct horse"})
        assert signed_in["login"]["user"]["tag"] == "alice"


async def test_failed_logins_per_account_are_bounded_across_addresses(
    app: Starlette, client: GraphQLClient
) -> None:
    """100 failures an hour per account, however many addresses and identifiers take part;
    past that only an address that signed in to the account before may still try."""
    await client.register("alice")
    right = {"login": "alice", "password": "correct horse"}
    async with from_address(app, "203.0.113.7") as home:
        await home.data(LOGIN, right)
    for n in range(10):
        async with from_address(app, f"198.51.100.{n + 1}") as attacker:
            await fail_logins(attacker, ["alice", "alice@example.com"] * 5)
    async with from_address(app, "198.51.100.200") as fresh:
        refused = await fresh.error(LOGIN, right)
        assert refused["extensions"]["code"] == "RATE_LIMITED"
        assert 0 < refused["extensions"]["retryAfter"] <= 3600
    async with from_address(app, "203.0.113.7") as home:
        assert (await home.data(LOGIN, right))["login"]["user"]["tag"] == "alice"


async def test_failed_logins_on_an_unknown_account_are_throttled_alike(
    app: Starlette, client: GraphQLClient
) -> None:
    async with from_address(app, "198.51.100.1") as prober:
        await fail_logins(prober, ["nobody"] * 5 + ["NOBODY "] * 5)
        assert await code_of(prober, LOGIN, {"login": "nobody", "password": "x"}) == (
            "RATE_LIMITED"
        )
        assert await code_of(prober, LOGIN, {"login": "somebody", "password": "x"}) == (
            "UNAUTHENTICATED"
        )


async def test_successful_logins_do_not_lock_an_account(client: GraphQLClient) -> None:
    await client.register("alice")
    for _ in range(12):
        await client.data(LOGIN, {"login": "alice", "password": "correct horse"})


async def test_failed_registration_leaves_nothing_behind(
    client: GraphQLClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("token store down")

    with monkeypatch.context() as patch:
        patch.setattr("resolvers.tokens.issue_refresh_token", broken)
        error = await client.error(REGISTER, registration())
    assert error["extensions"]["code"] == "INTERNAL"
    assert "token store down" not in error["message"]
    # The user row flushed before the failure was rolled back: the same email registers now.
    payload = (await client.data(REGISTER, registration()))["register"]
    assert payload["user"]["tag"] == "alice"
