"""Named routes (issue 14): every handler has a name, every internal URL is built from one
(``app.urls.url`` in Python, the ``url()`` global in templates), none is written by hand."""

import ast
import re
from types import SimpleNamespace

import pytest
from litestar.routes import HTTPRoute

from app import urls
from app.asgi import _linked_path, create_app, load_routes
from app.settings import PROJECT_ROOT
from app.tenancy.context import TenantContext
from app.urls import url
from app.web.render import build_environment


@pytest.fixture(scope="module")
def app(settings):
    return create_app(settings)


def test_every_route_of_the_portal_has_an_explicit_unique_name(app):
    ours = [
        (handler, route.path)
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
        if handler.fn.__module__.startswith("app.")
    ]
    assert len(ours) > 150
    unnamed = sorted(f"{path} {sorted(handler.http_methods)}" for handler, path in ours if not handler.name)
    assert unnamed == []
    names = [handler.name for handler, _ in ours]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", name) for name in names)


def test_the_table_is_the_served_application_s(app):
    urls.load({})
    with pytest.raises(RuntimeError, match="load_routes"):  # the ground never reaches up for it
        url("cases", tenant="demo")
    load_routes()
    assert url("cases", tenant="demo") == "/t/demo/cases"
    served = {
        handler.name: _linked_path(route.path_format, handler)
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
        if handler.name and not handler.name.endswith("_litestar_openapi_json")  # the schema's own, not mounted by us
    }
    assert urls.table() == served


def test_county_pages_and_api():
    assert url("case", tenant="demo", case_id=7) == "/t/demo/cases/7"
    assert url("case_step", tenant="demo", case_id=7, step="accept") == "/t/demo/cases/7/accept"
    assert url("api_case", tenant="demo", case_id=7) == "/api/v1/t/demo/cases/7"
    assert url("api_cases", tenant="demo") == "/api/v1/t/demo/cases"
    assert url("absences_overview", tenant="demo") == "/t/demo/absences/overview"


def test_a_county_context_fills_in_its_county():
    county = SimpleNamespace(tenant=SimpleNamespace(slug="demo"))
    assert TenantContext.url(county, "case", case_id=7, anchor="survey") == "/t/demo/cases/7#survey"
    assert TenantContext.url(county, "api_cases", query={"open": 1}) == "/api/v1/t/demo/cases?open=1"


def test_links_for_every_row_fill_in_the_fixed_parameters_once():
    case_link = urls.url_with("case_step", tenant="a b{x}", step="accept")
    assert case_link(case_id=7) == url("case_step", tenant="a b{x}", case_id=7, step="accept")
    assert case_link(case_id=7) == "/t/a%20b%7Bx%7D/cases/7/accept"
    county = SimpleNamespace(tenant=SimpleNamespace(slug="demo"))
    assert TenantContext.url_with(county, "case")(case_id=8) == "/t/demo/cases/8"
    with pytest.raises(LookupError):
        case_link(case_id=7, step="again")
    with pytest.raises(LookupError):
        urls.url_with("case", region="x")


def test_a_routers_own_page_keeps_its_trailing_slash():
    assert url("dashboard", tenant="demo") == "/t/demo/"
    assert url("region_dashboard", region="north") == "/r/north/"
    assert url("home") == "/"


def test_region_pages_and_api():
    assert url("region_county", region="north", county="dangshan") == "/r/north/counties/dangshan"
    assert url("region_stats_deadlines", region="north") == "/api/v1/r/north/stats/deadlines"


def test_query_strings_and_fragments():
    assert url("cases", tenant="demo", query={"handler_id": 3, "open": 1, "overdue": None}) == (
        "/t/demo/cases?handler_id=3&open=1"
    )
    assert url("cases", tenant="demo", query={}) == "/t/demo/cases"
    assert url("case", tenant="demo", case_id=7, anchor="survey") == "/t/demo/cases/7#survey"
    assert url("login", query={"next": "/t/demo/cases"}) == "/login?next=/t/demo/cases"
    assert url("cases", tenant="demo", query=[("q", "张 三&")]) == "/t/demo/cases?q=%E5%BC%A0+%E4%B8%89%26"


def test_path_values_are_quoted():
    assert url("rota_history", tenant="demo", code="低保/a") == "/t/demo/rota/%E4%BD%8E%E4%BF%9D%2Fa/history"


def test_unknown_names_and_wrong_parameters_fail_loudly():
    with pytest.raises(LookupError, match="no route is named"):
        url("no_such_page", tenant="demo")
    with pytest.raises(LookupError, match="takes"):
        url("case", tenant="demo")
    with pytest.raises(LookupError, match="takes"):
        url("cases", tenant="demo", case_id=7)


def test_templates_take_the_county_or_region_from_the_page():
    env = build_environment(PROJECT_ROOT / "templates")
    county = SimpleNamespace(tenant=SimpleNamespace(slug="demo"))
    region = SimpleNamespace(region=SimpleNamespace(slug="north"))
    render = env.from_string(
        "{{ url('case', case_id=7, anchor='work') }} {{ url('region_looks') }} {{ url('dashboard', tenant='other') }}"
        " {{ url('cases', query={'uncovered': 1, 'x': 'a&b'}) }}"
    ).render
    assert render(ctx=county, rctx=region) == (
        "/t/demo/cases/7#work /r/north/looks /t/other/ /t/demo/cases?uncovered=1&amp;x=a%26b"
    )
    # a page of no county or region (the superadmin's) names them
    assert env.from_string("{{ url('region_dashboard', region='south') }}").render() == "/r/south/"


# ---- nobody writes a county's URL by hand ----------------------------------------------------------------------------

# Where a prefix is declared or recognised, not linked to: the mounts, the API's marker, the API guide's reading of
# the schema's paths.
DECLARING = {"app/asgi.py", "app/web/identity.py", "app/api_reference.py"}
HAND_BUILT = re.compile(r"(^|[^\w.])/(t|r)/($|\{)|/api/v1/")


def _literals(tree: ast.AST):
    """The string pieces of a module, docstrings left out."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def test_no_module_builds_a_county_or_region_url_by_hand():
    found = []
    for folder in ("app", "workers"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            relative = path.relative_to(PROJECT_ROOT).as_posix()
            if relative in DECLARING or "piccolo_migrations" in relative:
                continue
            for line, text in _literals(ast.parse(path.read_text(encoding="utf-8"))):
                if HAND_BUILT.search(text):
                    found.append(f"{relative}:{line}: {text!r}")
    assert found == [], "build it with app.urls.url(name, ...):\n" + "\n".join(found)


TEMPLATE_PATH = re.compile(
    r"""\b(href|src|action|formaction|hx-[a-z]+|value)="/|/(t|r)/\{\{|["'](/t/|/r/)["']|/api/v1/"""
)


def test_no_template_writes_an_internal_url_by_hand():
    found = [
        f"{path.relative_to(PROJECT_ROOT)}:{number}: {line.strip()[:100]}"
        for path in sorted((PROJECT_ROOT / "templates").rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if TEMPLATE_PATH.search(line)
    ]
    assert found == [], "use url('name', ...):\n" + "\n".join(found)


def test_the_checks_catch_what_they_are_for():
    tree = ast.parse('"""/t/{tenant} in a docstring"""\nlink = f"/t/{slug}/cases/{case_id}"\napi = "/api/v1/t/x"')
    assert sorted(text for _, text in _literals(tree) if HAND_BUILT.search(text)) == ["/api/v1/t/x", "/t/"]
    assert TEMPLATE_PATH.search('<a href="/t/{{ ctx.tenant.slug }}/cases">')
    assert not TEMPLATE_PATH.search("<a href=\"{{ url('cases') }}\">")
