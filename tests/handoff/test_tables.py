"""The migration makes the handoff tables exactly as the models declare them."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.core.extensions import db

TABLES = {"chat_handoffs", "chat_availability"}


def _table(diff) -> str | None:
    for item in diff if isinstance(diff, list) else [diff]:
        for part in item[1:]:
            name = getattr(part, "name", None) if not isinstance(part, str) else part
            table = getattr(part, "table", None)
            if table is not None and getattr(table, "name", None):
                return table.name
            if name in TABLES:
                return name
    return None


def test_the_migrated_tables_match_the_models(handoff_app):
    with handoff_app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, db.metadata)
    assert [d for d in diffs if _table(d) in TABLES] == []
    with handoff_app.app_context():
        assert set(db.inspect(db.engine).get_table_names()) >= TABLES
