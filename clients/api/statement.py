"""`GET /api/clients/{id}/statement/`: the client's statement (结算单) of a day or a month, as its page shows it."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from ..choices import HedgeFlag
from ..statement import statement_for

MONEY = {"max_digits": None, "decimal_places": 2}  # a month's sums can outgrow a row's digits


class StatementSummarySerializer(serializers.Serializer):
    trading_days = serializers.IntegerField()
    first_day = serializers.DateField()
    last_day = serializers.DateField()
    pre_equity = serializers.DecimalField(**MONEY, allow_null=True,
                                          help_text="Equity on the trading day before the period.")
    pre_balance = serializers.DecimalField(**MONEY)
    deposit = serializers.DecimalField(**MONEY)
    withdrawal = serializers.DecimalField(**MONEY)
    close_profit = serializers.DecimalField(**MONEY)
    position_profit = serializers.DecimalField(**MONEY)
    commission = serializers.DecimalField(**MONEY)
    exchange_fee = serializers.DecimalField(**MONEY, help_text="The part of the commission the exchange takes.")
    net_commission = serializers.DecimalField(**MONEY)
    balance = serializers.DecimalField(**MONEY)
    equity = serializers.DecimalField(**MONEY)
    margin = serializers.DecimalField(**MONEY)
    available = serializers.DecimalField(**MONEY)
    margin_call = serializers.DecimalField(**MONEY)
    risk_degree = serializers.DecimalField(**MONEY, allow_null=True,
                                           help_text="Margin ÷ equity in percent; null when equity is not positive.")


class ContractSerializer(serializers.Serializer):
    exchange = serializers.CharField()
    product = serializers.CharField()
    instrument = serializers.CharField()
    hedge_flag = serializers.ChoiceField(choices=HedgeFlag.choices)


class StatementTradeTotalsSerializer(serializers.Serializer):
    buy_lots = serializers.IntegerField()
    sell_lots = serializers.IntegerField()
    turnover = serializers.DecimalField(**MONEY)
    commission = serializers.DecimalField(**MONEY)
    exchange_fee = serializers.DecimalField(**MONEY)
    close_profit = serializers.DecimalField(**MONEY)


class StatementTradeSerializer(ContractSerializer, StatementTradeTotalsSerializer):
    """One contract's trades over the period."""


class StatementPositionSerializer(ContractSerializer):
    long_position = serializers.IntegerField()
    short_position = serializers.IntegerField()
    margin = serializers.DecimalField(**MONEY)


class StatementSerializer(serializers.Serializer):
    """The summary and the trade totals are null when the client has no settlement in the period."""

    client = serializers.IntegerField(source="client.pk")
    account_id = serializers.CharField(source="client.account_id", help_text="The fund account (资金账号).")
    monthly = serializers.BooleanField()
    start = serializers.DateField()
    end = serializers.DateField()
    summary = StatementSummarySerializer(allow_null=True)
    trades = StatementTradeSerializer(many=True, help_text="Per contract over the period.")
    trade_totals = StatementTradeTotalsSerializer(allow_null=True)
    positions = StatementPositionSerializer(many=True, help_text="Held at the close of the last settled day.")


PARAMETERS = [
    OpenApiParameter("day", OpenApiTypes.DATE, description="A trading day (give this or `month`)."),
    OpenApiParameter("month", str, pattern=r"^\d{4}-\d{2}$", description="A month as YYYY-MM (give this or `day`)."),
]


class StatementMixin:
    """Adds the statement to the client viewset: the same scoped lookup, so an unseen client is a 404."""

    @extend_schema(parameters=PARAMETERS, responses=StatementSerializer)
    @action(detail=True, methods=["get"], url_path="statement", filterset_class=None, pagination_class=None)
    def statement(self, request, pk=None):
        """The statement of one trading day (`day`) or one month (`month`), the figures its page shows; money
        as decimal strings."""
        client = self.get_object()
        given = [name for name in ("day", "month") if request.query_params.get(name, "").strip()]
        if len(given) != 1:  # the page defaults to the last day; a caller says what it wants
            message = _("Give either a day (YYYY-MM-DD) or a month (YYYY-MM).")
            raise ValidationError({"month" if given else "day": message})
        st = statement_for(client, request.query_params)
        body = {"client": client, "monthly": st.monthly, "start": st.start, "end": st.end, "summary": st.summary,
                "trades": st.trades, "trade_totals": st.trade_totals or None, "positions": st.positions}
        return Response(StatementSerializer(body).data)
