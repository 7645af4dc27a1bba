from django.db import models


class VisitOutcome(models.TextChoices):
    COMPLETED = "Completed", "Completed"
    PARTIALLY_COMPLETED = "PartiallyCompleted", "Partially completed"
    NOT_COMPLETED = "NotCompleted", "Not completed"
    FOLLOW_UP_REQUIRED = "FollowUpRequired", "Follow-up required"
