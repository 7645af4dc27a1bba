from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views

app_name = "inbound-api"

urlpatterns = [
    path("inbound/targets", views.TargetImportView.as_view(), name="target-import"),
    path("inbound/targets/batch", views.TargetBatchImportView.as_view(), name="target-batch"),
    path(
        "inbound/targets/<path:external_id>", views.TargetDetailView.as_view(), name="target-detail"
    ),
    path("inbound/imports", views.AsyncImportView.as_view(), name="async-import"),
    path("inbound/import-jobs", views.ImportJobListView.as_view(), name="job-list"),
    path(
        "inbound/import-jobs/<int:job_id>", views.ImportJobDetailView.as_view(), name="job-detail"
    ),
    path(
        "inbound/import-jobs/<int:job_id>/items",
        views.ImportJobItemListView.as_view(),
        name="job-items",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="inbound-api:schema"), name="docs"),
]
