from django.db import models


class DeliveryStatus(models.TextChoices):
    PENDING = "Pending", "Pending"  # queued or waiting for its next attempt
    DELIVERED = "Delivered", "Delivered"
    FAILED = "Failed", "Failed"  # given up: the retry schedule ran out
    CANCELLED = "Cancelled", "Cancelled"  # not sent: the endpoint was disabled first


class DisabledReason(models.TextChoices):
    NONE = "", "—"
    MANUAL = "Manual", "Disabled by an admin"
    GONE = "Gone", "The endpoint answered 410 Gone"
    FAILING = "Failing", "Failed continuously for 5 days"
