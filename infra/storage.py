"""Where uploaded files live: a small interface, with a local-directory implementation."""

import asyncio
from pathlib import Path
from typing import Protocol


class Storage(Protocol):
    async def save(self, key: str, data: bytes) -> None: ...

    async def delete(self, key: str) -> None: ...

    def url(self, key: str, base_url: str) -> str:
        """Where clients fetch the file, `base_url` being where they reach the server."""
        ...


class LocalStorage:
    """Files under `root`, served by the app at `<base_url>/media/<key>`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        """Where the file of `key` lives; refuses keys that would leave the root."""
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"storage key escapes the media directory: {key!r}")
        return path

    async def save(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._write, self.path(key), data)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path(key).unlink, missing_ok=True)

    def url(self, key: str, base_url: str) -> str:
        return f"{base_url}/media/{key}"

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(path.suffix + ".partial")
        partial.write_bytes(data)
        partial.replace(path)  # readers never see a half-written file
