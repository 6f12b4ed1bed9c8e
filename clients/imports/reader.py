"""Reading a back-office file: detect its encoding, then stream its rows (never the whole file)."""

import codecs
import csv
import hashlib
import io
import os
import sys

from futures_crm.texts import text

SAMPLE = 1 << 20  # detection looks at the first MiB
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
        number = self._reader.line_num
        pending = ""
        try:
            for text in self._text:
                number += 1
                if pending:
                    text = pending + text
                if text.count('"') % 2:
                    pending = text
                    continue
                pending = ""
                text = text.rstrip("\r\n")
                if text:
                    yield number, text
        except UnicodeDecodeError as exc:
            raise self._not_text() from exc
        if pending:
            yield number, pending.rstrip("\r\n")

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
