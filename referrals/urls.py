"""Relationship pages under /relationships/."""

from django.urls import path

from . import scorecard_views, views

app_name = "referrals"
urlpatterns = [
    path("workload/", views.WorkloadView.as_view(), name="workload"),
    path("handover/", views.HandoverView.as_view(), name="handover"),
    path("key-clients/", views.KeyClientsView.as_view(), name="key_clients"),
    path("orphans/", views.OrphansView.as_view(), name="orphans"),
    path("clients/<int:pk>/assign/", views.AssignView.as_view(), name="assign"),
    path("clients/<int:pk>/club/", views.MembershipView.as_view(), name="membership"),
    path("intermediaries/", views.IntermediaryListView.as_view(), name="intermediaries"),
    path("intermediaries/new/", views.IntermediaryEditView.as_view(), name="intermediary_new"),
    path("intermediaries/scorecard/", scorecard_views.IntermediaryScorecardView.as_view(), name="scorecard"),
    path("intermediaries/compliance/", views.ComplianceView.as_view(), name="compliance"),
    path("intermediaries/<int:pk>/", views.IntermediaryDetailView.as_view(), name="intermediary"),
    path("intermediaries/<int:pk>/edit/", views.IntermediaryEditView.as_view(), name="intermediary_edit"),
    path("intermediaries/<int:pk>/reveal-id/", views.IntermediaryRevealIdView.as_view(),
         name="intermediary_reveal_id"),
    path("intermediaries/<int:pk>/leave/", views.IntermediaryLeaveView.as_view(), name="intermediary_leave"),
    path("intermediaries/<int:pk>/statements/<str:month>/", views.StatementView.as_view(), name="statement"),
    path("intermediaries/<int:pk>/<str:action>/", views.IntermediaryActionView.as_view(), name="intermediary_action"),
    path("referrals/", views.ReferralListView.as_view(), name="referrals"),
    path("referrals/new/", views.ReferralCreateView.as_view(), name="referral_new"),
    path("referrals/conversion/", views.ConversionView.as_view(), name="conversion"),
    path("referrals/<int:pk>/", views.ReferralDetailView.as_view(), name="referral"),
    path("club/", views.ClubListView.as_view(), name="club"),
]
