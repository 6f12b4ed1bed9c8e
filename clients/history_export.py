"""The trading history as XLSX: the rows the page shows, numbers as numbers, every text formula-safe."""

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from futures_crm.exports import xlsx_bytes

from .settlement_history import COLUMNS, MONEY_FIELDS, PRODUCT_COLUMNS, HistoryQuery, period_label

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def history_xlsx(client, query: HistoryQuery, rows: list[dict], totals: dict, products: list[dict]) -> bytes:
    """A title block (client, range, filter), the header, one row per period and the total row; a second
    sheet with the same range by exchange and product."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("Trading history")[:31]
    ws.append([_("Trading history"), client.name, client.account_id])
    ws.append([_("Range"), f"{query.start:%Y-%m-%d} – {query.end:%Y-%m-%d}", query.product, query.exchange])
    ws.append([])
    ws.append([str(label) for _name, label in COLUMNS])
    for cell in ws[4]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([period_label(query.group, row["period"]) if name == "period" else row[name]
                   for name, _label in COLUMNS])
    ws.append([_("Total") if name == "period" else totals.get(name) for name, _label in COLUMNS])
    money = {i + 1 for i, (name, _label) in enumerate(COLUMNS) if name in MONEY_FIELDS or name == "peak_risk_degree"}
    for line in ws.iter_rows(min_row=5):
        for cell in line:
            if cell.column in money:
                cell.number_format = "#,##0.00"
    by_product = wb.create_sheet(_("By product")[:31])
    by_product.append([str(label) for _name, label in PRODUCT_COLUMNS])
    for cell in by_product[1]:
        cell.font = Font(bold=True)
    for p in products:
        by_product.append([p[name] for name, _label in PRODUCT_COLUMNS])
    for line in by_product.iter_rows(min_row=2, min_col=5):
        for cell in line:
            cell.number_format = "#,##0.00"
    return xlsx_bytes(wb)


def history_filename(client, query: HistoryQuery) -> str:
    return f"history-{client.account_id}-{query.group}-{query.start:%Y%m%d}-{query.end:%Y%m%d}.xlsx"
