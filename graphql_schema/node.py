"""The Node interface every entity implements."""

import strawberry


@strawberry.interface
class Node:
    id: strawberry.ID
