"""The documentation in ``docs/`` stays true: the API guide's endpoint list is the app's own, every
local link and screenshot exists, and nothing points outside the repository."""

from __future__ import annotations

import re

import pytest

from app.api_reference import BEGIN, END, endpoint_block
from app.asgi import create_app
from app.settings import PROJECT_ROOT
from tests.conftest import make_settings

DOCS = PROJECT_ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md")) + [PROJECT_ROOT / "README.md"]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_the_api_guide_lists_exactly_the_endpoints_the_app_serves():
    guide = (DOCS / "api.md").read_text(encoding="utf-8")
    committed = guide[guide.index(BEGIN) : guide.index(END) + len(END)]
    assert committed == endpoint_block(create_app(make_settings())), (
        "docs/api.md is out of date: run `python -m app.api_reference`"
    )


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_every_local_link_and_screenshot_exists(page):
    text = page.read_text(encoding="utf-8")
    assert "../shared" not in text, "a user's clone has no ../shared"
    for target in LINK.findall(text):
        if "://" in target or target.startswith("mailto:"):
            continue
        assert (page.parent / target).exists(), f"{page.name} links to {target}, which is missing"
