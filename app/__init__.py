"""The wiring: the Starlette and GraphQL applications, the WebSocket protocols, identity, the
process-wide services and the command line. Nothing imports it but entry points."""
