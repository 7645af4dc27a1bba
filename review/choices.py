from django.db import models


class ReviewAction(models.TextChoices):
    LINK = "Link"
    CREATE = "Create"
    DISMISS = "Dismiss"
    UNDO = "Undo"
