import os

from piccolo.conf.apps import AppConfig

from app.reminders.tables import Reminder

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="reminders",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[Reminder],
    migration_dependencies=["app.cases.piccolo_app"],
)
