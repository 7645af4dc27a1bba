"""The fields of each record an import sends and the engine writes (the review queue shows and
applies the same ones)."""

CUSTOMER_FIELDS = ("customer_number", "name", "type", "industry", "email", "phone", "website")
LOCATION_FIELDS = (
    "name",
    "type",
    "street",
    "postal_code",
    "city",
    "region",
    "country",
    "latitude",
    "longitude",
    "default_estimated_work_minutes",
    "default_priority",
    "access_notes",
    "parking_notes",
)
CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "display_name",
    "role",
    "department",
    "email",
    "phone",
    "mobile",
    "preferred_contact_method",
)
