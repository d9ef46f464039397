"""Full-text search over the messages a user can read now, newest first.

Each backend's own engine does the matching (the index is built by migration 0004): on
PostgreSQL the GIN-indexed generated column `messages.search_vector`, on SQLite the FTS5
table `messages_search`. The backend-specific SQL is the two small functions `_postgres_match`
and `_sqlite_match`; everything else is shared.
"""

import dataclasses
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Select,
    Subquery,
    Text,
    bindparam,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from db.models import Attachment, Chat, ChatParticipant, Message, SpaceMember, User
from db.search_index import SEARCH_COLUMN, SEARCH_TABLE
from infra.errors import BadUserInput, NotFound
from resolvers.pagination import Page, page_request
from resolvers.permissions import ChatAccess, chat_access, chat_accesses, visible_space
from resolvers.text import SEARCH_QUERY_MAX

SEARCH_WORDS_MAX = 10
# A word is a run of letters and digits (any script): what both indexes take as one, so
# that punctuation in a query only ever separates words.
WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class SearchQuery:
    """The words to find; the last may be the start of a longer word."""

    words: list[str]
    last_is_prefix: bool


@dataclass(frozen=True)
class SearchPage:
    """Found messages, newest first, with their chats, what they reply to, both's authors
    and the messages' attachments, loaded in one statement."""

    messages: Page[Message]
    chats: list[Chat]
    accesses: dict[int, ChatAccess]  # the caller's, by chat id, for each chat of `chats`
    replies: list[Message]
    authors: list[User]
    attachments: dict[int, list[Attachment]]  # by message id, every message of the page


def parse_query(query: str) -> SearchQuery:
    """The query's words; BAD_USER_INPUT for one without any, or too long.

    The last word matches as a prefix only when the query ends with it (someone still
    typing), not after a space or punctuation.
    """
    if len(query) > SEARCH_QUERY_MAX:
        raise BadUserInput(f"A search has at most {SEARCH_QUERY_MAX} characters", field="query")
    query = unicodedata.normalize("NFC", query)  # an accent typed apart is part of its letter
    # A word twice is the same condition; kept twice, PostgreSQL's planner would take the
    # query for a rarer one than it is (and pick a plan for one). The last stays last.
    words = list(dict.fromkeys(word.lower() for word in reversed(WORD.findall(query))))[::-1]
    if not words:
        raise BadUserInput("A search needs at least one word", field="query")
    if len(words) > SEARCH_WORDS_MAX:
        raise BadUserInput(f"A search has at most {SEARCH_WORDS_MAX} words", field="query")
    return SearchQuery(words, last_is_prefix=WORD.fullmatch(query[-1]) is not None)


async def search_messages(
    session: AsyncSession,
    user: User,
    query: str,
    *,
    space_id: int | None = None,
    chat_id: int | None = None,
    author_id: int | None = None,
    first: int | None = None,
    after: str | None = None,
) -> SearchPage:
    """Messages of chats the caller can read now whose current text holds every word of
    `query`, narrowed by the filters given (all of them); a filter naming a space, chat or
    user the caller cannot see answers NOT_FOUND."""
    parsed = parse_query(query)
    request = page_request(first, after)
    position = request.position(int)
    if space_id is not None:
        await visible_space(session, space_id, user.id)
    if chat_id is not None:
        await chat_access(session, chat_id, user.id)
    if author_id is not None and await session.get(User, author_id) is None:
        raise NotFound("User not found")
    readable = await _readable_chat_ids(session, user.id, space_id=space_id, chat_id=chat_id)
    if not readable:
        return SearchPage(Page.empty(), [], {}, [], [], {})

    ids = matching_ids(
        session.get_bind().dialect.name,
        parsed,
        sorted(readable),
        author_id=author_id,
        before=position[0] if position is not None else None,
        limit=request.limit + 1,
    )
    page = ids.subquery()
    found = await _load_page(session, page, request.limit, has_previous=position is not None)
    accesses = {chat.id: readable[chat.id] for chat in found.chats}
    return dataclasses.replace(found, accesses=accesses)


def matching_ids(
    dialect: str,
    query: SearchQuery,
    chat_ids: list[int],
    *,
    author_id: int | None = None,
    before: int | None = None,
    limit: int,
) -> Select[int]:
    """The ids of the newest `limit` messages of `chat_ids` that match `query` (older than
    `before`, by `author_id` when given), for the backend named `dialect`; apart, so that
    the benchmark can time this statement alone. The chat ids go as an IN list of one
    parameter each: with an array parameter PostgreSQL's planner could not tell how many
    messages they hold."""
    ids = _MATCHERS[dialect](
        select(Message.id).where(Message.chat_id.in_(chat_ids), Message.deleted_at.is_(None)),
        query,
    )
    if author_id is not None:
        ids = ids.where(Message.author_id == author_id)
    if before is not None:
        ids = ids.where(Message.id < before)
    return ids.order_by(Message.id.desc()).limit(limit)


async def _readable_chat_ids(
    session: AsyncSession, user_id: int, *, space_id: int | None, chat_id: int | None
) -> dict[int, ChatAccess]:
    """The chats to search, with the user's access to each: those it takes part in and the
    channels of the spaces it is a member of (narrowed by the filters), then only those it
    may read now, as the permission module decides (VIEW_CHANNELS, per channel)."""
    candidates = select(Chat.id).where(
        or_(
            Chat.id.in_(select(ChatParticipant.chat_id).where(ChatParticipant.user_id == user_id)),
            Chat.space_id.in_(select(SpaceMember.space_id).where(SpaceMember.user_id == user_id)),
        )
    )
    if space_id is not None:
        candidates = candidates.where(Chat.space_id == space_id)
    if chat_id is not None:
        candidates = candidates.where(Chat.id == chat_id)
    ids = list(await session.scalars(candidates))
    return await chat_accesses(session, ids, user_id)


_vector: ColumnClause[Any] = literal_column(f"messages.{SEARCH_COLUMN}")


def _postgres_match(ids: Select[int], query: SearchQuery) -> Select[int]:
    """The generated column's GIN index; thespace_search_query (migration 0004) turns the
    words into a tsquery as the column's function turned the text into a vector, quoting
    every lexeme itself: no user text is parsed as tsquery syntax."""
    words = bindparam("search_words", query.words, type_=ARRAY(Text))
    terms = func.thespace_search_query(words, query.last_is_prefix)
    return ids.where(_vector.bool_op("@@")(terms))


_fts = table(SEARCH_TABLE, column("rowid"))


def _sqlite_match(ids: Select[int], query: SearchQuery) -> Select[int]:
    """Each word as an FTS5 string (words hold no double quote: nothing to escape), which
    the table's tokenizer folds as it did the text; side by side they must all match."""
    terms = [f'"{word}"' for word in query.words]
    if query.last_is_prefix:
        terms[-1] += "*"
    matched: ColumnElement[bool] = literal_column(SEARCH_TABLE).bool_op("MATCH")(" ".join(terms))
    return ids.join(_fts, _fts.c.rowid == Message.id).where(matched)


_MATCHERS = {"postgresql": _postgres_match, "sqlite": _sqlite_match}


async def _load_page(
    session: AsyncSession, page: Subquery, limit: int, *, has_previous: bool
) -> SearchPage:
    reply, reply_author = aliased(Message), aliased(User)
    rows = await session.execute(
        select(Message, Chat, User, reply, reply_author, Attachment)
        .join(page, page.c.id == Message.id)
        .join(Chat, Chat.id == Message.chat_id)
        .outerjoin(User, User.id == Message.author_id)
        .outerjoin(reply, reply.id == Message.reply_to_id)
        .outerjoin(reply_author, reply_author.id == reply.author_id)
        .outerjoin(Attachment, Attachment.message_id == Message.id)
        .order_by(Message.id.desc(), Attachment.id)
    )
    found: dict[int, Message] = {}  # newest first
    chats: dict[int, Chat] = {}
    replies, authors, attachments = [], [], defaultdict[int, list[Attachment]](list)
    for message, chat, author, replied, replied_by, attachment in rows:
        if message.id not in found:
            found[message.id] = message
            chats[chat.id] = chat
            replies += [replied] if replied else []
            authors += [user for user in (author, replied_by) if user]
        if attachment is not None:
            attachments[message.id].append(attachment)
    messages = list(found.values())
    shown = Page.of(
        messages[:limit],
        _message_key,
        has_next=len(messages) > limit,
        has_previous=has_previous,
    )
    kept = {message.id: attachments[message.id] for message in shown.rows}
    return SearchPage(shown, list(chats.values()), {}, replies, authors, kept)


def _message_key(message: Message) -> tuple[int]:
    return (message.id,)
