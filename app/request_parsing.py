"""Reading a GraphQL request off the wire: anything that is not one answers HTTP 400.

Strawberry's parsing assumes a well-formed body: `null`, `5`, invalid UTF-8, JSON nested past
Python's recursion limit or a multipart `map` that is not an object of path lists reached
it as AttributeError, RecursionError or KeyError, a bare 500. These checks come first.
"""

import json
from collections.abc import Mapping
from typing import Any

from cross_web import HTTPException
from strawberry.file_uploads.utils import replace_placeholders_with_files


def decode_json(data: str | bytes) -> object:
    """JSON, with every way of not being JSON reported as JSONDecodeError (HTTP 400; 4400 on
    a socket, whose frames go through here too)."""
    try:
        return json.loads(data)
    except (UnicodeDecodeError, RecursionError) as exc:
        raise json.JSONDecodeError(
            "not UTF-8 JSON, or nested too deeply", data if isinstance(data, str) else "", 0
        ) from exc


def request_object(value: object, what: str) -> Any:
    """A GraphQL request is a JSON object; a list is a batch (which Strawberry refuses)."""
    if not isinstance(value, dict | list):
        raise HTTPException(400, f"{what} must be a JSON object")
    return value


def with_files(operations: object, files_map: object, files: Mapping[str, Any]) -> Any:
    """`operations` with the uploaded files in the places `map` names (the GraphQL multipart
    request spec), or HTTP 400 for a map that does not fit."""
    request_object(operations, "operations")
    if not isinstance(files_map, dict) or not all(
        isinstance(paths, list) and all(isinstance(path, str) for path in paths)
        for paths in files_map.values()
    ):
        raise HTTPException(400, "map must be an object of lists of paths")
    if not all(name in files for name in files_map):
        raise HTTPException(400, "File(s) missing in form data")
    try:
        return replace_placeholders_with_files(operations, files_map, files)  # type: ignore[arg-type]
    except (KeyError, IndexError, TypeError, ValueError) as exc:  # a path to nowhere
        raise HTTPException(400, "map names a path that is not in operations") from exc
