"""Driving the server-rendered pages the way a browser does: forms with their CSRF token, a login, a
page's visible text, and where its alerts stand."""

from __future__ import annotations

import re

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient
from lxml import html

from tests.conftest import Person

__all__ = ["alerts", "log_in", "submit", "text_of"]

Client = AsyncTestClient[Litestar]


async def submit(client: Client, url: str, fields: dict[str, str] | None = None) -> httpx.Response:
    """POST a form as a browser would: with the CSRF token from the cookie a page set earlier."""
    if "csrftoken" not in client.cookies:
        await client.get("/login")
    data = {**(fields or {}), "_csrf_token": client.cookies["csrftoken"]}
    return await client.post(url, data=data, follow_redirects=False)


async def log_in(client: Client, person: Person) -> None:
    answer = await submit(client, "/login", {"email": person.email, "password": person.password})
    assert answer.status_code == 303, answer.text


def text_of(answer: httpx.Response) -> str:
    """The page's visible text, roughly: tags dropped, whitespace squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", answer.text))


def alerts(answer: httpx.Response) -> list[tuple[str, str]]:
    """The page's alerts (``role="alert"``, announced by screen readers), each as the id of the nearest
    section or disclosure around it that has one (``""`` when none: the top of the page) and its text."""
    found = []
    for alert in html.fromstring(answer.text).xpath('//*[@role="alert"]'):
        around = alert.xpath("ancestor::*[self::section or self::details][@id][1]/@id")
        found.append((str(around[0]) if around else "", " ".join(alert.text_content().split())))
    return found
