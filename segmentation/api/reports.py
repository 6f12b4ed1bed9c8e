"""The scheduled-reports API: the caller's own subscriptions (list, subscribe, change, end) and their sends, through
the services the page calls (segmentation.reports)."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from futures_crm.api.permissions import RolePermission

from .. import reports
from ..models import ReportSubscription
from ..selectors import DASHBOARD_ROLES
from .serializers import ReportSendSerializer, ReportSubscriptionChangeSerializer, ReportSubscriptionSerializer


def _shown(subscription) -> dict:
    scope = reports.scope_of(subscription)
    return {"id": subscription.pk, "scope": reports.scope_key(subscription),
            "scope_label": reports.scope_label(scope) if scope else None, "frequency": subscription.frequency,
            "format": subscription.format, "language": subscription.language,
            "last_sent_on": subscription.last_sent_on, "created_at": subscription.created_at}


class ReportSubscriptionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's own active subscriptions; anyone else's is a 404."""

    serializer_class = ReportSubscriptionSerializer
    permission_classes = [RolePermission]
    read_roles = DASHBOARD_ROLES
    write_roles = DASHBOARD_ROLES
    pagination_class = None
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ReportSubscription.objects.none()
        return reports.subscriptions_of(self.request.user)

    def list(self, request, *args, **kwargs):
        return Response(ReportSubscriptionSerializer([_shown(s) for s in self.get_queryset()], many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return Response(ReportSubscriptionSerializer(_shown(self.get_object())).data)

    @extend_schema(request=ReportSubscriptionSerializer, responses={201: ReportSubscriptionSerializer})
    def create(self, request, *args, **kwargs):
        """Subscribe to a dashboard the caller may see; subscribing again to the same dashboard and frequency
        changes its format and language (the page's rule). 400 names the field: an unknown scope, frequency or
        format, or a dashboard the caller may not see (`scope`)."""
        body = ReportSubscriptionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            subscription = reports.report_subscribe(by=request.user, scope=data["scope"], frequency=data["frequency"],
                                                    fmt=data["format"],
                                                    language=data.get("language") or request.LANGUAGE_CODE)
        except PermissionDenied:
            raise ValidationError({"scope": [_("You may not subscribe to this dashboard.")]}) from None
        return Response(ReportSubscriptionSerializer(_shown(subscription)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReportSubscriptionChangeSerializer, responses=ReportSubscriptionSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Change the format or the language. The dashboard and the frequency are not changed: subscribe to the
        other one (POST) and end this one (DELETE)."""
        subscription = self.get_object()
        fixed = sorted({"scope", "frequency"} & set(request.data))
        if fixed:
            raise ValidationError({key: [_("This cannot be changed: subscribe again and end this subscription.")]
                                   for key in fixed})
        body = ReportSubscriptionChangeSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        reports.report_subscription_update(by=request.user, subscription=subscription,
                                           fmt=body.validated_data.get("format"),
                                           language=body.validated_data.get("language"))
        return Response(ReportSubscriptionSerializer(_shown(subscription)).data)

    def destroy(self, request, *args, **kwargs):
        """End the subscription (its sends stay on record)."""
        reports.report_unsubscribe(by=request.user, subscription=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=ReportSendSerializer(many=True))
    @action(detail=True, methods=["get"])
    def sends(self, request, pk=None):
        """The reports this subscription e-mailed, newest first."""
        sends = self.get_object().sends.order_by("-period_start", "-id")
        return Response(ReportSendSerializer(sends, many=True).data)
