from rest_framework.routers import SimpleRouter

from .views import BranchViewSet, ClientViewSet, StaffViewSet

router = SimpleRouter()
router.register("clients", ClientViewSet, basename="client")
router.register("branches", BranchViewSet, basename="branch")
router.register("staff", StaffViewSet, basename="staff")
urlpatterns = router.urls
