"""Message attachments: reading uploads, recognising their type, signed download URLs."""

import hashlib
import hmac
import re
import time
import unicodedata
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import PurePath
from urllib.parse import quote

import puremagic
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Attachment, Message
from infra.errors import BadUserInput
from infra.settings import Settings
from infra.storage import Storage
from resolvers.uploads import UploadFile, read_upload, sniff_image

MAX_FILES = 10
FILENAME_MAX = 255
URL_TTL_SECONDS = 3600
GENERIC_TYPE = "application/octet-stream"
TEXT_TYPE = "text/plain"
# Formats a browser runs scripts in; with any type ending in "+xml" (SVG, XHTML, RSS).
ACTIVE_TYPES = {
    "text/html",
    "text/xml",
    "application/xml",
    "text/javascript",
    "application/javascript",
    "application/ecmascript",
}
# What no text file holds: C0 controls but tab, line feed, form feed and carriage return; DEL.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class IncomingFile:
    filename: str
    data: bytes
    content_type: str
    width: int | None
    height: int | None


async def read_files(files: list[UploadFile], settings: Settings) -> list[IncomingFile]:
    """Read and identify every file before anything is stored (all or nothing)."""
    if len(files) > MAX_FILES:
        raise BadUserInput(f"At most {MAX_FILES} attachments per message", field="attachments")
    incoming = []
    for file in files:
        data = await read_upload(file, settings.max_upload_bytes, field="attachments")
        incoming.append(_identify(_filename(file.filename), data))
    return incoming


def _identify(filename: str, data: bytes) -> IncomingFile:
    try:
        image = sniff_image(data, field="attachments")
    except BadUserInput:
        return IncomingFile(filename, data, _content_type(data), None, None)
    return IncomingFile(filename, data, image.content_type, image.width, image.height)


def _content_type(data: bytes) -> str:
    """The type the bytes show (never the name the client gave): a known format, else plain
    text when they are UTF-8 text, else generic. Never a type a browser would run as a page
    (HTML, SVG, XML): such text is plain text."""
    try:
        found = puremagic.from_string(data, mime=True)
    except (puremagic.PureError, ValueError):
        found = ""
    if found and not _is_active(found):
        return found
    return TEXT_TYPE if _is_text(data) else GENERIC_TYPE


def _is_active(content_type: str) -> bool:
    return content_type in ACTIVE_TYPES or content_type.endswith("+xml")


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return CONTROL_CHARACTERS.search(text) is None


def _filename(raw: str | None) -> str:
    name = PurePath((raw or "").replace("\\", "/")).name
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if name in {".", ".."}:
        name = ""
    return name[:FILENAME_MAX] or "file"


async def store(storage: Storage, chat_id: int, files: list[IncomingFile]) -> list[Attachment]:
    """Save the files; the rows still need a message id and a commit."""
    rows = []
    for file in files:
        key = f"chats/{chat_id}/{uuid.uuid4().hex}"
        await storage.save(key, file.data)
        rows.append(
            Attachment(
                storage_key=key,
                filename=file.filename,
                content_type=file.content_type,
                size=len(file.data),
                width=file.width,
                height=file.height,
            )
        )
    return rows


def signed_url(settings: Settings, base_url: str, attachment: Attachment) -> str:
    """A download URL for this attachment, under `base_url`, that works for one to two hours.

    The expiry is rounded up to a whole window, so every read within the same hour gets the
    same URL: client caches (Apollo's normalized cache, the browser's image cache) keep it
    instead of seeing a new link on every query.
    """
    expires = (int(time.time()) // URL_TTL_SECONDS + 2) * URL_TTL_SECONDS
    signature = _signature(settings, attachment.id, expires)
    name = quote(attachment.filename, safe="")
    return f"{base_url}/files/{attachment.id}/{name}?expires={expires}&signature={signature}"


def valid_signature(settings: Settings, attachment_id: int, expires: int, signature: str) -> bool:
    if expires < time.time():
        return False
    return hmac.compare_digest(_signature(settings, attachment_id, expires), signature)


def _signature(settings: Settings, attachment_id: int, expires: int) -> str:
    message = f"attachment:{attachment_id}:{expires}".encode()
    return hmac.new(settings.signing_key.encode(), message, hashlib.sha256).hexdigest()


async def delete_with_chats(
    session: AsyncSession, storage: Storage, doomed: Select[int]
) -> Callable[[], Awaitable[None]]:
    """Before deleting chats (ids from `doomed`) with their messages: returns what removes
    their attachment files, to be awaited once the deletion is committed."""
    keys = list(
        await session.scalars(
            select(Attachment.storage_key)
            .join(Message, Message.id == Attachment.message_id)
            .where(Message.chat_id.in_(doomed))
        )
    )

    async def remove_files() -> None:
        for key in keys:
            await storage.delete(key)

    return remove_files
