import os

from piccolo.conf.apps import AppConfig

from app.calendar.tables import CalendarDay, CalendarYear, GlobalCalendarDay, GlobalCalendarYear

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="calendar",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[CalendarDay, GlobalCalendarDay, CalendarYear, GlobalCalendarYear],
    migration_dependencies=["app.accounts.piccolo_app"],
)
