from django.urls import path

from .views import ClientConsentView

urlpatterns = [
    path("clients/<int:client_pk>/consents/", ClientConsentView.as_view(), name="client-consents"),
]
