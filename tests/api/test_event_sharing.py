"""The subscriptions one event wakes share its rights check and its message
(loaders.event_batch)."""

import asyncio
from contextlib import ExitStack
from dataclasses import dataclass

import pytest
from sqlalchemy import event as orm_events
from sqlalchemy.orm import Session
from starlette.applications import Starlette

from graphql_schema.ids import parse_global_id
from infra.broadcast import Published
from loaders import event_batch as per_event_module
from loaders.event_batch import EventBatch
from tests.conftest import StatementCounter
from tests.factories import create_space, join, register_directly
from tests.graphql_client import Account, GraphQLClient

CHANNELS = "query($id: ID!) { space(id: $id) { channels { id } } }"
SEND = "mutation($c: ID!, $t: String!) { sendMessage(input: {chatId: $c, content: $t}) { id } }"
KICK = "mutation($s: ID!, $u: ID!) { kickMember(spaceId: $s, userId: $u) }"


def pk(global_id: str) -> int:
    parsed = parse_global_id(global_id)
    assert parsed is not None
    return parsed[1]


@dataclass
class Lounge:
    space: str
    channel: int
    owner: Account
    members: list[Account]
    outsider: Account


async def lounge(client: GraphQLClient, app: Starlette, members: int) -> Lounge:
    owner = await register_directly(app, "owner")
    space = await create_space(client, owner, public=True)
    crowd = [await register_directly(app, f"member{n}") for n in range(members)]
    for member in crowd:
        await join(client, member, space)
    channels = await client.data(CHANNELS, {"id": space}, token=owner.access_token)
    channel = pk(channels["space"]["channels"][0]["id"])
    return Lounge(space, channel, owner, crowd, await register_directly(app, "outsider"))


def event() -> Published:
    return Published("test", "{}")


def event_batch(app: Starlette) -> EventBatch:
    shared: EventBatch = app.state.services.event_batch
    return shared


async def checked_by_all(
    shared: EventBatch, room: Lounge, counter: StatementCounter, scope: str = "chat"
) -> tuple[dict[str, bool], int]:
    """Every watcher (members and the outsider) of the channel, or of the space's presence,
    checks one event at once: their answers and what that cost."""
    watchers = [room.owner, *room.members, room.outsider]
    space = pk(room.space)
    with ExitStack() as stack:
        for account in watchers:
            if scope == "chat":
                stack.enter_context(shared.watching_chat(room.channel, pk(account.id)))
            else:
                stack.enter_context(shared.watching_space(space, pk(account.id)))
        published = event()
        counter.count, counter.counting = 0, True
        answers = await asyncio.gather(
            *(
                shared.may_read(published, room.channel, pk(a.id))
                if scope == "chat"
                else shared.is_member(published, space, pk(a.id))
                for a in watchers
            )
        )
        counter.counting = False
    return {a.tag: answer for a, answer in zip(watchers, answers, strict=True)}, counter.count


@pytest.mark.parametrize(("scope", "most"), [("chat", 3), ("space", 1)])
@pytest.mark.parametrize("members", [3, 30])
async def test_one_event_checks_every_watcher_in_a_constant_number_of_statements(
    client: GraphQLClient,
    app: Starlette,
    sql_statements: StatementCounter,
    members: int,
    scope: str,
    most: int,
) -> None:
    room = await lounge(client, app, members)
    answers, statements = await checked_by_all(event_batch(app), room, sql_statements, scope)
    assert answers.pop("outsider") is False
    assert set(answers.values()) == {True} and len(answers) == members + 1
    assert statements <= most


@pytest.mark.parametrize("scope", ["chat", "space"])
async def test_the_check_of_every_watcher_loads_no_row_as_an_object(
    client: GraphQLClient, app: Starlette, sql_statements: StatementCounter, scope: str
) -> None:
    """Columns only: thousands of watchers must not become thousands of ORM objects."""
    room = await lounge(client, app, 3)
    loaded: list[str] = []

    def record(session: Session, instance: object) -> None:
        loaded.append(type(instance).__name__)

    orm_events.listen(Session, "loaded_as_persistent", record)
    try:
        answers, _ = await checked_by_all(event_batch(app), room, sql_statements, scope)
    finally:
        orm_events.remove(Session, "loaded_as_persistent", record)
    assert answers.pop("outsider") is False and set(answers.values()) == {True}
    assert loaded == []


@pytest.mark.parametrize("scope", ["chat", "space"])
async def test_rights_are_read_anew_for_every_event(
    client: GraphQLClient, app: Starlette, sql_statements: StatementCounter, scope: str
) -> None:
    room = await lounge(client, app, 2)
    kicked = room.members[0]
    shared = event_batch(app)
    before, _ = await checked_by_all(shared, room, sql_statements, scope)
    assert before[kicked.tag] is True
    await client.data(KICK, {"s": room.space, "u": kicked.id}, token=room.owner.access_token)
    after, _ = await checked_by_all(shared, room, sql_statements, scope)
    assert after[kicked.tag] is False and after[room.members[1].tag] is True


async def test_a_watcher_who_arrives_after_the_batch_is_checked_on_its_own(
    client: GraphQLClient, app: Starlette
) -> None:
    room = await lounge(client, app, 1)
    shared = event_batch(app)
    published = event()
    with shared.watching_chat(room.channel, pk(room.owner.id)):
        assert await shared.may_read(published, room.channel, pk(room.owner.id))
        member, outsider = pk(room.members[0].id), pk(room.outsider.id)
        with (
            shared.watching_chat(room.channel, member),
            shared.watching_chat(room.channel, outsider),
        ):
            assert await shared.may_read(published, room.channel, member) is True
            assert await shared.may_read(published, room.channel, outsider) is False


async def test_a_subscriber_that_goes_away_does_not_cancel_the_others_answer(
    client: GraphQLClient, app: Starlette
) -> None:
    room = await lounge(client, app, 1)
    shared = event_batch(app)
    published = event()
    owner, member = pk(room.owner.id), pk(room.members[0].id)
    with shared.watching_chat(room.channel, owner), shared.watching_chat(room.channel, member):
        first = asyncio.ensure_future(shared.may_read(published, room.channel, owner))
        await asyncio.sleep(0)  # the batch has started on the first caller's behalf
        first.cancel()
        assert await shared.may_read(published, room.channel, member) is True


async def test_the_message_is_loaded_once_with_its_author_for_every_subscriber(
    client: GraphQLClient, app: Starlette, sql_statements: StatementCounter
) -> None:
    room = await lounge(client, app, 1)
    channel = (await client.data(CHANNELS, {"id": room.space}, token=room.owner.access_token))[
        "space"
    ]["channels"][0]["id"]
    sent = await client.data(SEND, {"c": channel, "t": "hello"}, token=room.owner.access_token)
    message_id = pk(sent["sendMessage"]["id"])
    shared, published = event_batch(app), event()
    sql_statements.counting = True
    found = await asyncio.gather(*(shared.message(published, message_id) for _ in range(20)))
    sql_statements.counting = False
    assert sql_statements.count == 1
    assert {(row.content, author.tag if author else None) for row, author in found} == {
        ("hello", "owner")
    }
    assert await shared.message(event(), 999_999) is None


async def test_a_user_is_loaded_once_for_every_subscriber(
    client: GraphQLClient, app: Starlette, sql_statements: StatementCounter
) -> None:
    room = await lounge(client, app, 1)
    shared, published = event_batch(app), event()
    sql_statements.counting = True
    found = await asyncio.gather(*(shared.user(published, pk(room.owner.id)) for _ in range(20)))
    sql_statements.counting = False
    assert sql_statements.count == 1
    assert {row.tag if row else None for row in found} == {"owner"}


async def test_watchers_beyond_one_statement_s_worth_are_checked_in_chunks(
    client: GraphQLClient,
    app: Starlette,
    sql_statements: StatementCounter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(per_event_module, "CHECK_CHUNK", 2)
    room = await lounge(client, app, 4)
    answers, statements = await checked_by_all(event_batch(app), room, sql_statements, "space")
    assert statements == 3  # six watchers, two per statement
    assert answers.pop("outsider") is False
    assert set(answers.values()) == {True} and len(answers) == 5
