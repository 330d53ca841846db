from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import JSONB
from piccolo.table import Table

from app.secrets import is_sealed, seal

ID = "2026-12-04T22:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "counties' SMTP passwords sealed at rest"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notifications", description=DESCRIPTION)

    async def seal_smtp_passwords():
        class Tenant(Table, tablename="tenant"):
            # The table as this migration knows it, on the database being migrated now.
            settings = JSONB(default={})

        for row in await Tenant.select(Tenant.id, Tenant.settings).output(load_json=True):
            settings = row["settings"] or {}
            email = settings.get("email")
            password = email.get("password") if isinstance(email, dict) else None
            if isinstance(password, str) and password and not is_sealed(password):
                sealed = {**settings, "email": {**email, "password": seal(password)}}
                await Tenant.update({Tenant.settings: sealed}).where(Tenant.id == row["id"])

    manager.add_raw(seal_smtp_passwords)

    return manager
