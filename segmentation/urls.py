"""segmentation pages."""

from django.urls import path

from . import scorecard_views, views

app_name = "segmentation"
urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("runs/", views.RunListView.as_view(), name="runs"),
    path("policy/", views.PolicyView.as_view(), name="policy"),
    path("clients/<int:pk>/override/", views.OverrideView.as_view(), name="override"),
    path("overrides/<int:pk>/remove/", views.OverrideRemoveView.as_view(), name="override-remove"),
    path("scorecard/", scorecard_views.BranchScorecardView.as_view(), name="scorecard"),
    path("scorecard/<str:code>/", scorecard_views.ManagerScorecardView.as_view(), name="scorecard-manager"),
    path("scorecard/<str:code>/targets/", scorecard_views.TargetView.as_view(), name="scorecard-target"),
]
