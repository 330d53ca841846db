from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-04T22:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "row-level security: the app's role sees only the county of the request"

# The role the app switches to on every connection (app.db.APP_ROLE); it owns nothing, so the
# policies below hold for it. A county is set per connection use as the setting portal.tenant;
# unset (sign-in, workers, operators) every row is visible, as the application filter decides.
ROLE = "portal_app"
COUNTY = "nullif(current_setting('portal.tenant', true), '')::integer"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="backstop", description=DESCRIPTION)

    async def row_level_security():
        engine = engine_finder()
        if engine.engine_type != "postgres":  # SQLite has no roles: the application filter alone
            return
        # Roles belong to the whole server: another database may have made it already.
        await engine.run_ddl(
            f"DO $$ BEGIN CREATE ROLE {ROLE} NOLOGIN; "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        )
        await engine.run_ddl(f"GRANT {ROLE} TO current_user")
        await engine.run_ddl(f"GRANT USAGE ON SCHEMA public TO {ROLE}")
        await engine.run_ddl(f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO {ROLE}")
        await engine.run_ddl(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {ROLE}")
        await engine.run_ddl(
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public "
            f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON TABLES TO {ROLE}"
        )
        await engine.run_ddl(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {ROLE}")
        # Every table with a tenant column; rows without a county (superadmins) stay readable.
        county = COUNTY.replace("'", "''")  # inside the quoted text of format()
        await engine.run_ddl(
            "DO $$ DECLARE county_table text; BEGIN "
            "FOR county_table IN SELECT c.table_name FROM information_schema.columns c "
            "JOIN information_schema.tables t USING (table_schema, table_name) "
            "WHERE c.table_schema = 'public' AND c.column_name = 'tenant' AND t.table_type = 'BASE TABLE' LOOP "
            "EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', county_table); "
            "EXECUTE format('CREATE POLICY county_only ON %I "
            f"USING ({county} IS NULL OR tenant IS NULL OR tenant = {county}) "
            f"WITH CHECK ({county} IS NULL OR tenant = {county})', county_table); "
            "END LOOP; END $$"
        )

    manager.add_raw(row_level_security)
    return manager
