"""Template filters: times are shown on the county's clock, whatever the database hands back."""

from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace

from app import i18n
from app.i18n import LANGUAGES
from app.settings import PROJECT_ROOT
from app.tenancy.context import TenantInfo
from app.web.render import build_environment, template_engine

ENV = build_environment(PROJECT_ROOT / "templates")
SHANGHAI = SimpleNamespace(tenant=TenantInfo(id=1, slug="dangshan", name="砀山县", timezone="Asia/Shanghai"))
URUMQI = SimpleNamespace(tenant=TenantInfo(id=2, slug="xj", name="县", timezone="Asia/Urumqi"))


def render(source: str, **context) -> str:
    return ENV.from_string(source).render(**context)


def test_a_utc_instant_is_shown_in_the_countys_time_zone():
    at = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)
    assert render("{{ at|dt }}", at=at, ctx=SHANGHAI) == "2026-11-27 07:30"
    assert render("{{ at|dt }}", at=at, ctx=URUMQI) == "2026-11-27 05:30"
    assert render("{{ at|dt('%H:%M') }}", at=at, ctx=SHANGHAI) == "07:30"


def test_without_a_county_or_a_time_the_filter_leaves_the_value_alone():
    at = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)
    assert render("{{ at|dt }}", at=at, ctx=None) == "2026-11-26 23:30"
    assert render("{{ at|dt }}", at=None, ctx=SHANGHAI) == ""


def test_a_constant_message_compiled_in_reads_as_gettext_would_give_it_at_every_render():
    for language in LANGUAGES:
        env = build_environment(PROJECT_ROOT / "templates", language)
        with i18n.language(language):
            compiled = env.from_string('{{ _("退出") }}|{{ _("共 {n} 件").format(n="<b>") }}').render()
            at_render = env.from_string('{{ _(a) }}|{{ _(b).format(n="<b>") }}').render(a="退出", b="共 {n} 件")
        assert compiled == at_render and "&lt;b&gt;" in compiled
    assert compiled.startswith("Sign out")  # the English, compiled in


def test_each_visitor_gets_the_templates_of_their_language():
    engine = template_engine(PROJECT_ROOT / "templates")
    with i18n.language("en"):
        english = engine.get_template("errors/error.html")
    with i18n.language("zh"):
        chinese = engine.get_template("errors/error.html")
    assert english is not chinese and english.environment.language == "en"


@dataclass
class _Row:
    name: str
    extra: object = ()


def test_a_kept_row_is_rendered_once_per_what_it_shows_and_county(tmp_path):
    (tmp_path / "row.html").write_text("{{ row.name }}/{{ slug }}/{{ renders() }}{{ me is defined }}")
    env = build_environment(tmp_path)
    counter = iter(range(1, 100))

    def renders() -> int:  # a constant of every row (the same object each time), counting renders
        return next(counter)

    page = env.from_string("{% for row in each_kept('row.html', rows, renders=renders) %}{{ row }};{% endfor %}")

    def shown(rows, county=SHANGHAI) -> str:
        return page.render(rows=rows, ctx=county, renders=renders, me="访客")

    # The row sees itself, the county and the constants, never the page's visitor (``me``).
    assert shown([_Row("<甲>"), _Row("乙")]) == "&lt;甲&gt;/dangshan/1False;乙/dangshan/2False;"
    assert shown([_Row("乙"), _Row("<甲>")]) == "乙/dangshan/2False;&lt;甲&gt;/dangshan/1False;"  # kept, not rendered
    assert shown([_Row("乙改")]) == "乙改/dangshan/3False;"  # a value changed: rendered afresh
    assert shown([_Row("乙")], URUMQI) == "乙/xj/4False;"  # another county's row is its own
    # A row that cannot be a key (it carries a dict) is rendered every time, never kept.
    assert shown([_Row("丙", ({"a": 1},))]) == "丙/dangshan/5False;"
    assert shown([_Row("丙", ({"a": 1},))]) == "丙/dangshan/6False;"
