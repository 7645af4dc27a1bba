"""SSRF guard of webhook URLs (SPEC §7). (Built by the delivery work of issue #14.)"""


class WebhookUrlRefused(ValueError):
    """The URL may not be called; the message says why, for the admin and the command."""


def url_check(url: str) -> None:
    """Refuse a URL an endpoint may not have: scheme, host resolving to a refused address.
    Raises WebhookUrlRefused."""
