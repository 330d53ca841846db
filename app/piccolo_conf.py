"""Piccolo's configuration: the app registry, and ``DB`` as configured by ``app.db``.

``piccolo`` commands run outside the portal take their settings from the environment.
"""

from piccolo.conf.apps import AppRegistry

# Every app with tables, in the order their migrations run.
FEATURE_APPS = [
    "app.tenancy.piccolo_app",
    "app.accounts.piccolo_app",
    "app.audit.piccolo_app",
    "app.rota.piccolo_app",
    "app.notifications.piccolo_app",
    "app.absences.piccolo_app",
    "app.calendar.piccolo_app",
    "app.cases.piccolo_app",
    "app.reminders.piccolo_app",
    "app.evaluation.piccolo_app",
    "app.jobs.piccolo_app",
    "app.regions.piccolo_app",
    "app.robots.piccolo_app",
    "app.stats.piccolo_app",
]
# Last: row-level security over the tables of every feature app.
APP_REGISTRY = AppRegistry(apps=[*FEATURE_APPS, "app.backstop.piccolo_app"])


def all_tables():
    return [table for app in APP_REGISTRY.app_configs.values() for table in app.table_classes]


def __getattr__(name: str):
    if name == "DB":
        from app import db
        from app.settings import Settings

        if db.bound() is None:
            db.configure(Settings.from_env())
        return db.engine()
    raise AttributeError(name)
