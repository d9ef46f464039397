"""searchMessages: full-text search over the messages the caller can read."""

from typing import Annotated, Self

import strawberry

from graphql_schema.arguments import After, First
from graphql_schema.connections import PageInfo
from graphql_schema.ids import pk_from_global_id
from graphql_schema.info import Info
from graphql_schema.messages import Message, load_for_page, prime_loaders
from resolvers import search
from resolvers.pagination import DEFAULT_PAGE, MAX_PAGE


@strawberry.type(description="A message found and its cursor.")
class MessageSearchEdge:
    node: Message = strawberry.field(description="The message.")
    cursor: str = strawberry.field(description="Opaque; the next page continues from it.")


@strawberry.type(description="A page of search results, newest first.")
class MessageSearchConnection:
    edges: list[MessageSearchEdge] = strawberry.field(description="The messages found.")
    page_info: PageInfo = strawberry.field(description="Whether and where the results go on.")

    @classmethod
    def from_page(cls, page: search.SearchPage) -> Self:
        found = page.messages
        return cls(
            edges=[
                MessageSearchEdge(node=Message.from_row(row), cursor=cursor)
                for row, cursor in zip(found.rows, found.cursors, strict=True)
            ],
            page_info=PageInfo(
                has_next_page=found.has_next,
                has_previous_page=found.has_previous,
                start_cursor=found.cursors[0] if found.cursors else None,
                end_cursor=found.cursors[-1] if found.cursors else None,
            ),
        )


@strawberry.type
class MessageSearchQuery:
    @strawberry.field(
        description="Newest first. Every word must match a whole word (the last also as a "
        "prefix when the query ends with it), case- and accent-insensitively; at most "
        f"{search.SEARCH_WORDS_MAX} words. {DEFAULT_PAGE} a page by default, at most {MAX_PAGE}."
    )
    async def search_messages(
        self,
        info: Info,
        query: Annotated[str, strawberry.argument(description="Words to find.")],
        space_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only in this Space's channels.")
        ] = None,
        chat_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only in this Chat.")
        ] = None,
        author_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only by this User.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> MessageSearchConnection:
        ctx = info.context
        page = await search.search_messages(
            ctx.session,
            ctx.require_user(),
            query,
            space_id=pk_from_global_id(space_id, "Space", field="spaceId") if space_id else None,
            chat_id=pk_from_global_id(chat_id, "Chat", field="chatId") if chat_id else None,
            author_id=pk_from_global_id(author_id, "User", field="authorId") if author_id else None,
            first=first,
            after=after,
        )
        prime_loaders(
            info,
            list(page.accesses.values()),
            authors=page.authors,
            replies=page.replies,
            files=page.attachments,
        )
        await load_for_page(info, [row.id for row in page.messages.rows])
        return MessageSearchConnection.from_page(page)
