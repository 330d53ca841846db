from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T10:55:53:000000"
VERSION = "1.38.0"
DESCRIPTION = "a message is told once: unique dedupe key per county"


async def forwards():
    # Raw SQL runs before a manager's tables are created, so it has a migration of its own.
    manager = MigrationManager(migration_id=ID, app_name="notifications", description=DESCRIPTION)

    async def unique_dedupe_key():
        await engine_finder().run_ddl("CREATE UNIQUE INDEX notification_dedupe ON notification (tenant, dedupe_key)")

    manager.add_raw(unique_dedupe_key)

    return manager
