from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T11:42:16:000000"
VERSION = "1.38.0"
DESCRIPTION = "one decision per county and day"


async def forwards():
    # Raw SQL runs before a manager's tables are created, so it has a migration of its own.
    manager = MigrationManager(migration_id=ID, app_name="calendar", description=DESCRIPTION)

    async def one_row_per_day():
        await engine_finder().run_ddl("CREATE UNIQUE INDEX calendar_day_once ON calendar_day (tenant, day)")

    manager.add_raw(one_row_per_day)

    return manager
