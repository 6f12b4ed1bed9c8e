"""/api/: each app contributes its routes from `<app>/api/urls.py`."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("clients.api.urls")),
    path("", include("referrals.api.urls")),
    path("", include("service.api.urls")),
    path("", include("segmentation.api.urls")),
]
