"""The statement as a PDF in Chinese, laid out like the page: header, account summary, trades, positions.

reportlab's built-in CID font STSong-Light covers Chinese with no font file to ship; figures use Helvetica.
"""

import io

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .statement import Statement

CJK = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(CJK))
TITLE = ParagraphStyle("title", fontName=CJK, fontSize=15, leading=20, alignment=1, spaceAfter=4 * mm)
HEADING = ParagraphStyle("heading", fontName=CJK, fontSize=11, leading=15, spaceBefore=4 * mm, spaceAfter=2 * mm)
TEXT = ParagraphStyle("text", fontName=CJK, fontSize=8.5, leading=11)


def _money(value) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _table(rows, widths, *, header=True, numeric_from=None, total=False, latin=()):
    """A grid in the statement's style: CJK text, figures right-aligned in Helvetica (and the `latin` cells)."""
    style = [("FONT", (0, 0), (-1, -1), CJK, 8.5), ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
             ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
    if numeric_from is not None:
        style += [("ALIGN", (numeric_from, 1 if header else 0), (-1, -1), "RIGHT"),
                  ("FONT", (numeric_from, 1 if header else 0), (-1, -1), "Helvetica", 8.5)]
    style += [("FONT", cell, cell, "Helvetica", 8.5) for cell in latin]
    if total:
        style.append(("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f5f5f5")))
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    table.setStyle(TableStyle(style))
    return table


def statement_pdf(st: Statement) -> bytes:
    """The statement, always in Chinese (the document the client receives)."""
    with translation.override("zh-hans"):
        return _render(st)


def _render(st: Statement) -> bytes:
    client, s = st.client, st.summary
    out = io.BytesIO()
    period = f"{st.start:%Y-%m}" if st.monthly else f"{st.start:%Y-%m-%d}"
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=14 * mm, rightMargin=14 * mm, topMargin=14 * mm,
                            bottomMargin=14 * mm, title=f"{_('Statement')} {client.account_id} {period}",
                            author=str(client.branch))
    story = [Paragraph(_("Monthly statement") if st.monthly else _("Daily statement"), TITLE)]
    story.append(_table([
        [_("Fund account"), client.account_id, _("Client"), client.name],
        [_("Branch"), str(client.branch), _("Month") if st.monthly else _("Trading day"), period],
    ], [28 * mm, 58 * mm, 28 * mm, 68 * mm], header=False, latin=[(1, 0), (3, 1)]))
    if s is None:
        story += [Spacer(1, 4 * mm), Paragraph(_("No settlement for this period."), TEXT)]
        doc.build(story)
        return out.getvalue()
    risk = "—" if s["risk_degree"] is None else f"{s['risk_degree']:.2f}%"
    story.append(Paragraph(_("Account summary"), HEADING))
    story.append(_table([
        [_("Opening equity") if st.monthly else _("Previous equity"), _money(s["pre_equity"]),
         pgettext("count", "Trading days"), str(s["trading_days"])],
        [_("Opening balance") if st.monthly else _("Previous balance"), _money(s["pre_balance"]),
         _("Closing balance") if st.monthly else _("Ending balance"), _money(s["balance"])],
        [_("Deposits"), _money(s["deposit"]), _("Client equity"), _money(s["equity"])],
        [_("Withdrawals"), _money(s["withdrawal"]), _("Margin"), _money(s["margin"])],
        [_("Close P&L"), _money(s["close_profit"]), _("Available funds"), _money(s["available"])],
        [_("Position P&L"), _money(s["position_profit"]), _("Risk degree"), risk],
        [_("Commission"), _money(s["commission"]), _("Margin call"), _money(s["margin_call"])],
        [_("of which exchange fee"), _money(s["exchange_fee"]), _("Net commission"), _money(s["net_commission"])],
    ], [40 * mm, 51 * mm, 40 * mm, 51 * mm], header=False, latin=[(c, r) for c in (1, 3) for r in range(8)]))
    story.append(Paragraph(_("Trades by contract"), HEADING))
    rows = [[_("Exchange"), _("Instrument"), _("Hedge flag"), _("Buy lots"), _("Sell lots"), _("Turnover"),
             _("Commission"), _("Exchange fee"), _("Close P&L")]]
    rows += [[t["exchange"], t["instrument"], str(t["hedge_label"]), t["buy_lots"], t["sell_lots"],
              _money(t["turnover"]), _money(t["commission"]), _money(t["exchange_fee"]), _money(t["close_profit"])]
             for t in st.trades]
    if st.trades:
        tt = st.trade_totals
        rows.append([_("Total"), "", "", tt["buy_lots"], tt["sell_lots"], _money(tt["turnover"]),
                     _money(tt["commission"]), _money(tt["exchange_fee"]), _money(tt["close_profit"])])
    else:
        rows.append([_("No trades."), "", "", "", "", "", "", "", ""])
    story.append(_table(rows, [16 * mm, 20 * mm, 15 * mm, 14 * mm, 14 * mm, 30 * mm, 24 * mm, 24 * mm, 25 * mm],
                        numeric_from=3, total=bool(st.trades)))
    story.append(Paragraph(_("Positions at the close of %(d)s") % {"d": f"{s['last_day']:%Y-%m-%d}"}, HEADING))
    rows = [[_("Exchange"), _("Instrument"), _("Hedge flag"), _("Long position"), _("Short position"), _("Margin")]]
    rows += [[p["exchange"], p["instrument"], str(p["hedge_label"]), p["long_position"], p["short_position"],
              _money(p["margin"])] for p in st.positions] or [[_("No open positions."), "", "", "", "", ""]]
    story.append(_table(rows, [20 * mm, 30 * mm, 24 * mm, 30 * mm, 30 * mm, 48 * mm], numeric_from=3))
    printed = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    story += [Spacer(1, 6 * mm), Paragraph(_("Printed %(when)s from the settlement data of the back-office.")
                                           % {"when": printed}, TEXT)]
    doc.build(story)
    return out.getvalue()
