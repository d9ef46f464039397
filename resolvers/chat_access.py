"""Chat visibility now lives in resolvers.permissions; these names stay importable here for
graphql_schema/subscriptions.py and loaders/per_event.py, which are being reworked apart
from this change and will import from resolvers.permissions directly."""

from resolvers.permissions import chat_access, readers_among

__all__ = ["chat_access", "readers_among"]
