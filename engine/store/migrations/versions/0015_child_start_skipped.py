"""child start skipped: an admin may drop planned children that can never start

A planned child that cannot start (its unit gone, its data refused for good) made its
parent an incident whose only way on was a retry that failed again, or cancelling the whole
parent, every child that did start with it. Such rows may now be
skipped by an admin (``POST /cases/{id}/skip-failed-children``, with a reason kept in the
parent's history): ``skipped_at`` and ``skipped_by`` say when and by whom; a skipped row is never
started, retried or waited for again.

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('child_start', sa.Column('skipped_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('child_start', sa.Column('skipped_by', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('child_start') as batch:
        batch.drop_column('skipped_by')
        batch.drop_column('skipped_at')
