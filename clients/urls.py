from django.urls import path

from . import history_views, product_views, views

app_name = "clients"
urlpatterns = [
    path("", views.ClientListView.as_view(), name="list"),
    path("new/", views.ClientCreateView.as_view(), name="create"),
    path("<int:pk>/", views.ClientDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.ClientUpdateView.as_view(), name="edit"),
    path("<int:pk>/contacts/", views.ContactLogAddView.as_view(), name="contact_add"),
    path("<int:pk>/suitability/", views.SuitabilityAddView.as_view(), name="suitability_add"),
    path("<int:pk>/eligibility/", views.EligibilityAddView.as_view(), name="eligibility_add"),
    path("<int:pk>/reveal-id/", views.RevealIdView.as_view(), name="reveal_id"),
    path("<int:pk>/key-client/", views.KeyProposalView.as_view(), name="key_client"),
    path("<int:pk>/history/", history_views.ClientHistoryView.as_view(), name="history"),
    path("<int:pk>/statement/", history_views.ClientStatementView.as_view(), name="statement"),
    path("products/", product_views.ProductListView.as_view(), name="product_list"),
    path("products/<int:pk>/edit/", product_views.ProductEditView.as_view(), name="product_edit"),
    path("suitability-alerts/<int:pk>/resolve/", product_views.SuitabilityAlertResolveView.as_view(),
         name="suitability_alert_resolve"),
]

# Settlement import pages and alerts (clients/imports/).
from .imports.urls import urlpatterns as import_urlpatterns  # noqa: E402

urlpatterns += import_urlpatterns
