"""Helpers of the browser tests."""

from tests.helpers import PASSWORD


async def sign_in_as(page, base: str, username: str) -> None:
    await page.goto(f"{base}/login?tenant=dangshan")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button.primary")
    await page.wait_for_url(f"{base}/t/dangshan/")
