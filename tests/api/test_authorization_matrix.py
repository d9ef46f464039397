"""Who may and who may not: every space mutation against every kind of caller.

The callers and their world are described in tests/api/authorization_world.py. Refused
callers all try on one shared world; each allowed caller gets a fresh one. The files
beside this one test each rule's details and side effects.
"""

import pytest
from starlette.applications import Starlette

from tests.api.authorization_world import Case, attempt, build_world
from tests.graphql_client import GraphQLClient

STRANGERS = {"mallory": "NOT_FOUND", "trent": "NOT_FOUND"}
MODERATED = {"alice": "ok", "bob": "ok", "carol": "FORBIDDEN", **STRANGERS}
OWNER_ONLY = {"alice": "ok", "bob": "FORBIDDEN", "carol": "FORBIDDEN", **STRANGERS}
ROLE_ARGS = (
    "mutation($s: ID!, $u: ID!, $r: ID!) "
    "{{ {0}(spaceId: $s, userId: $u, roleId: $r) {{ joinedAt }} }}"
)

CASES = {
    "updateSpace": Case(
        'mutation($s: ID!) { updateSpace(id: $s, input: {name: "x"}) { id } }',
        lambda w: {"s": w.space},
        OWNER_ONLY,
    ),
    "deleteSpace": Case(
        "mutation($s: ID!) { deleteSpace(id: $s) }", lambda w: {"s": w.space}, OWNER_ONLY
    ),
    "transferSpaceOwnership": Case(
        "mutation($s: ID!, $u: ID!) { transferSpaceOwnership(spaceId: $s, userId: $u) { id } }",
        lambda w: {"s": w.space, "u": w.id("erin")},
        OWNER_ONLY,
    ),
    "createInvite": Case(
        "mutation($s: ID!) { createInvite(spaceId: $s) { code } }",
        lambda w: {"s": w.space},
        {"alice": "ok", "bob": "ok", "carol": "ok", **STRANGERS},
    ),
    "joinSpace by id": Case(
        "mutation($s: ID!) { joinSpace(spaceId: $s) { id } }",
        lambda w: {"s": w.space},
        {"alice": "ok", "carol": "ok", **STRANGERS},
    ),
    "joinSpace by invite": Case(
        "mutation($c: String!) { joinSpace(inviteCode: $c) { id } }",
        lambda w: {"c": w.invite},
        {"carol": "ok", "mallory": "ok", "trent": "FORBIDDEN"},
    ),
    "leaveSpace": Case(
        "mutation($s: ID!) { leaveSpace(spaceId: $s) }",
        lambda w: {"s": w.space},
        {"alice": "FORBIDDEN", "bob": "ok", "carol": "ok", **STRANGERS},
    ),
    "kickMember": Case(
        "mutation($s: ID!, $u: ID!) { kickMember(spaceId: $s, userId: $u) }",
        lambda w: {"s": w.space, "u": w.id("erin")},
        MODERATED,
    ),
    "kickMember above the moderator": Case(
        "mutation($s: ID!, $u: ID!) { kickMember(spaceId: $s, userId: $u) }",
        lambda w: {"s": w.space, "u": w.id("dave")},
        {"alice": "ok", "bob": "FORBIDDEN", "carol": "FORBIDDEN"},
    ),
    "banMember": Case(
        "mutation($s: ID!, $u: ID!) { banMember(spaceId: $s, userId: $u) { reason } }",
        lambda w: {"s": w.space, "u": w.id("erin")},
        MODERATED,
    ),
    "banMember above the moderator": Case(
        "mutation($s: ID!, $u: ID!) { banMember(spaceId: $s, userId: $u) { reason } }",
        lambda w: {"s": w.space, "u": w.id("dave")},
        {"alice": "ok", "bob": "FORBIDDEN", "carol": "FORBIDDEN"},
    ),
    "unbanMember": Case(
        "mutation($s: ID!, $u: ID!) { unbanMember(spaceId: $s, userId: $u) }",
        lambda w: {"s": w.space, "u": w.id("trent")},
        MODERATED,
    ),
    "createRole": Case(
        'mutation($s: ID!) { createRole(spaceId: $s, input: {name: "x", position: 2}) { id } }',
        lambda w: {"s": w.space},
        MODERATED,
    ),
    "updateRole": Case(
        'mutation($r: ID!) { updateRole(roleId: $r, input: {name: "y"}) { id } }',
        lambda w: {"r": w.helper_role},
        MODERATED,
    ),
    "updateRole above the moderator": Case(
        'mutation($r: ID!) { updateRole(roleId: $r, input: {name: "y"}) { id } }',
        lambda w: {"r": w.senior_role},
        {"alice": "ok", "bob": "FORBIDDEN", "carol": "FORBIDDEN"},
    ),
    "deleteRole": Case(
        "mutation($r: ID!) { deleteRole(roleId: $r) }", lambda w: {"r": w.helper_role}, MODERATED
    ),
    "assignRole": Case(
        ROLE_ARGS.format("assignRole"),
        lambda w: {"s": w.space, "u": w.id("erin"), "r": w.helper_role},
        MODERATED,
    ),
    "assignRole above the moderator": Case(
        ROLE_ARGS.format("assignRole"),
        lambda w: {"s": w.space, "u": w.id("dave"), "r": w.helper_role},
        {"alice": "ok", "bob": "FORBIDDEN", "carol": "FORBIDDEN"},
    ),
    "removeRole": Case(
        ROLE_ARGS.format("removeRole"),
        lambda w: {"s": w.space, "u": w.id("erin"), "r": w.helper_role},
        MODERATED,
    ),
    "createChannel": Case(
        'mutation($s: ID!) { createChannel(spaceId: $s, input: {title: "x"}) { id } }',
        lambda w: {"s": w.space},
        MODERATED,
    ),
    "updateChannel": Case(
        'mutation($c: ID!) { updateChannel(chatId: $c, input: {title: "x"}) { id } }',
        lambda w: {"c": w.channel},
        MODERATED,
    ),
    "deleteChannel": Case(
        "mutation($c: ID!) { deleteChannel(chatId: $c) }", lambda w: {"c": w.channel}, MODERATED
    ),
}


@pytest.mark.parametrize("case_name", CASES)
async def test_authorization_matrix(client: GraphQLClient, app: Starlette, case_name: str) -> None:
    case = CASES[case_name]
    outcomes: dict[str, str] = {}
    shared = await build_world(client, app)
    for caller, expected in case.outcomes.items():
        if expected != "ok":
            outcomes[caller] = await attempt(client, case, shared, caller)
    for caller, expected in case.outcomes.items():
        if expected == "ok":
            outcomes[caller] = await attempt(client, case, await build_world(client, app), caller)
    assert outcomes == case.outcomes
