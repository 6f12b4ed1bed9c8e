"""Service API: the same filtersets, selectors and services as the pages."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from futures_crm.api.permissions import RolePermission
from futures_crm.api.viewsets import ScopedViewSetMixin

from .. import activity_results, roles, selectors, services
from ..choices import RecipientStatus
from ..filtersets import (
    ActivityFilterSet,
    CommunicationFilterSet,
    ProspectFilterSet,
    RecipientFilterSet,
    ReturnVisitFilterSet,
    TaskFilterSet,
    TicketFilterSet,
)
from ..models import Activity, CommunicationLog, Prospect, ReturnVisit, Survey, Task, Ticket
from ..return_visits import return_visit_record
from . import serializers as s


class PhoneLookupView(APIView):
    """The caller screen-pop: `GET /api/lookup/phone/?number=…`."""

    permission_classes = [RolePermission]

    @extend_schema(parameters=[OpenApiParameter("number", str, required=True)], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        result = selectors.lookup_phone(user=request.user, number=request.query_params.get("number", ""))
        selectors.lookup_shown(request, result, via="api")
        return Response(result)


class TaskViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                  viewsets.GenericViewSet):
    """Tasks; `?account_id=…&kind=…`. POST opens or updates the one open task of that client and kind."""

    queryset = Task.objects.select_related("client", "owner")
    serializer_class = s.TaskSerializer
    filterset_class = TaskFilterSet
    write_roles = roles.TASK_WRITE_ROLES

    def perform_create(self, serializer):
        data = serializer.validated_data
        client = selectors.visible_client(user=self.request.user, account_id=data.get("account_id", ""))
        serializer.instance = services.task_upsert(client=client, kind=data["kind"], due_on=data["due_on"],
                                                   owner=data.get("owner"), title=data.get("title", ""),
                                                   source=data.get("source") or "api")

    @extend_schema(request=s.TaskCompleteSerializer, responses=s.TaskSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        body = s.TaskCompleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        task = services.task_complete(task=self.get_object(), by=request.user, **body.validated_data)
        return Response(s.TaskSerializer(task).data)


class TicketViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    viewsets.GenericViewSet):
    """Tickets with their timeline; state changes, notes, reassignment and satisfaction are actions."""

    queryset = Ticket.objects.select_related("client", "owner")
    serializer_class = s.TicketSerializer
    filterset_class = TicketFilterSet
    write_roles = roles.TICKET_WRITE_ROLES

    @extend_schema(request=s.TicketOpenSerializer, responses={201: s.TicketSerializer})
    def create(self, request, *args, **kwargs):
        body = s.TicketOpenSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        ticket = services.ticket_open(by=request.user, **body.validated_data)
        return Response(s.TicketSerializer(ticket).data, status=status.HTTP_201_CREATED)

    def _act(self, request, body_class, fn):
        body = body_class(data=request.data)
        body.is_valid(raise_exception=True)
        ticket = self.get_object()
        fn(ticket, body.validated_data)
        ticket.refresh_from_db()
        return Response(s.TicketSerializer(ticket).data)

    @extend_schema(request=s.TicketTransitionSerializer, responses=s.TicketSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        return self._act(request, s.TicketTransitionSerializer,
                         lambda t, d: services.ticket_transition(ticket=t, by=request.user, **d))

    @extend_schema(request=s.TicketCommentSerializer, responses=s.TicketSerializer)
    @action(detail=True, methods=["post"])
    def comment(self, request, pk=None):
        return self._act(request, s.TicketCommentSerializer,
                         lambda t, d: services.ticket_comment(ticket=t, by=request.user, **d))

    @extend_schema(request=s.TicketAssignSerializer, responses=s.TicketSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        return self._act(request, s.TicketAssignSerializer,
                         lambda t, d: services.ticket_assign(ticket=t, by=request.user, **d))

    @extend_schema(request=s.SatisfactionSerializer, responses=s.TicketSerializer)
    @action(detail=True, methods=["post"])
    def satisfaction(self, request, pk=None):
        return self._act(request, s.SatisfactionSerializer,
                         lambda t, d: services.ticket_record_satisfaction(ticket=t, by=request.user, **d))

    @extend_schema(request=s.LinkClientSerializer, responses=s.TicketSerializer)
    @action(detail=True, methods=["post"])
    def link(self, request, pk=None):
        """Attach an unknown caller's ticket to the client, by fund account."""
        def link(ticket, data):
            client = selectors.visible_client(user=request.user, account_id=data["account_id"])
            services.ticket_link_client(ticket=ticket, client=client, by=request.user)

        return self._act(request, s.LinkClientSerializer, link)

    @extend_schema(responses=s.TicketEventSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def timeline(self, request, pk=None):
        return Response(s.TicketEventSerializer(self.get_object().events.select_related("by"), many=True).data)


class ProspectViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                      viewsets.GenericViewSet):
    queryset = Prospect.objects.select_related("owner", "client").prefetch_related("grade_changes")
    serializer_class = s.ProspectSerializer
    filterset_class = ProspectFilterSet
    write_roles = roles.PROSPECT_WRITE_ROLES

    def perform_create(self, serializer):
        serializer.instance = services.prospect_create(by=self.request.user, **serializer.validated_data)

    @extend_schema(request=s.ProspectVisitSerializer, responses=s.ProspectVisitSerializer(many=True))
    @action(detail=True, methods=["get", "post"], pagination_class=None, filterset_class=None)
    def visits(self, request, pk=None):
        prospect = self.get_object()
        if request.method == "POST":
            body = s.ProspectVisitSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            visit = services.prospect_visit_add(prospect=prospect, by=request.user, **body.validated_data)
            return Response(s.ProspectVisitSerializer(visit).data, status=status.HTTP_201_CREATED)
        return Response(s.ProspectVisitSerializer(prospect.visits.select_related("by"), many=True).data)

    @extend_schema(request=s.ProspectGradeSerializer, responses=s.ProspectSerializer)
    @action(detail=True, methods=["post"])
    def grade(self, request, pk=None):
        body = s.ProspectGradeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        prospect = services.prospect_grade(prospect=self.get_object(), by=request.user, **body.validated_data)
        return Response(s.ProspectSerializer(prospect).data)

    @extend_schema(request=s.ProspectConvertSerializer, responses=s.ProspectSerializer)
    @action(detail=True, methods=["post"])
    def convert(self, request, pk=None):
        body = s.ProspectConvertSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        client = selectors.visible_client(user=request.user, account_id=body.validated_data["account_id"])
        prospect = services.prospect_convert(prospect=self.get_object(), client=client, by=request.user)
        return Response(s.ProspectSerializer(prospect).data)


class ActivityViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                      viewsets.GenericViewSet):
    """Activities (every staff role reads them); recipients are scoped to the clients the caller sees."""

    queryset = Activity.objects.all()
    serializer_class = s.ActivitySerializer
    filterset_class = ActivityFilterSet
    permission_classes = [RolePermission]
    write_roles = roles.ACTIVITY_WRITE_ROLES

    def perform_create(self, serializer):
        serializer.instance = services.activity_create(by=self.request.user, **serializer.validated_data)

    @extend_schema(request={"application/json": {"type": "object"}}, responses={200: {"type": "object"}})
    @action(detail=True, methods=["post"])
    def target(self, request, pk=None):
        """Body: client-list filters (branch, account_manager, client_type, purpose, …) plus `product`."""
        return self._target(request, services.activity_target)

    def _target(self, request, service):
        activity = self.get_object()
        serializers.Serializer(data=request.data).is_valid(raise_exception=True)  # an object, not a list or 1
        return Response({"added": service(activity=activity, by=request.user,
                                          filters={k: str(v) for k, v in request.data.items()})})

    @extend_schema(request={"application/json": {"type": "object"}}, responses={200: {"type": "object"}})
    @action(detail=True, methods=["post"], url_path="target-prospects")
    def target_prospects(self, request, pk=None):
        """Body: prospect-list filters (grade, source, owner, branch, recorded_from, recorded_to, …): the matching
        prospects the caller sees that have not opened an account are added to the recipients (`added`)."""
        return self._target(request, services.activity_target_prospects)

    @extend_schema(request=s.InviteSerializer, responses={200: {"type": "object"}})
    @action(detail=True, methods=["post"])
    def invite(self, request, pk=None):
        """Invite the selected recipients (the page's operation): `invited`, `refused` (left out because a promoted
        product is above their suitability level), `level`, `no_consent` (left out of the channel's invitation for
        want of consent) and `message` in the caller's language."""
        activity = self.get_object()
        body = s.InviteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.activity_invite(activity=activity, by=request.user,
                                          channel=body.validated_data.get("channel") or None,
                                          template=body.validated_data.get("template"))
        keys = ("invited", "refused", "level", "no_consent")
        return Response({**{key: result.params[key] for key in keys}, "message": str(result)})

    @extend_schema(responses=s.RecipientSerializer(many=True),
                   parameters=[OpenApiParameter("status", str, enum=list(RecipientStatus.values)),
                               OpenApiParameter("result", str, enum=list(activity_results.RESULTS),
                                                description="The recipients counted under one of the results."),
                               OpenApiParameter("who", str, enum=list(activity_results.RECIPIENT_KINDS),
                                                description="Only client, or only prospect, recipients.")])
    @action(detail=True, methods=["get"], filterset_class=None)
    def recipients(self, request, pk=None):
        qs = self.get_object().recipients.visible_to(request.user).select_related("client", "prospect")
        recipients = RecipientFilterSet(request.query_params, queryset=qs)
        if not recipients.is_valid():
            raise serializers.ValidationError(recipients.errors)
        page = self.paginate_queryset(recipients.qs)
        return self.get_paginated_response(s.RecipientSerializer(page, many=True).data)

    def _results(self, activities) -> list[dict]:
        days = activity_results.conversion_days()
        return [row | {"conversion_days": days}
                for row in activity_results.activity_results(user=self.request.user, activities=activities)]

    @extend_schema(responses=s.ActivityResultSerializer(many=True))
    @action(detail=False, methods=["get"])
    def results(self, request):
        """The results of the activities the filters keep (`held_from`, `held_to`, `kind`), newest first: counts
        among the caller's clients, cost apportioned to them, cost per conversion (the activity results page)."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(s.ActivityResultSerializer(self._results(page), many=True).data)

    @extend_schema(responses=s.ActivityResultSerializer, filters=False)
    @action(detail=True, methods=["get"], url_path="results", url_name="result", filterset_class=None)
    def result(self, request, pk=None):
        """One activity's results (its page's results section)."""
        return Response(s.ActivityResultSerializer(self._results([self.get_object()])[0]).data)


class SurveyViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    viewsets.GenericViewSet):
    queryset = Survey.objects.select_related("client")
    serializer_class = s.SurveySerializer
    write_roles = roles.SURVEY_WRITE_ROLES
    filterset_fields = ["client"]

    def perform_create(self, serializer):
        serializer.instance = services.survey_record(by=self.request.user, **serializer.validated_data)


class CommunicationViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The communications log; POST sends a message (consent applies) and returns its log entry."""

    queryset = CommunicationLog.objects.select_related("client", "template", "by")
    serializer_class = s.CommunicationSerializer
    filterset_class = CommunicationFilterSet
    write_roles = roles.MESSAGE_WRITE_ROLES

    @extend_schema(request=s.MessageSendSerializer, responses={201: s.CommunicationSerializer})
    def create(self, request, *args, **kwargs):
        body = s.MessageSendSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        entry = services.message_send(by=request.user, **body.validated_data)
        return Response(s.CommunicationSerializer(entry).data, status=status.HTTP_201_CREATED)


class ReturnVisitViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The return-visit register (回访), scoped and filtered as its page (`?status=&reason=&branch=&due_from=
    &due_to=&account_id=`); POST `{id}/record/` records a visit's outcome through the page's service."""

    queryset = ReturnVisit.objects.select_related("client", "done_by")
    serializer_class = s.ReturnVisitSerializer
    filterset_class = ReturnVisitFilterSet
    write_roles = roles.RETURN_VISIT_WRITE_ROLES

    @extend_schema(request=s.ReturnVisitRecordSerializer, responses=s.ReturnVisitSerializer)
    @action(detail=True, methods=["post"])
    def record(self, request, pk=None):
        body = s.ReturnVisitRecordSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        visit = return_visit_record(visit=self.get_object(), by=request.user, **body.validated_data)
        return Response(s.ReturnVisitSerializer(visit).data)
