import os

from piccolo.conf.apps import AppConfig

from app.robots.tables import Robot, RobotDelivery

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="robots",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[Robot, RobotDelivery],
    migration_dependencies=["app.tenancy.piccolo_app"],
)
