"""list indexes: the worklist of a role in its own order, ready tasks in due order, a status's cases by id

``ix_task_queue`` (status, role, claimed_by_id, candidate_user_id, due_at, created_at, id, unit_path) replaces
``ix_task_status_role``; ``ix_task_due_order`` (status, due_at, created_at, id) replaces ``ix_task_due``;
``ix_case_status_id`` (status, id) replaces ``ix_case_status``; ``ix_task_claimed_order`` (claimed_by_id,
status, due_at, created_at, id) replaces ``ix_task_claimed``; ``ix_task_candidate_order`` (candidate_user_id,
status, claimed_by_id, due_at, created_at, id) replaces ``ix_task_candidate``; ``ix_case_id_unit``
(id, unit_id) is new: the dashboard's open tasks per unit read a case's unit from it, not from the
case row (written once, when the case starts). Each new index starts with the old one's
columns, so every query the old one served it serves too, and a step writes no more index entries
than before. Why: engine/cases/paging.py and engine/cases/tasklist.py.

Revision ID: 0012
Revises: 0011
"""
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_task_queue', 'task',
                    ['status', 'role', 'claimed_by_id', 'candidate_user_id', 'due_at', 'created_at', 'id', 'unit_path'])
    op.drop_index('ix_task_status_role', table_name='task')
    op.create_index('ix_task_due_order', 'task', ['status', 'due_at', 'created_at', 'id'])
    op.drop_index('ix_task_due', table_name='task')
    op.create_index('ix_case_status_id', 'case', ['status', 'id'])
    op.drop_index('ix_case_status', table_name='case')
    op.create_index('ix_task_claimed_order', 'task', ['claimed_by_id', 'status', 'due_at', 'created_at', 'id'])
    op.drop_index('ix_task_claimed', table_name='task')
    op.create_index('ix_task_candidate_order', 'task',
                    ['candidate_user_id', 'status', 'claimed_by_id', 'due_at', 'created_at', 'id'])
    op.drop_index('ix_task_candidate', table_name='task')
    op.create_index('ix_case_id_unit', 'case', ['id', 'unit_id'])


def downgrade() -> None:
    op.drop_index('ix_case_id_unit', table_name='case')
    op.create_index('ix_task_candidate', 'task', ['candidate_user_id', 'status'])
    op.drop_index('ix_task_candidate_order', table_name='task')
    op.create_index('ix_task_claimed', 'task', ['claimed_by_id', 'status'])
    op.drop_index('ix_task_claimed_order', table_name='task')
    op.create_index('ix_case_status', 'case', ['status'])
    op.drop_index('ix_case_status_id', table_name='case')
    op.create_index('ix_task_due', 'task', ['status', 'due_at'])
    op.drop_index('ix_task_due_order', table_name='task')
    op.create_index('ix_task_status_role', 'task', ['status', 'role'])
    op.drop_index('ix_task_queue', table_name='task')
