"""segmentation pages."""

from django.urls import path

from . import chart_views, churn_views, funnel_views, report_views, scorecard_views, views

app_name = "segmentation"
urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("trends/", chart_views.TrendsView.as_view(), name="trends"),
    path("migration/", chart_views.MigrationView.as_view(), name="migration"),
    path("branch-ranking/", chart_views.BranchRankingView.as_view(), name="ranking"),
    path("concentration/", funnel_views.ConcentrationView.as_view(), name="concentration"),
    path("prospect-funnel/", funnel_views.ProspectFunnelView.as_view(), name="prospect_funnel"),
    path("referral-funnel/", funnel_views.ReferralFunnelView.as_view(), name="referral_funnel"),
    path("ticket-deadlines/", funnel_views.TicketDeadlineView.as_view(), name="ticket_deadlines"),
    path("churn/", churn_views.ChurnAnalysisView.as_view(), name="churn"),
    path("runs/", views.RunListView.as_view(), name="runs"),
    path("policy/", views.PolicyView.as_view(), name="policy"),
    path("clients/<int:pk>/override/", views.OverrideView.as_view(), name="override"),
    path("overrides/<int:pk>/remove/", views.OverrideRemoveView.as_view(), name="override-remove"),
    path("reports/", report_views.ReportSubscriptionView.as_view(), name="reports"),
    path("scorecard/", scorecard_views.BranchScorecardView.as_view(), name="scorecard"),
    path("scorecard/<str:code>/", scorecard_views.ManagerScorecardView.as_view(), name="scorecard-manager"),
    path("scorecard/<str:code>/targets/", scorecard_views.TargetView.as_view(), name="scorecard-target"),
]
