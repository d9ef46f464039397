"""The pin mutations (Chat.pinnedMessages and Message.pinnedAt/pinnedBy are on their types)."""

import strawberry

from graphql_schema.arguments import MessageId
from graphql_schema.ids import pk_from_global_id
from graphql_schema.info import Info
from graphql_schema.messages import Message
from resolvers import pins


@strawberry.type
class PinMutation:
    @strawberry.mutation(
        description="PIN_MESSAGES in channels; any participant in DIRECT and GROUP chats. "
        f"Idempotent. At most {pins.MAX_PINS} pins per chat (CONFLICT beyond); a deleted "
        "message: BAD_USER_INPUT."
    )
    async def pin_message(self, info: Info, id: MessageId) -> Message:
        ctx = info.context
        row = await pins.pin_message(
            ctx.session, ctx.rate_limiter, ctx.require_user(), pk_from_global_id(id, "Message")
        )
        return Message.from_row(row)

    @strawberry.mutation(description="As pinMessage; idempotent.")
    async def unpin_message(self, info: Info, id: MessageId) -> Message:
        ctx = info.context
        row = await pins.unpin_message(
            ctx.session, ctx.rate_limiter, ctx.require_user(), pk_from_global_id(id, "Message")
        )
        return Message.from_row(row)
