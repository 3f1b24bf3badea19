"""child starts: the child cases a step planned, started afterwards in batches (engine/cases/child_batches.py)

A review of 2 000 talents used to create its 2 000 assessment cases inside its own step, holding
SQLite's write lock for seconds. The step now records the plan here and the children are started
in short transactions of 50; ``case_id`` (unique) is written in the transaction that creates the
child, so each planned child starts exactly once, and the executor's sweep finishes a plan whose
starter died. A child that could not start (its process not deployed, its data refused) keeps
``case_id`` empty and gets ``error`` and ``failed_at``: the others proceed, and the parent gets an
incident an admin retries (which clears them). ``ix_child_start_pending`` (case_id, parent_case_id) finds the unfinished plans.

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

AT = sa.DateTime(timezone=True)
ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('child_start',
                    sa.Column('id', ID, nullable=False),
                    sa.Column('parent_case_id', ID, nullable=False),
                    sa.Column('seq', sa.Integer(), nullable=False),
                    sa.Column('process_key', sa.String(length=100), nullable=False),
                    sa.Column('business_key', sa.String(length=255), nullable=True),
                    sa.Column('data', sa.JSON(), nullable=False),
                    sa.Column('started_by', sa.String(length=64), nullable=False),
                    sa.Column('started_by_id', ID, nullable=True),
                    sa.Column('planned_at', AT, nullable=False),
                    sa.Column('case_id', ID, nullable=True),
                    sa.Column('started_at', AT, nullable=True),
                    sa.Column('failed_at', AT, nullable=True),
                    sa.Column('error', sa.String(length=1000), nullable=True),
                    sa.ForeignKeyConstraint(['parent_case_id'], ['case.id']),
                    sa.ForeignKeyConstraint(['case_id'], ['case.id']),
                    sa.ForeignKeyConstraint(['started_by_id'], ['user_account.id']),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('parent_case_id', 'seq'),
                    sa.UniqueConstraint('case_id'))
    op.create_index('ix_child_start_pending', 'child_start', ['case_id', 'parent_case_id'])


def downgrade() -> None:
    op.drop_index('ix_child_start_pending', table_name='child_start')
    op.drop_table('child_start')
