from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T12:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the register's default order (soonest due first) straight from an index"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)

    async def register_order():
        await engine_finder().run_ddl("CREATE INDEX assistance_case_register ON assistance_case (tenant, due_on, id)")

    manager.add_raw(register_order)

    return manager
