"""The names and shapes clients are written against stay in the schema.

The exported-SDL test catches drift between code and schema.graphql; this one catches a
root field or type field of the API contract silently disappearing from both.
"""

import pytest
from graphql import GraphQLObjectType, GraphQLSchema

from graphql_schema.schema import create_schema

ROOT_FIELDS = {
    "Query": {
        "node": ["id"],
        "me": [],
        "user": ["id"],
        "userByTag": ["tag"],
        "searchUsers": ["query", "spaceId", "first"],
        "mySpaces": [],
        "space": ["id"],
        "publicSpaces": ["query", "first", "after"],
        "chat": ["id"],
        "myChats": ["first", "after"],
        "messages": ["chatId", "first", "after", "last", "before"],
        "notifications": ["unreadOnly", "first", "after"],
        "unreadNotificationCount": [],
        "searchMessages": ["query", "spaceId", "chatId", "authorId", "first", "after"],
    },
    "Mutation": {
        "register": ["input"],
        "login": ["input"],
        "refreshToken": ["refreshToken"],
        "logout": ["refreshToken"],
        "updateProfile": ["input"],
        "uploadAvatar": ["file"],
        "uploadBanner": ["file"],
        "createSpace": ["input"],
        "updateSpace": ["id", "input"],
        "uploadSpaceAvatar": ["spaceId", "file"],
        "uploadSpaceBanner": ["spaceId", "file"],
        "deleteSpace": ["id"],
        "joinSpace": ["spaceId", "inviteCode"],
        "leaveSpace": ["spaceId"],
        "createInvite": ["spaceId", "maxUses", "expiresInSeconds"],
        "kickMember": ["spaceId", "userId", "reason"],
        "banMember": ["spaceId", "userId", "reason", "expiresAt"],
        "unbanMember": ["spaceId", "userId"],
        "createRole": ["spaceId", "input"],
        "updateRole": ["roleId", "input"],
        "deleteRole": ["roleId"],
        "assignRole": ["spaceId", "userId", "roleId"],
        "removeRole": ["spaceId", "userId", "roleId"],
        "createChannel": ["spaceId", "input"],
        "updateChannel": ["chatId", "input"],
        "deleteChannel": ["chatId"],
        "openDirectChat": ["userId"],
        "createGroupChat": ["input"],
        "addChatParticipant": ["chatId", "userId"],
        "leaveChat": ["chatId"],
        "sendMessage": ["input"],
        "editMessage": ["id", "content"],
        "deleteMessage": ["id"],
        "addReaction": ["messageId", "emoji"],
        "removeReaction": ["messageId", "emoji"],
        "markChatRead": ["chatId", "messageId"],
        "pinMessage": ["id"],
        "unpinMessage": ["id"],
        "sendTyping": ["chatId"],
        "markNotificationRead": ["id"],
        "markAllNotificationsRead": [],
    },
}
TYPE_FIELDS = {
    "User": "id tag displayName email bio avatarUrl bannerUrl status lastSeenAt createdAt",
    "AuthPayload": "accessToken refreshToken expiresIn user",
    "Space": "id name description avatarUrl bannerUrl isPublic owner createdAt channels members "
    "memberCount roles myPermissions bans",
    "Member": "id user space nickname roles joinedAt",
    "Role": "id name color position permissions isDefault mentionable",
    "Ban": "id user reason bannedBy createdAt expiresAt",
    "Invite": "id code space creator maxUses uses expiresAt createdAt",
    "Chat": "id kind title topic space participants messages lastMessage unreadCount createdAt "
    "pinnedMessages",
    "Message": "id chat author kind content replyTo attachments reactions mentions "
    "mentionsEveryone editedAt deletedAt createdAt pinnedAt pinnedBy editHistory",
    "MessageRevision": "content replacedAt",
    "ReactionGroup": "emoji count reactedByMe users",
    "Attachment": "id filename contentType size url width height",
    "Notification": "id kind actor message space readAt createdAt",
    "MessageConnection": "edges pageInfo",
    "MessageEdge": "node cursor",
    "NotificationConnection": "edges pageInfo",
    "NotificationEdge": "node cursor",
    "PageInfo": "hasNextPage hasPreviousPage startCursor endCursor",
    "MemberConnection": "edges pageInfo",
    "MemberEdge": "node cursor",
    "SpaceConnection": "edges pageInfo",
    "SpaceEdge": "node cursor",
    "ChatConnection": "edges pageInfo",
    "ChatEdge": "node cursor",
    "MessageCreated": "message",
    "MessageUpdated": "message",
    "MessageDeleted": "message messageId chatId",
}


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return create_schema()._schema


@pytest.mark.parametrize("root", ROOT_FIELDS)
def test_root_fields_and_their_arguments_are_present(schema: GraphQLSchema, root: str) -> None:
    root_type = schema.get_type(root)
    assert isinstance(root_type, GraphQLObjectType)
    for name, arguments in ROOT_FIELDS[root].items():
        assert name in root_type.fields, f"{root}.{name} is missing"
        assert set(arguments) <= set(root_type.fields[name].args), f"{root}.{name} arguments"


@pytest.mark.parametrize("type_name", TYPE_FIELDS)
def test_contract_types_have_their_fields(schema: GraphQLSchema, type_name: str) -> None:
    graphql_type = schema.get_type(type_name)
    assert isinstance(graphql_type, GraphQLObjectType), f"type {type_name} is missing"
    missing = set(TYPE_FIELDS[type_name].split()) - set(graphql_type.fields)
    assert not missing, f"{type_name} lacks {sorted(missing)}"


def test_entities_implement_node(schema: GraphQLSchema) -> None:
    for name in ("User", "Space", "Role", "Chat", "Message", "Attachment", "Notification"):
        graphql_type = schema.get_type(name)
        assert isinstance(graphql_type, GraphQLObjectType)
        assert [interface.name for interface in graphql_type.interfaces] == ["Node"]
