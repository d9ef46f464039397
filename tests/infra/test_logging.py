"""LOG_LEVEL: the root logger's level, and optionally some loggers' own."""

import logging
from collections.abc import Iterator

import pytest

from infra.request_id import configure_logging

NAMED = "tests.infra.named"


@pytest.fixture(autouse=True)
def restored_logging() -> Iterator[None]:
    """configure_logging replaces the root's handlers (pytest's among them): put them back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        logging.getLogger(NAMED).setLevel(logging.NOTSET)


def test_a_plain_level_is_the_root_logger_s() -> None:
    configure_logging("warning")
    assert logging.getLogger().level == logging.WARNING
    assert not logging.getLogger(NAMED).isEnabledFor(logging.INFO)


def test_loggers_named_after_the_root_level_get_levels_of_their_own() -> None:
    configure_logging(f"INFO, {NAMED} = debug")
    assert logging.getLogger().level == logging.INFO
    assert logging.getLogger(NAMED).isEnabledFor(logging.DEBUG)
    assert not logging.getLogger("tests.infra.other").isEnabledFor(logging.DEBUG)


def test_an_unknown_level_for_a_logger_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown level"):
        configure_logging(f"INFO,{NAMED}=LOUD")
