"""Subscription frames encoded once and sent as the same text to every socket sharing them.

An event executed once for many subscribers (graphql_schema.event_execution) has one
`payload` for all of them; only the operation id differs from socket to socket and between
the two protocols (graphql-transport-ws `next`, legacy graphql-ws `data`). So the payload
is encoded once and each frame splices its id in front of it.
"""

import json
from typing import Any


def encode_json(value: object) -> str:
    """As Strawberry encodes what it sends (compact separators)."""
    return json.dumps(value, separators=(",", ":"))


class EncodedData(dict[str, Any]):
    """The `data` of a result shared between subscribers, with the result's whole
    `payload` ({"data", "errors"}) already encoded."""

    def __init__(self, data: dict[str, Any], errors: list[Any] | None) -> None:
        super().__init__(data)
        payload: dict[str, Any] = {"data": data}
        if errors:
            payload["errors"] = errors
        self.payload = encode_json(payload)


def next_frame(operation_id: str, payload: str) -> str:
    """graphql-transport-ws: {"id": …, "type": "next", "payload": …}."""
    return f'{{"id":{encode_json(operation_id)},"type":"next","payload":{payload}}}'


def data_frame(operation_id: str, payload: str) -> str:
    """Legacy graphql-ws: {"type": "data", "id": …, "payload": …}."""
    return f'{{"type":"data","id":{encode_json(operation_id)},"payload":{payload}}}'
