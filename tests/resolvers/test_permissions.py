"""The permission rules that need no database: what a standing allows, and authorship."""

import pytest

from db.base import utcnow
from db.models import Chat, ChatKind, Message, Notification, Role, Space, SpaceMember
from infra.errors import BadUserInput, Forbidden
from resolvers.permissions import (
    ChatAccess,
    Overwrite,
    Permission,
    Standing,
    channel_permissions,
    is_self,
    may_ban,
    may_delete,
    may_edit,
    may_kick,
    may_manage_roles_of,
    may_pin,
    may_react,
    owns_notification,
    require_deletable,
    require_editable,
    require_pinnable,
    require_reactable,
    standing_of_member,
)
from resolvers.permissions.flags import effective_permissions
from resolvers.permissions.spaces import OWNER_RANK, HeldRoles

SPACE = Space(id=1, owner_id=1, name="Lounge", is_public=False)
CHANNEL = Chat(id=10, kind=ChatKind.CHANNEL, space_id=1)
GROUP = Chat(id=20, kind=ChatKind.GROUP)
NOTHING = Permission(0)


def member(user_id: int, granted: Permission = NOTHING, rank: int = 0) -> Standing:
    if user_id == SPACE.owner_id:
        rank = OWNER_RANK
    return Standing(SPACE, user_id, SpaceMember(space_id=1, user_id=user_id), granted, rank)


def test_the_owner_and_administrators_have_every_permission() -> None:
    assert member(1).has(Permission.MANAGE_MESSAGES)
    assert member(2, Permission.ADMINISTRATOR).has(Permission.BAN_MEMBERS)
    assert not member(3, Permission.KICK_MEMBERS).has(Permission.BAN_MEMBERS)


def test_a_non_member_has_no_permission_whatever_it_was_granted() -> None:
    assert Standing(SPACE, 2, None, Permission.ADMINISTRATOR, -1).permissions == NOTHING


def test_only_a_higher_rank_acts_on_a_member_and_nobody_on_the_owner() -> None:
    assert member(2, rank=5).outranks(member(3, rank=2))
    assert not member(2, rank=5).outranks(member(3, rank=5))
    assert not member(2, Permission.ADMINISTRATOR, rank=999).outranks(member(1))
    assert member(1).outranks(member(2, rank=999))


def test_roles_are_managed_only_below_ones_own_rank() -> None:
    role = Role(space_id=1, position=5)
    assert member(2, rank=6).can_manage_role(role)
    assert not member(2, rank=5).can_manage_role(role)
    assert member(1).can_manage_role(Role(space_id=1, position=1000))


def test_a_role_may_carry_only_permissions_its_editor_has() -> None:
    editor = member(2, Permission.MANAGE_ROLES | Permission.KICK_MEMBERS, rank=5)
    assert editor.may_grant(Permission.KICK_MEMBERS)
    assert not editor.may_grant(Permission.KICK_MEMBERS | Permission.BAN_MEMBERS)


VIEW, SEND, PIN = Permission.VIEW_CHANNELS, Permission.SEND_MESSAGES, Permission.PIN_MESSAGES
DEFAULT_ROLE, STAFF, MUTED = 10, 11, 12


def test_a_channel_without_overwrites_allows_what_the_space_allows() -> None:
    granted = VIEW | SEND
    roles = HeldRoles(DEFAULT_ROLE, frozenset({STAFF}))
    assert channel_permissions(granted, roles, {}) == granted
    assert ChatAccess(CHANNEL, 2, member(2, granted)).permissions == granted


def test_the_default_role_overwrite_applies_first_then_the_other_roles_overwrites() -> None:
    private = {DEFAULT_ROLE: Overwrite(allow=Permission(0), deny=VIEW)}
    staff = {**private, STAFF: Overwrite(allow=VIEW | PIN, deny=Permission(0))}
    everyone, with_staff = (
        HeldRoles(DEFAULT_ROLE, frozenset()),
        HeldRoles(DEFAULT_ROLE, frozenset({STAFF})),
    )
    assert channel_permissions(VIEW | SEND, everyone, private) == SEND
    # Another role's allow wins over the default role's deny ...
    assert channel_permissions(VIEW | SEND, with_staff, staff) == VIEW | SEND | PIN
    # ... and the other roles' denies win over the default role's allows.
    muted = {
        DEFAULT_ROLE: Overwrite(allow=SEND, deny=Permission(0)),
        MUTED: Overwrite(allow=Permission(0), deny=SEND),
    }
    assert channel_permissions(VIEW, HeldRoles(DEFAULT_ROLE, frozenset({MUTED})), muted) == VIEW
    # Between the other roles, allow wins: the union of denies, then the union of allows.
    both = {STAFF: Overwrite(allow=SEND, deny=Permission(0)), MUTED: Overwrite(Permission(0), SEND)}
    assert (
        channel_permissions(VIEW, HeldRoles(None, frozenset({STAFF, MUTED})), both) == VIEW | SEND
    )


def test_overwrites_of_roles_not_held_change_nothing() -> None:
    staff_only = {STAFF: Overwrite(allow=VIEW, deny=Permission(0))}
    assert channel_permissions(Permission(0), HeldRoles(DEFAULT_ROLE, frozenset()), staff_only) == (
        Permission(0)
    )


def test_the_owner_and_administrators_are_never_restricted() -> None:
    private = {DEFAULT_ROLE: Overwrite(allow=Permission(0), deny=VIEW | SEND)}
    roles = HeldRoles(DEFAULT_ROLE, frozenset())
    admin = effective_permissions(Permission.ADMINISTRATOR, is_owner=False)
    owner = effective_permissions(Permission(0), is_owner=True)
    assert VIEW | SEND in channel_permissions(admin, roles, private)
    assert VIEW | SEND in channel_permissions(owner, roles, private)


def test_taking_part_in_a_group_allows_talking_but_not_moderating() -> None:
    access = ChatAccess(GROUP, 2, None)
    assert access.may(Permission.SEND_MESSAGES)
    assert not access.may(Permission.MANAGE_MESSAGES)


def test_only_the_author_edits_and_only_while_allowed_to_send() -> None:
    talker = Permission.VIEW_CHANNELS | Permission.SEND_MESSAGES
    message = Message(chat_id=CHANNEL.id, author_id=2)
    require_editable(message, ChatAccess(CHANNEL, 2, member(2, talker)))
    with pytest.raises(Forbidden):
        require_editable(message, ChatAccess(CHANNEL, 1, member(1)))  # even the owner
    with pytest.raises(Forbidden):
        require_editable(message, ChatAccess(CHANNEL, 2, member(2, Permission.VIEW_CHANNELS)))


def test_the_author_or_a_channel_moderator_deletes() -> None:
    message = Message(chat_id=CHANNEL.id, author_id=2)
    require_deletable(message, ChatAccess(CHANNEL, 2, member(2, Permission.VIEW_CHANNELS)))
    require_deletable(message, ChatAccess(CHANNEL, 3, member(3, Permission.MANAGE_MESSAGES)))
    with pytest.raises(Forbidden):
        require_deletable(message, ChatAccess(CHANNEL, 3, member(3, Permission.VIEW_CHANNELS)))
    with pytest.raises(Forbidden):
        require_deletable(Message(chat_id=GROUP.id, author_id=2), ChatAccess(GROUP, 3, None))


def test_each_message_rule_answers_the_field_and_the_mutation_alike() -> None:
    """A `may_*` is true exactly when its `require_*` lets the caller through."""
    rules = [
        (may_edit, require_editable),
        (may_delete, require_deletable),
        (may_pin, require_pinnable),
        (may_react, require_reactable),
    ]
    accesses = [
        ChatAccess(CHANNEL, 2, member(2, Permission.VIEW_CHANNELS)),
        ChatAccess(CHANNEL, 2, member(2, Permission.VIEW_CHANNELS | Permission.SEND_MESSAGES)),
        ChatAccess(CHANNEL, 3, member(3, Permission.MANAGE_MESSAGES | Permission.PIN_MESSAGES)),
        ChatAccess(CHANNEL, 1, member(1)),
        ChatAccess(GROUP, 2, None),
        ChatAccess(GROUP, 3, None),
    ]
    for deleted_at in (None, utcnow()):
        message = Message(chat_id=CHANNEL.id, author_id=2, deleted_at=deleted_at)
        for access in accesses:
            for may, require in rules:
                try:
                    require(message, access)
                    allowed = True
                except (Forbidden, BadUserInput):
                    allowed = False
                assert may(message, access) is allowed, (may.__name__, access, deleted_at)


def test_a_deleted_message_takes_no_edit_pin_or_reaction_but_may_be_deleted_again() -> None:
    message = Message(chat_id=GROUP.id, author_id=2, deleted_at=utcnow())
    author = ChatAccess(GROUP, 2, None)
    assert not may_edit(message, author)
    assert not may_pin(message, author)
    assert not may_react(message, author)
    assert may_delete(message, author)
    with pytest.raises(BadUserInput):
        require_reactable(message, author)
    live = Message(chat_id=GROUP.id, author_id=2)
    assert may_pin(live, ChatAccess(GROUP, 3, None)) and may_react(live, ChatAccess(GROUP, 3, None))


def test_kicking_banning_and_managing_roles_need_the_power_and_a_higher_rank() -> None:
    target = member(4, rank=2)
    kicker = member(2, Permission.KICK_MEMBERS, rank=3)
    assert may_kick(kicker, target)
    assert not may_ban(kicker, target) and not may_manage_roles_of(kicker, target)
    assert not may_kick(kicker, member(5, rank=3))  # the same rank
    assert not may_kick(kicker, kicker)
    assert not may_ban(member(2, Permission.ADMINISTRATOR, rank=999), member(1))  # the owner
    assert may_manage_roles_of(member(1), member(2, Permission.ADMINISTRATOR, rank=999))
    assert not may_kick(Standing(SPACE, 6, None, Permission.KICK_MEMBERS, -1), target)


def test_a_members_standing_from_its_roles_matches_its_rank_and_rights() -> None:
    roles = [
        Role(
            id=1, space_id=1, position=0, is_default=True, permissions=int(Permission.VIEW_CHANNELS)
        ),
        Role(
            id=7, space_id=1, position=4, is_default=False, permissions=int(Permission.KICK_MEMBERS)
        ),
    ]
    found = standing_of_member(SPACE, SpaceMember(space_id=1, user_id=3), roles)
    assert found.rank == 4
    assert found.permissions == Permission.VIEW_CHANNELS | Permission.KICK_MEMBERS
    assert found.roles == HeldRoles(1, frozenset({7}))
    owner = standing_of_member(SPACE, SpaceMember(space_id=1, user_id=1), roles[:1])
    assert owner.is_owner and owner.rank == OWNER_RANK


def test_private_things_belong_to_their_user_alone() -> None:
    assert is_self(2, 2)
    assert not is_self(None, 2)
    assert not is_self(3, 2)
    assert owns_notification(Notification(user_id=2), 2)
    assert not owns_notification(Notification(user_id=2), 3)
