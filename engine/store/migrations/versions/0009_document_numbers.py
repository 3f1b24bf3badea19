"""document numbers: a per-year register of numbers (never reused) and the documents generated
from cases, each with its DOCX and PDF kept as case files

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

AT = sa.DateTime(timezone=True)
ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('document_number',
                    sa.Column('register', sa.String(length=64), nullable=False),
                    sa.Column('year', sa.Integer(), nullable=False),
                    sa.Column('last_number', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('register', 'year'))
    op.create_table('case_document',
                    sa.Column('id', ID, nullable=False),
                    sa.Column('case_id', ID, nullable=False),
                    sa.Column('kind', sa.String(length=64), nullable=False),
                    sa.Column('register', sa.String(length=64), nullable=False),
                    sa.Column('year', sa.Integer(), nullable=False),
                    sa.Column('number', sa.Integer(), nullable=False),
                    sa.Column('symbol', sa.String(length=96), nullable=False),
                    sa.Column('issued_on', sa.String(length=10), nullable=False),
                    sa.Column('docx_file_id', ID, nullable=False),
                    sa.Column('pdf_file_id', ID, nullable=False),
                    sa.Column('generated_by', sa.String(length=64), nullable=False),
                    sa.Column('generated_at', AT, nullable=False),
                    sa.Column('event_seq', sa.Integer(), nullable=False),
                    sa.ForeignKeyConstraint(['case_id'], ['case.id']),
                    sa.ForeignKeyConstraint(['docx_file_id'], ['case_file.id']),
                    sa.ForeignKeyConstraint(['pdf_file_id'], ['case_file.id']),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('register', 'year', 'number', name='uq_case_document_number'))
    op.create_index('ix_case_document_case', 'case_document', ['case_id', 'kind'])


def downgrade() -> None:
    op.drop_index('ix_case_document_case', table_name='case_document')
    op.drop_table('case_document')
    op.drop_table('document_number')
