"""/api/: each app contributes its routes from `<app>/api/urls.py`."""

from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Staff only (SERVE_PERMISSIONS); the docs page sends a signed-out browser to the login page.
    # The split view serves its start-up script as a file: the Content-Security-Policy allows no inline script.
    path("docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    path("", include("clients.api.urls")),
    path("", include("referrals.api.urls")),
    path("", include("service.api.urls")),
    path("", include("segmentation.api.urls")),
    path("", include("privacy.api.urls")),
]
