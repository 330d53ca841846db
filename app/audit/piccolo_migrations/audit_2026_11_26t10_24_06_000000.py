from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T10:24:06:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit records are append-only"


async def forwards():
    # Raw SQL runs before a manager's tables are created, so it has a migration of its own.
    manager = MigrationManager(migration_id=ID, app_name="audit", description=DESCRIPTION)

    async def append_only():
        # The audit trail is evidence: the database itself refuses to change or delete it.
        engine = engine_finder()
        if engine.engine_type == "postgres":
            await engine.run_ddl(
                "CREATE FUNCTION audit_record_append_only() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'audit records cannot be changed or deleted'; END; $$ LANGUAGE plpgsql"
            )
            await engine.run_ddl(
                "CREATE TRIGGER audit_record_append_only BEFORE UPDATE OR DELETE ON audit_record "
                "FOR EACH ROW EXECUTE FUNCTION audit_record_append_only()"
            )
        else:
            for event in ("UPDATE", "DELETE"):
                await engine.run_ddl(
                    f"CREATE TRIGGER audit_record_no_{event.lower()} BEFORE {event} ON audit_record "
                    "BEGIN SELECT RAISE(ABORT, 'audit records cannot be changed or deleted'); END"
                )

    manager.add_raw(append_only)

    return manager
