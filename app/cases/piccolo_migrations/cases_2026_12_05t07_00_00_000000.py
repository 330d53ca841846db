from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T07:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "cases ready for 审批 found from indexes alone"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)

    async def indexes():
        engine = engine_finder()
        for statement in (
            # The 审批 list tells each open case's line (its last step) and order without reading the case.
            "CREATE INDEX assistance_case_ready ON assistance_case (tenant, status, due_on, id, line)",
            # ... and whether a posting window still runs, without reading the posting.
            'CREATE INDEX posting_window ON posting ("case", starts_on, tenant)',
        ):
            await engine.run_ddl(statement)

    manager.add_raw(indexes)

    return manager
