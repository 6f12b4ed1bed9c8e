"""Rebate statement exports: CSV and XLSX carry exactly the stored lines and totals (to the cent)."""

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from futures_crm.exports import export_response

from .models import RebateStatement


def statement_header() -> list[str]:
    return [_("Fund account"), _("Client"), pgettext("count", "Trading days"), _("Commission"), _("Exchange fee"),
            _("Net commission"), _("Commission rebate"), _("Exchange rebate"), _("Rebate")]


def statement_csv_rows(statement: RebateStatement) -> list[list]:
    """Header, one row per client, then the total row; amounts as Decimal strings with two places."""
    rows = [statement_header()]
    for line in statement.lines.select_related("client"):
        rows.append([line.client.account_id, line.client.name, line.trading_days, line.commission, line.exchange_fee,
                     line.net_commission, line.commission_rebate, line.exchange_rebate, line.total])
    rows.append([_("Total"), "", "", statement.commission, statement.exchange_fee, statement.net_commission,
                 statement.commission_rebate, statement.exchange_rebate, statement.total])
    return rows


def statement_preamble(statement: RebateStatement) -> list[list]:
    """The workbook's title block above the table: whose statement, which month, on which rates."""
    return [[_("Rebate statement"), str(statement.intermediary), f"{statement.month:%Y-%m}",
             statement.get_status_display()],
            [_("Rebate rate"), statement.rebate_rate, _("Share of exchange rebates"),
             statement.exchange_rebate_share, _("Exchange refund rate"), statement.exchange_refund_rate],
            []]


def statement_export(statement: RebateStatement, fmt: str):
    """The statement as CSV (the table) or XLSX (the title block, then the table; money cells 0.00)."""
    rows = statement_csv_rows(statement)
    name = f"rebate-{statement.intermediary.code}-{statement.month:%Y-%m}"
    preamble = {"preamble": statement_preamble(statement)} if fmt == "xlsx" else {}
    return export_response(fmt, name, rows[0], rows[1:], **preamble)
