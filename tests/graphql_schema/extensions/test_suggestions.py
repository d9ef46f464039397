"""graphql-core's suggestions, taken out of messages in each of the forms it writes them."""

import pytest

from graphql_schema.extensions.suggestions import without_suggestions


@pytest.mark.parametrize(
    ("message", "stripped"),
    [
        (
            "Cannot query field 'use' on type 'Query'. Did you mean 'user' or 'userByTag'?",
            "Cannot query field 'use' on type 'Query'.",
        ),
        (
            "Unknown type 'Nod'. Did you mean 'Node', 'Role', or 'Ban'?",
            "Unknown type 'Nod'.",
        ),
        (
            "Value 'ONLIN' does not exist in 'PresenceStatus' enum."
            " Did you mean the enum value 'ONLINE'?",
            "Value 'ONLIN' does not exist in 'PresenceStatus' enum.",
        ),
        (
            "Expected value of type 'LoginInput!' not to include unknown field 'passwrd'."
            " Did you mean 'password'? Found: { passwrd: 'c' }.",
            "Expected value of type 'LoginInput!' not to include unknown field 'passwrd'."
            " Found: { passwrd: 'c' }.",
        ),
        ("Cannot query field 'x' on type 'Query'.", "Cannot query field 'x' on type 'Query'."),
    ],
)
def test_suggestions_are_taken_out_and_the_rest_is_kept(message: str, stripped: str) -> None:
    assert without_suggestions(message) == stripped
