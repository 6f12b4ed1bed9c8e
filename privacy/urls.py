from django.urls import path

from . import views

app_name = "privacy"
urlpatterns = [
    path("clients/<int:client_pk>/consents/", views.ConsentRecordView.as_view(), name="consent_new"),
    path("access-log/", views.AccessLogView.as_view(), name="access_log"),
    path("retention/", views.RetentionReportView.as_view(), name="retention"),
]
