from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-04T22:05:08:000000"
VERSION = "1.38.0"
DESCRIPTION = "a county marks a year as entered once"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="calendar", description=DESCRIPTION)

    async def year_once():
        await engine_finder().run_ddl("CREATE UNIQUE INDEX calendar_year_once ON calendar_year (tenant, year)")

    manager.add_raw(year_once)

    return manager
