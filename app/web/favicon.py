"""``/favicon.ico``: browsers ask for it on every page whatever the page links; answered from the
portal's own icon instead of a 404 in every log."""

from __future__ import annotations

from pathlib import Path

from litestar import get
from litestar.datastructures import CacheControlHeader
from litestar.response import File

ICON = Path(__file__).parents[1] / "static" / "favicon.svg"


@get("/favicon.ico", name="favicon", include_in_schema=False, cache_control=CacheControlHeader(max_age=86400))
async def favicon() -> File:
    return File(ICON, media_type="image/svg+xml", content_disposition_type="inline")
