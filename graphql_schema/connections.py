"""Relay connections; `Connection[Space]` is named SpaceConnection, its edges SpaceEdge."""

from typing import Generic, Self, TypeVar

import strawberry

NodeType = TypeVar("NodeType")


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
    def build(
        cls, pairs: list[tuple[NodeType, str]], *, has_next: bool, has_previous: bool
    ) -> Self:
        """A page from (node, cursor) pairs, in order."""
        edges = [Edge(node=node, cursor=cursor) for node, cursor in pairs]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=has_next,
                has_previous_page=has_previous,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )
