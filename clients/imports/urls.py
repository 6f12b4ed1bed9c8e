from django.urls import path

from . import views

# Included into clients.urls (namespace "clients").
urlpatterns = [
    path("imports/", views.ImportListView.as_view(), name="import_list"),
    path("imports/<int:pk>/", views.ImportDetailView.as_view(), name="import_detail"),
    path("imports/<int:pk>/progress/", views.ImportProgressView.as_view(), name="import_progress"),
    path("imports/<int:pk>/rejected.csv", views.RejectedRowsCsvView.as_view(), name="import_rejected_csv"),
    path("imports/quarantine/", views.QuarantineListView.as_view(), name="quarantine_list"),
    path("imports/quarantine/<int:pk>/", views.QuarantineFixView.as_view(), name="quarantine_fix"),
    path("alerts/", views.AlertListView.as_view(), name="alert_list"),
    path("alerts/<int:pk>/acknowledge/", views.AlertAcknowledgeView.as_view(), name="alert_acknowledge"),
]
