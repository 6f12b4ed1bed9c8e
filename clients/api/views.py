"""Client API: the same filterset and services as the pages."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from futures_crm.api.viewsets import ScopedModelViewSet
from futures_crm.roles import CONTACT_LOG_ROLES

from .. import selectors, services
from ..access_log import CONTACT_FIELDS, personal_data_shown
from ..filtersets import ClientFilterSet
from ..models import Branch, Client, StaffProfile
from .serializers import (
    BranchSerializer,
    ClientSerializer,
    ContactLogSerializer,
    KeyProposalSerializer,
    StaffSerializer,
)
from .settlement import SettlementHistoryMixin
from .statement import StatementMixin


class ClientViewSet(SettlementHistoryMixin, StatementMixin, ScopedModelViewSet):
    """Clients the caller may see; filters are those of the client list page."""

    queryset = Client.objects.all()
    serializer_class = ClientSerializer
    filterset_class = ClientFilterSet

    def get_queryset(self):
        return selectors.client_list(user=self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.client_create(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.client_update(
            client=serializer.instance, by=self.request.user, **serializer.validated_data
        )

    @extend_schema(request=ContactLogSerializer, responses={201: ContactLogSerializer})
    @action(detail=True, methods=["get", "post"], url_path="contacts", serializer_class=ContactLogSerializer,
            filterset_class=None, pagination_class=None)
    def contacts(self, request, pk=None):
        """A client's contact log; any role that sees the client may add to it."""
        client = self.get_object()
        if request.method == "GET":
            return Response(ContactLogSerializer(client.contact_logs.select_related("by"), many=True).data)
        serializer = ContactLogSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.contact_log_add(client=client, by=request.user, **serializer.validated_data)
        return Response(ContactLogSerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=KeyProposalSerializer, responses={200: ClientSerializer})
    @action(detail=True, methods=["post"], url_path="key-client", serializer_class=KeyProposalSerializer,
            filterset_class=None, pagination_class=None)
    def key_client(self, request, pk=None):
        """An account manager proposes the client as a key client; a branch manager (or above) decides."""
        client = self.get_object()
        body = KeyProposalSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        decision, note = body.validated_data["decision"], body.validated_data["note"]
        if decision == "propose":
            client = services.client_key_propose(client=client, by=request.user, note=note)
        else:
            client = services.client_key_decide(client=client, by=request.user, confirm=decision == "confirm",
                                                reason=note)
        return Response(ClientSerializer(client, context=self.get_serializer_context()).data)

    def finalize_response(self, request, response, *args, **kwargs):
        # One access-log insert for the clients this answer showed unmasked (the serializer masks the others).
        if (self.action in ("list", "retrieve")
                and 200 <= response.status_code < 300 and selectors.sees_personal_data(request.user)):
            data = getattr(response, "data", None) or {}
            rows = data.get("results", []) if self.action == "list" else [data]
            personal_data_shown(request, [r["id"] for r in rows if isinstance(r, dict) and "id" in r],
                                CONTACT_FIELDS, via="api")
        return super().finalize_response(request, response, *args, **kwargs)

    def get_permissions(self):
        if self.action == "contacts":
            # The service desk edits nothing but contact logs.
            self.write_roles = CONTACT_LOG_ROLES
        return super().get_permissions()


class BranchViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = Branch.objects.all()
    serializer_class = BranchSerializer


class StaffViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = StaffProfile.objects.select_related("user", "branch")
    serializer_class = StaffSerializer

