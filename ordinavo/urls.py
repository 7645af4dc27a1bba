from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from .views import api_bad_request, api_not_found, api_permission_denied, api_server_error, healthz

handler400 = api_bad_request
handler403 = api_permission_denied
handler404 = api_not_found
handler500 = api_server_error

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("review/", RedirectView.as_view(pattern_name="review:queue", permanent=False)),
    path("admin/review/", include("review.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/connect/v1/", include("inbound.api.urls")),
    # Development pages: each answers 404 unless DEBUG is on.
    path("dev/", include("demo.urls")),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]
