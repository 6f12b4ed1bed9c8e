"""service API routes."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("tasks", views.TaskViewSet, basename="task")
router.register("tickets", views.TicketViewSet, basename="ticket")
router.register("prospects", views.ProspectViewSet, basename="prospect")
router.register("activities", views.ActivityViewSet, basename="activity")
router.register("surveys", views.SurveyViewSet, basename="survey")
router.register("communications", views.CommunicationViewSet, basename="communication")
router.register("return-visits", views.ReturnVisitViewSet, basename="return-visit")

urlpatterns = [path("lookup/phone/", views.PhoneLookupView.as_view(), name="lookup-phone"), *router.urls]
