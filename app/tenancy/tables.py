from piccolo.columns import JSONB, Serial, Timestamptz, Varchar
from piccolo.table import Table


class Tenant(Table):
    """A county: every row of county data carries one."""

    id: Serial

    slug = Varchar(length=40, unique=True, index=True)
    name = Varchar(length=100)
    timezone = Varchar(length=60, default="Asia/Shanghai")
    settings = JSONB(default={})
    created_at = Timestamptz()
