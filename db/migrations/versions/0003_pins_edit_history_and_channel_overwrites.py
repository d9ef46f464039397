"""pins, edit history and channel overwrites

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 21:06:47.583398
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "channel_overwrites",
        sa.Column("chat_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("role_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("allow", sa.BigInteger(), nullable=False),
        sa.Column("deny", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["chats.id"],
            name=op.f("fk_channel_overwrites_chat_id_chats"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["role_id"],
            ["roles.id"],
            name=op.f("fk_channel_overwrites_role_id_roles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("chat_id", "role_id", name=op.f("pk_channel_overwrites")),
    )
    op.create_index(
        op.f("ix_channel_overwrites_role_id"), "channel_overwrites", ["role_id"], unique=False
    )
    op.create_table(
        "message_revisions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_revisions_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_revisions")),
    )
    op.create_index(
        "ix_message_revisions_message_id_id",
        "message_revisions",
        ["message_id", "id"],
        unique=False,
    )
    # SQLite cannot add a foreign key to a table in place: batch mode copies the table there.
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("pinned_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column(
                "pinned_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch.create_foreign_key(
            op.f("fk_messages_pinned_by_id_users"),
            "users",
            ["pinned_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_index(
        "ix_messages_chat_id_pinned_at",
        "messages",
        ["chat_id", "pinned_at"],
        unique=False,
        postgresql_where=sa.text("pinned_at IS NOT NULL"),
        sqlite_where=sa.text("pinned_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_messages_chat_id_pinned_at", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint(op.f("fk_messages_pinned_by_id_users"), type_="foreignkey")
        batch.drop_column("pinned_by_id")
        batch.drop_column("pinned_at")
    op.drop_index("ix_message_revisions_message_id_id", table_name="message_revisions")
    op.drop_table("message_revisions")
    op.drop_index(op.f("ix_channel_overwrites_role_id"), table_name="channel_overwrites")
    op.drop_table("channel_overwrites")
