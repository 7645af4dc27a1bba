from django.db import models


class MatchingStrategy(models.TextChoices):
    """How an integration client's customer context is mapped (SPEC §4); never rename a value."""

    EXTERNAL_ID_ONLY = "ExternalIdOnly"
    EXTERNAL_ID_FIRST = "ExternalIdFirst"
    EXTERNAL_ID_THEN_CUSTOMER_NUMBER = "ExternalIdThenCustomerNumber"
    EXTERNAL_ID_THEN_NAME_AND_ADDRESS = "ExternalIdThenNameAndAddress"
    MANUAL_ONLY = "ManualOnly"


class ExternalType(models.TextChoices):
    """The records of the customer context a reference can point at. A target's external ID is
    the target's own (inbound.Target.external_id)."""

    CUSTOMER = "Customer"
    LOCATION = "Location"
    CONTACT = "Contact"


class ReferenceOrigin(models.TextChoices):
    """How a reference came to be: learnt in an import, confirmed in review, or set by an admin."""

    IMPORT = "Import"
    REVIEW = "Review"
    ADMIN = "Admin"


class MappingStatus(models.TextChoices):
    NOT_APPLICABLE = "NotApplicable"
    MAPPED = "Mapped"
    CREATED = "Created"
    UPDATED = "Updated"
    WARNING = "Warning"
    FAILED = "Failed"
    SKIPPED = "Skipped"


class MappingWarning(models.TextChoices):
    """Codes in `customerMapping.warnings`; each is documented in docs/mapping.md."""

    AMBIGUOUS_CUSTOMER_MATCH = "AmbiguousCustomerMatch"
    AMBIGUOUS_LOCATION_MATCH = "AmbiguousLocationMatch"
    LOCATION_MISSING_COORDINATES = "LocationMissingCoordinates"
    CONTACT_AUTO_CREATE_DISABLED = "ContactAutoCreateDisabled"
    LOCATION_CUSTOMER_MISMATCH = "LocationCustomerMismatch"
    CONTACT_CUSTOMER_MISMATCH = "ContactCustomerMismatch"
    CUSTOMER_NUMBER_CONFLICT = "CustomerNumberConflict"
    CUSTOMER_MAPPING_SCOPE_MISSING = "CustomerMappingScopeMissing"
    CUSTOMER_NOT_FOUND = "CustomerNotFound"
    LOCATION_AUTO_CREATE_DISABLED = "LocationAutoCreateDisabled"
    MANUAL_MAPPING_REQUIRED = "ManualMappingRequired"


class MatchMethod(models.TextChoices):
    """How one record of an item was decided."""

    EXTERNAL_ID = "ExternalId"
    CUSTOMER_NUMBER = "CustomerNumber"
    NAME_AND_ADDRESS = "NameAndAddress"
    EMAIL = "Email"
    VIA_LOCATION = "ViaLocation"
    VIA_CONTACT = "ViaContact"
    REVIEW = "Review"
    CREATED = "Created"
    NONE = "None"


class RecordAction(models.TextChoices):
    MAPPED = "Mapped"
    CREATED = "Created"
    UPDATED = "Updated"
    NOT_LINKED = "NotLinked"


class FrequencyKind(models.TextChoices):
    """What a NameFrequency row counts among a tenant's private customers."""

    PERSONS = "persons"  # all of them (one row, value "")
    WORD = "word"  # bearers of a name word (given or family name)
    KEY = "key"  # bearers of a name word with this Kölner Phonetik key
    POSTAL_CODE = "postal"  # customers with a location in this postal code (normalized)
