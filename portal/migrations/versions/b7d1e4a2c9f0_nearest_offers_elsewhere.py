"""search: municipalities' positions, offers open to all, situations part of others

Revision ID: b7d1e4a2c9f0
Revises: 935f263b6e2e
Create Date: 2026-11-30 07:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d1e4a2c9f0'
down_revision = '935f263b6e2e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('areas', schema=None) as batch_op:
        batch_op.add_column(sa.Column('latitude', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('longitude', sa.Float(), nullable=True))
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('open_to_all', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('situations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('part_of', sa.JSON(), nullable=False,
                                      server_default='[]'))


def downgrade():
    with op.batch_alter_table('situations', schema=None) as batch_op:
        batch_op.drop_column('part_of')
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_column('open_to_all')
    with op.batch_alter_table('areas', schema=None) as batch_op:
        batch_op.drop_column('longitude')
        batch_op.drop_column('latitude')
