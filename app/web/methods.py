"""``OPTIONS`` answers with every method of the path.

Litestar makes a path's OPTIONS handler when the path's first handler is registered, and its
``Allow`` lists only that handler's methods (``GET /staff`` and ``POST /staff`` are two handlers);
this hook puts the methods of the finished routes there, as the 405 answers already do.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.datastructures import MutableScopeHeaders
from litestar.routes import HTTPRoute
from litestar.types import Message, Scope


def complete_allow_header(app: Litestar):
    """A ``before_send`` hook for ``app`` (built from its routes once they are all registered)."""
    methods = {
        route.path_format: ", ".join(sorted(route.methods)) for route in app.routes if isinstance(route, HTTPRoute)
    }

    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] == "http.response.start" and scope.get("method") == "OPTIONS":
            allowed = methods.get(scope.get("path_template", ""))
            if allowed:
                MutableScopeHeaders.from_message(message)["Allow"] = allowed

    return before_send
