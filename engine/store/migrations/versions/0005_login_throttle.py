"""login throttle: failed sign-ins per username and the lock-out they cause

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('login_throttle',
                    sa.Column('username', sa.String(length=255), nullable=False),
                    sa.Column('failures', sa.Integer(), nullable=False),
                    sa.Column('last_failed_at', AT, nullable=True),
                    sa.Column('locked_until', AT, nullable=True),
                    sa.PrimaryKeyConstraint('username'))


def downgrade() -> None:
    op.drop_table('login_throttle')
