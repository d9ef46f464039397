"""Relay connections; `Connection[Space]` is named SpaceConnection, its edges SpaceEdge.

A connection only maps a domain `Page` to edges: the rows, their cursors and whether
there is more come from resolvers."""

from collections.abc import Callable
from typing import Generic, Self, TypeVar

import strawberry

from resolvers.pagination import Page

NodeType = TypeVar("NodeType")
RowType = TypeVar("RowType")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeType]):
    node: NodeType
    cursor: str


@strawberry.type
class Connection(Generic[NodeType]):
    edges: list[Edge[NodeType]]
    page_info: PageInfo

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
