"""unit backlog: ready tasks per unit of their case, counted as they change, for the dashboard

``unit_backlog`` (unit_id, slot, open_count), filled here from the task rows as they stand: the
number of ready tasks of each unit's cases, spread over 16 slots by case id (0 holds the cases
without a unit). From this revision on, every change of a task's status updates it in the same
transaction (engine/store/backlog.py); ``talentflow db recount-backlog`` rewrites it from the rows.
The fill is written out here rather than imported, so this revision means the same thing for ever.

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('unit_backlog',
                    sa.Column('unit_id', ID, nullable=False, autoincrement=False),
                    sa.Column('slot', sa.Integer(), nullable=False, autoincrement=False),
                    sa.Column('open_count', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('unit_id', 'slot'))
    op.execute('INSERT INTO unit_backlog (unit_id, slot, open_count) '
               'SELECT coalesce(c.unit_id, 0), c.id % 16, count(*) FROM task t JOIN "case" c ON c.id = t.case_id '
               "WHERE t.status = 'ready' GROUP BY 1, 2")


def downgrade() -> None:
    op.drop_table('unit_backlog')
