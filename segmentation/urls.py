"""segmentation pages."""

from django.urls import path

from . import views

app_name = "segmentation"
urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("runs/", views.RunListView.as_view(), name="runs"),
    path("policy/", views.PolicyView.as_view(), name="policy"),
    path("clients/<int:pk>/override/", views.OverrideView.as_view(), name="override"),
    path("overrides/<int:pk>/remove/", views.OverrideRemoveView.as_view(), name="override-remove"),
]
