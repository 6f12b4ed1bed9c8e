"""The client's trading-history page (账单) and its XLSX export: the selector the API reads, scoped like the client."""

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.views.generic import DetailView

from futures_crm.views import ScopedQuerysetMixin

from .choices import Exchange
from .history_chart import history_chart
from .history_export import XLSX_TYPE, history_filename, history_xlsx
from .models import Client
from .selectors import latest_trade_date
from .settlement_history import (
    COLUMNS,
    GROUP_CHOICES,
    MONEY_FIELDS,
    HistoryQuery,
    history_totals,
    parse_query,
    period_label,
    settlement_by_product,
    settlement_history,
)
from .statement import statement_for
from .statement_pdf import statement_pdf


def _cells(row: dict) -> list[dict]:
    """The row's figures after the period, each marked whether it is money (two decimals) or a count."""
    return [{"value": row.get(name), "money": name in MONEY_FIELDS or name == "peak_risk_degree"}
            for name, _label in COLUMNS[1:]]


class ClientHistoryView(ScopedQuerysetMixin, DetailView):
    """GET form (grouping, range, product, exchange), the table, the chart; `?export=xlsx` the same rows."""

    model = Client
    template_name = "clients/client_history.html"
    context_object_name = "client"

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        errors, rows, products, query = {}, [], [], None
        try:
            query = parse_query(request.GET, default_end=latest_trade_date)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            rows = settlement_history(self.object, query)
            products = settlement_by_product(self.object, query)
        totals = history_totals(rows)
        if query and request.GET.get("export") == "xlsx":
            response = HttpResponse(history_xlsx(self.object, query, rows, totals, products), content_type=XLSX_TYPE)
            response["Content-Disposition"] = f'attachment; filename="{history_filename(self.object, query)}"'
            return response
        return self.render_to_response(self.get_context_data(query=query, rows=rows, totals=totals, errors=errors,
                                                             products=products))

    def get_context_data(self, *, query: HistoryQuery | None, rows, totals, errors, products, **kwargs):
        ctx = super().get_context_data(**kwargs)
        group = query.group if query else "month"
        labels = [period_label(group, r["period"]) for r in rows]
        params = self.request.GET.copy()
        params["export"] = "xlsx"
        ctx.update(
            query=query, errors=errors, columns=COLUMNS, groups=GROUP_CHOICES, exchanges=Exchange.choices,
            # The form shows what was asked, or what was used when nothing was.
            form={"group": self.request.GET.get("group") or group,
                  "from": self.request.GET.get("from") or (query.start.isoformat() if query else ""),
                  "to": self.request.GET.get("to") or (query.end.isoformat() if query else ""),
                  "product": self.request.GET.get("product", ""), "exchange": self.request.GET.get("exchange", "")},
            table=[{"label": label, "cells": _cells(row)} for label, row in zip(labels, rows, strict=True)],
            total_cells=_cells(totals),
            chart=history_chart(rows, labels),
            export_query=params.urlencode(),
            products=[{**p, "query": self._narrowed(p)} for p in products],
        )
        return ctx

    def _narrowed(self, product: dict) -> str:
        """The page's query narrowed to one product (the breakdown's links)."""
        params = self.request.GET.copy()
        params["product"], params["exchange"] = product["product"], product["exchange"]
        return params.urlencode()


class ClientStatementView(ScopedQuerysetMixin, DetailView):
    """The statement (结算单) of a trading day (`?day=`) or a month (`?month=`), printable."""

    model = Client
    template_name = "clients/client_statement.html"
    context_object_name = "client"

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        try:
            statement, errors = statement_for(self.object, request.GET), {}
        except ValidationError as exc:
            statement, errors = None, exc.message_dict
        if statement and request.GET.get("format") == "pdf":
            response = HttpResponse(statement_pdf(statement), content_type="application/pdf")
            period = f"{statement.start:%Y%m}" if statement.monthly else f"{statement.start:%Y%m%d}"
            response["Content-Disposition"] = f'attachment; filename="statement-{self.object.account_id}-{period}.pdf"'
            return response
        form = {"day": request.GET.get("day", ""), "month": request.GET.get("month", "")}
        pdf = request.GET.copy()
        pdf["format"] = "pdf"
        return self.render_to_response(self.get_context_data(statement=statement, errors=errors, form=form,
                                                             pdf_query=pdf.urlencode()))
