"""Sign-up, sign-in, password, session and account-deletion mutations."""

from typing import Annotated

import strawberry

from graphql_schema.info import Info
from graphql_schema.users import AuthPayload, LoginInput, RegisterInput
from resolvers import accounts

RefreshToken = Annotated[str, strawberry.argument(description="A refresh token from AuthPayload.")]


@strawberry.type
class AccountMutation:
    @strawberry.mutation(description="Create an account and sign in to it.")
    async def register(
        self,
        info: Info,
        input: Annotated[RegisterInput, strawberry.argument(description="The new account.")],
    ) -> AuthPayload:
        ctx = info.context
        result = await accounts.register(
            ctx.session,
            ctx.settings,
            email=input.email,
            password=input.password,
            tag=input.tag,
            display_name=input.display_name,
            limiter=ctx.rate_limiter,
            client=ctx.client,
            user_agent=ctx.request.headers.get("user-agent"),
        )
        return AuthPayload.from_result(result)

    @strawberry.mutation(description="Sign in: a new session.")
    async def login(
        self,
        info: Info,
        input: Annotated[LoginInput, strawberry.argument(description="The credentials.")],
    ) -> AuthPayload:
        ctx = info.context
        result = await accounts.login(
            ctx.session,
            ctx.settings,
            login=input.login,
            password=input.password,
            limiter=ctx.rate_limiter,
            client=ctx.client,
            user_agent=ctx.request.headers.get("user-agent"),
        )
        return AuthPayload.from_result(result)

    @strawberry.mutation(description="Rotates the token; reusing a rotated one ends its session.")
    async def refresh_token(self, info: Info, refresh_token: RefreshToken) -> AuthPayload:
        ctx = info.context
        return AuthPayload.from_result(
            await accounts.refresh(
                ctx.session,
                ctx.settings,
                refresh_token,
                limiter=ctx.rate_limiter,
                client=ctx.client,
                ended=ctx.ended_sessions,
            )
        )

    @strawberry.mutation(
        description="Ends the session of this refresh token: its access tokens stop working "
        "at once and its sockets close (4403). False when it was unknown or ended already."
    )
    async def logout(self, info: Info, refresh_token: RefreshToken) -> bool:
        return await accounts.logout(
            info.context.session, refresh_token, info.context.ended_sessions
        )

    @strawberry.mutation(
        description="A new password: returns a new session; every other session of the "
        "account ends (its tokens stop working, its sockets close). A wrong current "
        "password is UNAUTHENTICATED and counts as a failed login."
    )
    async def change_password(
        self,
        info: Info,
        current_password: Annotated[str, strawberry.argument(description="The password now.")],
        new_password: Annotated[
            str, strawberry.argument(description="8 to 256 characters, as at registration.")
        ],
    ) -> AuthPayload:
        ctx = info.context
        result = await accounts.change_password(
            ctx.session,
            ctx.settings,
            ctx.require_user().id,
            current_password=current_password,
            new_password=new_password,
            limiter=ctx.rate_limiter,
            client=ctx.client,
            user_agent=ctx.request.headers.get("user-agent"),
            ended=ctx.ended_sessions,
        )
        return AuthPayload.from_result(result)

    @strawberry.mutation(
        description="Erase my account: profile, avatar and banner, sessions, memberships, "
        "group participations, read markers, notifications and reactions; my messages stay "
        "in their chats with `author: null`, and my email and tag are free again. My open "
        "sockets close (4403). UNAUTHENTICATED for a wrong password (counted as a failed "
        "login); CONFLICT while I own a space (hand it over or delete it first)."
    )
    async def delete_account(
        self,
        info: Info,
        password: Annotated[str, strawberry.argument(description="My current password.")],
    ) -> bool:
        ctx = info.context
        return await accounts.delete_account(
            ctx.session,
            ctx.storage,
            ctx.require_user(),
            password,
            limiter=ctx.rate_limiter,
            client=ctx.client,
        )
