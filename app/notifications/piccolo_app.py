import os

from piccolo.conf.apps import AppConfig

from app.notifications.tables import EmailOutbox, Notification

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="notifications",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[Notification, EmailOutbox],
    migration_dependencies=["app.accounts.piccolo_app"],
)
