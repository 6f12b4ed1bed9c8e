from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views
from .scorecard import IntermediaryScorecardView

router = SimpleRouter()
router.register("intermediaries", views.IntermediaryViewSet, basename="intermediary")
router.register("intermediary-links", views.IntermediaryLinkViewSet, basename="intermediary-link")
router.register("manager-assignments", views.ManagerAssignmentViewSet, basename="manager-assignment")
router.register("rebate-statements", views.RebateStatementViewSet, basename="rebate-statement")
router.register("referrals", views.ReferralViewSet, basename="referral")
router.register("club-members", views.ClubMembershipViewSet, basename="club-member")
router.register("handovers", views.HandoverViewSet, basename="handover")
router.register("manager-workload", views.WorkloadViewSet, basename="manager-workload")
router.register("orphaned-clients", views.OrphanViewSet, basename="orphaned-client")
router.register("unmanaged-key-clients", views.UnmanagedKeyClientViewSet, basename="unmanaged-key-client")
urlpatterns = [path("intermediary-scorecard/", IntermediaryScorecardView.as_view(), name="intermediary-scorecard"),
               *router.urls]
