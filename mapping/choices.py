from django.db import models


class ExternalType(models.TextChoices):
    CUSTOMER = "Customer"
    LOCATION = "Location"
    CONTACT = "Contact"
    TARGET = "Target"


class ReferenceOrigin(models.TextChoices):
    """How a reference came to be: learnt in an import, confirmed in review, or set by an admin."""

    IMPORT = "Import"
    REVIEW = "Review"
    ADMIN = "Admin"
