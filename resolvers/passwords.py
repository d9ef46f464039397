"""Argon2id password hashing (argon2-cffi's RFC 9106 low-memory profile)."""

import asyncio
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

hasher = PasswordHasher()


async def hash_password(password: str) -> str:
    # Hashing takes tens of milliseconds of CPU: keep it off the event loop.
    return await asyncio.to_thread(hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    try:
        return await asyncio.to_thread(hasher.verify, password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher.check_needs_rehash(password_hash)


async def spend_verification_time(password: str) -> None:
    """Verify against a throwaway hash so an unknown account costs what a wrong password does."""
    await verify_password(_dummy_hash(hasher), password)


@lru_cache(maxsize=4)
def _dummy_hash(current: PasswordHasher) -> str:
    return current.hash("not a real password")
