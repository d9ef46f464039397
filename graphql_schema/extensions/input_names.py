"""Which argument or input field a piece of the request fills, for `extensions.field`.

Clients show an error beside the input it is about, so an error in a value names the
argument or input field holding it (`content`, `expiresAt`), not the variable (`$i`).
"""

from collections.abc import Iterable

from graphql import (
    ArgumentNode,
    DocumentNode,
    Node,
    ObjectFieldNode,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    visit,
)
from graphql.language.visitor import BREAK


def variable_fields(document: DocumentNode) -> dict[str, str]:
    """For each variable, the argument or input field of its first use."""
    names: dict[str, str] = {}

    class Uses(Visitor):
        def enter_variable(
            self, node: VariableNode, _key: object, parent: object, _path: object, ancestors: object
        ) -> None:
            if isinstance(parent, VariableDefinitionNode):  # its declaration, not a use
                return
            holder = _holder(parent, ancestors)
            if holder is not None:
                names.setdefault(node.name.value, holder)

    visit(document, Uses())
    return names


def input_field(document: DocumentNode | None, nodes: Iterable[Node] | None) -> str | None:
    """The argument or input field an error's nodes are in, if they are in one."""
    for node in nodes or ():
        if isinstance(node, VariableDefinitionNode):
            name = node.variable.name.value
            return variable_fields(document).get(name, name) if document else name
        if isinstance(node, ArgumentNode | ObjectFieldNode):
            return node.name.value
        if document is not None and (found := _enclosing(document, node)) is not None:
            return found
    return None


def _enclosing(document: DocumentNode, target: Node) -> str | None:
    found: list[str] = []

    class Find(Visitor):
        def enter(
            self, node: Node, _key: object, parent: object, _path: object, ancestors: object
        ) -> object:
            if node is not target:
                return None
            holder = _holder(parent, ancestors)
            if holder is not None:
                found.append(holder)
            return BREAK

    visit(document, Find())
    return found[0] if found else None


def _holder(parent: object, ancestors: object) -> str | None:
    """The nearest argument or object field among a visited node's parent and ancestors."""
    lineage = [*(ancestors if isinstance(ancestors, list) else []), parent]
    for ancestor in reversed(lineage):
        if isinstance(ancestor, ArgumentNode | ObjectFieldNode):
            return ancestor.name.value
        if isinstance(ancestor, VariableDefinitionNode):  # in a default value
            return ancestor.variable.name.value
    return None
