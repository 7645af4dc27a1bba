"""What one request may do to customer data, as the mapping engine reads it."""

from dataclasses import dataclass

from .choices import MatchingStrategy, ReferenceOrigin

# Only a person's decision counts under ManualOnly.
CONFIRMED_ORIGINS = (ReferenceOrigin.REVIEW, ReferenceOrigin.ADMIN)


@dataclass(frozen=True)
class MappingPolicy:
    """What this request may do: the key's scopes narrowed by the client's policies (made by
    `inbound.policy.mapping_policy`)."""

    source_system: str
    strategy: str
    can_map: bool
    can_create_customer: bool
    can_update_customer: bool
    can_create_location: bool
    can_update_location: bool
    can_create_contact: bool
    can_update_contact: bool
    match_by_customer_number: bool = False
    match_by_name_and_address: bool = False
    name_match_threshold: float = 0.92
    name_match_margin: float = 0.08

    @property
    def manual_only(self) -> bool:
        return self.strategy == MatchingStrategy.MANUAL_ONLY

    @property
    def external_id_only(self) -> bool:
        return self.strategy in (MatchingStrategy.EXTERNAL_ID_ONLY, MatchingStrategy.MANUAL_ONLY)
