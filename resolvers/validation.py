"""Validation and normalisation of account and profile fields."""

import re

from email_validator import EmailNotValidError, validate_email

from infra.errors import BadUserInput

TAG_PATTERN = re.compile(r"[a-z0-9_.]{3,32}")
DISPLAY_NAME_MAX = 64
PASSWORD_MIN = 8
PASSWORD_MAX = 256
BIO_MAX = 1000
EMAIL_MAX = 254


def email(value: str) -> str:
    """The normalised, lower-cased address; syntax only (no DNS lookups)."""
    try:
        normalized = validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise BadUserInput(f"Invalid email address: {exc}", field="email") from exc
    if len(normalized) > EMAIL_MAX:
        raise BadUserInput("Email address is too long", field="email")
    return normalized.lower()


def tag(value: str) -> str:
    normalized = value.strip().lower()
    if not TAG_PATTERN.fullmatch(normalized):
        raise BadUserInput(
            "Tag must be 3-32 characters of a-z, 0-9, underscore and dot", field="tag"
        )
    return normalized


def display_name(value: str) -> str:
    normalized = value.strip()
    if not 1 <= len(normalized) <= DISPLAY_NAME_MAX:
        raise BadUserInput(
            f"Display name must be 1-{DISPLAY_NAME_MAX} characters", field="displayName"
        )
    return normalized


def password(value: str, *, field: str = "password") -> str:
    if not PASSWORD_MIN <= len(value) <= PASSWORD_MAX:
        raise BadUserInput(
            f"Password must be {PASSWORD_MIN}-{PASSWORD_MAX} characters", field=field
        )
    return value


def bio(value: str) -> str | None:
    """Trimmed; an empty bio clears it."""
    normalized = value.strip()
    if len(normalized) > BIO_MAX:
        raise BadUserInput(f"Bio must be at most {BIO_MAX} characters", field="bio")
    return normalized or None
