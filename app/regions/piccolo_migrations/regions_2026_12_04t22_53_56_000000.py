from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-04T22:53:56:000000"
VERSION = "1.38.0"
DESCRIPTION = "the oversight figures count cases by the day they were received, county by county"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="regions", description=DESCRIPTION)

    async def received_index():
        await engine_finder().run_ddl(
            "CREATE INDEX assistance_case_received ON assistance_case (tenant, received_on)"
        )

    manager.add_raw(received_index)

    return manager
