from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T07:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "a person's unread messages by index"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notifications", description=DESCRIPTION)

    async def unread_by_index():
        # The badge every open page polls counts a person's unread messages: on ("user") alone it
        # read every message they ever had, and PostgreSQL added the county's whole (tenant) index
        # to the scan. The index keeps its name (the column's index=True).
        engine = engine_finder()
        await engine.run_ddl("DROP INDEX notification_user")
        await engine.run_ddl('CREATE INDEX notification_user ON notification (tenant, "user", read_at)')

    manager.add_raw(unread_by_index)

    return manager
