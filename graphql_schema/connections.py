"""Relay connections; `Connection[Space]` is named SpaceConnection, its edges SpaceEdge.

A connection only maps a domain `Page` to edges: the rows, their cursors and whether
there is more come from resolvers."""

from collections.abc import Callable
from typing import Generic, Self, TypeVar

import strawberry

from resolvers.pagination import Page

NodeType = TypeVar("NodeType")
RowType = TypeVar("RowType")


@strawberry.type(description="Where a page sits in its list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether there is more after endCursor.")
    has_previous_page: bool = strawberry.field(
        description="Whether there is more before startCursor."
    )
    start_cursor: str | None = strawberry.field(
        description="The first edge's cursor; null for an empty page."
    )
    end_cursor: str | None = strawberry.field(
        description="The last edge's cursor (pass it as `after`); null for an empty page."
    )


@strawberry.type(description="One item of a page and its cursor.")
class Edge(Generic[NodeType]):
    node: NodeType = strawberry.field(description="The item.")
    cursor: str = strawberry.field(description="Opaque; pages continue from it.")


@strawberry.type(description="A page of a list (a Relay connection).")
class Connection(Generic[NodeType]):
    edges: list[Edge[NodeType]] = strawberry.field(description="The items, in the list's order.")
    page_info: PageInfo = strawberry.field(description="Whether and where the list goes on.")

    @classmethod
    def from_page(cls, page: Page[RowType], node: Callable[[RowType], NodeType]) -> Self:
        """The page's rows as nodes, in order, each with its cursor."""
        edges = [
            Edge(node=node(row), cursor=cursor)
            for row, cursor in zip(page.rows, page.cursors, strict=True)
        ]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=page.has_previous,
                start_cursor=page.cursors[0] if page.cursors else None,
                end_cursor=page.cursors[-1] if page.cursors else None,
            ),
        )
