"""Access tokens: only our own, unexpired, HS256-signed tokens are accepted."""

import base64
import json
from datetime import timedelta
from pathlib import Path

import jwt
import pytest

from db.base import utcnow
from infra.errors import ErrorCode, Unauthenticated
from infra.settings import Settings
from resolvers.tokens import ALGORITHM, AUDIENCE, ISSUER, decode_access_token, issue_access_token

KEY = "k" * 64


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, environment="development", secret_key=KEY, data_dir=tmp_path)  # type: ignore[call-arg]


def claims(**overrides: object) -> dict[str, object]:
    now = utcnow()
    values: dict[str, object] = {
        "sub": "42",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "jti": "abc",
        "iss": ISSUER,
        "aud": AUDIENCE,
    }
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


def refused(settings: Settings, token: str) -> Unauthenticated:
    with pytest.raises(Unauthenticated) as caught:
        decode_access_token(settings, token)
    assert caught.value.code is ErrorCode.UNAUTHENTICATED
    return caught.value


def test_issued_token_names_its_user_and_session(settings: Settings) -> None:
    claims = decode_access_token(settings, issue_access_token(settings, 42, 5))
    assert (claims.user_id, claims.session_id) == (42, 5)


def test_issued_token_carries_the_required_claims(settings: Settings) -> None:
    token = issue_access_token(settings, 7)
    payload = jwt.decode(token, KEY, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER)
    assert {"sub", "exp", "iat", "jti", "iss", "aud"} <= payload.keys()
    # iat to the microsecond, exp to the second
    assert payload["exp"] - payload["iat"] == pytest.approx(
        settings.access_token_ttl_seconds, abs=1
    )
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_each_token_has_its_own_jti(settings: Settings) -> None:
    first, second = (
        jwt.decode(issue_access_token(settings, 1), options={"verify_signature": False})["jti"]
        for _ in range(2)
    )
    assert first != second


def test_expired_token_is_refused_as_expired(settings: Settings) -> None:
    past = utcnow() - timedelta(minutes=1)
    token = jwt.encode(claims(exp=past, iat=past - timedelta(minutes=15)), KEY, ALGORITHM)
    assert refused(settings, token).extensions["reason"] == "TOKEN_EXPIRED"


def test_tampered_payload_is_refused(settings: Settings) -> None:
    header, payload, signature = issue_access_token(settings, 42).split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**decoded, "sub": "1"}).encode()).rstrip(b"=")
    assert refused(settings, f"{header}.{forged.decode()}.{signature}").extensions["reason"] == (
        "TOKEN_INVALID"
    )


def test_token_signed_with_another_key_is_refused(settings: Settings) -> None:
    refused(settings, jwt.encode(claims(), "x" * 48, ALGORITHM))


def test_unsigned_alg_none_token_is_refused(settings: Settings) -> None:
    token = jwt.encode(claims(), key=None, algorithm="none")
    assert token.endswith(".")
    refused(settings, token)


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_other_algorithms_are_refused_even_with_the_right_key(
    settings: Settings, algorithm: str
) -> None:
    refused(settings, jwt.encode(claims(), KEY, algorithm))


@pytest.mark.parametrize(
    "override",
    [{"aud": "someone-else"}, {"iss": "someone-else"}, {"sub": "not-a-number"}],
    ids=["audience", "issuer", "subject"],
)
def test_foreign_claims_are_refused(settings: Settings, override: dict[str, object]) -> None:
    refused(settings, jwt.encode(claims(**override), KEY, ALGORITHM))


@pytest.mark.parametrize("missing", ["sub", "exp", "iat", "jti", "iss", "aud"])
def test_token_missing_a_required_claim_is_refused(settings: Settings, missing: str) -> None:
    refused(settings, jwt.encode(claims(**{missing: None}), KEY, ALGORITHM))


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "Bearer"])
def test_garbage_is_refused(settings: Settings, garbage: str) -> None:
    refused(settings, garbage)
