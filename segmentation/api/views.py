"""Segmentation API: a client's segment history, and the nightly runs (read, and start for managers)."""

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from clients.models import Client
from futures_crm.api.permissions import RolePermission

from ..filtersets import NightlyRunFilterSet
from ..models import NightlyRun, SegmentTransition
from ..selectors import RUN_ROLES
from .serializers import NightlyRunSerializer, RunStartedSerializer, RunStartSerializer, SegmentTransitionSerializer


class SegmentHistoryView(generics.ListAPIView):
    """Transitions of one client's four axes, newest first (a first classification has source `start`)."""

    serializer_class = SegmentTransitionSerializer
    permission_classes = [RolePermission]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no client in the URL
            return SegmentTransition.objects.none()
        client = get_object_or_404(Client.objects.visible_to(self.request.user), pk=self.kwargs["pk"])
        return client.segment_transitions.select_related("by").order_by("-on_date", "-id")


class NightlyRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Every nightly run: day, policy version, status, per-step durations and row counts, error."""

    queryset = NightlyRun.objects.select_related("triggered_by")
    filterset_class = NightlyRunFilterSet
    serializer_class = NightlyRunSerializer
    permission_classes = [RolePermission]
    read_roles = RUN_ROLES
    write_roles = RUN_ROLES

    @extend_schema(request=RunStartSerializer, responses={202: RunStartedSerializer})
    @action(detail=False, methods=["post"], url_path="start")
    def start(self, request):
        """Start the nightly chain for a trading day (default: the newest imported)."""
        from ..tasks import nightly

        data = RunStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        day = data.validated_data.get("trade_date")
        day_iso = day.isoformat() if day else None
        transaction.on_commit(lambda: nightly.delay(day_iso, request.user.pk))
        return Response({"started": True, "trade_date": day}, status=status.HTTP_202_ACCEPTED)
