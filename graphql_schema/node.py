"""The Node interface every entity implements."""

import strawberry


@strawberry.interface(description="An entity with a global id, fetchable with Query.node.")
class Node:
    id: strawberry.ID = strawberry.field(description="Opaque and stable; unique across types.")
