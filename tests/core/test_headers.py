"""What a browser is told to refuse: scripts from elsewhere, being framed, leaking page addresses."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from core.registry import ModuleRegistry
from core.web import TEMPLATES
from tests.conftest import World
from tests.pages import log_in

Client = AsyncTestClient[Litestar]


async def test_pages_forbid_foreign_scripts_and_framing(client: Client, world: World) -> None:
    coop = await world.coop(modules=("invoicing",))
    await log_in(client, coop.owner)
    for url in (f"/t/{coop.slug}", f"/t/{coop.slug}/invoices", "/login"):
        answer = await client.get(url)
        assert answer.status_code == 200, url
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, url
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["referrer-policy"] == "same-origin"


async def test_every_answer_forbids_sniffing_and_foreign_referrers(client: Client, world: World) -> None:
    person = await world.person()
    for answer in (
        await client.get("/api/v1/me", headers=person.headers),
        await client.get("/healthz"),
        await client.get("/api/v1/me"),  # a 401 problem
    ):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"


async def test_the_api_docs_are_not_held_to_the_pages_policy(client: Client) -> None:
    docs = await client.get("/schema")
    assert docs.status_code == 200
    assert "content-security-policy" not in docs.headers


def test_no_template_carries_an_inline_script_or_handler(registry: ModuleRegistry) -> None:
    """The policy forbids them, so a browser would silently ignore one (a confirmation never asked)."""
    directories = [TEMPLATES, *(module.templates for module in registry if module.templates is not None)]
    inline = re.compile(r"<script(?![^>]*\bsrc=)|\son[a-z]+\s*=", re.IGNORECASE)
    found = [
        f"{path}: {match.group(0)}"
        for directory in directories
        for path in sorted(directory.rglob("*.html"))
        for match in inline.finditer(path.read_text())
    ]
    assert found == []
