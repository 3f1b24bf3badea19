"""parent cases, timer claims, scheduler runs, scheduled starts, notifications, audit checkpoints

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('audit_checkpoint',
                    sa.Column('id', ID, nullable=False),
                    sa.Column('created_at', AT, nullable=False),
                    sa.Column('created_by', sa.String(length=64), nullable=False),
                    sa.Column('heads', sa.JSON(), nullable=False),
                    sa.Column('digest', sa.String(length=64), nullable=False),
                    sa.Column('signature', sa.String(length=128), nullable=False),
                    sa.Column('key_id', sa.String(length=64), nullable=False),
                    sa.PrimaryKeyConstraint('id'))
    op.create_table('scheduler_run',
                    sa.Column('name', sa.String(length=128), nullable=False),
                    sa.Column('started_at', AT, nullable=False),
                    sa.Column('last_run_at', AT, nullable=True),
                    sa.Column('fired_total', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('name'))
    op.create_table('notification',
                    sa.Column('id', ID, nullable=False),
                    sa.Column('kind', sa.String(length=32), nullable=False),
                    sa.Column('user_id', ID, nullable=True),
                    sa.Column('role', sa.String(length=64), nullable=True),
                    sa.Column('unit_path', sa.String(length=512), nullable=True),
                    sa.Column('case_id', ID, nullable=False),
                    sa.Column('task_id', sa.String(length=36), nullable=True),
                    sa.Column('message', sa.Text(), nullable=False),
                    sa.Column('data', sa.JSON(), nullable=False),
                    sa.Column('created_at', AT, nullable=False),
                    sa.Column('read_at', AT, nullable=True),
                    sa.ForeignKeyConstraint(['case_id'], ['case.id']),
                    sa.ForeignKeyConstraint(['user_id'], ['user_account.id']),
                    sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table('notification') as batch_op:
        batch_op.create_index('ix_notification_case_id', ['case_id'], unique=False)
        batch_op.create_index('ix_notification_role', ['role', 'created_at'], unique=False)
        batch_op.create_index('ix_notification_user', ['user_id', 'created_at'], unique=False)
    op.create_table('scheduled_start',
                    sa.Column('id', ID, nullable=False),
                    sa.Column('process_key', sa.String(length=100), nullable=False),
                    sa.Column('cycle', sa.String(length=64), nullable=False),
                    sa.Column('case_id', ID, nullable=True),
                    sa.Column('started_at', AT, nullable=False),
                    sa.Column('outcome', sa.String(length=255), nullable=False),
                    sa.ForeignKeyConstraint(['case_id'], ['case.id']),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('process_key', 'cycle'))
    with op.batch_alter_table('case') as batch_op:
        batch_op.add_column(sa.Column('parent_case_id', ID, nullable=True))
        batch_op.add_column(sa.Column('timer_claimed_by', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('timer_claimed_until', AT, nullable=True))
        batch_op.create_index('ix_case_parent_status', ['parent_case_id', 'status'], unique=False)
        batch_op.create_foreign_key('fk_case_parent_case_id', 'case', ['parent_case_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('case') as batch_op:
        batch_op.drop_constraint('fk_case_parent_case_id', type_='foreignkey')
        batch_op.drop_index('ix_case_parent_status')
        batch_op.drop_column('timer_claimed_until')
        batch_op.drop_column('timer_claimed_by')
        batch_op.drop_column('parent_case_id')
    op.drop_table('scheduled_start')
    op.drop_table('notification')
    op.drop_table('scheduler_run')
    op.drop_table('audit_checkpoint')
