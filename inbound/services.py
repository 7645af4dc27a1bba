"""Writes of integration clients and their API keys."""

from datetime import datetime

from django.db import IntegrityError, transaction

from tenants.models import Tenant

from .choices import MatchingStrategy, Scope
from .models import ApiKey, IntegrationClient

# What a key gets when nobody says otherwise: everything but the legacy alias.
DEFAULT_SCOPES = (
    Scope.TARGETS_WRITE,
    Scope.TARGETS_BATCH_WRITE,
    Scope.CUSTOMERS_MAP,
    Scope.CUSTOMERS_WRITE,
    Scope.CUSTOMERS_READ,
)


class IntegrationClientExists(Exception):
    pass


def integration_client_create(
    *,
    tenant: Tenant,
    name: str,
    source_system: str,
    strategy: MatchingStrategy = MatchingStrategy.EXTERNAL_ID_FIRST,
    allow_contact_create: bool = False,
    customer_number_fallback: bool = False,
) -> IntegrationClient:
    try:
        with transaction.atomic():
            return IntegrationClient.objects.create(
                tenant=tenant,
                name=name,
                source_system=source_system,
                strategy=strategy,
                allow_contact_create=allow_contact_create,
                customer_number_fallback=customer_number_fallback,
            )
    except IntegrityError as exc:
        raise IntegrationClientExists(
            f"Tenant {tenant.slug!r} already has a client named {name!r} "
            f"or one for source system {source_system!r}."
        ) from exc


def api_key_issue(
    *,
    client: IntegrationClient,
    name: str,
    scopes: list[str] | tuple[str, ...] = DEFAULT_SCOPES,
    expiry_date: datetime | None = None,
) -> tuple[ApiKey, str]:
    """Issue a key; returns the stored key and the plaintext, which is never stored."""
    unknown = ApiKey.unknown_scopes(scopes)
    if unknown:
        raise ValueError(f"Unknown scopes: {', '.join(unknown)}")
    return ApiKey.objects.create_key(
        client=client, name=name[:50], scopes=sorted(set(scopes)), expiry_date=expiry_date
    )


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    api_key.revoked = True
    api_key.save(update_fields=["revoked"])
    return api_key
