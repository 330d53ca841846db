from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T12:00:59:000000"
VERSION = "1.38.0"
DESCRIPTION = "each reminder once per county and key"


async def forwards():
    # Raw SQL runs before a manager's tables are created, so it has a migration of its own.
    manager = MigrationManager(migration_id=ID, app_name="reminders", description=DESCRIPTION)

    async def once():
        await engine_finder().run_ddl("CREATE UNIQUE INDEX reminder_once ON reminder (tenant, key)")

    manager.add_raw(once)

    return manager
