from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T07:03:18:000000"
VERSION = "1.38.0"
DESCRIPTION = "the ledger indexed by the case, stage and deadline the scan probes it by"


async def forwards():
    # Raw SQL has a migration of its own (see 2026-11-26T12:00:59). Still leads with "case", as a
    # case's deletion checks the ledger by it.
    manager = MigrationManager(migration_id=ID, app_name="reminders", description=DESCRIPTION)

    async def told():
        await engine_finder().run_ddl('CREATE INDEX reminder_told ON reminder ("case", stage, due_on)')

    manager.add_raw(told)

    return manager
