"""The monthly rebate statement reconciles to the cent with the settlement rows."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.db.models import F, Sum

from clients.models import AccountSettlement
from futures_crm.models import AuditEntry
from referrals import services
from referrals.exports import statement_csv_rows, statement_export
from referrals.models import IntermediaryLink
from tests.factories import ClientFactory

from .conftest import D, link, settle

pytestmark = pytest.mark.django_db
NOV = datetime.date(2026, 11, 1)


@pytest.fixture
def month_rows(book, intermediary, other_intermediary):
    """Three clients of IB001 with awkward cents; one joins mid-month, one leaves to IB002 mid-month."""
    branch = book["zhang"].branch
    steady, joiner, leaver = (ClientFactory(branch=branch, name=n) for n in ("长期", "新来", "转走"))
    link(steady, intermediary)
    link(joiner, intermediary, since=datetime.date(2026, 11, 10))
    link(leaver, intermediary, until=datetime.date(2026, 11, 16))
    link(leaver, other_intermediary, since=datetime.date(2026, 11, 16))
    for day in range(2, 28):
        d = datetime.date(2026, 11, day)
        if d.weekday() >= 5:
            continue
        settle(steady, d, commission="33.33", exchange_fee="11.11")
        settle(joiner, d, commission="7.77", exchange_fee="2.59")
        settle(leaver, d, commission="12.35", exchange_fee="4.12")
    # Rows outside the month must not count.
    settle(steady, datetime.date(2026, 10, 31), commission="1000", exchange_fee="1")
    settle(steady, datetime.date(2026, 12, 1), commission="1000", exchange_fee="1")
    return steady, joiner, leaver


def _attributed(intermediary):
    """The reconciliation reference, computed independently day by day from the rows and the links."""
    total = Decimal("0.00")
    for link_ in IntermediaryLink.objects.filter(intermediary=intermediary):
        rows = AccountSettlement.objects.filter(client=link_.client, trade_date__gte=max(link_.valid_from, NOV),
                                                trade_date__lt=datetime.date(2026, 12, 1))
        if link_.valid_to:
            rows = rows.filter(trade_date__lt=link_.valid_to)
        total += rows.aggregate(s=Sum(F("commission") - F("exchange_fee")))["s"] or 0
    return total


def test_statement_reconciles_to_the_cent(staff, intermediary, month_rows):
    intermediary.exchange_rebate_share = D("0.5000")
    intermediary.rebate_rate = D("0.3333")
    intermediary.save()
    st = services.rebate_statement_draft(intermediary=intermediary, month=datetime.date(2026, 11, 17),
                                         by=staff["compliance"], exchange_refund_rate=D("0.2000"))
    steady, joiner, leaver = month_rows
    lines = {line.client_id: line for line in st.lines.all()}
    assert set(lines) == {steady.pk, joiner.pk, leaver.pk}
    # Net commission equals the attributed settlement rows exactly.
    assert st.net_commission == _attributed(intermediary) == sum(line.net_commission for line in lines.values())
    assert st.commission - st.exchange_fee == st.net_commission
    # 2–27 November 2026 has 20 weekdays; the joiner (from the 10th) has 14, the leaver (to the 16th) 10.
    assert (lines[steady.pk].trading_days, lines[joiner.pk].trading_days, lines[leaver.pk].trading_days) == (20, 14, 10)
    # steady: 20 × 22.22 = 444.40 net; × 0.3333 = 148.11852 → 148.12; exchange 222.20 × 0.2 × 0.5 = 22.22.
    assert lines[steady.pk].net_commission == D("444.40")
    assert (lines[steady.pk].commission_rebate, lines[steady.pk].exchange_rebate) == (D("148.12"), D("22.22"))
    # joiner: 14 × 5.18 = 72.52 → 24.170916 → 24.17; exchange 36.26 × 0.1 = 3.626 → 3.63.
    assert (lines[joiner.pk].commission_rebate, lines[joiner.pk].exchange_rebate) == (D("24.17"), D("3.63"))
    # leaver: 10 × 8.23 = 82.30 → 27.43059 → 27.43; exchange 41.20 × 0.1 = 4.12.
    assert (lines[leaver.pk].commission_rebate, lines[leaver.pk].exchange_rebate) == (D("27.43"), D("4.12"))
    assert (st.commission_rebate, st.exchange_rebate, st.total) == (D("199.72"), D("29.97"), D("229.69"))
    assert st.total == sum(line.total for line in lines.values()) == st.commission_rebate + st.exchange_rebate


def test_statement_draft_then_confirm_then_frozen(staff, intermediary, month_rows):
    st = services.rebate_statement_draft(intermediary=intermediary, month=NOV, by=staff["compliance"])
    st = services.rebate_statement_draft(intermediary=intermediary, month=NOV, by=staff["compliance"])  # recompute
    assert st.lines.count() == 3 and st.exchange_rebate == 0
    services.rebate_statement_confirm(statement=st, by=staff["admin"])
    st.refresh_from_db()
    assert st.status == "confirmed" and st.confirmed_by == staff["admin"]
    with pytest.raises(ValidationError):
        services.rebate_statement_draft(intermediary=intermediary, month=NOV, by=staff["compliance"])
    with pytest.raises(ValidationError):
        services.rebate_statement_confirm(statement=st, by=staff["admin"])
    assert list(AuditEntry.objects.filter(action__startswith="rebate.").values_list("action", flat=True)) == [
        "rebate.confirm", "rebate.draft", "rebate.draft"]


def _xlsx(statement):
    return io.BytesIO(b"".join(statement_export(statement, "xlsx").streaming_content))


def test_csv_and_xlsx_exports_carry_the_same_cents(staff, intermediary, month_rows):
    st = services.rebate_statement_draft(intermediary=intermediary, month=NOV, by=staff["compliance"])
    rows = list(csv.reader(io.StringIO("\n".join(",".join(map(str, r)) for r in statement_csv_rows(st)))))
    assert rows[-1][-1] == str(st.total)
    assert sum(Decimal(r[-1]) for r in rows[1:-1]) == st.total
    book = openpyxl.load_workbook(_xlsx(st))
    sheet = book.active
    values = [row for row in sheet.iter_rows(values_only=True)]
    totals = [r for r in values if r and r[0] == values[-1][0]][-1]
    assert Decimal(str(totals[-1])) == st.total


def test_a_name_that_looks_like_a_formula_stays_text_in_the_xlsx(staff, intermediary, month_rows):
    steady = month_rows[0]
    steady.name = '=HYPERLINK("https://evil.example/","报表")'
    steady.save(update_fields=["name"])
    st = services.rebate_statement_draft(intermediary=intermediary, month=NOV, by=staff["compliance"])
    sheet = openpyxl.load_workbook(_xlsx(st)).active
    cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells and all(c.data_type == "s" for c in cells)  # shown as typed, never run


def test_rounding_rule_is_half_up_to_the_cent():
    from referrals.rules import round_money

    assert round_money(D("0.125")) == D("0.13") and round_money(D("0.135")) == D("0.14")
    assert round_money(D("-0.125")) == D("-0.13")


def test_month_run_matches_single_statements(staff, intermediary, other_intermediary, month_rows):
    single = services.rebate_statement_draft(intermediary=intermediary, month=NOV, by=staff["compliance"])
    expected = {(line.client_id, line.total) for line in single.lines.all()}
    services.rebate_statement_confirm(statement=single, by=staff["admin"])
    # The confirmed statement is left alone; the other intermediary's is drafted from the same grouped rows.
    assert services.rebate_statements_draft_month(month=NOV, by=staff["compliance"]) == 1
    other = other_intermediary.statements.get()
    leaver = month_rows[2]
    # leaver with IB002 from the 16th: 16–27 November is 10 weekdays × 8.23 = 82.30 × 0.3 = 24.69.
    assert [(line.client_id, line.trading_days, line.total) for line in other.lines.all()] == [
        (leaver.pk, 10, D("24.69"))]
    assert {(line.client_id, line.total) for line in single.lines.all()} == expected
