"""segmentation API routes."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .reports import ReportSubscriptionViewSet
from .scorecard import ScorecardView
from .views import IndicatorSeriesView, NightlyRunViewSet, SegmentHistoryView

router = SimpleRouter()
router.register("segmentation/runs", NightlyRunViewSet, basename="nightly-run")
router.register("report-subscriptions", ReportSubscriptionViewSet, basename="report-subscription")

urlpatterns = [
    path("scorecard/", ScorecardView.as_view(), name="scorecard"),
    path("indicators/", IndicatorSeriesView.as_view(), name="indicator-series"),
    path("clients/<int:pk>/segment-history/", SegmentHistoryView.as_view(), name="client-segment-history"),
    *router.urls,
]
