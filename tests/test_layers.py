"""The layers import one way: wiring → schema → loaders → domain → infrastructure → db."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("app", "graphql_schema", "loaders", "resolvers", "infra", "db")  # top to bottom


def imported(source: str) -> list[tuple[int, str]]:
    """(line, module) for every absolute import in `source`, lazy ones included."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return found


def upward_imports(layer: str, source: str) -> list[str]:
    """The imports in a module of `layer` that reach a layer above it."""
    rank = LAYERS.index(layer)
    return [
        f"line {line}: {module}"
        for line, module in imported(source)
        if module.split(".")[0] in LAYERS and LAYERS.index(module.split(".")[0]) < rank
    ]


@pytest.mark.parametrize("layer", LAYERS)
def test_no_module_imports_a_layer_above_its_own(layer: str) -> None:
    wrong = {
        str(path.relative_to(ROOT)): found
        for path in sorted((ROOT / layer).rglob("*.py"))
        if (found := upward_imports(layer, path.read_text()))
    }
    assert not wrong, wrong


def test_the_check_sees_plain_from_and_lazy_imports() -> None:
    source = (
        "import app.settings\n"
        "from graphql_schema import messages\n"
        "from infra.errors import NotFound\n"
        "def f():\n"
        "    from loaders.users import UserLoader\n"
    )
    assert upward_imports("resolvers", source) == [
        "line 1: app.settings",
        "line 2: graphql_schema",
        "line 5: loaders.users",
    ]
