from django.contrib import admin
from django.urls import path

from . import views

app_name = "review"

urlpatterns = [
    path("", admin.site.admin_view(views.queue), name="queue"),
    path("bulk/", admin.site.admin_view(views.queue_bulk), name="bulk"),
    path("bulk/decide", admin.site.admin_view(views.queue_bulk_action), name="bulk_action"),
    path("health/", admin.site.admin_view(views.health), name="health"),
    path("merge/", admin.site.admin_view(views.merge), name="merge"),
    path("merge/<int:merge_id>/", admin.site.admin_view(views.merge_done), name="merge_done"),
    path("<int:item_id>/", admin.site.admin_view(views.item_detail), name="item"),
    path("<int:item_id>/<slug:action>", admin.site.admin_view(views.item_action), name="action"),
]
