from litestar import Request, get
from litestar.exceptions import ServiceUnavailableException

from app.tenancy.tables import Tenant
from app.web.errors import RETRY_AFTER_SECONDS
from app.web.identity import services_of


@get("/healthz", name="health", include_in_schema=False)
async def health(request: Request) -> dict:
    """200 when the database and Redis answer: for load balancers and systemd."""
    try:
        await Tenant.count()
        await services_of(request).redis.ping()
    except Exception as exc:  # any failure of either backend means "not ready"
        raise ServiceUnavailableException(
            f"backend unavailable: {type(exc).__name__}", headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
        ) from exc
    return {"status": "ok"}
