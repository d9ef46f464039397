"""Profiles over GraphQL: reading users, who sees an email, updating a profile, @mention search."""

import pytest

from graphql_schema.ids import to_global_id
from tests.factories import create_space, join

USER_FIELDS = "id tag displayName bio email"
ME = f"{{ me {{ {USER_FIELDS} }} }}"
USER = f"query($id: ID!) {{ user(id: $id) {{ {USER_FIELDS} }} }}"
USER_BY_TAG = f"query($tag: String!) {{ userByTag(tag: $tag) {{ {USER_FIELDS} }} }}"
NODE = f"query($id: ID!) {{ node(id: $id) {{ __typename id ... on User {{ {USER_FIELDS} }} }} }}"
SEARCH = "query($q: String!, $first: Int) { searchUsers(query: $q, first: $first) { tag email } }"
UPDATE = f"""mutation($input: UpdateProfileInput!) {{
    updateProfile(input: $input) {{ {USER_FIELDS} }}
}}"""


async def me(client, account):
    return (await client.data(ME, token=account.access_token))["me"]


async def update(client, account, **fields):
    data = await client.data(UPDATE, {"input": fields}, token=account.access_token)
    return data["updateProfile"]


async def update_error(client, account, **fields):
    return await client.error(UPDATE, {"input": fields}, token=account.access_token)


async def search(client, account, query, first=None):
    data = await client.data(SEARCH, {"q": query, "first": first}, token=account.access_token)
    return [user["tag"] for user in data["searchUsers"]]


# --- reading profiles ---------------------------------------------------------------------


async def test_me_returns_the_signed_in_user_with_email(client):
    alice = await client.register("alice")
    await client.register("bob")
    assert await me(client, alice) == {
        "id": alice.id,
        "tag": "alice",
        "displayName": "alice",
        "bio": None,
        "email": "alice@example.com",
    }


async def test_user_by_id_returns_that_user(client):
    alice = await client.register("alice")
    bob = await client.register("bob")
    data = await client.data(USER, {"id": bob.id}, token=alice.access_token)
    assert data["user"]["id"] == bob.id
    assert data["user"]["tag"] == "bob"


async def test_user_with_unknown_id_is_null(client):
    alice = await client.register("alice")
    data = await client.data(USER, {"id": to_global_id("User", 999_999)}, token=alice.access_token)
    assert data["user"] is None


@pytest.mark.parametrize(
    "bad_id",
    [to_global_id("Space", 1), "not-an-id", "", to_global_id("User", 10**30)],
    ids=["space-id", "garbage", "empty", "pk-out-of-range"],
)
async def test_user_with_id_of_another_type_or_garbage_is_bad_input(client, bad_id):
    alice = await client.register("alice")
    error = await client.error(USER, {"id": bad_id}, token=alice.access_token)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "id"


async def test_user_by_tag_ignores_case_and_whitespace(client):
    alice = await client.register("alice")
    bob = await client.register("bob")
    data = await client.data(USER_BY_TAG, {"tag": "  BoB "}, token=alice.access_token)
    assert data["userByTag"]["id"] == bob.id


async def test_user_by_unknown_tag_is_null(client):
    alice = await client.register("alice")
    data = await client.data(USER_BY_TAG, {"tag": "nobody"}, token=alice.access_token)
    assert data["userByTag"] is None


async def test_node_resolves_a_user_id(client):
    alice = await client.register("alice")
    bob = await client.register("bob")
    node = (await client.data(NODE, {"id": bob.id}, token=alice.access_token))["node"]
    assert node["__typename"] == "User"
    assert (node["id"], node["tag"]) == (bob.id, "bob")


@pytest.mark.parametrize(
    "bad_id",
    [
        to_global_id("User", 999_999),
        to_global_id("Space", 1),
        "not-an-id",
        "!!!",
        "",
        to_global_id("User", 10**30),  # a pk no database column can hold
    ],
    ids=["unknown", "space-id", "garbage", "symbols", "empty", "pk-out-of-range"],
)
async def test_node_with_unknown_or_garbage_id_is_null(client, bad_id):
    alice = await client.register("alice")
    body = await client.execute(NODE, {"id": bad_id}, token=alice.access_token)
    assert body == {"data": {"node": None}}


async def test_email_is_visible_to_its_owner_everywhere(client):
    alice = await client.register("alice")
    token = alice.access_token
    assert (await client.data(USER, {"id": alice.id}, token=token))["user"]["email"] == alice.email
    data = await client.data(USER_BY_TAG, {"tag": "alice"}, token=token)
    assert data["userByTag"]["email"] == alice.email
    assert (await client.data(NODE, {"id": alice.id}, token=token))["node"]["email"] == alice.email
    data = await client.data(SEARCH, {"q": "alice"}, token=token)
    assert data["searchUsers"] == [{"tag": "alice", "email": alice.email}]


async def test_email_is_hidden_from_other_users(client):
    alice = await client.register("alice")
    bob = await client.register("bob")
    token = bob.access_token
    data = await client.data(USER, {"id": alice.id}, token=token)
    assert data["user"]["tag"] == "alice"
    assert data["user"]["email"] is None
    assert (await client.data(USER_BY_TAG, {"tag": "alice"}, token=token))["userByTag"][
        "email"
    ] is None
    assert (await client.data(NODE, {"id": alice.id}, token=token))["node"]["email"] is None
    data = await client.data(SEARCH, {"q": "alice"}, token=token)
    assert data["searchUsers"] == [{"tag": "alice", "email": None}]


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (ME, {}),
        (USER, {"id": to_global_id("User", 1)}),
        (USER_BY_TAG, {"tag": "alice"}),
        (NODE, {"id": to_global_id("User", 1)}),
        (SEARCH, {"q": "ali"}),
        (UPDATE, {"input": {"displayName": "Mallory"}}),
    ],
    ids=["me", "user", "userByTag", "node", "searchUsers", "updateProfile"],
)
async def test_profile_operations_require_a_token(client, query, variables):
    alice = await client.register("alice")
    error = await client.error(query, variables)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await me(client, alice))["displayName"] == "alice"


# --- updateProfile --------------------------------------------------------------------------


async def test_update_profile_trims_display_name(client):
    alice = await client.register("alice")
    updated = await update(client, alice, displayName="  Alice Liddell \t")
    assert updated["displayName"] == "Alice Liddell"
    assert (await me(client, alice))["displayName"] == "Alice Liddell"


async def test_update_profile_changes_only_the_given_fields(client):
    alice = await client.register("alice")
    await update(client, alice, displayName="Alice", bio="Down the rabbit hole")
    updated = await update(client, alice, bio="  Through the looking glass  ")
    assert updated["bio"] == "Through the looking glass"
    assert (await me(client, alice))["displayName"] == "Alice"
    assert (await me(client, alice))["tag"] == "alice"


@pytest.mark.parametrize("empty", ["", "   "])
async def test_empty_bio_clears_it(client, empty):
    alice = await client.register("alice")
    await update(client, alice, bio="Curiouser and curiouser")
    assert (await update(client, alice, bio=empty))["bio"] is None
    assert (await me(client, alice))["bio"] is None


async def test_tag_change_is_normalised_to_lower_case(client):
    alice = await client.register("alice")
    bob = await client.register("bob")
    assert (await update(client, alice, tag="  Alice_L.2 "))["tag"] == "alice_l.2"
    token = bob.access_token
    data = await client.data(USER_BY_TAG, {"tag": "alice_l.2"}, token=token)
    assert data["userByTag"]["id"] == alice.id
    assert (await client.data(USER_BY_TAG, {"tag": "alice"}, token=token))["userByTag"] is None


async def test_setting_your_own_tag_again_is_not_a_conflict(client):
    alice = await client.register("alice")
    assert (await update(client, alice, tag="ALICE"))["tag"] == "alice"


@pytest.mark.parametrize("taken", ["bob", " BOB "])
async def test_tag_taken_by_someone_else_is_a_conflict(client, taken):
    alice = await client.register("alice")
    bob = await client.register("bob")
    error = await update_error(client, alice, tag=taken, displayName="Not Bob")
    assert error["extensions"]["code"] == "CONFLICT"
    assert error["extensions"]["field"] == "tag"
    assert (await me(client, alice))["tag"] == "alice"
    assert (await me(client, alice))["displayName"] == "alice"
    assert (await me(client, bob))["tag"] == "bob"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"tag": "ab"}, "tag"),
        ({"tag": "a" * 33}, "tag"),
        ({"tag": "bad tag"}, "tag"),
        ({"tag": "@alice2"}, "tag"),
        ({"tag": "al-ice"}, "tag"),
        ({"displayName": ""}, "displayName"),
        ({"displayName": "   "}, "displayName"),
        ({"displayName": "x" * 65}, "displayName"),
        ({"bio": "x" * 1001}, "bio"),
    ],
)
async def test_invalid_profile_field_is_bad_input(client, fields, field):
    alice = await client.register("alice")
    error = await update_error(client, alice, **fields)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == field


async def test_profile_field_limits_are_inclusive(client):
    alice = await client.register("alice")
    updated = await update(client, alice, displayName="x" * 64, bio="y" * 1000, tag="z" * 32)
    assert (len(updated["displayName"]), len(updated["bio"]), updated["tag"]) == (
        64,
        1000,
        "z" * 32,
    )


@pytest.mark.parametrize(
    "invalid",
    [{"tag": "no"}, {"bio": "x" * 1001}, {"displayName": " "}],
    ids=["tag", "bio", "displayName"],
)
async def test_failed_update_changes_nothing(client, invalid):
    alice = await client.register("alice")
    before = await update(client, alice, displayName="Alice", bio="Original bio")
    fields = {"displayName": "Changed", "bio": "Changed bio", "tag": "changed", **invalid}
    error = await update_error(client, alice, **fields)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert await me(client, alice) == before


# --- searchUsers ----------------------------------------------------------------------------


async def test_search_matches_tag_prefix(client):
    alice = await client.register("alice")
    await client.register("alicia")
    await client.register("bob")
    assert await search(client, alice, "ali") == ["alice", "alicia"]
    assert await search(client, alice, "alic") == ["alice", "alicia"]
    assert await search(client, alice, "alici") == ["alicia"]


async def test_search_matches_display_name_prefix(client):
    alice = await client.register("alice")
    zed = await client.register("zed")
    await update(client, zed, displayName="Marvin the Robot")
    assert await search(client, alice, "Marv") == ["zed"]
    assert await search(client, alice, "robot") == []


async def test_search_is_case_insensitive(client):
    alice = await client.register("alice")
    zed = await client.register("zed")
    await update(client, zed, displayName="Marvin")
    assert await search(client, alice, "ALI") == ["alice"]
    assert await search(client, alice, "mARV") == ["zed"]


async def test_search_ignores_a_leading_at_sign(client):
    alice = await client.register("alice")
    await client.register("bob")
    assert await search(client, alice, "@bo") == ["bob"]
    assert await search(client, alice, "  @BOB ") == ["bob"]


async def test_search_is_not_a_substring_match(client):
    alice = await client.register("alice")
    zed = await client.register("zed")
    await update(client, zed, displayName="Marvin")
    assert await search(client, alice, "lice") == []
    assert await search(client, alice, "arvin") == []


async def test_search_treats_like_wildcards_literally(client):
    alice = await client.register("alice")
    await client.register("a_b")
    await client.register("axb")
    hundred = await client.register("hundred")
    await update(client, hundred, displayName="100% Real")
    assert await search(client, alice, "a_") == ["a_b"]
    assert await search(client, alice, "%") == []
    assert await search(client, alice, "_") == []
    assert await search(client, alice, "%lice") == []
    assert await search(client, alice, "10%") == []
    assert await search(client, alice, "100%") == ["hundred"]
    assert await search(client, alice, "a\\") == []


async def test_search_first_caps_the_result(client):
    alice = await client.register("sam")
    for tag in ("samuel", "samantha", "samwise"):
        await client.register(tag)
    capped = await search(client, alice, "sam", first=2)
    assert len(capped) == 2
    assert set(capped) <= {"sam", "samuel", "samantha", "samwise"}
    assert len(await search(client, alice, "sam", first=50)) == 4
    assert len(await search(client, alice, "sam")) == 4


@pytest.mark.parametrize("first", [0, -1, 51, 1000])
async def test_search_first_out_of_range_is_bad_input(client, first):
    alice = await client.register("alice")
    error = await client.error(SEARCH, {"q": "ali", "first": first}, token=alice.access_token)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "first"


@pytest.mark.parametrize("query", ["", "   ", "@"])
async def test_empty_search_returns_nothing(client, query):
    alice = await client.register("alice")
    assert await search(client, alice, query) == []


SEARCH_IN_SPACE = """query($q: String!, $space: ID) {
    searchUsers(query: $q, spaceId: $space) { tag }
}"""


async def test_search_ranks_members_of_the_space_first(client) -> None:
    owner = await client.register("owner")
    await client.register("ann")
    member = await client.register("annabelle")
    space = await create_space(client, owner, public=True)
    await join(client, member, space)
    plain = await client.data(SEARCH_IN_SPACE, {"q": "ann"}, token=owner.access_token)
    assert [u["tag"] for u in plain["searchUsers"]] == ["ann", "annabelle"]
    ranked = await client.data(
        SEARCH_IN_SPACE, {"q": "ann", "space": space}, token=owner.access_token
    )
    assert [u["tag"] for u in ranked["searchUsers"]] == ["annabelle", "ann"]


async def test_search_in_a_space_one_cannot_see_is_refused(client) -> None:
    owner, outsider = await client.register("owner"), await client.register("outsider")
    space = await create_space(client, owner)
    error = await client.error(
        SEARCH_IN_SPACE, {"q": "own", "space": space}, token=outsider.access_token
    )
    assert error["extensions"]["code"] == "NOT_FOUND"
    bad = await client.error(
        SEARCH_IN_SPACE, {"q": "own", "space": "garbage"}, token=outsider.access_token
    )
    assert bad["extensions"] == {"code": "BAD_USER_INPUT", "field": "spaceId"}
