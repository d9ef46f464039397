"""A small GraphQL-over-HTTP client for tests, with helpers for the common steps."""

import itertools
import json
from dataclasses import dataclass
from typing import Any

import httpx

_counter = itertools.count(1)


@dataclass
class Account:
    id: str
    tag: str
    email: str
    password: str
    access_token: str
    refresh_token: str


class GraphQLError(AssertionError):
    pass


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def execute(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """The whole response body (data and errors), asserting HTTP 200."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """`data`, failing the test on any error."""
        body = await self.execute(query, variables, token=token)
        if body.get("errors"):
            raise GraphQLError(json.dumps(body["errors"], indent=2))
        data: dict[str, Any] = body["data"]
        return data

    async def error(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """The single error of a failing operation (message, path, extensions)."""
        body = await self.execute(query, variables, token=token)
        errors = body.get("errors") or []
        assert len(errors) == 1, f"expected one error, got {body}"
        error: dict[str, Any] = errors[0]
        return error

    async def upload(
        self,
        query: str,
        variables: dict[str, Any],
        files: dict[str, tuple[str, bytes, str]],
        *,
        token: str | None = None,
    ) -> httpx.Response:
        """A GraphQL multipart request; `files` maps a variable path to (name, bytes, type)."""
        mapping = {str(i): [path] for i, path in enumerate(files)}
        form_files = {str(i): spec for i, spec in enumerate(files.values())}
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.http.post(
            "/graphql",
            data={
                "operations": json.dumps({"query": query, "variables": variables}),
                "map": json.dumps(mapping),
            },
            files=form_files,
            headers=headers,
        )

    async def register(self, tag: str | None = None, password: str = "correct horse") -> Account:
        tag = tag or f"user{next(_counter)}"
        email = f"{tag}@example.com"
        data = await self.data(
            """mutation($input: RegisterInput!) {
                register(input: $input) { accessToken refreshToken user { id tag } }
            }""",
            {"input": {"email": email, "password": password, "tag": tag, "displayName": tag}},
        )
        payload = data["register"]
        return Account(
            id=payload["user"]["id"],
            tag=payload["user"]["tag"],
            email=email,
            password=password,
            access_token=payload["accessToken"],
            refresh_token=payload["refreshToken"],
        )
