"""`GET /api/clients/{id}/settlement/`: the client's trading history, as the history page shows it."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from ..choices import Exchange
from ..selectors import latest_trade_date
from ..settlement_history import GROUPS, parse_query, settlement_history


def _money(**kw):
    return serializers.DecimalField(max_digits=22, decimal_places=2, **kw)


class SettlementRowSerializer(serializers.Serializer):
    """One period; the account-wide figures are null when the history is filtered by product or exchange."""

    period = serializers.DateField(help_text="The period's first day.")
    trading_days = serializers.IntegerField()
    lots = serializers.IntegerField()
    turnover = _money()
    commission = _money()
    exchange_fee = _money()
    net_commission = _money()
    close_profit = _money()
    position_profit = _money(allow_null=True)
    deposits = _money(allow_null=True)
    withdrawals = _money(allow_null=True)
    end_equity = _money(allow_null=True, help_text="Equity on the period's last trading day.")
    margin = _money(help_text="Margin in use on the period's last trading day.")
    peak_margin = _money()
    peak_risk_degree = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True,
                                                help_text="The highest margin ÷ equity of the period, in percent.")


class SettlementHistorySerializer(serializers.Serializer):
    group = serializers.ChoiceField(choices=GROUPS)
    start = serializers.DateField()
    end = serializers.DateField()
    product = serializers.CharField(allow_blank=True)
    exchange = serializers.CharField(allow_blank=True)
    results = SettlementRowSerializer(many=True)

    def get_fields(self):
        # `from` and `to` as the query names them (Python keeps `from` for itself).
        fields = super().get_fields()
        fields["from"], fields["to"] = fields.pop("start"), fields.pop("end")
        fields["from"].source, fields["to"].source = "start", "end"
        return fields


PARAMETERS = [
    OpenApiParameter("group", str, enum=list(GROUPS), description="Sum by day, month (default), quarter or year."),
    OpenApiParameter("from", OpenApiTypes.DATE, description="First day (default: a span fitting the grouping)."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (default: the last settlement day)."),
    OpenApiParameter("product", str, description="Only this product's contracts, e.g. rb, IF, SR."),
    OpenApiParameter("exchange", str, enum=list(Exchange.values), description="Only this exchange's contracts."),
]


class SettlementHistoryMixin:
    """Adds the settlement history to the client viewset: the same scoped lookup, so an unseen client is a 404."""

    @extend_schema(parameters=PARAMETERS, responses=SettlementHistorySerializer)
    @action(detail=True, methods=["get"], url_path="settlement", filterset_class=None, pagination_class=None)
    def settlement(self, request, pk=None):
        """The client's settlement summed by period; money as decimal strings. A day-by-day range is at most
        366 days."""
        client = self.get_object()
        query = parse_query(request.query_params, default_end=latest_trade_date)
        rows = settlement_history(client, query)
        body = {"group": query.group, "start": query.start, "end": query.end, "product": query.product,
                "exchange": query.exchange, "results": rows}
        return Response(SettlementHistorySerializer(body).data)
