"""Take graphql-core's "Did you mean …?" out of error messages.

Its suggestions name fields, arguments, types and enum values of the schema near to what
was asked, which spells out the schema that turning introspection off keeps private.
graphql-core 3.3 can leave them out (`hide_suggestions`), but Strawberry passes that
neither to validation nor to execution, so ErrorCodes strips them from request errors.
"""

import re

# graphql-core's form: " Did you mean 'a', 'b', or 'c'?" (or "... the enum value 'A'?");
# the names within cannot hold a question mark.
_SUGGESTION = re.compile(r" Did you mean [^?]*\?")


def without_suggestions(message: str) -> str:
    return _SUGGESTION.sub("", message)
