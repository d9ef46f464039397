"""Reading uploaded files within limits, recognising images by their bytes, storing them."""

import io
import uuid
import warnings
from dataclasses import dataclass
from typing import Literal, Protocol

from PIL import Image
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Space, User
from infra.errors import BadUserInput
from infra.settings import Settings
from infra.storage import Storage

ImageSlot = Literal["avatar", "banner"]

IMAGE_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}
MAX_IMAGE_PIXELS = 40_000_000  # refuse decompression bombs well before they cost memory


class UploadFile(Protocol):
    """What Starlette hands over for a multipart file."""

    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...


@dataclass(frozen=True)
class ImageInfo:
    content_type: str
    extension: str
    width: int
    height: int


async def read_upload(file: UploadFile, max_bytes: int, *, field: str) -> bytes:
    """The file's bytes; BadUserInput when it is empty or larger than `max_bytes`."""
    data = await file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise BadUserInput(f"File is larger than the limit of {max_bytes} bytes", field=field)
    if not data:
        raise BadUserInput("File is empty", field=field)
    return data


def sniff_image(data: bytes, *, field: str) -> ImageInfo:
    """Identify a PNG, JPEG, GIF or WebP image from its content, never from its name."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS)) as image:
                image_format, (width, height) = image.format or "", image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise BadUserInput("Image dimensions are too large", field=field)
                image.verify()
    except BadUserInput:
        raise
    except Exception as exc:  # Pillow raises many kinds for corrupt or foreign data
        raise BadUserInput("File must be a PNG, JPEG, GIF or WebP image", field=field) from exc
    return ImageInfo(IMAGE_FORMATS[image_format], EXTENSIONS[image_format], width, height)


async def replace_image(
    session: AsyncSession,
    storage: Storage,
    settings: Settings,
    owner: User | Space,
    slot: ImageSlot,
    file: UploadFile,
) -> None:
    """Store an uploaded avatar or banner for `owner` and commit; the old file is deleted.

    The file is written before the commit and removed again if the commit fails, so the
    database never points at a missing file.
    """
    data = await read_upload(file, settings.max_upload_bytes, field="file")
    image = sniff_image(data, field="file")
    folder = "users" if isinstance(owner, User) else "spaces"
    key = f"{folder}/{owner.id}/{slot}-{uuid.uuid4().hex}.{image.extension}"
    await storage.save(key, data)
    column = f"{slot}_key"
    previous = getattr(owner, column)
    setattr(owner, column, key)
    try:
        await session.commit()
    except BaseException:
        await storage.delete(key)
        raise
    if previous:
        await storage.delete(previous)
