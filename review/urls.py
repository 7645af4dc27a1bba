from django.contrib import admin
from django.urls import path

from . import views

app_name = "review"

urlpatterns = [
    path("", admin.site.admin_view(views.queue), name="queue"),
    path("<int:item_id>/", admin.site.admin_view(views.item_detail), name="item"),
    path("<int:item_id>/<slug:action>", admin.site.admin_view(views.item_action), name="action"),
]
