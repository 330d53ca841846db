from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T12:07:38:000000"
VERSION = "1.38.0"
DESCRIPTION = "the e-mails due: only pending rows are indexed, by when they are due"


async def forwards():
    # Raw SQL runs before a manager's tables are created, so it has a migration of its own.
    manager = MigrationManager(migration_id=ID, app_name="notifications", description=DESCRIPTION)

    async def due_index():
        await engine_finder().run_ddl(
            "CREATE INDEX email_outbox_due ON email_outbox (next_attempt_at) WHERE status = 'pending'"
        )

    manager.add_raw(due_index)

    return manager
