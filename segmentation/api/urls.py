"""segmentation API routes."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import IndicatorSeriesView, NightlyRunViewSet, SegmentHistoryView

router = SimpleRouter()
router.register("segmentation/runs", NightlyRunViewSet, basename="nightly-run")

urlpatterns = [
    path("indicators/", IndicatorSeriesView.as_view(), name="indicator-series"),
    path("clients/<int:pk>/segment-history/", SegmentHistoryView.as_view(), name="client-segment-history"),
    *router.urls,
]
