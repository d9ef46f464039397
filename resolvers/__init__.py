"""Domain logic: plain async functions over a session, called by the GraphQL layer."""
