from django.db import models


class CustomerType(models.TextChoices):
    BUSINESS = "Business"
    PRIVATE = "Private"


class Priority(models.TextChoices):
    """Planning priority of a target; also a location's default for the targets there."""

    LOW = "Low"
    NORMAL = "Normal"
    HIGH = "High"
    URGENT = "Urgent"


class ContactMethod(models.TextChoices):
    PHONE = "Phone"
    MOBILE = "Mobile"
    EMAIL = "Email"
