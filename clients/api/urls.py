from rest_framework.routers import SimpleRouter

from .imports import ImportBatchViewSet, QuarantinedRowViewSet, SettlementAlertViewSet
from .products import ProductViewSet
from .views import BranchViewSet, ClientViewSet, StaffViewSet

router = SimpleRouter()
router.register("clients", ClientViewSet, basename="client")
router.register("branches", BranchViewSet, basename="branch")
router.register("staff", StaffViewSet, basename="staff")
router.register("imports", ImportBatchViewSet, basename="import")
router.register("quarantine", QuarantinedRowViewSet, basename="quarantined-row")
router.register("alerts", SettlementAlertViewSet, basename="settlement-alert")
router.register("products", ProductViewSet, basename="product")
urlpatterns = router.urls
