"""Infrastructure the domain stands on: settings, file storage, the broadcast and the events
published on it, the presence store, rate limits, the registry of open sockets, request ids.

Nothing here knows the domain or the schema; it imports only `db` and libraries.
"""
