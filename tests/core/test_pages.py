"""The web pages as a person meets them: logging in, finding and adding members, the co-op's settings,
roles, modules and API tokens. Forms are submitted the way a browser does (form-encoded, with the
CSRF token the page handed out)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from core import events, tenants
from core.app import create_app
from core.db.engine import Database
from core.models import User
from core.module import Module, NavEntry, Permission
from core.registry import ModuleRegistry
from core.settings import Settings
from tests.conftest import Coop, World, unique
from tests.pages import log_in, submit, text_of

Client = AsyncTestClient[Litestar]


async def add_member(client: Client, coop: Coop, **fields: str) -> httpx.Response:
    return await submit(client, f"/t/{coop.slug}/parties", {"kind": "organisation", **fields})


async def test_a_wrong_password_shows_an_error_and_starts_no_session(client: Client, world: World) -> None:
    person = await world.person()
    answer = await submit(client, "/login", {"email": person.email, "password": "not the password"})
    assert answer.status_code == 401
    assert "The e-mail or the password is wrong" in answer.text
    assert "coop_session" not in answer.headers.get("set-cookie", "")
    assert (await client.get("/", follow_redirects=False)).headers["location"].startswith("/login")


async def test_a_login_form_without_its_csrf_token_is_refused(client: Client, world: World) -> None:
    person = await world.person()
    await client.get("/login")
    answer = await client.post("/login", data={"email": person.email, "password": person.password})
    assert answer.status_code == 403
    assert "coop_session" not in answer.headers.get("set-cookie", "")


async def test_an_anonymous_visitor_is_sent_to_log_in_and_then_back(client: Client, world: World) -> None:
    coop = await world.coop()
    answer = await client.get(f"/t/{coop.slug}/parties", follow_redirects=False)
    assert answer.status_code in (302, 303)
    assert answer.headers["location"] == f"/login?next=%2Ft%2F{coop.slug}%2Fparties"
    form = await client.get(answer.headers["location"])
    assert f'name="next" value="/t/{coop.slug}/parties"' in form.text
    login = await submit(
        client,
        "/login",
        {"email": coop.owner.email, "password": coop.owner.password, "next": f"/t/{coop.slug}/parties"},
    )
    assert login.headers["location"] == f"/t/{coop.slug}/parties"


async def test_login_never_sends_the_visitor_to_another_site(client: Client, world: World) -> None:
    person = await world.person()
    login = await submit(
        client, "/login", {"email": person.email, "password": person.password, "next": "//evil.example/"}
    )
    assert login.headers["location"] == "/"


async def test_the_start_page_opens_the_users_coop_or_says_there_is_none(
    client: Client, world: World
) -> None:
    coop = await world.coop()
    await log_in(client, coop.owner)
    assert (await client.get("/", follow_redirects=False)).headers["location"] == f"/t/{coop.slug}/"
    dashboard = await client.get(f"/t/{coop.slug}/")
    assert dashboard.status_code == 200
    assert f"Co-op {coop.slug}" in dashboard.text

    lonely = await world.person()
    client.cookies.clear()
    await log_in(client, lonely)
    page = await client.get("/")
    assert page.status_code == 200 and "No co-op yet" in page.text


async def test_logging_out_ends_the_session(client: Client, world: World) -> None:
    coop = await world.coop()
    await log_in(client, coop.owner)
    assert (await submit(client, "/logout")).status_code == 303
    answer = await client.get(f"/t/{coop.slug}/parties", follow_redirects=False)
    assert answer.headers["location"].startswith("/login")


async def test_a_new_member_appears_in_the_list_and_search_finds_it(client: Client, world: World) -> None:
    coop = await world.coop()
    await log_in(client, coop.owner)
    name = unique("Bakery")
    created = await add_member(client, coop, name=name, city="Lyon", country="FR", admit="yes")
    assert created.status_code == 303
    assert created.headers["location"] == f"/t/{coop.slug}/parties"
    assert f"{name} is admitted as a member" in (await client.get(f"/t/{coop.slug}/parties")).text
    await add_member(client, coop, name=unique("Brewery"))

    listing = await client.get(f"/t/{coop.slug}/parties")
    assert "is recorded as an applicant" in listing.text
    row = re.search(rf"<tr>\s*<th[^>]*><a [^>]*>{name}</a>.*?</tr>", listing.text, re.S)
    assert row is not None
    assert "M00001" in row.group(0) and "active" in row.group(0)
    assert "Brewery" in listing.text
    assert "is recorded" not in (await client.get(f"/t/{coop.slug}/parties")).text  # a notice shows once

    found = await client.get(f"/t/{coop.slug}/parties", params={"q": name[-8:]})
    assert name in found.text and "Brewery" not in found.text
    partial = await client.get(
        f"/t/{coop.slug}/parties", params={"q": "brew"}, headers={"HX-Request": "true"}
    )
    assert "<html" not in partial.text and 'id="party-results"' in partial.text
    assert "Brewery" in partial.text and name not in partial.text


async def test_the_member_list_pages_with_a_next_link(client: Client, world: World) -> None:
    coop = await world.coop()
    await log_in(client, coop.owner)
    for i in range(27):
        await add_member(client, coop, name=f"Member {i:02d}")
    first = await client.get(f"/t/{coop.slug}/parties")
    assert "Member 24" in first.text and "Member 25" not in first.text
    link = re.search(r'<a href="([^"]+)" rel="next">Next page</a>', first.text)
    assert link is not None
    second = await client.get(link.group(1).replace("&amp;", "&"))
    assert "Member 25" in second.text and "Member 26" in second.text and "Member 24" not in second.text
    assert 'rel="next"' not in second.text


async def test_a_bad_member_form_comes_back_with_the_message_and_creates_nothing(
    client: Client, world: World
) -> None:
    coop = await world.coop()
    await log_in(client, coop.owner)
    name = unique("Printer")
    answer = await add_member(client, coop, name=name, vat_id="FR123", country="FR")
    assert answer.status_code == 422
    assert "is not a valid VAT number" in answer.text
    assert f'value="{name}"' in answer.text  # what was typed is kept
    assert 'aria-invalid="true"' in answer.text
    empty = await add_member(client, coop, name="", country="Narnia")
    assert empty.status_code == 422 and "must not be empty" in empty.text
    listing = await client.get(f"/t/{coop.slug}/parties", params={"q": name})
    assert f">{name}</a>" not in listing.text


async def test_names_are_shown_as_text_never_as_markup(client: Client, world: World) -> None:
    coop = await world.coop()
    await log_in(client, coop.owner)
    await add_member(client, coop, name="<script>alert(1)</script>")
    listing = await client.get(f"/t/{coop.slug}/parties")
    assert "<script>alert(1)</script>" not in listing.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listing.text


async def test_a_member_is_admitted_then_suspended_from_its_page(client: Client, world: World) -> None:
    coop = await world.coop()
    await log_in(client, coop.owner)
    name = unique("Applicant")
    await add_member(client, coop, name=name)
    listing = await client.get(f"/t/{coop.slug}/parties", params={"q": name})
    href = re.search(r'href="(/t/[^"]+/parties/[0-9a-f-]{36})"', listing.text)
    assert href is not None
    page = await client.get(href.group(1))
    assert "applicant" in page.text and "M00001" not in page.text
    admitted = await submit(client, f"{href.group(1)}/membership", {"status": "active"})
    assert admitted.status_code == 303
    assert "M00001" in (await client.get(href.group(1))).text
    await submit(client, f"{href.group(1)}/membership", {"status": "suspended"})
    again = await submit(client, f"{href.group(1)}/membership", {"status": "suspended"})
    assert again.status_code == 409 and "cannot become suspended" in again.text


async def test_a_user_of_another_coop_gets_404_on_its_pages(client: Client, world: World) -> None:
    mine, theirs = await world.coop(), await world.coop()
    await log_in(client, mine.owner)
    for path in ("", "parties", "settings", "users", "modules"):
        answer = await client.get(f"/t/{theirs.slug}/{path}")
        assert answer.status_code == 404, path
        assert "text/html" in answer.headers["content-type"]
    assert (await add_member(client, theirs, name="Intruder")).status_code == 404


async def test_a_viewer_sees_no_add_member_form_and_may_not_post_one(client: Client, world: World) -> None:
    coop = await world.coop()
    viewer = await world.join(coop, "viewer")
    await log_in(client, viewer)
    listing = await client.get(f"/t/{coop.slug}/parties")
    assert listing.status_code == 200
    assert "Add member" not in listing.text
    refused = await add_member(client, coop, name="Sneaky")
    assert refused.status_code == 403
    assert "Sneaky" not in (await client.get(f"/t/{coop.slug}/parties")).text


async def test_the_navigation_offers_only_what_the_role_allows(client: Client, world: World) -> None:
    coop = await world.coop()
    viewer = await world.join(coop, "viewer")
    await log_in(client, viewer)
    nav = text_of(await client.get(f"/t/{coop.slug}/"))
    assert "Parties" in nav and "Settings" in nav
    assert "Users & roles" not in nav and "Audit log" not in nav
    assert (await client.get(f"/t/{coop.slug}/users")).status_code == 403
    client.cookies.clear()
    await log_in(client, coop.owner)
    assert "Users &amp; roles" in (await client.get(f"/t/{coop.slug}/")).text


async def test_owners_change_the_coops_details_and_viewers_only_read_them(
    client: Client, world: World
) -> None:
    coop = await world.coop()
    viewer = await world.join(coop, "viewer")
    await log_in(client, coop.owner)
    form = {
        "name": "Renamed Co-op",
        "legal_name": "Renamed Co-op SCIC",
        "iban": "not an iban",
        "currency": "EUR",
        "locale": "fr",
        "address.city": "Nantes",
        "address.country": "FR",
    }
    bad = await submit(client, f"/t/{coop.slug}/settings", form)
    assert bad.status_code == 422 and "is not a valid IBAN" in bad.text
    saved = await submit(
        client, f"/t/{coop.slug}/settings", {**form, "iban": "FR14 2004 1010 0505 0001 3M02 606"}
    )
    assert saved.status_code == 303
    assert "Renamed Co-op SCIC" in (await client.get(f"/t/{coop.slug}/settings")).text

    client.cookies.clear()
    await log_in(client, viewer)
    page = await client.get(f"/t/{coop.slug}/settings")
    assert "Renamed Co-op SCIC" in page.text and "Nantes" in page.text
    assert 'name="legal_name"' not in page.text
    assert (await submit(client, f"/t/{coop.slug}/settings", form)).status_code == 403


async def test_an_owner_grants_a_role_by_email_and_revokes_it(client: Client, world: World) -> None:
    coop = await world.coop()
    newcomer = await world.person("Newcomer")
    await log_in(client, coop.owner)
    unknown = await submit(
        client, f"/t/{coop.slug}/users", {"email": "nobody@example.test", "role": "viewer"}
    )
    assert unknown.status_code == 422 and "no user has that e-mail" in unknown.text
    granted = await submit(client, f"/t/{coop.slug}/users", {"email": newcomer.email, "role": "bookkeeper"})
    assert granted.status_code == 303
    users = await client.get(f"/t/{coop.slug}/users")
    assert newcomer.email in users.text
    last_owner = await submit(client, f"/t/{coop.slug}/users/{coop.owner.id}/revoke")
    assert last_owner.status_code == 409 and "last owner" in last_owner.text
    assert (await submit(client, f"/t/{coop.slug}/users/{newcomer.id}/revoke")).status_code == 303
    assert newcomer.email not in (await client.get(f"/t/{coop.slug}/users")).text


async def test_the_modules_page_lists_the_installed_modules(
    client: Client, world: World, app: Litestar
) -> None:
    coop = await world.coop()
    await log_in(client, coop.owner)
    page = await client.get(f"/t/{coop.slug}/modules")
    assert page.status_code == 200
    installed = list(app.state.registry)
    if not installed:
        assert "No modules are installed" in page.text
    for module in installed:
        assert module.title in page.text
    missing = await submit(client, f"/t/{coop.slug}/modules/no_such_module/enable")
    assert missing.status_code == 404 and "no module" in missing.text.lower()


async def test_a_new_token_is_shown_once_and_never_listed(client: Client, world: World) -> None:
    person = await world.person()
    await log_in(client, person)
    created = await submit(client, "/account/tokens", {"name": "accounting export"})
    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"
    secret = re.search(r'value="(coop_[^"]+)"', created.text)
    assert secret is not None
    headers = {"Authorization": f"Bearer {secret.group(1)}"}
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200

    listing = await client.get("/account/tokens")
    assert "accounting export" in listing.text
    assert secret.group(1)[:12] in listing.text and secret.group(1) not in listing.text

    row = next(r for r in listing.text.split("<tr>") if "accounting export" in r)
    made = re.search(r'action="(/account/tokens/[0-9a-f-]{36}/revoke)"', row)
    assert made is not None
    assert (await submit(client, made.group(1))).status_code == 303
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401
    assert "revoked" in (await client.get("/account/tokens")).text


async def test_a_token_needs_a_name(client: Client, world: World) -> None:
    person = await world.person()
    await log_in(client, person)
    answer = await submit(client, "/account/tokens", {"name": "  "})
    assert answer.status_code == 422 and "must be 1 to 100 characters" in answer.text
    assert "coop_" not in re.sub(r"<code>coop_[^<]*</code>", "", answer.text)


WIDGETS = Module(
    name="widgets",
    title="Widgets",
    version="1.0",
    nav=(NavEntry("Widget shelf", "widgets", permission="widgets.use"),),
    permissions=(Permission("widgets.use", "Use widgets", ("owner",)),),
)
GADGETS = Module(name="gadgets", title="Gadgets", version="1.0", depends=("widgets",))


@pytest.fixture
async def modular_client(
    settings: Settings, registry: ModuleRegistry
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A client of an install that has two extra modules, one needing the other."""
    app = create_app(settings, ModuleRegistry.of([*registry, WIDGETS, GADGETS]))
    try:
        async with AsyncTestClient(app=app) as test_client:
            yield test_client
    finally:
        events.install(events.EventBus.from_modules(list(registry)))


async def test_modules_are_switched_on_in_order_and_bring_their_menu_entries(
    modular_client: Client, world: World
) -> None:
    client = modular_client
    coop = await world.coop()
    await log_in(client, coop.owner)
    page = await client.get(f"/t/{coop.slug}/modules")
    assert "Widgets" in page.text and "Gadgets" in page.text
    assert "Widget shelf" not in page.text

    refused = await submit(client, f"/t/{coop.slug}/modules/gadgets/enable")
    assert refused.status_code == 409
    assert "needs &#39;widgets&#39; switched on first" in refused.text

    assert (await submit(client, f"/t/{coop.slug}/modules/widgets/enable")).status_code == 303
    page = await client.get(f"/t/{coop.slug}/modules")
    assert "Widgets is switched on" in page.text
    assert f'href="/t/{coop.slug}/widgets"' in page.text

    assert (await submit(client, f"/t/{coop.slug}/modules/gadgets/enable")).status_code == 303
    blocked = await submit(client, f"/t/{coop.slug}/modules/widgets/disable")
    assert blocked.status_code == 409 and "needed by" in blocked.text

    viewer = await world.join(coop, "viewer")
    client.cookies.clear()
    await log_in(client, viewer)
    page = await client.get(f"/t/{coop.slug}/modules")
    assert "Widget shelf" not in page.text  # the entry needs a right viewers lack
    assert "Switch off" not in page.text


async def test_a_co_ops_pages_list_every_co_op_of_the_user_in_the_switcher(
    client: Client, world: World, database: Database
) -> None:
    """On a co-op's page the session is that co-op's (and on PostgreSQL row-level security shows only its
    rows): the switcher still names every co-op the user has a role in."""
    first = await world.coop()
    second = await world.coop()
    async with database.transaction(tenant_id=second.id) as session:
        user = await session.get_one(User, first.owner.id)
        await tenants.grant_role(session, user=user, role="viewer")
    await log_in(client, first.owner)
    page = text_of(await client.get(f"/t/{first.slug}"))
    assert f"Co-op {first.slug}" in page and f"Co-op {second.slug}" in page
