"""The Starlette application, settings, identity, context, pub/sub and CLI."""
