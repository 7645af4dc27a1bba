"""What one import request may do to customer data: its API key's scopes, narrowed by its
integration client's policies, as the mapping engine's `MappingPolicy`."""

from collections.abc import Iterable

from mapping.choices import MatchingStrategy
from mapping.policy import MappingPolicy

from .choices import Scope
from .models import IntegrationClient


def mapping_policy(*, client: IntegrationClient, scopes: Iterable[str]) -> MappingPolicy:
    """The policy of a request by a key with `scopes` of `client`."""
    scopes = set(scopes)
    can_write = Scope.CUSTOMERS_WRITE in scopes
    update = can_write and client.allow_customer_update
    return MappingPolicy(
        source_system=client.source_system,
        strategy=client.strategy,
        can_map=Scope.CUSTOMERS_MAP in scopes,
        can_create_customer=can_write and client.allow_customer_create,
        can_update_customer=update,
        can_create_location=can_write and client.allow_location_create,
        can_update_location=update,
        can_create_contact=can_write and client.allow_contact_create,
        can_update_contact=update,
        match_by_customer_number=(
            client.strategy == MatchingStrategy.EXTERNAL_ID_THEN_CUSTOMER_NUMBER
            or (
                client.strategy == MatchingStrategy.EXTERNAL_ID_FIRST
                and client.customer_number_fallback
            )
        ),
        match_by_name_and_address=(
            client.strategy == MatchingStrategy.EXTERNAL_ID_THEN_NAME_AND_ADDRESS
        ),
        name_match_threshold=client.name_match_threshold,
        name_match_margin=client.name_match_margin,
    )
