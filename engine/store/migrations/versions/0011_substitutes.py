"""substitutes: who acts for an absent user over a range of city days, and on whose behalf each
event of a substitute's step was done (``event.on_behalf_of``, hashed when set)

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

AT = sa.DateTime(timezone=True)
ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('substitute',
                    sa.Column('id', ID, nullable=False),
                    sa.Column('absent_user_id', ID, nullable=False),
                    sa.Column('substitute_user_id', ID, nullable=False),
                    sa.Column('starts_on', sa.Date(), nullable=False),
                    sa.Column('ends_on', sa.Date(), nullable=False),
                    sa.Column('reason', sa.Text(), nullable=False),
                    sa.Column('set_by', sa.String(length=64), nullable=False),
                    sa.Column('set_at', AT, nullable=False),
                    sa.Column('ended_by', sa.String(length=64), nullable=True),
                    sa.Column('ended_at', AT, nullable=True),
                    sa.ForeignKeyConstraint(['absent_user_id'], ['user_account.id']),
                    sa.ForeignKeyConstraint(['substitute_user_id'], ['user_account.id']),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_substitute_acting', 'substitute', ['substitute_user_id', 'ends_on'])
    op.create_index('ix_substitute_absent', 'substitute', ['absent_user_id', 'ends_on'])
    with op.batch_alter_table('event') as batch:
        batch.add_column(sa.Column('on_behalf_of', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('event') as batch:
        batch.drop_column('on_behalf_of')
    op.drop_index('ix_substitute_absent', table_name='substitute')
    op.drop_index('ix_substitute_acting', table_name='substitute')
    op.drop_table('substitute')
