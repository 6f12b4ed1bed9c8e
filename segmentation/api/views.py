"""Segmentation API: a client's segment history, and the nightly runs (read, and start for managers)."""

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.reverse import reverse

from clients.models import Client
from futures_crm.api.permissions import RolePermission

from .. import services
from ..filtersets import NightlyRunFilterSet
from ..models import NightlyRun, SegmentTransition
from ..selectors import INDICATOR_ROLES, RUN_ROLES, indicator_access, indicator_series
from ..tasks import run_chain
from .serializers import (
    IndicatorQuerySerializer,
    IndicatorSeriesSerializer,
    NightlyRunSerializer,
    RunRefusedSerializer,
    RunStartedSerializer,
    RunStartSerializer,
    SegmentTransitionSerializer,
)


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

    @extend_schema(request=RunStartSerializer,
                   responses={202: RunStartedSerializer, 400: OpenApiTypes.OBJECT, 409: RunRefusedSerializer})
    @action(detail=False, methods=["post"], url_path="start")
    def start(self, request):
        """Open a run for a trading day (default: the newest imported) and queue its steps.

        202 with the run; 409 naming the run that holds the engine; 400 for a day without settlement data.
        """
        data = RunStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            run = services.run_open(day=data.validated_data.get("trade_date"), by=request.user)
        except services.NightlyLocked as exc:
            holder = exc.run
            return Response({"detail": str(exc), "run": holder.pk if holder else None,
                             "trade_date": holder.trade_date if holder else None},
                            status=status.HTTP_409_CONFLICT)
        except services.NoSettlementData as exc:
            raise ValidationError({"trade_date": [str(exc)]}) from exc
        transaction.on_commit(lambda: run_chain(run.pk).apply_async(), robust=True)
        return Response({"started": True, "run": run.pk, "trade_date": run.trade_date,
                         "url": reverse("nightly-run-detail", args=[run.pk], request=request)},
                        status=status.HTTP_202_ACCEPTED)


class IndicatorSeriesView(generics.GenericAPIView):
    """The stored indicator history of one scope (firm, branch, account manager, intermediary), oldest first.

    Read only from the nightly snapshots (nothing is recomputed). An account manager reads their own book
    (scope `manager`, their employee code); a branch manager their branch, its account managers and its
    intermediaries; the firm-wide roles everything. A level of scope the role never reads is 403 (an account
    manager asking for the firm); a code outside the caller's reach is 404, as for a client they cannot see.
    """

    permission_classes = [RolePermission]
    read_roles = INDICATOR_ROLES
    serializer_class = IndicatorSeriesSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(
        parameters=[
            OpenApiParameter("scope", str, enum=["firm", "branch", "manager", "intermediary"], required=True),
            OpenApiParameter("code", str, description="Branch code, account manager's employee code or "
                                                      "intermediary code (not used for the firm)."),
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day (default: a year before `to`)."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (default: today)."),
        ],
        responses={200: IndicatorSeriesSerializer, 400: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT,
                   404: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        query = IndicatorQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        scope, code = query.validated_data["scope"], query.validated_data["code"]
        start, end = query.validated_data["from"], query.validated_data["to"]
        access = indicator_access(request.user, scope, code)
        if access == "forbidden":
            raise PermissionDenied()
        if access == "hidden":
            raise NotFound()
        return Response({"scope": scope, "code": code, "from": start, "to": end,
                         "series": indicator_series(scope, code, start, end)})
