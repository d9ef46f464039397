"""The corpus the search scenario looks through: many chats of made-up Latin and Cyrillic
words whose frequencies follow Zipf's law (the k-th commonest word is k times rarer than the
commonest, as in natural text), and a searcher who takes part in some of the chats.

The words are drawn here, with a fixed seed, and written by COPY on PostgreSQL (1,000,000
messages in seconds; the search index is maintained as they go in) or one executemany on
SQLite (whose triggers fill the FTS5 table).
"""

import itertools
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection

from db.base import utcnow
from db.models import Chat, ChatKind, ChatParticipant, Message, User
from db.session import create_engine

VOCABULARY = 5000
WORDS_PER_MESSAGE = (3, 12)  # uniformly, both included
LATIN = ("ka", "lo", "mi", "ne", "ra", "to", "su", "vi", "de", "po", "ba", "ri", "ge", "lu")
CYRILLIC = ("ка", "ло", "ми", "не", "ра", "то", "су", "ви", "де", "по", "ба", "ри", "же", "лу")  # noqa: RUF001
SEED = 20261206
BATCH = 50_000


def vocabulary() -> list[str]:
    """VOCABULARY distinct words, commonest first (shuffled, so that the common ones do not
    share their first syllables); a third Cyrillic, a few accented."""
    words = []
    for rank in range(VOCABULARY):
        syllables = CYRILLIC if rank % 3 == 2 else LATIN
        digits, number = [], rank + len(syllables)  # at least two syllables
        while number:
            number, digit = divmod(number, len(syllables))
            digits.append(syllables[digit])
        word = "".join(reversed(digits))
        words.append(word.replace("e", "é", 1) if rank % 17 == 5 else word)
    random.Random(SEED).shuffle(words)  # noqa: S311 (a fixed corpus, not a secret)
    return words


@dataclass(frozen=True)
class Corpus:
    searcher: int  # user id
    chats: list[int]  # every chat of the corpus; the searcher takes part in the first ones
    searched: int  # how many the searcher takes part in
    messages: int
    seconds: float


async def seed_corpus(
    database_url: str, authors: list[int], *, messages: int, chats: int, searched: int
) -> Corpus:
    """`messages` messages spread at random over `chats` new GROUP chats (by `authors`, each
    chat's participants), the searcher a participant of the first `searched`."""
    started = time.perf_counter()
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            searcher = (
                await connection.execute(
                    insert(User)
                    .values(
                        email="searcher@bench.example",
                        tag="searcher",
                        display_name="Searcher",
                        password_hash="-",  # noqa: S106 (never signs in: the bench mints its token)
                    )
                    .returning(User.id)
                )
            ).scalar_one()
            chat_ids = await _chats(connection, authors, searcher, chats, searched)
            rows = _messages(chat_ids, authors, messages)
            if connection.dialect.name == "postgresql":
                raw = (await connection.get_raw_connection()).driver_connection
                columns = ["chat_id", "author_id", "kind", "content", "mentions_everyone"]
                columns.append("created_at")
                for batch in _batches(rows):
                    await raw.copy_records_to_table("messages", records=batch, columns=columns)
            else:
                keys = ("chat_id", "author_id", "kind", "content", "mentions_everyone")
                for batch in _batches(rows):
                    values = [dict(zip(keys, row[:5], strict=True)) for row in batch]
                    await connection.execute(insert(Message), values)
        if engine.dialect.name == "postgresql":
            async with engine.connect() as connection:
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.execute(text("ANALYZE messages"))
    finally:
        await engine.dispose()
    return Corpus(searcher, chat_ids, searched, messages, time.perf_counter() - started)


async def _chats(
    connection: AsyncConnection, authors: list[int], searcher: int, count: int, searched: int
) -> list[int]:
    result = await connection.execute(
        insert(Chat).returning(Chat.id),
        [{"kind": ChatKind.GROUP, "title": f"corpus {n}"} for n in range(count)],
    )
    chat_ids = sorted(result.scalars())
    participants = [{"chat_id": chat, "user_id": user} for chat in chat_ids for user in authors]
    participants += [{"chat_id": chat, "user_id": searcher} for chat in chat_ids[:searched]]
    await connection.execute(insert(ChatParticipant), participants)
    return chat_ids


def _messages(chat_ids: list[int], authors: list[int], count: int) -> Iterator[tuple[object, ...]]:
    rng = random.Random(SEED)  # noqa: S311 (a fixed corpus, not a secret)
    words = vocabulary()
    weights = list(itertools.accumulate(1 / rank for rank in range(1, len(words) + 1)))
    created = utcnow()
    low, high = WORDS_PER_MESSAGE
    for _ in range(count):
        text = " ".join(rng.choices(words, cum_weights=weights, k=rng.randint(low, high)))
        chat = rng.choice(chat_ids)
        yield (chat, rng.choice(authors), "TEXT", text, False, created)


def _batches(rows: Iterator[tuple[object, ...]]) -> Iterator[list[tuple[object, ...]]]:
    while batch := list(itertools.islice(rows, BATCH)):
        yield batch
