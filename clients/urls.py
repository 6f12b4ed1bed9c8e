from django.urls import path

from . import views

app_name = "clients"
urlpatterns = [
    path("", views.ClientListView.as_view(), name="list"),
    path("<int:pk>/", views.ClientDetailView.as_view(), name="detail"),
]

# Settlement import pages and alerts (clients/imports/).
from .imports.urls import urlpatterns as import_urlpatterns  # noqa: E402

urlpatterns += import_urlpatterns
