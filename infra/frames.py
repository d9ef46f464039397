"""JSON as the server sends it, and subscription frames encoded once for every socket that
shares them.

An event executed once for many subscribers (graphql_schema.event_execution) has one
`payload` for all of them; only the operation id differs from socket to socket and between
the two protocols (graphql-transport-ws `next`, legacy graphql-ws `data`). So the payload
is encoded once and each frame splices its id in front of it.
"""

import json
from typing import Any

import orjson


def json_bytes(data: object) -> bytes:
    """UTF-8 JSON by orjson; the standard library for what orjson refuses (integers past
    64 bits, unpaired surrogates), which it encodes with escapes."""
    try:
        return orjson.dumps(data)
    except orjson.JSONEncodeError:
        return json.dumps(data, separators=(",", ":")).encode()


class EncodedData(dict[str, Any]):
    """The `data` of a result shared between subscribers, with the result's whole
    `payload` ({"data", "errors"}) already encoded."""

    def __init__(self, data: dict[str, Any], errors: list[Any] | None) -> None:
        super().__init__(data)
        payload: dict[str, Any] = {"data": data}
        if errors:
            payload["errors"] = errors
        # Text: WebSocket frames of either protocol must be text frames.
        self.payload = json_bytes(payload).decode()


def next_frame(operation_id: str, payload: str) -> str:
    """graphql-transport-ws: {"id": …, "type": "next", "payload": …}."""
    return f'{{"id":{json.dumps(operation_id)},"type":"next","payload":{payload}}}'


def data_frame(operation_id: str, payload: str) -> str:
    """Legacy graphql-ws: {"type": "data", "id": …, "payload": …}."""
    return f'{{"type":"data","id":{json.dumps(operation_id)},"payload":{payload}}}'
