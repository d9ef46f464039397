"""One-line set-ups for tests: users, spaces, members and roles through the API."""

from typing import Any

from starlette.applications import Starlette

from graphql_schema.ids import to_global_id
from resolvers import accounts
from tests.graphql_client import Account, GraphQLClient


async def create_space(
    client: GraphQLClient, owner: Account, name: str = "Lounge", *, public: bool = False
) -> str:
    data = await client.data(
        """mutation($input: CreateSpaceInput!) { createSpace(input: $input) { id } }""",
        {"input": {"name": name, "isPublic": public}},
        token=owner.access_token,
    )
    space_id: str = data["createSpace"]["id"]
    return space_id


async def join(client: GraphQLClient, account: Account, space_id: str) -> None:
    """Join a public space by its id."""
    await client.data(
        "mutation($id: ID!) { joinSpace(spaceId: $id) { id } }",
        {"id": space_id},
        token=account.access_token,
    )


async def join_by_invite(
    client: GraphQLClient, inviter: Account, account: Account, space_id: str
) -> None:
    code = (
        await client.data(
            "mutation($id: ID!) { createInvite(spaceId: $id) { code } }",
            {"id": space_id},
            token=inviter.access_token,
        )
    )["createInvite"]["code"]
    await client.data(
        "mutation($code: String!) { joinSpace(inviteCode: $code) { id } }",
        {"code": code},
        token=account.access_token,
    )


async def create_role(
    client: GraphQLClient, actor: Account, space_id: str, **fields: Any
) -> dict[str, Any]:
    data = await client.data(
        """mutation($space: ID!, $input: RoleInput!) {
            createRole(spaceId: $space, input: $input) {
                id name color position permissions isDefault mentionable
            }
        }""",
        {"space": space_id, "input": {"name": "role", **fields}},
        token=actor.access_token,
    )
    role: dict[str, Any] = data["createRole"]
    return role


async def assign_role(
    client: GraphQLClient, actor: Account, space_id: str, user: Account, role_id: str
) -> None:
    await client.data(
        """mutation($space: ID!, $user: ID!, $role: ID!) {
            assignRole(spaceId: $space, userId: $user, roleId: $role) { joinedAt }
        }""",
        {"space": space_id, "user": user.id, "role": role_id},
        token=actor.access_token,
    )


async def register_directly(app: Starlette, tag: str) -> Account:
    """An account made through the domain layer: for tests needing more users than the
    per-client registration limit lets one HTTP client create."""
    services = app.state.services
    async with services.sessionmaker() as session:
        result = await accounts.register(
            session,
            services.settings,
            email=f"{tag}@example.com",
            password="correct horse",
            tag=tag,
            display_name=tag,
            limiter=services.rate_limiter,
            client=f"factory:{tag}",
            user_agent=None,
        )
    return Account(
        id=to_global_id("User", result.user.id),
        tag=result.user.tag,
        email=result.user.email,
        password="correct horse",
        access_token=result.access_token,
        refresh_token=result.refresh_token,
    )
