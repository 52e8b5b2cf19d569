"""The store's schema as SQL, produced by running the real migrations on an empty database.

The README's schema section is generated from this with cog, so it cannot drift from the
migrations.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

from lcdtrack.snapshots.migrations import migrations


def schema_sql(migration_set: Migrations = migrations) -> str:
    """CREATE statements of every table and index a migration set creates, in creation order."""
    db = Database(memory=True)
    migration_set.apply(db)
    rows = db.execute(
        "select sql from sqlite_master where sql is not null and name not like 'sqlite_%' "
        "and tbl_name != '_sqlite_migrations' order by rowid"
    ).fetchall()
    return "\n".join(f"{sql};" for (sql,) in rows) + "\n"
