"""The endpoint list of ``docs/api.md``, written from the app's own OpenAPI schema and route guards,
so the guide cannot drift from the code: ``python -m app.api_reference`` rewrites the block
between the markers, and a test fails when the committed block differs.

Each operation: method, path, the roles whose permissions allow it (from ``requires(...)`` and the
role table), the query parameters and the JSON body's fields (``*`` = required).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from litestar import Litestar

from app.tenancy.permissions import ROLE_PERMISSIONS, Role

BEGIN = "<!-- endpoints:begin (python -m app.api_reference writes this block) -->"
END = "<!-- endpoints:end -->"
METHODS = ("get", "post", "put", "patch", "delete")
COUNTY = "/api/v1/t/{tenant}/"
REGION = "/api/v1/r/{region}/"
GROUPS = {
    "me": "当前用户 · me",
    "staff": "人员 · staff",
    "lines": "业务岗位与 A/B 岗 · lines",
    "rota": "A/B 岗当前状态 · rota",
    "absences": "离岗 · absences",
    "door-notice": "离岗告示 · door notice",
    "notifications": "消息 · notifications",
    "settings": "设置 · settings",
    "jobs": "后台任务 · jobs",
    "calendar": "工作日历 · calendar",
    "cases": "案件 · cases",
    "accountability": "超期问责 · accountability",
    "enquiries": "首问登记 · enquiries",
    "evaluations": "工作效能考评 · evaluations",
    "stats": "限时办结统计 · statistics",
    "audit": "审计日志 · audit",
}
ROLE_ORDER = (Role.ADMIN, Role.LEADER, Role.SECTION_HEAD, Role.EVALUATOR, Role.STAFF)


def _permissions(app: Litestar) -> dict[tuple[str, str], object]:
    """(method, path as in the schema) → the permission its guard requires."""
    found = {}
    for route in app.routes:
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        for handler in getattr(route, "route_handlers", ()):
            for guard in handler.guards or ():
                if hasattr(guard, "permission"):
                    for method in handler.http_methods:
                        found[(method.lower(), path)] = guard.permission
    return found


def _who(path: str, permission) -> str:
    if path.startswith(REGION):
        return "督查（inspector 令牌）"
    if permission is None:
        return "本县任何成员"
    roles = [role.value for role in ROLE_ORDER if permission in ROLE_PERMISSIONS[role]]
    return ", ".join(f"`{r}`" for r in roles) if len(roles) < len(ROLE_ORDER) else "本县任何成员"


def _fields(schema: dict, operation: dict) -> str:
    query = [p["name"] for p in operation.get("parameters", ()) if p["in"] == "query"]
    parts = [f"查询 {', '.join(f'`{q}`' for q in query)}"] if query else []
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    ref = body.get("$ref", "")
    if ref:
        component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
        required = set(component.get("required", ()))
        names = [f"`{n}`{'*' if n in required else ''}" for n in component.get("properties", {})]
        parts.append(f"请求体 {', '.join(names)}")
    return "；".join(parts) or "—"


def endpoint_block(app: Litestar) -> str:
    """The Markdown between the markers: one table per group of the county API, then the region API."""
    schema = app.openapi_schema.to_schema()
    permissions = _permissions(app)
    groups: dict[str, list[str]] = {}
    for path, operations in schema["paths"].items():
        prefix = COUNTY if path.startswith(COUNTY) else REGION
        group = "region" if prefix == REGION else path[len(prefix) :].split("/")[0]
        for method in METHODS:
            if method in operations:
                shown = "…/" + path[len(prefix) :]
                who = _who(path, permissions.get((method, path)))
                row = f"| `{method.upper()}` | `{shown}` | {who} | {_fields(schema, operations[method])} |"
                groups.setdefault(group, []).append(row)
    lines = [BEGIN, ""]
    for group in sorted(
        groups, key=lambda g: (g == "region", list(GROUPS).index(g) if g in GROUPS else len(GROUPS), g)
    ):
        title = "督查（市级）· region" if group == "region" else GROUPS.get(group, group)
        prefix = REGION if group == "region" else COUNTY
        lines += [f"### {title}", "", f"前缀 `{prefix.rstrip('/')}`", ""]
        lines += ["| 方法 | 路径 | 谁可以调用 | 参数 |", "|---|---|---|---|", *groups[group], ""]
    lines.append(END)
    return "\n".join(lines)


def rewrite(document: str, block: str) -> str:
    """``document`` with its block between the markers replaced by ``block``."""
    start, end = document.index(BEGIN), document.index(END) + len(END)
    return document[:start] + block + document[end:]


def main() -> None:
    from app.asgi import create_app
    from app.settings import Settings

    # Only the schema is wanted: nothing is connected, so any URLs will do.
    settings = Settings.from_env(
        {"PORTAL_MODE": "test", "SECRET_KEY": "api-reference-" + "x" * 32, "DATABASE_URL": "sqlite:///:memory:"}
    )
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/api.md")
    target.write_text(
        rewrite(target.read_text(encoding="utf-8"), endpoint_block(create_app(settings))), encoding="utf-8"
    )


if __name__ == "__main__":
    main()
