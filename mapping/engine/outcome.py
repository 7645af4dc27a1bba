"""What the engine takes and gives per item: the incoming context, and its outcome (status,
records, warnings, and the decisions as the API presents them)."""

from dataclasses import dataclass, field
from typing import Any

from customers.models import Contact, Customer, Location

from ..choices import MappingStatus, RecordAction


@dataclass
class IncomingContext:
    """The customer, location and contact blocks of one item, validated, keyed by model field
    (plus `external_id`); absent fields are absent keys."""

    customer: dict[str, Any] | None = None
    location: dict[str, Any] | None = None
    contact: dict[str, Any] | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.customer or self.location or self.contact)


@dataclass
class MappingOutcome:
    status: str = MappingStatus.NOT_APPLICABLE
    customer: Customer | None = None
    location: Location | None = None
    contact: Contact | None = None
    warnings: list[str] = field(default_factory=list)
    decisions: dict[str, dict[str, Any]] = field(default_factory=dict)
    candidates: list[dict[str, Any]] = field(default_factory=list)
    actions: set[str] = field(default_factory=set)
    # Left undecided on purpose: several candidates fit (AmbiguousCustomerMatch).
    ambiguous: bool = False

    def warn(self, code: str) -> None:
        if code not in self.warnings:
            self.warnings.append(code)

    def decide(self, record: str, *, method: str, action: str, instance=None, **extra) -> None:
        self.decisions[record] = {
            "method": method,
            "action": action,
            "recordId": None,
            "instance": instance,
            **extra,
        }
        if action in (RecordAction.CREATED, RecordAction.UPDATED):
            self.actions.add(action)

    def decisions_as_json(self) -> dict[str, dict[str, Any]]:
        """Decisions with the ids of records that only got one when the batch was written."""
        result = {}
        for record, decision in self.decisions.items():
            data = {k: v for k, v in decision.items() if k != "instance"}
            if decision.get("instance") is not None:
                data["recordId"] = decision["instance"].pk
            result[record] = data
        return result
