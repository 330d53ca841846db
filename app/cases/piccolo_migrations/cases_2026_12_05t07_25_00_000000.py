from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T07:25:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "a handler's cases, for the register's filter by person"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)

    async def handler_by_due_date():
        # With assistance_case_acting, the filter "acting handler or handler" is two index scans.
        await engine_finder().run_ddl(
            "CREATE INDEX assistance_case_handler_due ON assistance_case (tenant, handler, due_on, id)"
        )

    manager.add_raw(handler_by_due_date)

    return manager
