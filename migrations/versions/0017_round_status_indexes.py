"""round status indexes: the round page's counts and recipient list read indexes only

Revision ID: 0017_round_status_indexes
Revises: 0016_jobs
Create Date: 2026-12-04 19:00:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017_round_status_indexes'
down_revision = '0016_jobs'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('recipients', schema=None) as batch_op:
        batch_op.drop_index('ix_recipients_round_id_removed_at')
        batch_op.create_index('ix_recipients_round_id_organisation', ['round_id', 'organisation', 'id', 'removed_at', 'organisation_type', 'invited_at', 'first_opened_at'], unique=False)

    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.create_index('ix_responses_round_id_recipient_id', ['round_id', 'recipient_id', 'submitted_at', 'draft_saved_at'], unique=False)

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_messages_recipient_id_kind_status', ['recipient_id', 'kind', 'round_id', 'sequence', 'status'], unique=False)
        batch_op.create_index('ix_outbox_messages_round_id_status', ['round_id', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_round_id_status')
        batch_op.drop_index('ix_outbox_messages_recipient_id_kind_status')

    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_round_id_recipient_id')

    with op.batch_alter_table('recipients', schema=None) as batch_op:
        batch_op.drop_index('ix_recipients_round_id_organisation')
        batch_op.create_index('ix_recipients_round_id_removed_at', ['round_id', 'removed_at'], unique=False)
