"""Headers every answer carries, set by the app itself (not only by a proxy in front of it).

The pages load scripts and styles from /static only; ``style-src 'unsafe-inline'`` stays for the
``style=""`` attributes of bars and for the indicator style htmx adds to the page.
"""

from __future__ import annotations

from litestar.types import Message, Scope

from app.settings import Mode, Settings

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HSTS = "max-age=31536000; includeSubDomains"


def security_headers(settings: Settings) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }
    # HTTPS only where the portal is served over it: the demo runs on plain http://localhost.
    if settings.mode is Mode.PRODUCTION:
        headers["Strict-Transport-Security"] = HSTS
    return headers


def add_security_headers(settings: Settings):
    """A ``before_send`` hook: every response, error pages and static files included; a header
    the response already sets is left as it is."""
    encoded = [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in security_headers(settings).items()
    ]

    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] == "http.response.start":
            sent = list(message.get("headers", ()))
            present = {name.lower() for name, _ in sent}
            message["headers"] = sent + [pair for pair in encoded if pair[0] not in present]

    return before_send
