from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T08:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "a line's cases by status, for the cases ready for 审批"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)

    async def line_by_status():
        # The cases at each line's last step, from the index alone: assistance_case_line_due has the
        # status last, so asking for one status walked every case the line ever had.
        await engine_finder().run_ddl(
            "CREATE INDEX assistance_case_line_status ON assistance_case (tenant, line, status, due_on, id)"
        )

    manager.add_raw(line_by_status)

    return manager
