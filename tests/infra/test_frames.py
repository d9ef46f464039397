"""Frames built around a payload encoded once are the protocol's messages, id and all."""

import json

from infra.frames import EncodedData, data_frame, next_frame


def test_a_shared_payload_becomes_each_protocols_frame_with_its_own_id() -> None:
    data = EncodedData({"chatEvents": {"message": {"content": 'say "hi" \u2603'}}}, None)
    assert json.loads(next_frame('a"1', data.payload)) == {
        "id": 'a"1',
        "type": "next",
        "payload": {"data": dict(data)},
    }
    assert json.loads(data_frame("7", data.payload)) == {
        "type": "data",
        "id": "7",
        "payload": {"data": dict(data)},
    }


def test_errors_are_part_of_the_encoded_payload() -> None:
    errors = [{"message": "Chat not found", "extensions": {"code": "NOT_FOUND"}}]
    data = EncodedData({"chatEvents": None}, errors)
    assert json.loads(data.payload) == {"data": {"chatEvents": None}, "errors": errors}
