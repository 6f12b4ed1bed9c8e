"""Reading a back-office file: detect its encoding, then stream its rows (never the whole file)."""

import codecs
import csv
import hashlib
import io
import os
import sys

from futures_crm.texts import text

SAMPLE = 1 << 20  # detection looks at the first MiB
# Pieces of `CsvSource.pieces`: a block of plain lines, or one record.
BLOCK, RECORD = "block", "record"
BLOCK_CHARS = 1 << 18  # characters read at a time (a block is at most this, plus a line)
ENCODINGS = {"auto": None, "utf-8": "utf-8-sig", "utf8": "utf-8-sig", "gb18030": "gb18030", "gbk": "gb18030"}

csv.field_size_limit(min(sys.maxsize, 1 << 24))


class FileRejected(Exception):
    """The whole file is refused before or while reading (encoding, header, csv structure); its one argument
    is the reason, a Text whose code is one of clients.texts.FILE_REASONS."""

    @property
    def reason(self):
        return self.args[0]


def file_checksum(path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()  # reads in C, without the GIL


def _not_text(line: int, codec: str) -> FileRejected:
    label = "GB18030" if codec == "gb18030" else "UTF-8"
    return FileRejected(text("file.not_text", line=line, enc=label))


def first_bad_line(path, codec: str) -> int | None:
    """The first physical line of the file that does not decode as `codec` (None when every line does)."""
    decoder = codecs.getincrementaldecoder(codec)()
    number = 0
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):  # noqa: B007 - the last number is the line the end is on
            try:
                decoder.decode(raw)
            except UnicodeDecodeError:
                return number
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return max(number, 1)
    return None


def check_text(path, encoding: str = "auto") -> str:
    """The codec of a file every byte of which decodes (the whole file, not only the first MiB);
    FileRejected naming the first line that does not. Cheap: one pass of C decoding, nothing kept."""
    if encoding not in ENCODINGS:
        raise FileRejected(text("file.unknown_encoding", enc=encoding))
    codec = ENCODINGS[encoding] or detect_encoding(path)
    decoder = codecs.getincrementaldecoder(codec)()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(SAMPLE):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise _not_text(first_bad_line(path, codec) or 1, codec) from None
    return codec


def _decodes(sample: bytes, encoding: str, final: bool) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)().decode(sample, final=final)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path) -> str:
    """UTF-8 (BOM or not) first, then GB18030 (a superset of GBK); anything else is refused."""
    with open(path, "rb") as fh:
        sample = fh.read(SAMPLE)
        final = len(sample) < SAMPLE
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if _decodes(sample, "utf-8", final):
        return "utf-8-sig"
    if _decodes(sample, "gb18030", final):
        return "gb18030"
    raise FileRejected(text("file.no_encoding"))


class CsvSource:
    """A file's header and its rows as (line number, cells), decoded as it is read."""

    def __init__(self, path, encoding: str = "auto"):
        if encoding not in ENCODINGS:
            raise FileRejected(text("file.unknown_encoding", enc=encoding))
        self.encoding = ENCODINGS[encoding] or detect_encoding(path)
        self.size = os.path.getsize(path)
        self.path = path
        self._fh = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._text = io.TextIOWrapper(self._fh, encoding=self.encoding, errors="strict", newline="")
        self._reader = csv.reader(self._text)
        self.header = self._next_row()
        if self.header is None:
            self.close()
            raise FileRejected(text("file.empty"))

    @property
    def encoding_label(self) -> str:
        return "gb18030" if self.encoding == "gb18030" else "utf-8"

    def _next_row(self):
        try:
            return next(self._reader)
        except StopIteration:
            return None
        except UnicodeDecodeError as exc:
            raise self._not_text() from exc
        except csv.Error as exc:
            raise FileRejected(text("file.unreadable_csv", line=self._reader.line_num, err=str(exc))) from exc

    def _not_text(self) -> FileRejected:
        """The first physical line that does not decode (the text layer reads ahead, so count again)."""
        return _not_text(first_bad_line(self.path, self.encoding) or self._reader.line_num + 1, self.encoding)

    def position(self) -> int:
        """Bytes of the file read so far (the text layer reads ahead a little): for the progress shown."""
        return self._fh.tell()

    def __iter__(self):
        reader = self._reader
        while True:
            cells = self._next_row()
            if cells is None:
                return
            if cells:  # blank lines carry nothing
                yield reader.line_num, cells

    def records(self):
        """(line number, text) of each non-blank record after the header, as the file spells it.

        For the PostgreSQL fast path: a well-formed line goes to COPY as it is, without a Python
        csv parse. A quoted field may span lines: an odd number of quotes keeps the record open.
        Line numbers are the csv reader's (the record's last physical line).
        """
        for kind, number, piece in self.pieces():
            if kind is BLOCK:
                yield from self.block_records(number, piece)
            else:
                yield number, piece

    def pieces(self, size: int | None = None):
        """The records of `records()`, a block of plain lines at a time where it can.

        Yields (BLOCK, first line number, text): whole lines, each ending in a line feed, with no quote
        and no carriage return but in CRLF, which a caller may take in one piece (or read line by line
        with `block_records`); and (RECORD, line number, text) for every other record, as `records()`
        gives it. Physical lines are split as the text layer splits them (LF, CRLF or a lone CR).
        """
        number = self._reader.line_num
        pending = carry = ""
        read, size = self._text.read, size or BLOCK_CHARS
        try:
            while True:
                chunk = read(size)
                text = carry + chunk
                if not text:
                    break
                # Whole lines only: up to the last LF (or a lone CR that is not the last character,
                # which may be the first half of a CRLF); a line longer than a block waits for more.
                cut = (text.rfind("\n") + 1 or text.rfind("\r", 0, len(text) - 1) + 1) if chunk else len(text)
                if not cut:
                    carry = text
                    continue
                text, carry = text[:cut], text[cut:]
                if not pending and '"' not in text and text[-1] == "\n" \
                        and ("\r" not in text or text.count("\r") == text.count("\r\n")):
                    yield BLOCK, number + 1, text
                    number += text.count("\n")
                    continue
                for line in io.StringIO(text, newline=""):
                    number += 1
                    if pending:
                        line = pending + line
                    if line.count('"') % 2:
                        pending = line
                        continue
                    pending = ""
                    line = line.rstrip("\r\n")
                    if line:
                        yield RECORD, number, line
        except UnicodeDecodeError as exc:
            raise self._not_text() from exc
        if pending:
            yield RECORD, number, pending.rstrip("\r\n")

    @staticmethod
    def block_records(first: int, text: str):
        """(line number, text) of the non-blank lines of a BLOCK piece."""
        for number, line in enumerate(text.split("\n"), start=first):
            line = line.rstrip("\r")
            if line:
                yield number, line

    @staticmethod
    def cells(number: int, text: str) -> list[str]:
        """One record's cells, parsed exactly as the streaming reader would."""
        try:
            return next(csv.reader(text.splitlines(keepends=True)), [])
        except csv.Error as exc:
            raise FileRejected(text("file.unreadable_csv", line=number, err=str(exc))) from exc

    def close(self):
        self._fh.close()


class RowsSource:
    """JSON rows (a list of objects) presented like a file: the keys of the first row are the header."""

    encoding_label = "json"

    def __init__(self, rows):
        self._rows = list(rows) if not isinstance(rows, list) else rows
        if not self._rows:
            raise FileRejected(text("file.no_rows"))
        if not all(isinstance(r, dict) for r in self._rows):
            raise FileRejected(text("file.rows_not_objects"))
        seen = {}
        for row in self._rows:
            for key in row:
                seen.setdefault(str(key), None)
        self.header = list(seen)

    @staticmethod
    def position() -> int:
        return 0

    def __iter__(self):
        for number, row in enumerate(self._rows, start=1):
            yield number, ["" if row.get(k) is None else str(row.get(k)) for k in self.header]

    def close(self):
        pass
