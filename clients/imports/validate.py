"""Per-row checks of the format: each failure names its line, its column and a clear reason.

The loop is the hot path of a multi-million-row import, so values stay strings: a money cell is
checked by one regular expression and only the cells an identity needs become Decimals.
"""

import datetime
import re
from decimal import Decimal
from operator import itemgetter

from django.utils import timezone

from futures_crm import texts
from futures_crm.texts import text

from ..identity import id_card_valid, normalise_phone, uscc_valid
from ..pinyin import pinyin_keys
from .formats import DATE, ENUM, LOTS, MONEY, Format
from .reader import FileRejected
from .rules import BALANCE_ADDED, BALANCE_SUBTRACTED, balance_off, expected_balance, fee_over_commission

MONEY_RE = re.compile(r"[+-]?\d{1,16}(?:\.\d{1,2})?\Z")
MONEY_LONG_DECIMALS = re.compile(r"[+-]?\d+\.\d{3,}\Z")
LOTS_RE = re.compile(r"\d{1,9}\Z")
DATE_RE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})\Z")
INSTRUMENT_RE = re.compile(r"([A-Za-z]{1,6})\d{3,4}(?:-?[CP]-?\d+)?\Z")
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+\Z")
LOTS_MAX = 2**31 - 1
# China's first futures exchange opened in 1990: an earlier trading day is a typing error.
FIRST_TRADING_DAY = "1990-01-01"
TRADING_DAY = "trade_date"  # the column bounded by FIRST_TRADING_DAY and today


class Bad(ValueError):
    """One cell's reason for rejection: a Text (`reason`) whose code is one of clients.texts.ROW_REASONS."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.reason = text(code, **params)


def _date_parser(trading_day: bool = False):
    """A date cell's parser; `trading_day`: also refused before FIRST_TRADING_DAY or after today (Asia/Shanghai)."""
    cache: dict[str, str] = {}
    latest = timezone.localdate(timezone=timezone.get_default_timezone()).isoformat() if trading_day else None

    def parse(raw: str) -> str:
        hit = cache.get(raw)
        if hit is not None:
            return hit
        match = DATE_RE.match(raw)
        if not match or (len(raw) == 10) != ("-" in raw):
            raise Bad("row.not_date", v=raw)
        try:
            value = datetime.date(*(int(g) for g in match.groups())).isoformat()
        except ValueError as exc:
            raise Bad("row.not_real_date", v=raw) from exc
        if latest is not None:  # ISO dates compare as text
            if value > latest:
                raise Bad("row.future_day", v=raw, today=latest)
            if value < FIRST_TRADING_DAY:
                raise Bad("row.too_early", v=raw, first=FIRST_TRADING_DAY)
        if len(cache) < 10000:
            cache[raw] = value
        return value

    return parse


def _money_parser(non_negative: bool):
    def parse(raw: str) -> str:
        if not MONEY_RE.match(raw):
            if MONEY_LONG_DECIMALS.match(raw):
                raise Bad("row.too_many_decimals", v=raw)
            raise Bad("row.not_decimal", v=raw)
        if non_negative and raw[0] == "-" and raw.strip("-0.") != "":
            raise Bad("row.negative", v=raw)
        return raw

    return parse


def _lots(raw: str) -> str:
    if not LOTS_RE.match(raw) or int(raw) > LOTS_MAX:
        raise Bad("row.not_lots", v=raw)
    return raw


def _enum_parser(choices: dict):
    allowed = ", ".join(sorted(set(choices.values())))

    def parse(raw: str) -> str:
        code = choices.get(raw.lower())
        if code is None:
            raise Bad("row.not_choice", v=raw, allowed=allowed)
        return code

    return parse


def _text_parser(max_length: int):
    def parse(raw: str) -> str:
        if len(raw) > max_length:
            raise Bad("row.too_long", n=max_length)
        if "\x00" in raw:  # PostgreSQL text cannot hold it
            raise Bad("row.nul")
        return raw

    return parse


def canonical_header(cell: str) -> str:
    return cell.strip().lstrip("\ufeff").strip().lower()


class RowValidator:
    """Built from a file's header: maps its columns, then checks rows one by one."""

    def __init__(self, fmt: Format, header: list[str]):
        self.fmt = fmt
        self.warnings: list[str] = []
        lookup = {}
        for col in fmt.columns:
            lookup[col.name] = col
            lookup[col.alias.lower()] = col
        positions: dict[str, int] = {}
        unknown = []
        for index, cell in enumerate(header):
            col = lookup.get(canonical_header(cell))
            if col is None:
                if cell.strip():
                    unknown.append(cell.strip())
                continue
            if col.name in positions:
                raise FileRejected(text("file.column_twice", c=col.name))
            positions[col.name] = index
        missing = [f"{c.name} ({c.alias})" for c in fmt.columns if c.required and c.name not in positions]
        if missing:
            raise FileRejected(text("file.missing_columns", cols=", ".join(missing)))
        if unknown:
            self.warnings.append(text("import.unknown_columns", cols=", ".join(unknown)))
        self.positions = positions
        self.width = len(header)
        self.plan = []
        for col in fmt.columns:
            if col.type == DATE:
                parse = _date_parser(trading_day=col.name == TRADING_DAY)
            elif col.type == MONEY:
                parse = _money_parser(col.non_negative)
            elif col.type == LOTS:
                parse = _lots
            elif col.type == ENUM:
                parse = _enum_parser(col.choices)
            else:
                parse = _text_parser(col.max_length)
            self.plan.append((positions.get(col.name), col.name, col.required, parse))
        self.index = {name: i for i, name in enumerate(fmt.names)}
        if fmt.kind == "accounts":  # the identity's cells, fetched in one C call each (the hot path)
            self._balance_cells = itemgetter(*(self.index[n] for n in ("commission", "exchange_fee", "balance")))
            self._added_cells = itemgetter(*(self.index[n] for n in BALANCE_ADDED))
            self._subtracted_cells = itemgetter(*(self.index[n] for n in BALANCE_SUBTRACTED))
        self.row_check = getattr(self, f"_check_{fmt.kind}")
        if fmt.kind != "clients":
            self._build_fast_path()

    def _build_fast_path(self):
        """One regular expression over a whole well-formed row; anything it refuses takes the slow path.

        Settlement files are millions of plain rows: checking them in one C-level match instead of a
        Python call per cell is what keeps validation close to COPY speed. The slow path (per cell)
        still decides every refusal, so the messages are the same.
        """
        parts = []
        for col in self.fmt.columns:
            if col.type == DATE:
                parts.append(r"\d{4}-?\d{2}-?\d{2}")
            elif col.type == MONEY:
                parts.append(r"\+?\d{1,16}(?:\.\d{1,2})?" if col.non_negative else r"[+-]?\d{1,16}(?:\.\d{1,2})?")
            elif col.type == LOTS:
                parts.append(r"\d{1,9}")
            elif col.type == ENUM:
                parts.append("(?:" + "|".join(sorted(set(col.choices.values()))) + ")")
            elif col.required:
                parts.append(r"[^\x1f\s\x00](?:[^\x1f\x00]{0,%s}[^\x1f\s\x00])?".replace("%s", str(col.max_length - 2)))
            else:
                parts.append(r"(?:[A-Za-z]{1,16})?")  # product
        self._fast_re = re.compile("\x1f".join(parts) + r"\Z")
        self._order = [self.positions.get(name) for name in self.fmt.names]
        self._date = _date_parser(trading_day=True)  # the settlement formats' first column
        self.check = self._check_fast

    def line_matcher(self, direct: bool = False, calm: dict[str, str] | None = None):
        """A pattern a raw CSV line matches only when every cell is valid exactly as written (no quotes).

        `calm` (money column → "<" or ">", the sign of an alert rule against 0): those cells match only a
        figure that does not raise the alert (a line matching then raises none of them).

        The PostgreSQL path hands such a line to COPY untouched; group `day` is the trading day, whose
        calendar date is checked apart (once per distinct value), group `account` the account number.
        The row identities (balance, fee ≤ commission) are checked afterwards in SQL; any line the
        pattern refuses takes `check`. `direct`: the line goes straight into the settlement table, so
        an empty product (derived from the instrument in SQL) is left to the staging path, and the
        groups `pre`, `account`, `post` split the line around the account number (the client id's place).
        """
        columns = {c.name: c for c in self.fmt.columns}
        by_position = {pos: name for name, pos in self.positions.items()}
        parts = []
        for index in range(self.width):
            col = columns.get(by_position.get(index))
            if col is None:
                parts.append(r'[^,"\x00]*')  # an ignored column (a NUL byte, which COPY refuses, goes to Python)
            elif col.type == DATE:
                parts.append(r"(?P<day>\d{4}-\d{2}-\d{2}|\d{8})")
            elif col.type == MONEY and col.name in (calm or {}):
                zero, signed = r"0{1,16}+(?:\.0{1,2}+)?+", r"\d{1,16}+(?:\.\d{1,2}+)?+"
                # A non-negative column's pattern takes no minus sign at all: neither may its calm one.
                minus = "" if col.non_negative else "|-"
                quiet = {"<": rf"\+?+{signed}{minus and minus + zero}",
                         ">": rf"\+?+{zero}{minus and minus + signed}"}[calm[col.name]]
                parts.append(f"(?:{quiet})")
            elif col.type == MONEY:
                # Possessive (…+) quantifiers: the same language before a comma, ~20 % less matching time.
                parts.append((r"\+?+" if col.non_negative else r"[+-]?+") + r"\d{1,16}+(?:\.\d{1,2}+)?+")
            elif col.type == LOTS:
                parts.append(r"\d{1,9}+")
            elif col.type == ENUM:
                parts.append("(?:" + "|".join(sorted(set(col.choices.values()))) + ")")
            elif col.name == "instrument":
                parts.append(r"[A-Za-z]{1,6}\d{3,4}(?:-?[CP]-?\d{1,19})?")  # ≤ 32 characters
            elif col.required:
                # 1 to max_length characters, neither first nor last a space.
                text = r'(?=[^,"\s])[^,"\r\n\x00]{1,' + str(col.max_length) + r'}+(?<=[^,"\s])'
                parts.append(f"(?P<account>{text})" if col.name == "account_id" else text)
            else:
                parts.append(r"[A-Za-z]{1,16}" if direct else r"(?:[A-Za-z]{1,16})?")  # product
        if not direct:
            return re.compile(",".join(parts) + r"\Z")
        at = self.positions["account_id"]
        before, after = ",".join(parts[:at]), ",".join(parts[at + 1:])
        return re.compile(f"(?P<pre>{before}{',' if before else ''}){parts[at]}(?P<post>{',' if after else ''}{after})"
                          r"\Z")

    def block_matcher(self, calm: dict[str, str] | None = None, repeat: str = "*+"):
        """A bytes pattern a block of ASCII lines (each ending in a line feed) matches only when every
        line matches `line_matcher(direct=True, calm=calm)`: one C-level match for thousands of lines, no
        groups. `repeat` "": one line."""
        line = self.line_matcher(direct=True, calm=calm).pattern.removesuffix(r"\Z")
        return re.compile(("(?:" + re.sub(r"\(\?P<\w+>", "(?:", line) + r"\r?\n)" + repeat).encode("ascii"))

    def day(self, raw: str):
        """The ISO date of a trading-day cell, or None when it is not a real date."""
        try:
            return self._date(raw)
        except Bad:
            return None

    def in_header_order(self, values: list) -> list:
        """A checked row laid out like the file's header (ignored columns empty), for COPY."""
        row = [""] * self.width
        for name, value in zip(self.fmt.names, values, strict=False):
            pos = self.positions.get(name)
            if pos is not None:
                row[pos] = "" if value is None else value
        return row

    def _check_fast(self, cells):
        if len(cells) != self.width:
            return None, self._width_problem(cells)
        try:
            values = ["" if i is None else cells[i] for i in self._order]
        except IndexError:
            return self._check_slow(cells)
        if self._fast_re.match("\x1f".join(values)) is None:
            return self._check_slow(cells)
        try:
            values[0] = self._date(values[0])
        except Bad:
            return self._check_slow(cells)
        if self.fmt.kind == "contracts" and not values[4]:
            values[4] = None
        errors = self.row_check(values)
        return (None, errors) if errors else (values, None)

    def raw_dict(self, cells: list[str]) -> dict:
        """The row as the file gave it, keyed by canonical column name, for the quarantine."""
        return {name: (cells[pos] if pos < len(cells) else "") for name, pos in self.positions.items()}

    def check(self, cells: list[str]):
        """(values, None) for a good row, (None, [(column, reason), …]) for a bad one (each reason a Text)."""
        return self._check_slow(cells)

    def _width_problem(self, cells: list[str]) -> list[tuple[str, texts.Text]]:
        """A line with more or fewer cells than the header: its cells cannot be matched to columns."""
        return [("", text("row.width", n=len(cells), width=self.width))]

    def _check_slow(self, cells: list[str]):
        if len(cells) != self.width:
            return None, self._width_problem(cells)
        out = []
        errors = None
        ncells = len(cells)
        for pos, name, required, parse in self.plan:
            raw = cells[pos].strip() if pos is not None and pos < ncells else ""
            if not raw:
                if required:
                    errors = errors or []
                    errors.append((name, text("row.required")))
                out.append(None)
                continue
            try:
                out.append(parse(raw))
            except Bad as exc:
                errors = errors or []
                errors.append((name, exc.reason))
                out.append(None)
        if errors is None:
            errors = self.row_check(out)
        return (None, errors) if errors else (out, None)

    # Row-level identities, run only when every cell parsed.
    def _check_accounts(self, v):
        comm, fee, bal = map(Decimal, self._balance_cells(v))
        errors = []
        expected = expected_balance(map(Decimal, self._added_cells(v)), map(Decimal, self._subtracted_cells(v)))
        if balance_off(bal, expected):
            errors.append(("balance", text("row.balance", bal=bal, exp=expected)))
        if fee_over_commission(fee, comm):
            errors.append(("exchange_fee", text("row.fee_over_commission", fee=fee, comm=comm)))
        return errors

    def _check_contracts(self, v):
        errors = []
        match = INSTRUMENT_RE.match(v[3])
        if not match:
            errors.append(("instrument", text("row.not_instrument", v=v[3])))
        elif v[4] is None:
            v[4] = match.group(1)  # the product is the instrument's letters
        if fee_over_commission(Decimal(v[10]), Decimal(v[9])):
            errors.append(("exchange_fee", text("row.fee_over_commission", fee=v[10], comm=v[9])))
        return errors

    def _check_clients(self, v):
        errors = []
        id_type, id_number = v[3], v[4].upper()
        v[4] = id_number
        if id_type == "id_card" and not id_card_valid(id_number):
            errors.append(("id_number", text("row.not_id_card")))
        elif id_type == "business_license" and not uscc_valid(id_number):
            errors.append(("id_number", text("row.not_uscc")))
        if v[13] and v[13] < v[12]:
            errors.append(("close_date", text("row.close_before_open", c=v[13], o=v[12])))
        if v[7]:
            raw, v[7] = v[7], normalise_phone(v[7])  # as the screen-pop matches it: digits, no +86
            if not v[7]:
                errors.append(("phone", text("row.not_phone", v=raw)))
        if v[8] and not EMAIL_RE.match(v[8]):
            errors.append(("email", text("row.not_email", v=v[8])))
        if not errors:
            full, initials = pinyin_keys(v[1])
            v.extend([full, initials, id_number[-4:]])
        return errors


CLIENT_DERIVED = ["name_pinyin", "name_initials", "id_last4"]
