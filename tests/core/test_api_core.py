"""Login, tokens, the tenant's details, limits and errors: what an API client meets first."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx
import psycopg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from core.app import create_app
from core.db.engine import Database
from core.registry import ModuleRegistry
from core.settings import DEMO_SECRET, Settings, SettingsError
from tests.conftest import World, replace, same_loop_client
from tests.pages import log_in


async def test_health_answers_when_the_database_does(client: AsyncTestClient[Litestar]) -> None:
    answer = await client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": "ok"}


async def test_login_sets_a_secure_session_that_logout_ends(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    person = await world.person()
    login = await client.post("/api/v1/auth/login", json={"email": person.email, "password": person.password})
    assert login.status_code == 200
    cookie = login.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert (await client.get("/api/v1/me")).json()["email"] == person.email
    assert (await client.post("/api/v1/auth/logout", json={})).status_code == 204
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    person = await world.person()
    wrong = await client.post("/api/v1/auth/login", json={"email": person.email, "password": "not it at all"})
    unknown = await client.post(
        "/api/v1/auth/login", json={"email": "nobody@example.test", "password": "x" * 12}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert "set-cookie" not in wrong.headers


async def test_repeated_failed_logins_are_throttled(client: AsyncTestClient[Litestar], world: World) -> None:
    person = await world.person()
    statuses = []
    for _ in range(12):
        answer = await client.post(
            "/api/v1/auth/login", json={"email": person.email, "password": "guess-guess"}
        )
        statuses.append(answer.status_code)
    assert statuses[:10] == [401] * 10
    assert statuses[-1] == 429
    assert (
        int(
            (await client.post("/api/v1/auth/login", json={"email": person.email, "password": "x"})).headers[
                "retry-after"
            ]
        )
        > 0
    )
    right = await client.post("/api/v1/auth/login", json={"email": person.email, "password": person.password})
    assert right.status_code == 429


async def test_an_api_token_is_shown_once_and_stops_working_when_revoked(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    person = await world.person()
    await log_in(client, person)  # a signed-in person creates tokens; a token cannot
    created = await client.post("/api/v1/auth/tokens", json={"name": "accounting export"})
    assert created.status_code == 201
    secret = created.json()["token"]
    bearer = {"Authorization": f"Bearer {secret}"}
    assert (await client.get("/api/v1/me", headers=bearer)).status_code == 200
    listing = await client.get("/api/v1/auth/tokens", headers=bearer)
    assert secret not in listing.text
    token_id = created.json()["id"]
    assert (await client.delete(f"/api/v1/auth/tokens/{token_id}", headers=person.headers)).status_code == 204
    assert (await client.get("/api/v1/me", headers=bearer)).status_code == 401


async def test_me_lists_the_tenants_and_roles(client: AsyncTestClient[Litestar], world: World) -> None:
    coop = await world.coop()
    viewer = await world.join(coop, "viewer")
    me = (await client.get("/api/v1/me", headers=viewer.headers)).json()
    assert me["tenants"] == [{"slug": coop.slug, "name": f"Co-op {coop.slug}", "role": "viewer"}]


async def test_the_owner_updates_legal_details_and_bad_iban_is_refused(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    coop = await world.coop()
    good = await client.patch(
        coop.api,
        json={
            "legal_name": "Green Grocers SCOP SARL",
            "vat_id": "FR40303265045",
            "iban": "FR1420041010050500013M02606",
            "bic": "PSSTFRPPLIL",
            "address": {"line1": "3 rue des Halles", "city": "Lyon", "country": "FR"},
        },
        headers=coop.owner.headers,
    )
    assert good.status_code == 200, good.text
    assert good.json()["legal_name"] == "Green Grocers SCOP SARL"
    bad = await client.patch(coop.api, json={"iban": "FR00 1234"}, headers=coop.owner.headers)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "iban"
    assert (await client.get(coop.api, headers=coop.owner.headers)).json()[
        "iban"
    ] == "FR1420041010050500013M02606"
    audit = (
        await client.get(f"{coop.api}/audit", params={"object_type": "tenant"}, headers=coop.owner.headers)
    ).json()
    assert audit["items"][0]["changes"]["legal_name"][1] == "Green Grocers SCOP SARL"


async def test_a_bookkeeper_cannot_change_legal_details(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    coop = await world.coop()
    bookkeeper = await world.join(coop, "bookkeeper")
    answer = await client.patch(coop.api, json={"legal_name": "Hijacked"}, headers=bookkeeper.headers)
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("application/problem+json")


async def test_malformed_json_is_a_problem_not_a_crash(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    coop = await world.coop()
    headers = {**coop.owner.headers, "Content-Type": "application/json"}
    broken = await client.post(f"{coop.api}/parties", content=b'{"kind": "person", "name": ', headers=headers)
    assert broken.status_code in (400, 422)
    assert broken.headers["content-type"].startswith("application/problem+json")
    wrong_type = await client.post(
        f"{coop.api}/parties", json={"kind": "robot", "name": "R2"}, headers=headers
    )
    assert wrong_type.status_code in (400, 422)
    assert wrong_type.json()["type"].endswith("/validation")
    extra = await client.post(
        f"{coop.api}/parties", json={"kind": "person", "name": "A", "tenant_id": "x"}, headers=headers
    )
    assert extra.status_code in (400, 422)


async def test_an_oversized_body_is_refused_with_413(client: AsyncTestClient[Litestar], world: World) -> None:
    coop = await world.coop()
    huge = {"kind": "person", "name": "A", "notes": "x" * 2_000_000}
    answer = await client.post(f"{coop.api}/parties", json=huge, headers=coop.owner.headers)
    assert answer.status_code == 413
    listing = await client.get(f"{coop.api}/parties", headers=coop.owner.headers)
    assert listing.json()["items"] == []


async def test_a_bad_cursor_or_limit_is_a_4xx(client: AsyncTestClient[Litestar], world: World) -> None:
    coop = await world.coop()
    bad_cursor = await client.get(f"{coop.api}/parties", params={"cursor": "%%%"}, headers=coop.owner.headers)
    too_many = await client.get(f"{coop.api}/parties", params={"limit": "5000"}, headers=coop.owner.headers)
    assert bad_cursor.status_code == too_many.status_code == 422


async def test_anonymous_api_calls_get_401_problems(client: AsyncTestClient[Litestar], world: World) -> None:
    coop = await world.coop()
    answer = await client.get(f"{coop.api}/parties")
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")


async def test_a_cookie_session_cannot_post_a_form_to_the_api(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    coop = await world.coop()
    await client.post("/api/v1/auth/login", json={"email": coop.owner.email, "password": coop.owner.password})
    forged = await client.post(f"{coop.api}/parties", data={"kind": "person", "name": "Forged"})
    assert forged.status_code == 415
    listing = await client.get(f"{coop.api}/parties")
    assert listing.json()["items"] == []


async def test_the_openapi_schema_lists_the_core_routes(client: AsyncTestClient[Litestar]) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/api/v1/tenants/{tenant}/parties" in schema["paths"]
    assert "/api/v1/auth/login" in schema["paths"]


def test_production_mode_refuses_the_demo_secret(settings: Settings, registry: ModuleRegistry) -> None:
    unsafe = replace(
        settings, environment="production", secret_key=DEMO_SECRET, base_url="https://coop.example"
    )
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        unsafe.check()
    safe = replace(unsafe, secret_key="k" * 40)
    safe.check()
    assert create_app(safe, registry) is not None


async def test_only_an_owner_can_make_an_owner(client: AsyncTestClient[Litestar], world: World) -> None:
    coop = await world.coop()
    admin = await world.join(coop, "admin")
    newcomer = await world.person()
    by_admin = await client.post(
        f"{coop.api}/users", json={"email": newcomer.email, "role": "owner"}, headers=admin.headers
    )
    assert by_admin.status_code == 403
    by_owner = await client.post(
        f"{coop.api}/users", json={"email": newcomer.email, "role": "owner"}, headers=coop.owner.headers
    )
    assert by_owner.status_code == 200


async def test_over_long_fields_and_forged_cursors_are_4xx(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    coop = await world.coop()
    long_city = await client.post(
        f"{coop.api}/parties",
        headers=coop.owner.headers,
        json={"kind": "person", "name": "A", "address": {"city": "x" * 500}},
    )
    assert long_city.status_code == 422
    assert long_city.json()["errors"][0]["field"] == "address.city"
    import base64
    import json

    forged = base64.urlsafe_b64encode(
        json.dumps([5, "00000000-0000-0000-0000-000000000000"]).encode()
    ).decode()
    answer = await client.get(f"{coop.api}/parties", params={"cursor": forged}, headers=coop.owner.headers)
    assert answer.status_code == 422


async def test_a_client_over_the_rate_limit_gets_429_with_retry_after(
    settings: Settings, registry: ModuleRegistry, world: World
) -> None:
    person = await world.person()
    strict = create_app(replace(settings, rate_limit_per_minute=5), registry)
    async with AsyncTestClient(app=strict) as limited:
        statuses = [(await limited.get("/api/v1/me", headers=person.headers)).status_code for _ in range(7)]
        refused = await limited.get("/api/v1/me", headers=person.headers)
    assert statuses[-1] == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert 0 < int(refused.headers["retry-after"]) <= 60


async def test_the_addresses_of_one_ipv6_network_share_one_rate_limit(
    settings: Settings, registry: ModuleRegistry
) -> None:
    """An IPv6 subscriber holds a whole /64: a new address per request is still the same client."""
    strict = create_app(replace(settings, rate_limit_per_minute=5), registry)
    statuses = []
    for n in range(7):
        transport = httpx.ASGITransport(app=strict, client=(f"2001:db8:77:1:{n:x}::{n + 1:x}", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://coop.test") as client:
            statuses.append((await client.get("/schema/openapi.json")).status_code)
    other = httpx.ASGITransport(app=strict, client=("2001:db8:78::1", 40000))
    async with httpx.AsyncClient(transport=other, base_url="http://coop.test") as client:
        elsewhere = (await client.get("/schema/openapi.json")).status_code
    await strict.state.db.dispose()
    assert statuses[-1] == 429
    assert elsewhere == 200


async def test_a_co_op_time_zone_must_be_a_real_one(client: AsyncTestClient[Litestar], world: World) -> None:
    coop = await world.coop()
    for bad in ("", "Mars/Olympus", "../etc"):
        answer = await client.patch(coop.api, json={"timezone": bad}, headers=coop.owner.headers)
        assert answer.status_code == 422, (bad, answer.text)
    good = await client.patch(coop.api, json={"timezone": "Europe/Brussels"}, headers=coop.owner.headers)
    assert good.json()["timezone"] == "Europe/Brussels"
    assert (await client.get(f"{coop.api}/memberships", headers=coop.owner.headers)).status_code == 200


def raw_post(path: str, token: str, *extra: tuple[bytes, bytes]) -> dict[str, Any]:
    """The ASGI scope of an authenticated JSON POST, for tests that feed the body themselves."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"coop.test"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"application/json"),
            *extra,
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("coop.test", 80),
        "state": {},
    }


async def test_a_slow_upload_holds_no_database_connection(app: Litestar, world: World) -> None:
    """The user is looked up before the body arrives; no connection (nor SQLite's write lock) is held
    while a client is still sending it."""
    coop = await world.coop()
    body = json.dumps({"kind": "person", "name": "Slow Sender"}).encode()
    arrived = asyncio.Event()
    messages: list[Any] = []

    async def receive() -> Any:
        await arrived.wait()
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Any) -> None:
        messages.append(message)

    scope = raw_post(f"{coop.api}/parties", coop.owner.token, (b"content-length", str(len(body)).encode()))
    pool = app.state.db.write_engine.pool
    try:
        request = asyncio.create_task(app(scope, receive, send))
        await asyncio.sleep(0.3)  # authenticated by now, and waiting for the body
        assert not request.done()
        assert pool.checkedout() == 0
        arrived.set()
        await request
        assert pool.checkedout() == 0  # closed before the answer went out
    finally:
        await app.state.db.dispose()
    assert messages[0]["status"] == 201
    assert json.loads(b"".join(m.get("body", b"") for m in messages[1:]))["name"] == "Slow Sender"


async def test_static_files_cost_a_logged_in_browser_no_query(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engines = {app.state.db.read_engine.sync_engine, app.state.db.write_engine.sync_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        answer = await client.get(
            "/static/htmx.min.js", headers={"Cookie": "coop_session=some-session-token"}
        )
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
    assert answer.status_code == 200 and "htmx" in answer.text
    assert statements == []


async def test_a_chunked_body_past_the_limit_is_refused_with_413(app: Litestar, world: World) -> None:
    """No declared length: the limit holds on what arrives, before anything is looked up or written."""
    coop = await world.coop()
    chunk = b"x" * 700_000
    parts = [
        {"type": "http.request", "body": b'{"kind": "person", "name": "A", "notes": "', "more_body": True},
        {"type": "http.request", "body": chunk, "more_body": True},
        {"type": "http.request", "body": chunk, "more_body": True},
        {"type": "http.request", "body": b'"}', "more_body": False},
    ]
    messages: list[Any] = []

    async def receive() -> Any:
        return parts.pop(0) if parts else {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        messages.append(message)

    scope = raw_post(f"{coop.api}/parties", coop.owner.token, (b"transfer-encoding", b"chunked"))
    try:
        await app(scope, receive, send)
    finally:
        await app.state.db.dispose()
    assert messages[0]["status"] == 413
    assert b"body-too-large" in messages[1]["body"]


async def test_a_request_that_gets_no_database_connection_in_time_is_a_503_and_writes_nothing(
    settings: Settings, registry: ModuleRegistry, world: World
) -> None:
    """With every writing connection taken (on SQLite the one writer a process has; writers queue for
    it), a change waits ``database_wait_seconds`` and is then told to retry: a 503 with Retry-After,
    nothing written, never a 500."""
    coop = await world.coop()
    app = create_app(replace(settings, database_wait_seconds=0.5), registry)
    database = app.state.db
    taken = 1 if database.is_sqlite else 20  # the writer's pool: 1 on SQLite, 10 + 10 overflow here
    body = {"kind": "organisation", "name": "Late Bakery SCOP"}
    async with same_loop_client(app) as client:  # the app on the loop of the connections held here
        held = [await database.write_engine.connect() for _ in range(taken)]
        try:
            answer = await client.post(f"{coop.api}/parties", json=body, headers=coop.owner.headers)
        finally:
            for connection in held:
                await connection.close()
        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"] == "1"
        assert answer.json()["detail"] == "the database is busy; retry shortly"
        listed = await client.get(
            f"{coop.api}/parties", params={"q": "Late Bakery"}, headers=coop.owner.headers
        )
        assert listed.status_code == 200
        assert body["name"] not in [party["name"] for party in listed.json()["items"]]
        # Once a connection is free again, the same change goes through.
        again = await client.post(f"{coop.api}/parties", json=body, headers=coop.owner.headers)
        assert again.status_code == 201, again.text


@pytest.mark.parametrize(("raw", "seconds"), [("2.5", 2.5), ("45", 45.0), ("", 30.0)])
def test_the_database_wait_is_read_in_seconds(
    monkeypatch: pytest.MonkeyPatch, raw: str, seconds: float
) -> None:
    monkeypatch.setenv("COOPSTACK_DATABASE_WAIT_SECONDS", raw)
    assert Settings.from_env().database_wait_seconds == seconds


@pytest.mark.parametrize("raw", ["0", "-1", "soon", "inf", "nan"])
def test_a_database_wait_that_is_not_a_positive_time_is_refused(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv("COOPSTACK_DATABASE_WAIT_SECONDS", raw)
    with pytest.raises(SettingsError, match="COOPSTACK_DATABASE_WAIT_SECONDS must be a number of seconds"):
        Settings.from_env()


async def test_a_value_the_database_cannot_compare_is_a_422_not_a_500(
    client: AsyncTestClient[Litestar], world: World, database_url: str
) -> None:
    """PostgreSQL refuses a NUL character in any text it is given, a search term included; that is
    the request's fault (422). SQLite compares it like any character."""
    coop = await world.coop()
    answer = await client.get(f"{coop.api}/parties", params={"q": "a\x00b"}, headers=coop.owner.headers)
    if database_url.startswith("sqlite"):
        assert answer.status_code == 200, answer.text
    else:
        assert answer.status_code == 422, answer.text
        assert answer.json()["type"].endswith("/validation")


async def test_requests_go_on_when_the_database_server_drops_its_connections(
    settings: Settings, registry: ModuleRegistry, world: World, database_url: str
) -> None:
    """PostgreSQL restarted, or an administrator ended the install's sessions: the pooled
    connections are dead. The next requests get fresh ones instead of failing, whether the server
    noticed the drop before the request came (the pool replaces the connection at checkout) or not
    (the request's first statement fails, and is repeated on a new connection)."""
    if database_url.startswith("sqlite"):
        pytest.skip("an embedded database has no server to drop connections")
    coop = await world.coop()
    app = create_app(settings, registry)
    engine = app.state.db.write_engine
    admin = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)

    async def drop_pooled_connections() -> None:
        held = [await engine.connect() for _ in range(3)]  # the pool now holds these three
        pids = [await connection.scalar(text("SELECT pg_backend_pid()")) for connection in held]
        for connection in held:
            await connection.close()  # back to the pool, alive as far as it knows
        with psycopg.connect(admin, autocommit=True) as conn:
            for pid in pids:
                assert conn.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)

    async with same_loop_client(app) as client:
        await drop_pooled_connections()
        body = {"kind": "organisation", "name": "After Restart SCOP"}
        created = await client.post(f"{coop.api}/parties", json=body, headers=coop.owner.headers)
        assert created.status_code == 201, created.text

        await drop_pooled_connections()
        await asyncio.sleep(0.2)  # the server's goodbye reaches the event loop
        listed = await asyncio.gather(
            *(client.get(f"{coop.api}/parties", headers=coop.owner.headers) for _ in range(4))
        )
        assert [answer.status_code for answer in listed] == [200] * 4
        assert body["name"] in [party["name"] for party in listed[0].json()["items"]]

        await drop_pooled_connections()
        await asyncio.sleep(0.2)
        login = await client.post(  # no user yet: nothing to retry, the pool must hand out a live one
            "/api/v1/auth/login", json={"email": coop.owner.email, "password": coop.owner.password}
        )
        assert login.status_code == 200, login.text


async def test_a_connection_left_idle_is_checked_before_use(database_url: str) -> None:
    """A connection that sat idle in the pool may have been dropped without a word (a firewall, a
    network change): after ``idle_ping`` seconds it is checked with a round trip, and replaced."""
    if database_url.startswith("sqlite"):
        pytest.skip("an embedded database has no connection to lose")
    database = Database(database_url, idle_ping=0)
    admin = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        async with database.transaction() as session:
            pid = await session.scalar(text("SELECT pg_backend_pid()"))
        with psycopg.connect(admin, autocommit=True) as conn:
            assert conn.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
        async with database.transaction() as session:  # at once: the event loop has not seen it go
            assert await session.scalar(text("SELECT pg_backend_pid()")) != pid
    finally:
        await database.dispose()


async def test_the_server_log_keeps_pdf_rendering_steps_out(client: AsyncTestClient[Litestar]) -> None:
    """WeasyPrint reports each of a PDF's rendering steps at INFO; a busy server's log would be mostly
    that. Its warnings still come through."""
    assert (await client.get("/healthz")).status_code == 200  # the app has started and set up its log
    renderer = logging.getLogger("weasyprint.progress")
    assert not renderer.isEnabledFor(logging.INFO)
    assert renderer.isEnabledFor(logging.WARNING)
    assert logging.getLogger("coopstack.scheduler").isEnabledFor(logging.INFO)
