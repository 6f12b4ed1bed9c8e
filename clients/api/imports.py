"""Import API: POST a file (multipart) or JSON rows; GET past batches with their reports."""

import os
import tempfile

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from futures_crm.api.permissions import RolePermission

from ..imports.formats import FORMATS, IMPORT_ROLES
from ..imports.services import import_run
from ..models import ImportBatch
from ..models.imports import ImportSource


class ImportBatchSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True)

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
            raise serializers.ValidationError("Give either a file or rows.")
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

