"""registries: appointment.first_appointment (only first appointments count toward the 20 % exam
share; a re-appointment is listed but not counted) and talent.allowance_percent (the allowance rate,
stored with the date it runs from)

Rows already there become what the product assumed of them until now: every recorded appointment a
first appointment, every talent's allowance the 150 % of Decree 179 Art. 15. The server defaults do
that in the same statement that adds each column, so no row is ever without a value.

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('appointment', sa.Column('first_appointment', sa.Boolean(), nullable=False,
                                           server_default=sa.true()))
    op.add_column('talent', sa.Column('allowance_percent', sa.Integer(), nullable=False, server_default='150'))


def downgrade() -> None:
    with op.batch_alter_table('talent') as batch:
        batch.drop_column('allowance_percent')
    with op.batch_alter_table('appointment') as batch:
        batch.drop_column('first_appointment')
