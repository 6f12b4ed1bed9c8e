"""The direct route takes blocks of plain lines whole (`CsvSource.pieces`, `pg_file._whole_blocks`).

A block's records are exactly the ones the line-by-line reader gave (line numbers included), and a file
whose blocks mix plain lines with lines only the per-line route can take ends the same as with every
line checked in Python: same rows, messages, alerts and quarantine."""

import csv
import io
import random

import pytest

from clients.demo_settlement import ACCOUNT_HEADER
from clients.imports import reader
from clients.imports.reader import BLOCK, CsvSource

from .conftest import account_row
from .test_pg_lines import KNOWN, _line, _run_both

pytestmark = pytest.mark.django_db


def _line_by_line(path, encoding="utf-8-sig"):
    """The reader's records as it gave them before blocks: the text layer's physical lines, one by one."""
    with open(path, "rb") as fh:
        text = io.TextIOWrapper(fh, encoding=encoding, newline="")
        rows = csv.reader(text)
        next(rows)
        number, pending, out = rows.line_num, "", []
        for line in text:
            number += 1
            if pending:
                line = pending + line
            if line.count('"') % 2:
                pending = line
                continue
            pending = ""
            line = line.rstrip("\r\n")
            if line:
                out.append((number, line))
        if pending:
            out.append((number, pending.rstrip("\r\n")))
        return out


PIECES = ["2025-01-02,9001,1.00", '"a\nb",x,"c"', "", "\r", '"open', 'quote"', "x" * 70, "中文,账号,1",
          "2025-01-03,9002,2"]


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("size", [7, 16, 64, 1 << 18])
def test_pieces_give_the_records_of_the_line_by_line_reader(tmp_path, seed, size):
    rng = random.Random(seed)
    ends = ["\n", "\r\n", "\r"] if seed % 4 == 0 else ["\n", "\r\n"] if seed % 4 == 1 else ["\n"]
    body = "".join(rng.choice(PIECES) + rng.choice(ends) for _ in range(rng.randint(0, 60)))
    if seed % 5 == 0:
        body = body.rstrip("\r\n")  # no line end after the last record
    path = tmp_path / "f.csv"
    path.write_text("h1,h2,h3\n" + body, encoding="utf-8", newline="")
    source = CsvSource(path)
    got = [(n, t) for kind, first, piece in source.pieces(size)
           for n, t in (source.block_records(first, piece) if kind is BLOCK else [(first, piece)])]
    source.close()
    assert got == _line_by_line(path)


def _mixed_file(bad_every: int) -> str:
    """Plain lines of known accounts over three days, with lines only the per-line route can take here and there."""
    header = list(ACCOUNT_HEADER)
    odd = [
        _line(header, account_row("90000004", balance="1.00")),                 # balance identity (SQL, then Python)
        _line(header, account_row("90000005", exchange_fee="31.00")),           # fee > commission
        _line(header, account_row("90000006", deposit="-5.00")),                # negative: the pattern refuses it
        "\n",                                                                   # blank
        _line(header, account_row("90000007", trade_date="2025-02-30")),        # not a real date
        _line(header, account_row("90000099")),                                 # unknown account: a placeholder
        _line(header, account_row("9000０100")),                                # not ASCII: a placeholder too
        _line(header, account_row("90000012", trade_date="20250107")).replace("\n", "\r\n"),  # YYYYMMDD, CRLF
        "2025-01-02,90000009,x,100.00\n",                                       # short row
        _line(header, account_row("90000011", withdrawal="-0.00", equity="-5.00", margin_call="3.00")),  # alert
    ]
    lines, n = [], 0
    for day in ("2025-01-02", "2025-01-03", "2025-01-06"):
        for account in KNOWN:
            lines.append(_line(header, account_row(account, trade_date=day)))
            n += 1
            if n % bad_every == 0:
                lines.append(odd[(n // bad_every) % len(odd)].replace("2025-01-02", "2025-01-07"))
    return ",".join(header) + "\n" + "".join(lines)


@pytest.mark.parametrize("partial", [True, False])
@pytest.mark.parametrize("block", [300, 1 << 18])
def test_blocks_with_odd_lines_end_as_the_python_checks(settings, tmp_path, monkeypatch, partial, block):
    monkeypatch.setattr(reader, "BLOCK_CHARS", block)
    text = _mixed_file(bad_every=2)
    seen = _run_both(settings, tmp_path, "accounts", text, "utf-8", partial, known=KNOWN)
    assert seen["route"] == "direct"
    assert seen["sql"] == seen["python"]
    assert seen["sql"]["rejected"] > 0 and seen["sql"]["read"] == 21 + 9  # the blank line is no record
    if partial:
        assert seen["sql"]["status"] == "partial" and seen["sql"]["alerts"]
    else:
        assert seen["sql"]["status"] == "rejected" and seen["sql"]["accounts"] == []


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_a_file_of_plain_lines_goes_whole_blocks(settings, tmp_path, monkeypatch, encoding):
    monkeypatch.setattr(reader, "BLOCK_CHARS", 500)
    text = _mixed_file(bad_every=1000).replace("\n", "\r\n")
    seen = _run_both(settings, tmp_path, "accounts", text, encoding, False, known=KNOWN)
    assert seen["route"] == "direct"
    assert seen["sql"] == seen["python"]
    assert seen["sql"]["status"] == "imported" and seen["sql"]["written"] == 21 == len(seen["sql"]["accounts"])
