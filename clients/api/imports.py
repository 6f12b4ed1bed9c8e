"""Import API: POST a file (multipart) or JSON rows; GET past batches with their reports; the quarantine
of rejected rows (correct and re-run, or discard); the settlement alerts an import raises."""

import os
import tempfile

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from futures_crm.api.permissions import RolePermission
from futures_crm.api.viewsets import ScopedReadOnlyViewSet, ScopedViewSetMixin

from ..imports.filtersets import QuarantinedRowFilterSet, SettlementAlertFilterSet
from ..imports.formats import ALERT_ACKNOWLEDGE_ROLES, FORMATS, IMPORT_ROLES
from ..imports.services import import_run, quarantine_discard, quarantine_rerun
from ..models import ImportBatch, QuarantinedRow, SettlementAlert
from ..models.imports import ImportKind, ImportSource, QuarantineStatus
from ..services import settlement_alert_acknowledge
from .serializers import ClientBriefSerializer


class ImportBatchSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True, allow_null=True)

    class Meta:
        model = ImportBatch
        fields = ["id", "kind", "source", "file_name", "checksum", "encoding", "partial", "created_by", "started_at",
                  "finished_at", "date_from", "date_to", "rows_read", "rows_written", "rows_replaced",
                  "rows_rejected", "warnings", "status", "report"]
        read_only_fields = fields


class ImportRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=sorted(FORMATS))
    file = serializers.FileField(required=False)
    rows = serializers.ListField(child=serializers.DictField(), required=False, allow_empty=False)
    partial = serializers.BooleanField(default=False)
    encoding = serializers.ChoiceField(choices=["auto", "utf-8", "gb18030"], default="auto")

    def validate(self, attrs):
        if bool(attrs.get("file")) == bool(attrs.get("rows")):
            raise serializers.ValidationError(_("Give either a file or rows."))
        return attrs


def save_upload(upload) -> str:
    """An uploaded file on disk (streamed in chunks), for the reader to stream again."""
    fd, path = tempfile.mkstemp(prefix="import_", suffix=".csv")
    with os.fdopen(fd, "wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    return path


def run_upload(*, kind, upload, by, partial, encoding, source) -> ImportBatch:
    path = save_upload(upload)
    try:
        return import_run(kind=kind, path=path, by=by, partial=partial, encoding=encoding, source=source,
                          file_name=upload.name)
    finally:
        os.unlink(path)


class ImportBatchViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         viewsets.GenericViewSet):
    """Settlement and client imports; admin, head office and the back-office system only."""

    queryset = ImportBatch.objects.select_related("created_by")
    serializer_class = ImportBatchSerializer
    permission_classes = [RolePermission]
    read_roles = write_roles = IMPORT_ROLES
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)

    @extend_schema(request=ImportRequestSerializer, responses={201: ImportBatchSerializer, 422: ImportBatchSerializer})
    def create(self, request, *args, **kwargs):
        """Import; 201 when written (or already imported), 422 with the report when rejected."""
        req = ImportRequestSerializer(data=request.data)
        req.is_valid(raise_exception=True)
        data = req.validated_data
        if data.get("file"):
            batch = run_upload(kind=data["kind"], upload=data["file"], by=request.user, partial=data["partial"],
                               encoding=data["encoding"], source=ImportSource.API)
        else:
            batch = import_run(kind=data["kind"], rows=data["rows"], by=request.user, partial=data["partial"],
                               source=ImportSource.API, file_name="api-rows")
        code = status.HTTP_201_CREATED if batch.ok else status.HTTP_422_UNPROCESSABLE_ENTITY
        return Response(ImportBatchSerializer(batch).data, status=code)



class RowErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    column = serializers.CharField(allow_blank=True)
    reason = serializers.CharField()


class QuarantinedRowSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(source="batch.kind", choices=ImportKind.choices, read_only=True)
    raw = serializers.DictField(child=serializers.CharField(allow_blank=True), read_only=True)
    errors = RowErrorSerializer(many=True, read_only=True)

    class Meta:
        model = QuarantinedRow
        fields = ["id", "batch", "kind", "line", "raw", "errors", "status", "fixed_batch", "updated_at"]
        read_only_fields = fields


class QuarantineRerunSerializer(serializers.Serializer):
    raw = serializers.DictField(child=serializers.CharField(allow_blank=True), allow_empty=False,
                                help_text="The whole corrected row: column name → cell, as in the file.")


class QuarantineRerunResultSerializer(serializers.Serializer):
    row = QuarantinedRowSerializer()
    batch = ImportBatchSerializer()


class QuarantinedRowViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            viewsets.GenericViewSet):
    """Rows that failed the checks, kept raw with their reasons; the same roles as the batches."""

    queryset = QuarantinedRow.objects.select_related("batch")
    serializer_class = QuarantinedRowSerializer
    filterset_class = QuarantinedRowFilterSet
    read_roles = write_roles = IMPORT_ROLES

    @extend_schema(request=QuarantineRerunSerializer,
                   responses={200: QuarantineRerunResultSerializer, 422: QuarantineRerunResultSerializer})
    @action(detail=True, methods=["post"], filterset_class=None)
    def rerun(self, request, pk=None):
        """Run the corrected row through the checks again: 200 when it was imported (the row is fixed),
        422 when it still fails (the row stays open with the new reasons); both carry the new batch."""
        row = self.get_object()
        body = QuarantineRerunSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        batch = quarantine_rerun(row=row, raw=body.validated_data["raw"], by=request.user)
        code = status.HTTP_200_OK if row.status == QuarantineStatus.FIXED else status.HTTP_422_UNPROCESSABLE_ENTITY
        return Response(QuarantineRerunResultSerializer({"row": row, "batch": batch}).data, status=code)

    @extend_schema(request=None, responses=QuarantinedRowSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def discard(self, request, pk=None):
        """Give up on the row; it stays listed, marked discarded."""
        row = quarantine_discard(row=self.get_object(), by=request.user)
        return Response(QuarantinedRowSerializer(row).data)


class SettlementAlertSerializer(serializers.ModelSerializer):
    client = ClientBriefSerializer(read_only=True)
    acknowledged = serializers.SerializerMethodField()
    acknowledged_by = serializers.CharField(source="acknowledged_by.username", default=None, allow_null=True,
                                            read_only=True)

    class Meta:
        model = SettlementAlert
        fields = ["id", "client", "trade_date", "kind", "amount", "batch", "created_at", "acknowledged",
                  "acknowledged_at", "acknowledged_by"]
        read_only_fields = fields

    def get_acknowledged(self, obj) -> bool:
        return obj.acknowledged_at is not None


class SettlementAlertViewSet(ScopedReadOnlyViewSet):
    """Negative equity (穿仓) and margin calls of the clients the caller may see, newest first."""

    queryset = SettlementAlert.objects.select_related("client", "acknowledged_by")
    serializer_class = SettlementAlertSerializer
    filterset_class = SettlementAlertFilterSet
    write_roles = ALERT_ACKNOWLEDGE_ROLES

    @extend_schema(request=None, responses=SettlementAlertSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def acknowledge(self, request, pk=None):
        """Mark the alert as seen; acknowledging it again keeps the first acknowledgement."""
        alert = settlement_alert_acknowledge(alert=self.get_object(), by=request.user)
        return Response(SettlementAlertSerializer(alert).data)
