from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T10:24:05:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique usernames per county, one grant per role"


async def forwards():
    # Raw SQL runs before a manager's tables are created, so it has a migration of its own.
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def unique_username_per_tenant():
        # Piccolo has no composite unique constraint; plain SQL that PostgreSQL and SQLite share.
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX portal_user_tenant_username ON portal_user (tenant, username)"
        )
        await engine_finder().run_ddl("CREATE UNIQUE INDEX role_grant_user_role ON role_grant (\"user\", role)")

    manager.add_raw(unique_username_per_tenant)

    return manager
