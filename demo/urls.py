"""Development pages (DEBUG only), under /dev/."""

from django.urls import path

from . import views

app_name = "demo"

urlpatterns = [
    path("webhook-inbox/", views.webhook_inbox, name="webhook_inbox"),
]
