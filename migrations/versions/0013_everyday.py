"""staged uploads, historical rounds

Revision ID: 0013_everyday
Revises: 0001
Create Date: 2026-12-03 14:00:00

"""
from alembic import op
import sqlalchemy as sa
import survey.db

# revision identifiers, used by Alembic.
revision = '0013_everyday'
down_revision = '0011_sessions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staged_uploads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', survey.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', survey.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_staged_uploads_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staged_uploads')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_staged_uploads_token_hash'))
    )
    with op.batch_alter_table('staged_uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staged_uploads_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_staged_uploads_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('historical', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_column('historical')

    with op.batch_alter_table('staged_uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staged_uploads_user_id'))
        batch_op.drop_index(batch_op.f('ix_staged_uploads_expires_at'))

    op.drop_table('staged_uploads')
