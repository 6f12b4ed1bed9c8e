from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from clients.models import Client
from futures_crm.api.permissions import RolePermission

from .. import selectors, services
from .serializers import ConsentSerializer


class ClientConsentView(generics.GenericAPIView):
    """A client's consent history (newest first); POST records a consent given or withdrawn."""

    serializer_class = ConsentSerializer
    permission_classes = [RolePermission]
    write_roles = services.CONSENT_ROLES
    pagination_class = None
    filter_backends = []

    def get_client(self) -> Client:
        # Scoped like the client itself: one the caller does not see is a 404.
        return get_object_or_404(Client.objects.visible_to(self.request.user), pk=self.kwargs["client_pk"])

    @extend_schema(responses={200: ConsentSerializer(many=True)})
    def get(self, request, client_pk: int):
        client = self.get_client()
        return Response(ConsentSerializer(selectors.consent_history(client), many=True).data)

    @extend_schema(request=ConsentSerializer, responses={201: ConsentSerializer})
    def post(self, request, client_pk: int):
        client = self.get_client()
        body = ConsentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        record = services.consent_record(client=client, by=request.user, **body.validated_data)
        return Response(ConsentSerializer(record).data, status=status.HTTP_201_CREATED)
