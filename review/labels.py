"""The words the dispatcher pages show for stored values (field names, statuses, states,
actions), translatable. Stored values and API codes themselves stay English."""

from django.utils.translation import gettext_lazy as _

FIELD_LABELS = {
    "customer_number": _("customer number"),
    "name": _("name"),
    "type": _("type"),
    "industry": _("industry"),
    "email": _("e-mail"),
    "phone": _("phone"),
    "website": _("website"),
    "street": _("street"),
    "postal_code": _("postal code"),
    "city": _("city"),
    "region": _("region"),
    "country": _("country"),
    "latitude": _("latitude"),
    "longitude": _("longitude"),
    "default_estimated_work_minutes": _("default work minutes"),
    "default_priority": _("default priority"),
    "access_notes": _("access notes"),
    "parking_notes": _("parking notes"),
    "first_name": _("first name"),
    "last_name": _("last name"),
    "display_name": _("display name"),
    "role": _("role"),
    "department": _("department"),
    "mobile": _("mobile"),
    "preferred_contact_method": _("preferred contact method"),
}

RECORD_LABELS = {"customer": _("Customer"), "location": _("Location"), "contact": _("Contact")}

# Mapping statuses, review states and review actions as the pages show them.
VALUE_LABELS = {
    "Warning": _("Warning"),
    "Failed": _("Failed"),
    "Skipped": _("Skipped"),
    "Mapped": _("Mapped"),
    "Created": _("Created"),
    "Updated": _("Updated"),
    "NotApplicable": _("Not applicable"),
    "Open": _("Open"),
    "Resolved": _("Resolved"),
    "Dismissed": _("Dismissed"),
    "NotNeeded": _("Not needed"),
    "Link": _("Link"),
    "Create": _("Create"),
    "Dismiss": _("Dismiss"),
    "Undo": _("Undo"),
    "Merge": _("Merge"),
}
