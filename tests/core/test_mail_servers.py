"""The mail servers a tenant may name, and how the operator widens that."""

from __future__ import annotations

import socket
from dataclasses import replace
from ipaddress import ip_address, ip_network
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from core.mail import build_message, send, smtp_config
from core.mail_servers import ServerRefused, is_reachable_address, safe_address
from core.settings import SMTP_PORTS, Settings, SettingsError

INSIDE = (
    "10.1.2.3",
    "172.16.0.1",
    "192.168.0.1",
    "127.0.0.1",
    "169.254.169.254",
    "100.64.0.1",
    "224.0.0.251",
    "0.0.0.0",  # noqa: S104 - an address a tenant names, not one this binds to
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fd00:ec2::254",
    "ff02::1",
    "::ffff:10.0.0.5",
    "64:ff9b::a00:5",
    "2002:a00:5::1",
)


@pytest.mark.parametrize("address", INSIDE)
def test_no_address_inside_a_network_is_a_tenants_mail_server(address: str) -> None:
    assert not is_reachable_address(ip_address(address), Settings())


def test_public_addresses_are_and_operators_may_allow_a_relay_but_never_metadata() -> None:
    assert is_reachable_address(ip_address("198.41.0.4"), Settings())
    assert is_reachable_address(ip_address("2001:4860:4860::8888"), Settings())
    relay = Settings(smtp_allowed_networks=(ip_network("10.0.5.0/24"), ip_network("169.254.0.0/16")))
    assert is_reachable_address(ip_address("10.0.5.7"), relay)
    assert not is_reachable_address(ip_address("10.0.6.7"), relay)
    assert not is_reachable_address(ip_address("169.254.169.254"), relay)


async def test_a_connection_goes_to_the_checked_address_of_an_allowed_port() -> None:
    assert await safe_address("198.41.0.4", 587, Settings()) == "198.41.0.4"
    for host, port in (("198.41.0.4", 22), ("127.0.0.1", 25), ("localhost", 25)):
        with pytest.raises(ServerRefused):
            await safe_address(host, port, Settings())


def test_the_operator_sets_ports_and_ranges_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings.from_env().smtp_allowed_ports == SMTP_PORTS
    assert Settings.from_env().smtp_allowed_networks == ()
    monkeypatch.setenv("COOPSTACK_SMTP_ALLOWED_PORTS", "25, 2525-2527")
    monkeypatch.setenv("COOPSTACK_SMTP_ALLOWED_NETWORKS", "10.0.5.0/24, fd12::/64")
    monkeypatch.setenv("COOPSTACK_MAIL_PER_HOUR", "50")
    found = Settings.from_env()
    assert found.smtp_allowed_ports == {25, 2525, 2526, 2527}
    assert found.smtp_allowed_networks == (ip_network("10.0.5.0/24"), ip_network("fd12::/64"))
    assert (found.mail_per_hour, found.mail_per_day) == (50, 1000)
    for name, value in (
        ("COOPSTACK_SMTP_ALLOWED_PORTS", "smtp"),
        ("COOPSTACK_SMTP_ALLOWED_PORTS", "0-70000"),
        ("COOPSTACK_SMTP_ALLOWED_NETWORKS", "the office"),
    ):
        monkeypatch.setenv(name, value)
        with pytest.raises(SettingsError):
            Settings.from_env()
        monkeypatch.delenv(name)


class Inbox:
    def __init__(self) -> None:
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


async def test_the_connection_goes_to_the_address_that_was_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """A name that answers a checked address first and an inside one next (DNS rebinding) is not
    resolved a second time: the mail goes to the address that was checked."""
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    real = socket.getaddrinfo
    answers = iter(["127.0.0.1", "10.255.255.1"])

    def rebinding(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "mail.rebind.test":
            return real(next(answers, "10.255.255.1"), *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    rules = Settings(smtp_allowed_networks=(ip_network("127.0.0.0/8"),), smtp_allowed_ports=frozenset({port}))
    config = smtp_config(rules, {"host": "mail.rebind.test", "port": port, "sender": "b@coop.example"})
    message = build_message(sender=config.sender, to=["a@grocers.example"], subject="Hello", text="Hi")
    try:
        await send(replace(config, timeout=3), message)
    finally:
        server.stop()
    assert inbox.recipients == [["a@grocers.example"]]
