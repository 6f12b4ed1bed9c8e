"""Rebate statement exports: CSV and XLSX carry exactly the stored lines and totals (to the cent)."""

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Font

from futures_crm.exports import xlsx_bytes

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


def statement_filename(statement: RebateStatement, ext: str) -> str:
    return f"rebate-{statement.intermediary.code}-{statement.month:%Y-%m}.{ext}"


def statement_xlsx(statement: RebateStatement) -> bytes:
    """The statement as a workbook: a title block, the lines, the total; money cells formatted 0.00."""
    wb = Workbook()
    ws = wb.active
    ws.title = f"{statement.month:%Y-%m}"
    ws.append([_("Rebate statement"), str(statement.intermediary), f"{statement.month:%Y-%m}",
               statement.get_status_display()])
    ws.append([_("Rebate rate"), statement.rebate_rate, _("Share of exchange rebates"),
               statement.exchange_rebate_share, _("Exchange refund rate"), statement.exchange_refund_rate])
    ws.append([])
    rows = statement_csv_rows(statement)
    for row in rows:
        ws.append([str(v) if i < 2 else v for i, v in enumerate(row)])
    for cell in ws[4]:
        cell.font = Font(bold=True)
    for row in ws.iter_rows(min_row=5, min_col=4, max_col=9):
        for cell in row:
            cell.number_format = "#,##0.00"
    return xlsx_bytes(wb)
