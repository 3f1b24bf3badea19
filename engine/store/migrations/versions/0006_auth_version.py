"""accounts: user_account.auth_version, bumped with every change to a user's roles, activity,
password or tokens, so every server sees the change at its next request

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('user_account', sa.Column('auth_version', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('user_account') as batch:
        batch.drop_column('auth_version')
