"""Which media type a GraphQL response goes out in (GraphQL over HTTP, "Accept").

`application/graphql-response+json` when the client's Accept names it and prefers it to
`application/json` (or ranks them equally: the spec's own clients send both); otherwise
`application/json`, also for `*/*` and for no Accept at all.
"""

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"


def response_media_type(accept: str) -> str:
    graphql_response, json = 0.0, 0.0
    for item in accept.split(","):
        media_type, *parameters = (part.strip() for part in item.split(";"))
        quality = _quality(parameters)
        media_type = media_type.lower()
        if media_type == GRAPHQL_RESPONSE:
            graphql_response = max(graphql_response, quality)
        elif media_type in (JSON, "application/*", "*/*"):
            json = max(json, quality)
    return GRAPHQL_RESPONSE if graphql_response > 0 and graphql_response >= json else JSON


def _quality(parameters: list[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0
