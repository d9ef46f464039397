"""The one schema: roots merged from the feature modules, extensions configured here."""

from datetime import datetime
from functools import partial
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.tools import merge_types

from graphql_schema.accounts import AccountMutation
from graphql_schema.chats import ChatMutation, ChatQuery
from graphql_schema.extensions.errors import ErrorCodes
from graphql_schema.extensions.input_text import InputText
from graphql_schema.extensions.operation_unit import OperationUnit
from graphql_schema.extensions.subscription_transport import SubscriptionsOverSockets
from graphql_schema.messages import MessageMutation, MessageQuery
from graphql_schema.moderation import ModerationMutation
from graphql_schema.node_field import NodeQuery
from graphql_schema.notifications import NotificationMutation, NotificationQuery
from graphql_schema.presence import PresenceMutation, PresenceSubscription
from graphql_schema.profiles import ProfileMutation, ProfileQuery
from graphql_schema.role_mutations import RoleMutation
from graphql_schema.scalars import DateTime
from graphql_schema.spaces import SpaceMutation, SpaceQuery
from graphql_schema.subscriptions import EventSubscription

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 5000

Query = merge_types(
    "Query", (NodeQuery, ProfileQuery, SpaceQuery, ChatQuery, MessageQuery, NotificationQuery)
)
Mutation = merge_types(
    "Mutation",
    (
        AccountMutation,
        ProfileMutation,
        SpaceMutation,
        RoleMutation,
        ModerationMutation,
        ChatMutation,
        MessageMutation,
        NotificationMutation,
        PresenceMutation,
    ),
)


Subscription = merge_types("Subscription", (EventSubscription, PresenceSubscription))


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Log nothing here: ErrorCodes logs the unexpected errors, with the request id."""


def create_schema(*, introspection: bool = True) -> strawberry.Schema:
    # Classes or factories: each request gets fresh extension instances.
    extensions: list[Any] = [
        ErrorCodes,
        InputText,
        SubscriptionsOverSockets,
        OperationUnit,
        partial(QueryDepthLimiter, max_depth=MAX_DEPTH),
        partial(MaxAliasesLimiter, max_alias_count=MAX_ALIASES),
        partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    return Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        scalar_overrides={datetime: DateTime},
    )


def export_sdl() -> str:
    return create_schema().as_str() + "\n"
