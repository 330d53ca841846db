"""The public grassroots form behind a single-use link (``/rate/{token}``, outside the county routers)."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Template

from app.errors import InvalidInput
from app.evaluation import grassroots, ratings
from app.tenancy.context import NotFound
from app.web.render import page


def _link_page(request: Request, form: grassroots.LinkForm | None, **extra) -> Template:
    status_code = extra.pop("status_code", 200 if form else 404)
    context = {"form": form, "values": {}, "error": "", "bad": set(), "done": 0, **extra}
    return page(request, "evaluation/rate_link.html", context, status_code=status_code)


@get("/rate/{token:str}", name="rate_link")
async def rate_link(request: Request, token: FromPath[str]) -> Template:
    try:
        form = await grassroots.open_link(token)
    except NotFound:
        return _link_page(request, None)
    return _link_page(request, form)


@post("/rate/{token:str}", name="rate_link_submit")
async def rate_link_submit(request: Request, token: FromPath[str]) -> Template:
    try:
        form = await grassroots.open_link(token)
    except NotFound:
        return _link_page(request, None)
    posted = await request.form()
    values = {s["person"]: posted.get(f"score_{s['person']}", "").strip() for s in form.subjects}
    bad, messages = set(), []
    for subject in form.subjects:  # each score checked here, so the message can name the person
        value = values[subject["person"]]
        try:
            if not value:
                raise InvalidInput("请为每一位考评对象打分")
            ratings.parse_rating(score=value)
        except InvalidInput as exc:
            bad.add(subject["person"])
            messages.append(f"{subject['name']}：{exc.localized()}")
    if bad:
        return _link_page(request, form, values=values, error="；".join(messages), bad=bad, status_code=400)
    try:
        done = await grassroots.rate_by_link(token, values)
    except NotFound:
        return _link_page(request, None)
    except InvalidInput as exc:
        return _link_page(request, form, values=values, error=exc.localized(), status_code=400)
    return _link_page(request, form, done=done)


PUBLIC = [rate_link, rate_link_submit]
