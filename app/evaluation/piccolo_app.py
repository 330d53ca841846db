import os

from piccolo.conf.apps import AppConfig

from app.evaluation.tables import Cycle, Rating, RatingLink, Rectification, Result, Subject

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="evaluation",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[Cycle, Subject, RatingLink, Rating, Result, Rectification],
    migration_dependencies=["app.accounts.piccolo_app"],
)
