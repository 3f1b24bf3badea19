"""e-mail: users' address, language and notification choice; the outbox of messages to send

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

AT = sa.DateTime(timezone=True)
ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('user_account') as table:
        table.add_column(sa.Column('email', sa.String(length=254), nullable=True))
        table.add_column(sa.Column('language', sa.String(length=8), nullable=False, server_default='vi'))
        table.add_column(sa.Column('notify', sa.String(length=16), nullable=False, server_default='immediate'))
    op.create_table('mail_outbox',
                    sa.Column('id', ID, nullable=False),
                    sa.Column('kind', sa.String(length=32), nullable=False),
                    sa.Column('user_id', ID, nullable=True),
                    sa.Column('to_address', sa.String(length=254), nullable=False),
                    sa.Column('language', sa.String(length=8), nullable=False),
                    sa.Column('case_id', ID, nullable=True),
                    sa.Column('task_id', sa.String(length=36), nullable=True),
                    sa.Column('data', sa.JSON(), nullable=False),
                    sa.Column('dedupe_key', sa.String(length=128), nullable=True),
                    sa.Column('status', sa.String(length=16), nullable=False),
                    sa.Column('attempts', sa.Integer(), nullable=False),
                    sa.Column('next_attempt_at', AT, nullable=False),
                    sa.Column('claimed_by', sa.String(length=128), nullable=True),
                    sa.Column('claimed_until', AT, nullable=True),
                    sa.Column('last_error', sa.Text(), nullable=True),
                    sa.Column('created_at', AT, nullable=False),
                    sa.Column('sent_at', AT, nullable=True),
                    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='SET NULL'),
                    sa.ForeignKeyConstraint(['case_id'], ['case.id']),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('dedupe_key'))
    op.create_index('ix_mail_outbox_due', 'mail_outbox', ['status', 'next_attempt_at'])
    op.create_index('ix_mail_outbox_user_id', 'mail_outbox', ['user_id'])


def downgrade() -> None:
    op.drop_index('ix_mail_outbox_user_id', table_name='mail_outbox')
    op.drop_index('ix_mail_outbox_due', table_name='mail_outbox')
    op.drop_table('mail_outbox')
    with op.batch_alter_table('user_account') as table:
        table.drop_column('notify')
        table.drop_column('language')
        table.drop_column('email')
