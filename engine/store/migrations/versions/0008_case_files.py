"""case files: files attached to a case (content kept by SHA-256 outside the database) and
their removal; attaching and removing are events on the case's chain

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

AT = sa.DateTime(timezone=True)
ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('case_file',
                    sa.Column('id', ID, nullable=False),
                    sa.Column('case_id', ID, nullable=False),
                    sa.Column('sha256', sa.String(length=64), nullable=False),
                    sa.Column('name', sa.String(length=255), nullable=False),
                    sa.Column('size', sa.BigInteger(), nullable=False),
                    sa.Column('kind', sa.String(length=16), nullable=False),
                    sa.Column('media_type', sa.String(length=128), nullable=False),
                    sa.Column('note', sa.Text(), nullable=False),
                    sa.Column('task_id', sa.String(length=36), nullable=True),
                    sa.Column('element_id', sa.String(length=255), nullable=True),
                    sa.Column('attached_by', sa.String(length=64), nullable=False),
                    sa.Column('attached_by_id', ID, nullable=True),
                    sa.Column('attached_at', AT, nullable=False),
                    sa.Column('attached_seq', sa.Integer(), nullable=False),
                    sa.Column('removed_by', sa.String(length=64), nullable=True),
                    sa.Column('removed_at', AT, nullable=True),
                    sa.Column('removed_reason', sa.Text(), nullable=True),
                    sa.Column('removed_seq', sa.Integer(), nullable=True),
                    sa.ForeignKeyConstraint(['case_id'], ['case.id']),
                    sa.ForeignKeyConstraint(['attached_by_id'], ['user_account.id']),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_case_file_case', 'case_file', ['case_id', 'removed_at'])
    op.create_index('ix_case_file_sha256', 'case_file', ['sha256'])


def downgrade() -> None:
    op.drop_index('ix_case_file_sha256', table_name='case_file')
    op.drop_index('ix_case_file_case', table_name='case_file')
    op.drop_table('case_file')
