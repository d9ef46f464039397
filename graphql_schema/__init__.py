"""The Strawberry schema: thin types and roots over `resolvers/`."""
