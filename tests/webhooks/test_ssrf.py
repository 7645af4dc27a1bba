"""The SSRF guard (SPEC §7): https only unless allowed, every resolved address checked, each
non-public class refused unless WEBHOOK_ALLOWED_NETWORKS allows it."""

import socket

import pytest
from django.test import override_settings

from webhooks.ssrf import (
    WebhookHostUnresolved,
    WebhookUrlRefused,
    addresses_checked,
    url_check,
    url_target,
)

# Production's defaults: nothing but public addresses (the test settings allow loopback).
strict = override_settings(WEBHOOK_ALLOW_HTTP=False, WEBHOOK_ALLOWED_NETWORKS=[])


@pytest.fixture
def dns(monkeypatch):
    """socket.getaddrinfo answering from a table (host -> addresses); lookups are counted."""
    table: dict[str, list[str]] = {}
    lookups: list[str] = []

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        lookups.append(host)
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (a, port, 0, 0) if ":" in a else (a, port),
            )
            for a in table[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return type("Dns", (), {"table": table, "lookups": lookups})


@strict
@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.254", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata
        ("169.254.1.1", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("100.127.255.254", "carrier-grade NAT"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 (an address under test, not a bind)
        ("192.0.2.10", "special-purpose"),  # documentation
        ("198.18.0.1", "special-purpose"),  # benchmarking
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fc00::1", "unique-local"),
        ("fd12:3456::1", "unique-local"),
        ("fe80::1", "link-local"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "IPv4-mapped form of 127.0.0.1, a loopback"),
        ("::ffff:10.0.0.1", "IPv4-mapped form of 10.0.0.1, a private"),
        ("::ffff:169.254.169.254", "IPv4-mapped form of 169.254.169.254, a link-local"),
        ("::ffff:100.64.0.1", "IPv4-mapped form of 100.64.0.1, a shared"),
        ("2002:a00:1::1", "6to4 form of 10.0.0.1"),
        ("64:ff9b::7f00:1", "NAT64 form of 127.0.0.1"),
        ("64:ff9b:1::1", "local-use NAT64"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo form of 192.0.2.45"),
        ("2001:db8::1", "special-purpose"),  # documentation
    ],
)
def test_every_non_public_address_class_is_refused(address, reason, dns):
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(WebhookUrlRefused, match=reason):
        url_check(f"https://{host}/hook")
    assert dns.lookups == []  # an IP literal is checked as it is, without DNS


@strict
@pytest.mark.parametrize(
    "address", ["8.8.8.8", "93.184.216.34", "2001:4860:4860::8888", "::ffff:8.8.8.8"]
)
def test_a_public_address_is_allowed_without_a_lookup(address, dns):
    host = f"[{address}]" if ":" in address else address
    url_check(f"https://{host}/hook")
    assert addresses_checked(address, 443) == [address]
    assert dns.lookups == []


@strict
def test_a_name_resolving_to_a_private_address_is_refused(dns):
    dns.table["hooks.example.com"] = ["10.0.0.5"]
    with pytest.raises(WebhookUrlRefused, match=r"hooks\.example\.com resolves to 10\.0\.0\.5"):
        url_check("https://hooks.example.com/in")


@strict
def test_a_name_with_one_private_address_among_public_ones_is_refused(dns):
    dns.table["mixed.example.com"] = ["93.184.216.34", "2001:4860:4860::8888", "fd00::7"]
    with pytest.raises(WebhookUrlRefused, match="fd00::7, a unique-local"):
        addresses_checked("mixed.example.com", 443)


@strict
def test_a_name_resolving_to_public_addresses_gives_them_all(dns):
    dns.table["hooks.example.com"] = ["93.184.216.34", "93.184.216.34", "2001:4860:4860::8888"]
    assert addresses_checked("hooks.example.com", 443) == ["93.184.216.34", "2001:4860:4860::8888"]
    url_check("https://hooks.example.com:8443/in?x=1")


@strict
def test_a_name_that_does_not_resolve_is_refused(dns):
    with pytest.raises(WebhookHostUnresolved, match="could not be resolved"):
        url_check("https://nowhere.example.com/")


@strict
@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "127.1", "0177.0.0.1"])
def test_other_spellings_of_loopback_are_refused(host):
    # Not IP literals to Python, but the resolver reads them as 127.0.0.1 (and so would a
    # connection): the resolved address is what is checked.
    with pytest.raises(WebhookUrlRefused, match="loopback"):
        url_check(f"https://{host}/")


@strict
@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://93.184.216.34/hook", "Only https URLs"),
        ("ftp://93.184.216.34/hook", "must start with https://"),
        ("file:///etc/passwd", "must start with https://"),
        ("https://user:pw@93.184.216.34/hook", "user name or password"),
        ("https://user@93.184.216.34/hook", "user name or password"),
        ("https:///hook", "no host"),
        ("https://93.184.216.34:99999/", "not valid"),
    ],
)
def test_url_form_is_checked(url, reason):
    with pytest.raises(WebhookUrlRefused, match=reason):
        url_check(url)


@override_settings(WEBHOOK_ALLOW_HTTP=True, WEBHOOK_ALLOWED_NETWORKS=[])
def test_http_is_allowed_when_configured():
    url_check("http://93.184.216.34/hook")
    with pytest.raises(WebhookUrlRefused, match="https:// or http://"):
        url_check("gopher://93.184.216.34/")


@override_settings(WEBHOOK_ALLOW_HTTP=False, WEBHOOK_ALLOWED_NETWORKS=["10.20.0.0/16", "fd00::/8"])
def test_allowed_networks_let_their_addresses_through(dns):
    dns.table["internal.corp"] = ["10.20.3.4"]
    assert addresses_checked("internal.corp", 443) == ["10.20.3.4"]
    url_check("https://[fd00::1]/hook")
    url_check("https://[::ffff:10.20.0.9]/hook")  # the mapped form of an allowed address
    with pytest.raises(WebhookUrlRefused, match="private"):
        url_check("https://10.21.0.1/hook")  # outside the allowed network
    with pytest.raises(WebhookUrlRefused, match="loopback"):
        url_check("https://127.0.0.1/hook")


def test_url_target_keeps_path_query_and_port_and_encodes_the_host():
    target = url_target("https://Bücher.example/in/hook?a=1&b=2")
    assert (target.scheme, target.host, target.port, target.path) == (
        "https",
        "xn--bcher-kva.example",
        443,
        "/in/hook?a=1&b=2",
    )
    assert target.host_header == "xn--bcher-kva.example"
    v6 = url_target("http://[2001:db8::1]:8080")
    assert (v6.host, v6.port, v6.path, v6.host_header) == (
        "2001:db8::1",
        8080,
        "/",
        "[2001:db8::1]:8080",
    )
