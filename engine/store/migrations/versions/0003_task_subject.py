"""task subject: what one task instance is about

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('task') as batch_op:
        batch_op.add_column(sa.Column('subject', sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('task') as batch_op:
        batch_op.drop_column('subject')
