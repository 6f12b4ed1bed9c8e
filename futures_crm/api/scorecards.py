"""What the scorecard endpoints share (GET /api/scorecard/, GET /api/intermediary-scorecard/): a read-only view of one
branch and month, and its documented parameters."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics

from .permissions import RolePermission


class ScorecardAPIView(generics.GenericAPIView):
    """One branch's scorecard for a month; `read_roles` says who reads it, the view scopes the branch."""

    permission_classes = [RolePermission]
    pagination_class = None
    filter_backends = []


def scorecard_schema(serializer, figure_keys: list[str], month_default: str):
    """The `month`, `branch` and `sort` parameters and the answers of a scorecard endpoint."""
    return extend_schema(
        parameters=[
            OpenApiParameter("month", str, description=f"YYYY-MM (default: {month_default})."),
            OpenApiParameter("branch", str, description="Branch code (default: the caller's branch or the first)."),
            OpenApiParameter("sort", str, enum=figure_keys, description="The figure that ranks."),
        ],
        responses={200: serializer, 400: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT},
    )
