"""SSRF guard of webhook URLs (SPEC §7): only https (unless WEBHOOK_ALLOW_HTTP), and every address
a host resolves to must be global (unless inside WEBHOOK_ALLOWED_NETWORKS). Checked when an
endpoint is saved (`url_check`) and before every attempt (`addresses_checked`, whose addresses
the delivery then connects to, so that DNS cannot answer differently in between)."""

import functools
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

type IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
type IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Not global, although Python's is_global says so for some of them (or has no name for them).
CGNAT = ipaddress.ip_network("100.64.0.0/10")
NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")  # embeds an IPv4 address
NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: site-local translators
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d
PRIVATE_IPV4 = tuple(
    ipaddress.ip_network(cidr) for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")


class WebhookUrlRefused(ValueError):
    """The URL may not be called; the message says why, for the admin and the command."""


class WebhookHostUnresolved(WebhookUrlRefused):
    """The URL's host name did not resolve (or resolved to nothing)."""


@dataclass(frozen=True, slots=True)
class UrlTarget:
    """What a webhook URL points at: `host` as written (IDNA-encoded, brackets removed)."""

    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default_port = 443 if self.scheme == "https" else 80
        return host if self.port == default_port else f"{host}:{self.port}"


def url_target(url: str) -> UrlTarget:
    """The parts of `url` a delivery needs, with its scheme, host, userinfo and port checked
    (no resolution). Raises WebhookUrlRefused."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise WebhookUrlRefused(f"The URL is not valid: {exc}.") from None
    scheme = parts.scheme.lower()
    allowed = ("https", "http") if settings.WEBHOOK_ALLOW_HTTP else ("https",)
    if scheme not in allowed:
        raise WebhookUrlRefused(
            "Only https URLs are allowed."
            if scheme == "http"
            else f"The URL must start with {' or '.join(f'{s}://' for s in allowed)}."
        )
    if parts.username is not None or parts.password is not None:
        raise WebhookUrlRefused("The URL may not contain a user name or password.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise WebhookUrlRefused("The URL has no host.")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise WebhookUrlRefused(f"The host name {host!r} is not valid.") from None
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return UrlTarget(
        scheme=scheme,
        host=host,
        port=port or (443 if scheme == "https" else 80),
        path=path,
    )


def url_check(url: str) -> None:
    """Refuse a URL an endpoint may not have: scheme, userinfo, a host that does not resolve or
    resolves to a refused address. Raises WebhookUrlRefused."""
    target = url_target(url)
    addresses_checked(target.host, target.port)


def addresses_checked(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, each checked (an IP literal is not resolved). Raises
    WebhookUrlRefused when any of them is refused: a name that resolves to one private address
    among public ones is refused whole, since a client may pick any of them."""
    literal = _ip_literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise WebhookHostUnresolved(f"The host {host} could not be resolved ({exc}).") from None
        addresses = []
        for _family, _type, _proto, _canonname, sockaddr in infos:
            address = _ip_literal(str(sockaddr[0]))
            if address is not None and address not in addresses:
                addresses.append(address)
        if not addresses:
            raise WebhookHostUnresolved(f"The host {host} resolved to no address.")
    for address in addresses:
        reason = address_refusal(address)
        if reason:
            named = (
                f"The host {host} resolves to {address}"
                if literal is None
                else (f"The address {address}")
            )
            raise WebhookUrlRefused(
                f"{named}, {reason}; webhooks go only to public addresses "
                "(WEBHOOK_ALLOWED_NETWORKS can allow a network)."
            )
    return [str(address) for address in addresses]


def address_refusal(address: IpAddress) -> str | None:
    """Why `address` may not be called, or None when it may."""
    if _allowed(address):
        return None
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            form, ipv4 = embedded
            if _allowed(ipv4):
                return None
            reason = _ipv4_refusal(ipv4)
            return f"{form} form of {ipv4}, {reason}" if reason else None
        if address in NAT64_LOCAL_USE:
            return "a local-use NAT64 address"
        return _ipv6_refusal(address)
    return _ipv4_refusal(address)


def _ipv4_refusal(address: ipaddress.IPv4Address) -> str | None:
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address (cloud metadata services live there)"
    if address in CGNAT:
        return "a shared (carrier-grade NAT) address"
    if address.is_multicast:
        return "a multicast address"
    if any(address in network for network in PRIVATE_IPV4):
        return "a private address"
    if address.is_reserved or address == ipaddress.IPv4Address("255.255.255.255"):
        return "a reserved address"
    if not address.is_global:
        return "a special-purpose address, not a public one"
    return None


def _ipv6_refusal(address: ipaddress.IPv6Address) -> str | None:
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_site_local:
        return "a site-local address"
    if address in UNIQUE_LOCAL:
        return "a unique-local (private) address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved:
        return "a reserved address"
    if not address.is_global:
        return "a special-purpose address, not a public one"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv6 form carries (and the form's name), for the forms a connection
    may end up at that IPv4 address through: mapped, compatible, 6to4, Teredo, NAT64."""
    if address.ipv4_mapped is not None:
        return "the IPv4-mapped", address.ipv4_mapped
    if address.sixtofour is not None:
        return "the 6to4", address.sixtofour
    if address.teredo is not None:
        return "the Teredo", address.teredo[1]
    if address in NAT64_WELL_KNOWN:
        return "the NAT64", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in IPV4_COMPATIBLE and int(address) > 0xFFFF:  # not ::, ::1 (their own classes)
        return "the IPv4-compatible", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _ip_literal(host: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _allowed(address: IpAddress) -> bool:
    networks = _allowed_networks(tuple(settings.WEBHOOK_ALLOWED_NETWORKS))
    return any(address.version == net.version and address in net for net in networks)


@functools.cache
def _allowed_networks(cidrs: tuple[str, ...]) -> tuple[IpNetwork, ...]:
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs if cidr)
