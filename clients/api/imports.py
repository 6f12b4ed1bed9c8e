"""Import API: POST a file (multipart, imported by a worker) or JSON rows (imported at once); GET past
batches with their reports and progress; the quarantine of rejected rows (correct and re-run, or
discard); the settlement alerts an import raises."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from futures_crm import texts
from futures_crm.api.permissions import RolePermission
from futures_crm.api.viewsets import ScopedReadOnlyViewSet, ScopedViewSetMixin

from ..imports.filtersets import QuarantinedRowFilterSet, SettlementAlertFilterSet
from ..imports.formats import ALERT_ACKNOWLEDGE_ROLES, FORMATS, IMPORT_ROLES
from ..imports.services import (
    UploadTooLarge,
    import_fail_stale,
    import_run,
    import_submit,
    quarantine_discard,
    quarantine_rerun,
    upload_too_large_message,
    upload_would_be_too_large,
)
from ..models import ImportBatch, QuarantinedRow, SettlementAlert
from ..models.imports import BatchStatus, ImportKind, ImportSource, QuarantineStatus
from ..services import settlement_alert_acknowledge
from .serializers import ClientBriefSerializer


class ImportProgressSerializer(serializers.Serializer):
    phase = serializers.ChoiceField(choices=["queued", "reading", "writing", "finishing", "done"], required=False)
    read = serializers.IntegerField(required=False, help_text="Lines read so far.")
    checked = serializers.IntegerField(required=False, help_text="Lines read that passed the per-row checks.")
    rejected = serializers.IntegerField(required=False)
    written = serializers.IntegerField(required=False)
    bytes = serializers.IntegerField(required=False, help_text="Bytes of the file read so far.")
    size = serializers.IntegerField(required=False, help_text="Size of the file in bytes.")


class ImportBatchSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True, allow_null=True)
    url = serializers.SerializerMethodField(help_text="This batch in the API: poll it until `finished_at` is set.")
    previous_batch_url = serializers.SerializerMethodField(
        help_text="For a duplicate: the batch that imported (or is importing) the same file.")
    progress = ImportProgressSerializer(read_only=True)
    warnings = serializers.ListField(child=serializers.CharField(), source="warning_texts", read_only=True,
                                     help_text="The warnings in the requester's language.")
    warning_codes = serializers.SerializerMethodField(
        help_text="Each warning's code and parameters, in the order of `warnings` (an empty code: a text "
                  "without one).")
    report = serializers.SerializerMethodField(
        help_text="The outcome: `message` in the requester's language, `message_code` and `message_params` "
                  "beside it; `file_error` (why a whole file was refused) likewise with `file_error_code` and "
                  "`file_error_params`; `errors` (the first rejected rows: line, column, `reason` in the "
                  "requester's language, `reason_code`, `reason_params`); alerts, timings.")

    class Meta:
        model = ImportBatch
        fields = ["id", "url", "kind", "source", "file_name", "checksum", "encoding", "partial", "created_by",
                  "started_at", "finished_at", "date_from", "date_to", "rows_read", "rows_written", "rows_replaced",
                  "rows_rejected", "warnings", "warning_codes", "status", "report", "progress", "heartbeat_at",
                  "previous_batch_url"]
        read_only_fields = fields

    def get_warning_codes(self, obj) -> list[dict]:
        return [texts.code_of(w) for w in obj.warnings or []]

    def get_report(self, obj) -> dict:
        report = dict(obj.report or {})
        stored = texts.code_of(report.get("message"))
        report.update(message=obj.message, message_code=stored["code"], message_params=stored["params"])
        if "errors" in report:
            report["errors"] = obj.errors
        if report.get("file_error"):
            report.update(file_error=obj.file_error, file_error_code=report.get("file_error_code") or "",
                          file_error_params=report.get("file_error_params") or {})
        return report

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_url(self, obj) -> str:
        return self._absolute(reverse("import-detail", args=[obj.pk]))

    def get_previous_batch_url(self, obj) -> str | None:
        previous = (obj.report or {}).get("previous_batch")
        return self._absolute(reverse("import-detail", args=[previous])) if previous else None


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


class TooLargeSerializer(serializers.Serializer):
    detail = serializers.CharField()


# The answer once the outcome is known: JSON rows always (imported at once), a file when no broker is
# configured (its import runs in-process) or when it is refused as it comes in (not text in its
# encoding) or is a copy of a file imported or being imported. Otherwise a file is answered 202.
ANSWERS = {BatchStatus.IMPORTED: status.HTTP_201_CREATED, BatchStatus.PARTIAL: status.HTTP_201_CREATED,
           BatchStatus.DUPLICATE: status.HTTP_200_OK, BatchStatus.REJECTED: status.HTTP_422_UNPROCESSABLE_ENTITY,
           BatchStatus.FAILED: status.HTTP_503_SERVICE_UNAVAILABLE}


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

    def list(self, request, *args, **kwargs):
        import_fail_stale()  # a batch whose worker is gone is shown failed, not running
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        import_fail_stale()
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=ImportRequestSerializer, responses={
        202: OpenApiResponse(ImportBatchSerializer, description="A file: queued for a worker; poll `url` (also in "
                                                                "the Location header) until `finished_at` is set."),
        201: OpenApiResponse(ImportBatchSerializer, description="Imported (or partly, see the report): JSON rows, "
                                                                "or a file when no broker is configured."),
        200: OpenApiResponse(ImportBatchSerializer, description="The same file or rows were already imported (or "
                                                                "are being imported): see `previous_batch_url`."),
        413: OpenApiResponse(TooLargeSerializer, description="Over IMPORT_MAX_UPLOAD_MB (a file) or "
                                                             "DATA_UPLOAD_MAX_MB (JSON rows)."),
        422: OpenApiResponse(ImportBatchSerializer, description="Rejected, with the report (a file that is not text "
                                                                "in its encoding is refused as it comes in; other "
                                                                "rejections of a file show on its batch)."),
        503: OpenApiResponse(ImportBatchSerializer, description="The import failed (e.g. the database went away); "
                                                                "nothing was written: send it again."),
    })
    def create(self, request, *args, **kwargs):
        """Import a file (answered at once: 202 and a worker imports it) or JSON rows (imported now)."""
        too_large = self._too_large(request)
        if too_large:
            return Response({"detail": too_large}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        req = ImportRequestSerializer(data=request.data)
        req.is_valid(raise_exception=True)
        data = req.validated_data
        if data.get("file"):
            try:
                batch = import_submit(kind=data["kind"], upload=data["file"], by=request.user,
                                      partial=data["partial"], encoding=data["encoding"], source=ImportSource.API)
            except UploadTooLarge:
                return Response({"detail": upload_too_large_message()},
                                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        else:
            batch = import_run(kind=data["kind"], rows=data["rows"], by=request.user, partial=data["partial"],
                               source=ImportSource.API, file_name="api-rows")
        code = status.HTTP_202_ACCEPTED if batch.live else ANSWERS[batch.status]
        body = ImportBatchSerializer(batch, context={"request": request}).data
        created = code in {status.HTTP_201_CREATED, status.HTTP_202_ACCEPTED}
        return Response(body, status=code, headers={"Location": body["url"]} if created else None)

    @staticmethod
    def _too_large(request) -> str | None:
        """Refuse an oversized body from its announced length, before any of it is read."""
        if upload_would_be_too_large(request):
            return upload_too_large_message()
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if request.content_type == "application/json" and length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return _("JSON rows are limited to %(mb)s MB (DATA_UPLOAD_MAX_MB); send the rows as a file instead.") % {
                "mb": settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)}
        return None


class RowErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    column = serializers.CharField(allow_blank=True)
    reason = serializers.CharField(help_text="Why the row was refused, in the requester's language.")
    reason_code = serializers.CharField(allow_blank=True, help_text="The reason's code (e.g. row.not_decimal); "
                                                                    "empty for a reason older than the codes.")
    reason_params = serializers.DictField(help_text="The reason's parameters (e.g. the cell's value `v`).")


class QuarantinedRowSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(source="batch.kind", choices=ImportKind.choices, read_only=True)
    raw = serializers.DictField(child=serializers.CharField(allow_blank=True), read_only=True)
    errors = RowErrorSerializer(many=True, read_only=True, source="reasons")

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
        result = QuarantineRerunResultSerializer({"row": row, "batch": batch}, context={"request": request})
        return Response(result.data, status=code)

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
