"""The one schema: roots merged from the feature modules, extensions configured here."""

from datetime import datetime
from functools import partial
from typing import Any

import strawberry
from graphql import (
    ASTValidationRule,
    GraphQLError,
    NoSchemaIntrospectionCustomRule,
    specified_rules,
)
from graphql.validation.rules import overlapping_fields_can_be_merged
from strawberry.extensions import MaxTokensLimiter
from strawberry.file_uploads import Upload
from strawberry.tools import merge_types
from strawberry.types.base import get_object_definition

from graphql_schema.accounts import AccountMutation
from graphql_schema.blocks import BlockMutation, BlockQuery
from graphql_schema.chats import ChatMutation, ChatQuery
from graphql_schema.event_execution import EventExecutor
from graphql_schema.extensions.aliases import alias_limit
from graphql_schema.extensions.depth import depth_limit
from graphql_schema.extensions.documents import CachedDocuments, DocumentCache
from graphql_schema.extensions.errors import ErrorCodes
from graphql_schema.extensions.input_text import InputText
from graphql_schema.extensions.operation_unit import OperationUnit
from graphql_schema.extensions.subscription_transport import SubscriptionsOverSockets
from graphql_schema.messages import MessageMutation, MessageQuery
from graphql_schema.moderation import ModerationMutation
from graphql_schema.node_field import NodeQuery
from graphql_schema.notifications import NotificationMutation, NotificationQuery
from graphql_schema.pins import PinMutation
from graphql_schema.presence import PresenceMutation, PresenceSubscription
from graphql_schema.profiles import ProfileMutation, ProfileQuery
from graphql_schema.role_mutations import RoleMutation
from graphql_schema.scalars import DateTime, UploadScalar
from graphql_schema.search import MessageSearchQuery
from graphql_schema.sessions import SessionMutation, SessionQuery
from graphql_schema.space_mutations import SpaceMutation
from graphql_schema.spaces import SpaceQuery
from graphql_schema.subscriptions import EventSubscription
from infra.settings import DEFAULT_MAX_QUERY_COST

MAX_DEPTH = 12
MAX_ALIASES = 30
# Parsing stops at this many tokens, but pays for every one before it: 5,000 cost 35 ms
# (more in a busy process), a loop of such documents a large share of the event loop.
# GraphiQL's introspection query has 183, a history page with everything 58.
MAX_TOKENS = 2000
# graphql-core's check that the fields of one response name can merge compares them in
# pairs: 400 copies of `me { id }` took over a second, 1,200 two. It stops ("Validation
# aborted.") once this much work is spent; its default, 500,000, is seconds of CPU, this
# about 20 ms. Realistic queries spend under 10, 30 levels of doubling fragments 2,000.
MERGE_BUDGET = 5000
overlapping_fields_can_be_merged.MAX_COMPLEXITY_BUDGET = MERGE_BUDGET


def _root(name: str, description: str, types: tuple[type, ...]) -> type:
    """The root type `name`: the fields of `types`, merged, and a description."""
    merged = merge_types(name, types)
    get_object_definition(merged, strict=True).description = description
    return merged


Query = _root(
    "Query",
    "Reads; each needs a signed-in caller (UNAUTHENTICATED otherwise).",
    (
        NodeQuery,
        ProfileQuery,
        BlockQuery,
        SpaceQuery,
        ChatQuery,
        MessageQuery,
        MessageSearchQuery,
        NotificationQuery,
        SessionQuery,
    ),
)
Mutation = _root(
    "Mutation",
    "Writes. All but register, login, refreshToken and logout need a signed-in caller.",
    (
        AccountMutation,
        SessionMutation,
        ProfileMutation,
        BlockMutation,
        SpaceMutation,
        RoleMutation,
        ModerationMutation,
        ChatMutation,
        MessageMutation,
        PinMutation,
        NotificationMutation,
        PresenceMutation,
    ),
)


Subscription = _root(
    "Subscription",
    "Live streams over WebSocket (graphql-transport-ws or graphql-ws); signed in.",
    (EventSubscription, PresenceSubscription),
)


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Log nothing here: ErrorCodes logs the unexpected errors, with the request id."""


def create_schema(
    *, introspection: bool = True, max_query_cost: int = DEFAULT_MAX_QUERY_COST
) -> strawberry.Schema:
    # Every validation rule added here measures each fragment once: linear in the document.
    rules: list[type[ASTValidationRule]] = [
        *specified_rules,
        depth_limit(MAX_DEPTH),
        alias_limit(MAX_ALIASES),
    ]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    documents = DocumentCache(rules)  # this schema's, shared by all its requests
    # Classes or factories: each request gets fresh extension instances. CachedDocuments
    # comes after the extensions that may refuse an operation before it is validated.
    extensions: list[Any] = [
        partial(ErrorCodes, hide_suggestions=not introspection),
        InputText,
        SubscriptionsOverSockets,
        OperationUnit,
        partial(CachedDocuments, cache=documents, max_cost=max_query_cost),
        partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
    ]
    return Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        scalar_overrides={datetime: DateTime, Upload: UploadScalar},
        execution_context_class=EventExecutor,
    )


def export_sdl() -> str:
    return create_schema().as_str() + "\n"
