import os

from piccolo.conf.apps import AppConfig

from app.stats.tables import DeadlineTally, MonthTally, TallyState

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="stats",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[DeadlineTally, MonthTally, TallyState],
    migration_dependencies=["app.tenancy.piccolo_app"],
)
