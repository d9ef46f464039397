"""GET /files/{id}/{name}: attachments, for holders of a signed, unexpired link only."""

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from app.media import HEADERS as MEDIA_HEADERS
from app.services import Services
from db.models import Attachment
from resolvers.attachments import valid_signature

INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


def download_endpoint(services: Services) -> Callable[[Request], Awaitable[Response]]:
    async def download(request: Request) -> Response:
        attachment_id: int = request.path_params["attachment_id"]
        try:
            expires = int(request.query_params.get("expires", ""))
        except ValueError:
            return PlainTextResponse("Invalid link", status_code=403)
        signature = request.query_params.get("signature", "")
        if not valid_signature(services.settings, attachment_id, expires, signature):
            return PlainTextResponse("Link expired or invalid", status_code=403)
        async with services.sessionmaker() as session:
            attachment = await session.get(Attachment, attachment_id)
        if attachment is None or attachment.message_id is None:
            return PlainTextResponse("Not found", status_code=404)
        path = services.attachments.path(attachment.storage_key)
        if not path.is_file():
            return PlainTextResponse("Not found", status_code=404)
        inline = attachment.content_type in INLINE_TYPES
        return FileResponse(
            path,
            media_type=attachment.content_type,
            filename=attachment.filename,
            content_disposition_type="inline" if inline else "attachment",
            headers={**MEDIA_HEADERS, "Cache-Control": "private, max-age=3600"},
        )

    return download
